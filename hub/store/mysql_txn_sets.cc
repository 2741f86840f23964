// MysqlTxn's BatchRows: the set-based reads of a batch's load stage and the multi-row
// statements of its write stage (batch_rows.h). Each statement covers a chunk of keys or
// rows; chunk sizes are few and fixed so a connection prepares few statement texts.
#include <cppconn/datatype.h>
#include <cppconn/statement.h>

#include <algorithm>
#include <map>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "hub/store/mysql_txn.h"

namespace loyalty {

namespace {

// Multi-row statements are cut into chunks of these sizes (largest first), so each
// connection prepares a few shapes of each statement, not one per row count: a batch
// of 128 rows is one statement, of n < 128 rows as many as n has bits set.
constexpr size_t kChunkSizes[] = {128, 64, 32, 16, 8, 4, 2, 1};

// Calls `emit(first, n)` for consecutive chunks covering [0, total).
template <typename Emit>
void ForChunks(size_t total, Emit&& emit) {
  size_t first = 0;
  for (size_t size : kChunkSizes) {
    while (total - first >= size) {
      emit(first, size);
      first += size;
    }
  }
}

// For reads: calls `emit(first, n, size)` for chunks covering [0, total), each of at
// most the largest size; the last one's n keys are bound into the smallest `size` that
// holds them, the last key repeated (IN lists ignore repeats): one statement per 128
// keys.
template <typename Emit>
void ForPaddedChunks(size_t total, Emit&& emit) {
  for (size_t first = 0; first < total;) {
    const size_t n = std::min(total - first, kChunkSizes[0]);
    size_t size = kChunkSizes[0];
    for (size_t s : kChunkSizes) {
      if (s >= n) size = s;
    }
    emit(first, n, size);
    first += n;
  }
}

// `n` copies of `one` joined by `sep`: "(?, ?), (?, ?)".
std::string Repeat(absl::string_view one, absl::string_view sep, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) absl::StrAppend(&out, i == 0 ? "" : sep, one);
  return out;
}

void SetOptString(sql::PreparedStatement* st, int idx, const std::string& v) {
  if (v.empty()) {
    st->setNull(idx, sql::DataType::VARCHAR);
  } else {
    st->setString(idx, v);
  }
}

int BindKey(sql::PreparedStatement* st, int k, const TxnKey& key) {
  st->setInt64(k, key.partner);
  st->setString(k + 1, key.id);
  return k + 2;
}

}  // namespace

template <typename Key, typename Bind, typename Row>
void MysqlTxn::SelectIn(const std::string& select, const std::string& group,
                        const std::vector<Key>& keys, Bind&& bind, Row&& row,
                        const std::string& suffix) {
  ForPaddedChunks(keys.size(), [&](size_t first, size_t n, size_t size) {
    auto* st = Prepare(absl::StrCat(select, "(", Repeat(group, ", ", size), ")", suffix));
    int k = 1;
    for (size_t i = 0; i < size; ++i) k = bind(st, k, keys[first + std::min(i, n - 1)]);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    while (rs->next()) row(rs.get());
  });
}

absl::StatusOr<std::vector<MemberId>> MysqlTxn::MembersOfTxns(const std::vector<TxnKey>& keys) {
  return Guard([&]() -> absl::StatusOr<std::vector<MemberId>> {
    std::vector<MemberId> out;
    SelectIn("SELECT member_id FROM txns WHERE (partner_id, partner_txn_id) IN ", "(?, ?)", keys,
             BindKey, [&](sql::ResultSet* rs) { out.push_back(rs->getInt64(1)); });
    return out;
  });
}

absl::StatusOr<std::vector<CardRecord>> MysqlTxn::FindCards(
    const std::vector<std::string>& numbers) {
  return Guard([&]() -> absl::StatusOr<std::vector<CardRecord>> {
    std::vector<CardRecord> out;
    SelectIn(
        "SELECT card_number, member_id, bearer FROM cards WHERE card_number IN ", "?", numbers,
        [](sql::PreparedStatement* st, int k, const std::string& n) {
          st->setString(k, n);
          return k + 1;
        },
        [&](sql::ResultSet* rs) {
          out.push_back({rs->getString(1), rs->getInt64(2), rs->getInt(3) != 0});
        });
    return out;
  });
}

absl::StatusOr<std::vector<MemberRecord>> MysqlTxn::LockMembers(std::vector<MemberId> ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::vector<MemberRecord> out;
  if (ids.empty()) return out;
  return Guard([&]() -> absl::StatusOr<std::vector<MemberRecord>> {
    // Ids are integers, so the list is spelled into the statement (one text whatever
    // the count); the index walk of ORDER BY id takes the locks in ascending order.
    std::unique_ptr<sql::Statement> st(c_->conn->createStatement());
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery(
        absl::StrCat("SELECT ", rows::kMemberColumns, " FROM members WHERE id IN (",
                     absl::StrJoin(ids, ","), ") ORDER BY id FOR UPDATE")));
    while (rs->next()) out.push_back(rows::ReadMember(rs.get()));
    for (const MemberRecord& m : out) NoteMemberRead(m);
    return out;
  });
}

absl::StatusOr<std::vector<TxnRecord>> MysqlTxn::FindTxns(const std::vector<TxnKey>& keys) {
  return Guard([&]() -> absl::StatusOr<std::vector<TxnRecord>> {
    std::vector<TxnRecord> out;
    SelectIn(absl::StrCat("SELECT ", rows::kTxnColumns,
                          " FROM txns WHERE (partner_id, partner_txn_id) IN "),
             "(?, ?)", keys, BindKey,
             [&](sql::ResultSet* rs) { out.push_back(rows::ReadTxn(rs)); });
    return out;
  });
}

absl::StatusOr<std::vector<LotRecord>> MysqlTxn::OpenLotsOf(const std::vector<MemberId>& ids) {
  std::vector<LotRecord> out;
  if (ids.empty()) return out;
  return Guard([&]() -> absl::StatusOr<std::vector<LotRecord>> {
    std::unique_ptr<sql::Statement> st(c_->conn->createStatement());
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery(absl::StrCat(
        "SELECT ", rows::kLotColumns, " FROM lots WHERE member_id IN (", absl::StrJoin(ids, ","),
        ") AND remaining > 0 ORDER BY member_id, ", kLotOrderSql)));
    while (rs->next()) out.push_back(rows::ReadLot(rs.get()));
    return out;
  });
}

absl::StatusOr<std::vector<CardLinkRow>> MysqlTxn::FindCardLinks(
    const std::vector<std::string>& refs) {
  return Guard([&]() -> absl::StatusOr<std::vector<CardLinkRow>> {
    std::vector<CardLinkRow> out;
    SelectIn(
        "SELECT card_ref, bank_id, member_id, active FROM card_links WHERE card_ref IN ", "?", refs,
        [](sql::PreparedStatement* st, int k, const std::string& ref) {
          st->setString(k, ref);
          return k + 1;
        },
        [&](sql::ResultSet* rs) {
          out.push_back({rs->getString(1), rs->getInt64(2), rs->getInt64(3), rs->getInt(4) != 0});
        });
    return out;
  });
}

absl::StatusOr<std::vector<ClearingRow>> MysqlTxn::LockClearings(
    const std::vector<std::pair<PartnerId, std::string>>& keys) {
  return Guard([&]() -> absl::StatusOr<std::vector<ClearingRow>> {
    std::vector<ClearingRow> out;
    SelectIn(
        absl::StrCat("SELECT ", rows::kClearingColumns,
                     " FROM card_clearings WHERE (bank_id, clearing_id) IN "),
        "(?, ?)", keys,
        [](sql::PreparedStatement* st, int k, const std::pair<PartnerId, std::string>& key) {
          st->setInt64(k, key.first);
          st->setString(k + 1, key.second);
          return k + 2;
        },
        [&](sql::ResultSet* rs) { out.push_back(rows::ReadClearing(rs)); }, " FOR UPDATE");
    return out;
  });
}

absl::StatusOr<std::vector<std::pair<std::pair<std::string, std::string>, Points>>>
MysqlTxn::CardMonthTotals(const std::vector<std::pair<std::string, std::string>>& keys) {
  using Total = std::pair<std::pair<std::string, std::string>, Points>;
  return Guard([&]() -> absl::StatusOr<std::vector<Total>> {
    std::vector<Total> out;
    SelectIn(
        "SELECT card_ref, month_key, points FROM card_month_points WHERE (card_ref, month_key) "
        "IN ",
        "(?, ?)", keys,
        [](sql::PreparedStatement* st, int k, const std::pair<std::string, std::string>& key) {
          st->setString(k, key.first);
          st->setString(k + 1, key.second);
          return k + 2;
        },
        [&](sql::ResultSet* rs) {
          out.push_back({{rs->getString(1), rs->getString(2)}, rs->getInt64(3)});
        });
    return out;
  });
}

absl::StatusOr<std::vector<LotRecord>> MysqlTxn::DueOrPendingLotsOf(
    const std::vector<MemberId>& ids, Micros due_by, Micros pending_after) {
  std::vector<LotRecord> out;
  if (ids.empty()) return out;
  return Guard([&]() -> absl::StatusOr<std::vector<LotRecord>> {
    std::unique_ptr<sql::Statement> st(c_->conn->createStatement());
    // Two index ranges per member (ix_member_order, ix_member_available), not a walk
    // over all its lots.
    const std::string in = absl::StrJoin(ids, ",");
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery(absl::StrCat(
        "SELECT ", rows::kLotColumns, " FROM lots WHERE member_id IN (", in,
        ") AND expires_at <= ", due_by, " AND remaining > 0 UNION SELECT ", rows::kLotColumns,
        " FROM lots WHERE member_id IN (", in, ") AND available_at > ", pending_after,
        " AND remaining > 0 ORDER BY member_id, ", kLotOrderSql)));
    while (rs->next()) out.push_back(rows::ReadLot(rs.get()));
    return out;
  });
}

absl::StatusOr<std::vector<HoldRecord>> MysqlTxn::ActiveHoldsOf(const std::vector<MemberId>& ids) {
  std::vector<HoldRecord> out;
  if (ids.empty()) return out;
  return Guard([&]() -> absl::StatusOr<std::vector<HoldRecord>> {
    std::unique_ptr<sql::Statement> st(c_->conn->createStatement());
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery(
        absl::StrCat("SELECT * FROM holds WHERE member_id IN (", absl::StrJoin(ids, ","),
                     ") AND status = 'active' ORDER BY member_id, id DESC")));
    while (rs->next()) out.push_back(rows::ReadHold(rs.get()));
    return out;
  });
}

absl::StatusOr<std::vector<DebtRecord>> MysqlTxn::OpenDebtsOf(const std::vector<MemberId>& ids) {
  std::vector<DebtRecord> out;
  if (ids.empty()) return out;
  return Guard([&]() -> absl::StatusOr<std::vector<DebtRecord>> {
    std::unique_ptr<sql::Statement> st(c_->conn->createStatement());
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery(absl::StrCat(
        "SELECT id, member_id, funder_id, txn_id, points, outstanding, created_at FROM debts "
        "WHERE member_id IN (",
        absl::StrJoin(ids, ","), ") AND outstanding > 0 ORDER BY member_id, id")));
    while (rs->next()) {
      out.push_back({rs->getInt64(1), rs->getInt64(2), rs->getInt64(3), rs->getInt64(4),
                     rs->getInt64(5), rs->getInt64(6), rs->getInt64(7)});
    }
    for (const DebtRecord& d : out) events_.debt_before.emplace(d.id, d.outstanding);
    return out;
  });
}

absl::StatusOr<int64_t> MysqlTxn::RulesVersion() {
  return Guard([&]() -> absl::StatusOr<int64_t> {
    std::unique_ptr<sql::ResultSet> rs(
        Prepare("SELECT version FROM rules_version WHERE id = 1")->executeQuery());
    if (!rs->next()) return absl::InternalError("rules_version has no row");
    return rs->getInt64(1);
  });
}

absl::StatusOr<std::vector<PartnerId>> MysqlTxn::EarnPartnersSince(MemberId member, Micros since) {
  return Guard([&]() -> absl::StatusOr<std::vector<PartnerId>> {
    auto* st = Prepare(
        "SELECT DISTINCT partner_id FROM txns WHERE member_id = ? AND kind = 'earn' AND "
        "posted_at >= ?");
    st->setInt64(1, member);
    st->setInt64(2, since);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    std::vector<PartnerId> out;
    while (rs->next()) out.push_back(rs->getInt64(1));
    return out;
  });
}

absl::Status MysqlTxn::InsertTxns(const std::vector<TxnRecord>& txns) {
  return Guard([&]() -> absl::Status {
    try {
      ForChunks(txns.size(), [&](size_t first, size_t n) {
        auto* st = Prepare(absl::StrCat(
            "INSERT INTO txns (id, partner_id, partner_txn_id, kind, member_id, points, "
            "amount_minor, currency, request_hash, original_txn_id, reversed_points, "
            "balance_after, available_after, posted_at, occurred_at, note) VALUES ",
            Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", ", ", n)));
        int k = 1;
        for (size_t i = first; i < first + n; ++i) {
          const TxnRecord& t = txns[i];
          LOYALTY_CHECK(t.id > 0);
          st->setInt64(k++, t.id);
          st->setInt64(k++, t.partner_id);
          SetOptString(st, k++, t.partner_txn_id);
          st->setString(k++, t.kind);
          st->setInt64(k++, t.member_id);
          st->setInt64(k++, t.points);
          st->setInt64(k++, t.amount_minor);
          st->setString(k++, t.currency);
          st->setString(k++, t.request_hash);
          rows::SetOptInt(st, k++, t.original_txn_id);
          st->setInt64(k++, t.reversed_points);
          st->setInt64(k++, t.balance_after);
          st->setInt64(k++, t.available_after);
          st->setInt64(k++, t.posted_at);
          st->setInt64(k++, t.occurred_at);
          st->setString(k++, t.note);
        }
        st->executeUpdate();
      });
    } catch (const sql::SQLException& e) {
      if (e.getErrorCode() != rows::kErrDuplicateKey) throw;
      // An idempotency key committed by another transaction since it was read: a new
      // attempt finds it and replays. The statement's rows are not written; the rest of
      // the transaction cannot go on without them.
      retry_ = true;
      doomed_ = true;
      return absl::AbortedError("idempotency key inserted concurrently");
    }
    for (const TxnRecord& t : txns) events_.txns.push_back(t.id);
    return absl::OkStatus();
  });
}

absl::Status MysqlTxn::InsertLots(const std::vector<LotRecord>& lots) {
  return Guard([&]() -> absl::Status {
    ForChunks(lots.size(), [&](size_t first, size_t n) {
      auto* st = Prepare(absl::StrCat(
          "INSERT INTO lots (id, member_id, funder_id, earn_txn_id, points, remaining, "
          "earned_at, expires_at, available_at) VALUES ",
          Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?)", ", ", n)));
      int k = 1;
      for (size_t i = first; i < first + n; ++i) {
        const LotRecord& l = lots[i];
        LOYALTY_CHECK(l.id > 0);
        st->setInt64(k++, l.id);
        st->setInt64(k++, l.member_id);
        st->setInt64(k++, l.funder_id);
        st->setInt64(k++, l.earn_txn_id);
        st->setInt64(k++, l.points);
        st->setInt64(k++, l.remaining);
        st->setInt64(k++, l.earned_at);
        st->setInt64(k++, l.expires_at);
        st->setInt64(k++, l.available_at);
      }
      st->executeUpdate();
    });
    return absl::OkStatus();
  });
}

absl::Status MysqlTxn::InsertConsumptions(const std::vector<ConsumptionRecord>& rows) {
  return Guard([&]() -> absl::Status {
    ForChunks(rows.size(), [&](size_t first, size_t n) {
      auto* st = Prepare(absl::StrCat(
          "INSERT INTO consumptions (id, txn_id, lot_id, funder_id, redeemer_id, kind, points, "
          "restores_id, posted_at) VALUES ",
          Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?)", ", ", n)));
      int k = 1;
      for (size_t i = first; i < first + n; ++i) {
        const ConsumptionRecord& c = rows[i];
        LOYALTY_CHECK(c.id > 0);
        st->setInt64(k++, c.id);
        st->setInt64(k++, c.txn_id);
        st->setInt64(k++, c.lot_id);
        st->setInt64(k++, c.funder_id);
        rows::SetOptInt(st, k++, c.redeemer_id);
        st->setString(k++, c.kind);
        st->setInt64(k++, c.points);
        rows::SetOptInt(st, k++, c.restores_id);
        st->setInt64(k++, c.posted_at);
      }
      st->executeUpdate();
    });
    return absl::OkStatus();
  });
}

absl::Status MysqlTxn::InsertTransfers(const std::vector<TransferRecord>& rows) {
  return Guard([&]() -> absl::Status {
    ForChunks(rows.size(), [&](size_t first, size_t n) {
      auto* st = Prepare(absl::StrCat(
          "INSERT INTO transfers (txn_id, debit_account, credit_account, points, posted_at) "
          "VALUES ",
          Repeat("(?, ?, ?, ?, ?)", ", ", n)));
      int k = 1;
      for (size_t i = first; i < first + n; ++i) {
        const TransferRecord& t = rows[i];
        st->setInt64(k++, t.txn_id);
        st->setString(k++, t.debit_account);
        st->setString(k++, t.credit_account);
        st->setInt64(k++, t.points);
        st->setInt64(k++, t.posted_at);
      }
      st->executeUpdate();
    });
    return absl::OkStatus();
  });
}

absl::Status MysqlTxn::InsertHolds(const std::vector<HoldRecord>& rows) {
  return Guard([&]() -> absl::Status {
    ForChunks(rows.size(), [&](size_t first, size_t n) {
      auto* st = Prepare(
          absl::StrCat("INSERT INTO holds (id, auth_txn_id, member_id, partner_id, points, status, "
                       "expires_at) VALUES ",
                       Repeat("(?, ?, ?, ?, ?, ?, ?)", ", ", n)));
      int k = 1;
      for (size_t i = first; i < first + n; ++i) {
        const HoldRecord& h = rows[i];
        LOYALTY_CHECK(h.id > 0);
        st->setInt64(k++, h.id);
        st->setInt64(k++, h.auth_txn_id);
        st->setInt64(k++, h.member_id);
        st->setInt64(k++, h.partner_id);
        st->setInt64(k++, h.points);
        st->setString(k++, h.status);
        st->setInt64(k++, h.expires_at);
      }
      st->executeUpdate();
    });
    return absl::OkStatus();
  });
}

absl::Status MysqlTxn::UpdateMembers(const std::vector<MemberRecord>& members) {
  return Guard([&]() -> absl::Status {
    ForChunks(members.size(), [&](size_t first, size_t n) {
      // One upsert per chunk: every row exists (locked by this transaction), so the
      // INSERT part never inserts; ON DUPLICATE KEY UPDATE writes the new values.
      auto* st = Prepare(absl::StrCat(
          "INSERT INTO members (id, balance, debt, anonymous, merged_into, tier, pin_hash, "
          "pin_failures, last_posted_at, created_at) VALUES ",
          Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?, 0)", ", ", n),
          " ON DUPLICATE KEY UPDATE balance = VALUES(balance), debt = VALUES(debt), "
          "anonymous = VALUES(anonymous), merged_into = VALUES(merged_into), "
          "tier = VALUES(tier), pin_hash = VALUES(pin_hash), "
          "pin_failures = VALUES(pin_failures), last_posted_at = VALUES(last_posted_at)"));
      int k = 1;
      for (size_t i = first; i < first + n; ++i) {
        const MemberRecord& m = members[i];
        st->setInt64(k++, m.id);
        st->setInt64(k++, m.balance);
        st->setInt64(k++, m.debt);
        st->setInt(k++, m.anonymous ? 1 : 0);
        rows::SetOptInt(st, k++, m.merged_into);
        st->setString(k++, m.tier);
        if (m.pin_hash.has_value()) {
          st->setString(k++, *m.pin_hash);
        } else {
          st->setNull(k++, sql::DataType::CHAR);
        }
        st->setInt(k++, m.pin_failures);
        st->setInt64(k++, m.last_posted_at);
      }
      st->executeUpdate();
    });
    for (const MemberRecord& m : members) NoteMemberWritten(m);
    return absl::OkStatus();
  });
}

absl::Status MysqlTxn::UpdateLotsRemaining(const std::vector<std::pair<LotId, Points>>& remaining) {
  return Guard([&]() -> absl::Status {
    ForChunks(remaining.size(), [&](size_t first, size_t n) {
      auto* st = Prepare(absl::StrCat(
          "UPDATE lots l JOIN (SELECT CAST(? AS SIGNED) AS id, CAST(? AS SIGNED) AS remaining",
          Repeat(" UNION ALL SELECT ?, ?", "", n - 1),
          ") v ON l.id = v.id SET l.remaining = v.remaining"));
      int k = 1;
      for (size_t i = first; i < first + n; ++i) {
        st->setInt64(k++, remaining[i].first);
        st->setInt64(k++, remaining[i].second);
      }
      st->executeUpdate();
    });
    return absl::OkStatus();
  });
}

absl::Status MysqlTxn::UpdateHolds(const std::vector<HoldRecord>& holds) {
  return Guard([&]() -> absl::Status {
    ForChunks(holds.size(), [&](size_t first, size_t n) {
      auto* st = Prepare(absl::StrCat(
          "UPDATE holds h JOIN (SELECT CAST(? AS SIGNED) AS id, CAST(? AS CHAR) AS status, "
          "CAST(? AS SIGNED) AS points",
          Repeat(" UNION ALL SELECT ?, ?, ?", "", n - 1),
          ") v ON h.id = v.id SET h.status = v.status, h.points = v.points"));
      int k = 1;
      for (size_t i = first; i < first + n; ++i) {
        st->setInt64(k++, holds[i].id);
        st->setString(k++, holds[i].status);
        st->setInt64(k++, holds[i].points);
      }
      st->executeUpdate();
    });
    return absl::OkStatus();
  });
}

absl::Status MysqlTxn::UpdateTxns(const std::vector<TxnRecord>& txns) {
  return Guard([&]() -> absl::Status {
    ForChunks(txns.size(), [&](size_t first, size_t n) {
      auto* st = Prepare(absl::StrCat(
          "UPDATE txns t JOIN (SELECT CAST(? AS SIGNED) AS id, CAST(? AS SIGNED) AS points, "
          "CAST(? AS SIGNED) AS balance_after, CAST(? AS SIGNED) AS available_after, "
          "CAST(? AS SIGNED) AS reversed_points",
          Repeat(" UNION ALL SELECT ?, ?, ?, ?, ?", "", n - 1),
          ") v ON t.id = v.id SET t.points = v.points, t.balance_after = v.balance_after, "
          "t.available_after = v.available_after, t.reversed_points = v.reversed_points"));
      int k = 1;
      for (size_t i = first; i < first + n; ++i) {
        st->setInt64(k++, txns[i].id);
        st->setInt64(k++, txns[i].points);
        st->setInt64(k++, txns[i].balance_after);
        st->setInt64(k++, txns[i].available_after);
        st->setInt64(k++, txns[i].reversed_points);
      }
      st->executeUpdate();
    });
    return absl::OkStatus();
  });
}

absl::Status MysqlTxn::InsertClearings(const std::vector<ClearingRow>& clearings) {
  return Guard([&]() -> absl::Status {
    try {
      ForChunks(clearings.size(), [&](size_t first, size_t n) {
        auto* st = Prepare(absl::StrCat(
            "INSERT INTO card_clearings (", rows::kClearingColumns, ") VALUES ",
            Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", ", ", n)));
        int k = 1;
        for (size_t i = first; i < first + n; ++i) {
          const ClearingRow& c = clearings[i];
          st->setInt64(k++, c.bank_id);
          st->setString(k++, c.clearing_id);
          st->setString(k++, c.request_hash);
          st->setString(k++, c.card_ref);
          rows::SetOptInt(st, k++, c.member_id);
          st->setString(k++, c.type);
          st->setInt64(k++, c.amount_minor);
          st->setInt(k++, c.mcc);
          st->setString(k++, c.merchant_id);
          st->setString(k++, c.original_clearing_id);
          st->setString(k++, c.status);
          st->setString(k++, c.reason.substr(0, 200));
          st->setInt64(k++, c.points);
          st->setInt64(k++, c.refunded_amount_minor);
          st->setInt64(k++, c.hub_txn_id);
          st->setString(k++, c.month_key);
          st->setInt64(k++, c.occurred_at);
          st->setInt64(k++, c.posted_at);
        }
        st->executeUpdate();
      });
    } catch (const sql::SQLException& e) {
      if (e.getErrorCode() != rows::kErrDuplicateKey) throw;
      // A concurrent stream posted the same clearing id since it was read: a new attempt
      // finds it and replays.
      retry_ = true;
      doomed_ = true;
      return absl::AbortedError("clearing id inserted concurrently");
    }
    // The cards' running monthly totals (card_month_points), one row per card and month.
    std::map<std::pair<std::string, std::string>, Points> totals;
    for (const ClearingRow& c : clearings) {
      if ((c.status == clearing_status::kEarned || c.status == clearing_status::kReversed) &&
          c.points != 0) {
        totals[{c.card_ref, c.month_key}] += c.type == "purchase" ? c.points : -c.points;
      }
    }
    std::vector<std::pair<std::pair<std::string, std::string>, Points>> list(totals.begin(),
                                                                             totals.end());
    ForChunks(list.size(), [&](size_t first, size_t n) {
      auto* st = Prepare(
          absl::StrCat("INSERT INTO card_month_points (card_ref, month_key, points) VALUES ",
                       Repeat("(?, ?, ?)", ", ", n),
                       " ON DUPLICATE KEY UPDATE points = points + VALUES(points)"));
      int k = 1;
      for (size_t i = first; i < first + n; ++i) {
        st->setString(k++, list[i].first.first);
        st->setString(k++, list[i].first.second);
        st->setInt64(k++, list[i].second);
      }
      st->executeUpdate();
    });
    return absl::OkStatus();
  });
}

absl::Status MysqlTxn::UpdateClearingsRefunded(const std::vector<ClearingRow>& clearings) {
  return Guard([&]() -> absl::Status {
    // Refunds are a few percent of records: a statement each.
    auto* st = Prepare(
        "UPDATE card_clearings SET refunded_amount_minor = ? WHERE bank_id = ? AND "
        "clearing_id = ?");
    for (const ClearingRow& c : clearings) {
      st->setInt64(1, c.refunded_amount_minor);
      st->setInt64(2, c.bank_id);
      st->setString(3, c.clearing_id);
      st->executeUpdate();
    }
    return absl::OkStatus();
  });
}

absl::Status MysqlTxn::UpsertDebts(const std::vector<DebtRecord>& rows) {
  return Guard([&]() -> absl::Status {
    ForChunks(rows.size(), [&](size_t first, size_t n) {
      auto* st = Prepare(absl::StrCat(
          "INSERT INTO debts (id, member_id, funder_id, txn_id, points, outstanding, created_at) "
          "VALUES ",
          Repeat("(?, ?, ?, ?, ?, ?, ?)", ", ", n),
          " ON DUPLICATE KEY UPDATE member_id = VALUES(member_id), "
          "outstanding = VALUES(outstanding)"));
      int k = 1;
      for (size_t i = first; i < first + n; ++i) {
        const DebtRecord& d = rows[i];
        LOYALTY_CHECK(d.id > 0);
        st->setInt64(k++, d.id);
        st->setInt64(k++, d.member_id);
        st->setInt64(k++, d.funder_id);
        st->setInt64(k++, d.txn_id);
        st->setInt64(k++, d.points);
        st->setInt64(k++, d.outstanding);
        st->setInt64(k++, d.created_at);
      }
      st->executeUpdate();
    });
    for (const DebtRecord& d : rows) NoteDebtWritten(d.id, d.outstanding);
    return absl::OkStatus();
  });
}

absl::Status MysqlTxn::InsertAudits(const std::vector<AuditEntry>& rows) {
  return Guard([&]() -> absl::Status {
    ForChunks(rows.size(), [&](size_t first, size_t n) {
      auto* st = Prepare(absl::StrCat(
          "INSERT INTO audit_log (at, actor, action, detail, before_state, after_state) VALUES ",
          Repeat("(?, ?, ?, ?, ?, ?)", ", ", n)));
      int k = 1;
      for (size_t i = first; i < first + n; ++i) {
        const AuditEntry& a = rows[i];
        st->setInt64(k++, a.at);
        st->setString(k++, a.actor.substr(0, 64));
        st->setString(k++, a.action.substr(0, 40));
        st->setString(k++, a.detail.substr(0, 500));
        SetOptString(st, k++, a.before);  // "" (no state) is stored as NULL
        SetOptString(st, k++, a.after);
      }
      st->executeUpdate();
    });
    return absl::OkStatus();
  });
}

absl::Status MysqlTxn::InsertPromotionAwards(const std::vector<PromotionAwardRow>& rows) {
  return Guard([&]() -> absl::Status {
    ForChunks(rows.size(), [&](size_t first, size_t n) {
      auto* st = Prepare(absl::StrCat(
          "INSERT INTO promotion_awards (promotion_id, member_id, earn_txn_id, bonus_txn_id, "
          "points, awarded_at) VALUES ",
          Repeat("(?, ?, ?, ?, ?, ?)", ", ", n)));
      int k = 1;
      for (size_t i = first; i < first + n; ++i) {
        const PromotionAwardRow& a = rows[i];
        st->setInt64(k++, a.promotion_id);
        st->setInt64(k++, a.member_id);
        st->setInt64(k++, a.earn_txn_id);
        st->setInt64(k++, a.bonus_txn_id);
        st->setInt64(k++, a.points);
        st->setInt64(k++, a.awarded_at);
      }
      st->executeUpdate();
    });
    return absl::OkStatus();
  });
}

absl::Status MysqlTxn::Savepoint() { return Execute("SAVEPOINT request"); }

absl::Status MysqlTxn::RollbackToSavepoint() { return Execute("ROLLBACK TO SAVEPOINT request"); }

}  // namespace loyalty
