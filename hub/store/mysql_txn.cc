#include "hub/store/mysql_txn.h"

#include <cppconn/datatype.h>
#include <cppconn/metadata.h>
#include <cppconn/statement.h>

#include <algorithm>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "hub/common/status_macros.h"

namespace loyalty {
namespace rows {

std::optional<int64_t> OptInt(sql::ResultSet* rs, const char* col) {
  if (rs->isNull(col)) return std::nullopt;
  return rs->getInt64(col);
}

void SetOptInt(sql::PreparedStatement* st, int idx, const std::optional<int64_t>& v) {
  if (v.has_value()) {
    st->setInt64(idx, *v);
  } else {
    st->setNull(idx, sql::DataType::BIGINT);
  }
}

PartnerRecord ReadPartner(sql::ResultSet* rs) {
  PartnerRecord p;
  p.id = rs->getInt64("id");
  p.name = rs->getString("name");
  p.category = rs->getString("category");
  p.role = static_cast<Role>(rs->getInt("role"));
  p.earn_rate_bp = rs->getInt64("earn_rate_bp");
  p.max_points_per_txn = rs->getInt64("max_points_per_txn");
  p.max_points_per_member_day = rs->getInt64("max_points_per_member_day");
  p.suspended = rs->getInt("suspended") != 0;
  p.created_at = rs->getInt64("created_at");
  p.return_window_days = rs->getInt("return_window_days");
  return p;
}

extern const char kTxnColumns[] =
    "id, partner_id, partner_txn_id, kind, member_id, points, amount_minor, currency, "
    "request_hash, original_txn_id, reversed_points, balance_after, available_after, "
    "posted_at, occurred_at, note";

TxnRecord ReadTxn(sql::ResultSet* rs) {
  TxnRecord t;
  t.id = rs->getInt64("id");
  t.partner_id = rs->getInt64("partner_id");
  t.partner_txn_id = rs->isNull("partner_txn_id") ? "" : rs->getString("partner_txn_id");
  t.kind = rs->getString("kind");
  t.member_id = rs->getInt64("member_id");
  t.points = rs->getInt64("points");
  t.amount_minor = rs->getInt64("amount_minor");
  t.currency = rs->getString("currency");
  t.request_hash = rs->getString("request_hash");
  t.original_txn_id = OptInt(rs, "original_txn_id");
  t.reversed_points = rs->getInt64("reversed_points");
  t.balance_after = rs->getInt64("balance_after");
  t.available_after = rs->getInt64("available_after");
  t.posted_at = rs->getInt64("posted_at");
  t.occurred_at = rs->getInt64("occurred_at");
  t.note = rs->getString("note");
  return t;
}

extern const char kMemberColumns[] =
    "id, balance, debt, anonymous, merged_into, tier, pin_hash, pin_failures, last_posted_at";

MemberRecord ReadMember(sql::ResultSet* rs) {
  MemberRecord m;
  m.id = rs->getInt64("id");
  m.balance = rs->getInt64("balance");
  m.debt = rs->getInt64("debt");
  m.anonymous = rs->getInt("anonymous") != 0;
  m.merged_into = OptInt(rs, "merged_into");
  m.tier = rs->getString("tier");
  if (!rs->isNull("pin_hash")) m.pin_hash = rs->getString("pin_hash");
  m.pin_failures = rs->getInt("pin_failures");
  m.last_posted_at = rs->getInt64("last_posted_at");
  return m;
}

extern const char kLotColumns[] =
    "id, member_id, funder_id, earn_txn_id, points, remaining, earned_at, expires_at, "
    "available_at";

LotRecord ReadLot(sql::ResultSet* rs) {
  LotRecord l;
  l.id = rs->getInt64("id");
  l.member_id = rs->getInt64("member_id");
  l.funder_id = rs->getInt64("funder_id");
  l.earn_txn_id = rs->getInt64("earn_txn_id");
  l.points = rs->getInt64("points");
  l.remaining = rs->getInt64("remaining");
  l.earned_at = rs->getInt64("earned_at");
  l.expires_at = rs->getInt64("expires_at");
  l.available_at = rs->getInt64("available_at");
  return l;
}

HoldRecord ReadHold(sql::ResultSet* rs) {
  HoldRecord h;
  h.id = rs->getInt64("id");
  h.auth_txn_id = rs->getInt64("auth_txn_id");
  h.member_id = rs->getInt64("member_id");
  h.partner_id = rs->getInt64("partner_id");
  h.points = rs->getInt64("points");
  h.status = rs->getString("status");
  h.expires_at = rs->getInt64("expires_at");
  return h;
}

}  // namespace rows

using rows::kErrDuplicateKey;
using rows::kLotColumns;
using rows::kMemberColumns;
using rows::kTxnColumns;
using rows::OptInt;
using rows::ReadHold;
using rows::ReadLot;
using rows::ReadMember;
using rows::ReadPartner;
using rows::ReadTxn;
using rows::SetOptInt;

sql::PreparedStatement* MysqlConnection::Prepare(const std::string& sql) {
  auto it = statements.find(sql);
  if (it != statements.end()) return it->second.get();
  std::unique_ptr<sql::PreparedStatement> st(conn->prepareStatement(sql));
  sql::PreparedStatement* raw = st.get();
  statements.emplace(sql, std::move(st));
  return raw;
}

absl::Status StatusFromSqlException(const sql::SQLException& e, bool* retry, bool* broken) {
  const int code = e.getErrorCode();
  const std::string msg =
      absl::StrCat("mysql error ", code, " (", e.getSQLStateCStr(), "): ", e.what());
  switch (code) {
    case 1213:  // ER_LOCK_DEADLOCK
    case 1205:  // ER_LOCK_WAIT_TIMEOUT
      *retry = true;
      return absl::AbortedError(msg);
    case 2002:  // CR_CONNECTION_ERROR
    case 2003:  // CR_CONN_HOST_ERROR
    case 2006:  // CR_SERVER_GONE_ERROR
    case 2013:  // CR_SERVER_LOST
    case 1927:  // ER_CONNECTION_KILLED
    case 1053:  // ER_SERVER_SHUTDOWN
      *broken = true;
      return absl::UnavailableError(msg);
    default:
      return absl::InternalError(msg);
  }
}

int64_t MysqlTxn::LastInsertId() {
  std::unique_ptr<sql::ResultSet> rs(Prepare("SELECT LAST_INSERT_ID()")->executeQuery());
  LOYALTY_CHECK(rs->next());
  return rs->getInt64(1);
}

absl::Status MysqlTxn::Execute(const std::string& sql) {
  return Guard([&]() -> absl::Status {
    std::unique_ptr<sql::Statement> st(c_->conn->createStatement());
    st->execute(sql);
    return absl::OkStatus();
  });
}

absl::StatusOr<std::optional<ProgramRecord>> MysqlTxn::GetProgram() {
  return Guard([&]() -> absl::StatusOr<std::optional<ProgramRecord>> {
    std::unique_ptr<sql::ResultSet> rs(
        Prepare("SELECT point_value_micros, currency, expiry_months, hold_timeout_seconds, "
                "expiry_policy, expiry_years, time_zone, min_redemption_points, "
                "pin_threshold_points, pause_expiry_for_cobranded, max_earn_amount_minor, "
                "max_earns_per_card_hour FROM program WHERE id = 1")
            ->executeQuery());
    if (!rs->next()) return std::nullopt;
    ProgramRecord p;
    p.point_value_micros = rs->getInt64(1);
    p.currency = rs->getString(2);
    p.expiry_months = rs->getInt(3);
    p.hold_timeout_seconds = rs->getInt64(4);
    p.expiry_policy = rs->getString(5);
    p.expiry_years = rs->getInt(6);
    p.time_zone = rs->getString(7);
    p.min_redemption_points = rs->getInt64(8);
    p.pin_threshold_points = rs->getInt64(9);
    p.pause_expiry_for_cobranded = rs->getInt(10) != 0;
    p.max_earn_amount_minor = rs->getInt64(11);
    p.max_earns_per_card_hour = rs->getInt(12);
    return p;
  });
}

absl::Status MysqlTxn::PutProgram(const ProgramRecord& p, Micros now) {
  return Guard([&]() -> absl::Status {
    auto* st = Prepare(
        "INSERT INTO program (id, point_value_micros, currency, expiry_months, "
        "hold_timeout_seconds, updated_at, expiry_policy, expiry_years, time_zone, "
        "min_redemption_points, pin_threshold_points, pause_expiry_for_cobranded, "
        "max_earn_amount_minor, max_earns_per_card_hour) "
        "VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE "
        "point_value_micros = VALUES(point_value_micros), currency = VALUES(currency), "
        "expiry_months = VALUES(expiry_months), "
        "hold_timeout_seconds = VALUES(hold_timeout_seconds), updated_at = VALUES(updated_at), "
        "expiry_policy = VALUES(expiry_policy), expiry_years = VALUES(expiry_years), "
        "time_zone = VALUES(time_zone), min_redemption_points = VALUES(min_redemption_points), "
        "pin_threshold_points = VALUES(pin_threshold_points), "
        "pause_expiry_for_cobranded = VALUES(pause_expiry_for_cobranded), "
        "max_earn_amount_minor = VALUES(max_earn_amount_minor), "
        "max_earns_per_card_hour = VALUES(max_earns_per_card_hour)");
    st->setInt64(1, p.point_value_micros);
    st->setString(2, p.currency);
    st->setInt(3, p.expiry_months);
    st->setInt64(4, p.hold_timeout_seconds);
    st->setInt64(5, now);
    st->setString(6, p.expiry_policy);
    st->setInt(7, p.expiry_years);
    st->setString(8, p.time_zone);
    st->setInt64(9, p.min_redemption_points);
    st->setInt64(10, p.pin_threshold_points);
    st->setInt(11, p.pause_expiry_for_cobranded ? 1 : 0);
    st->setInt64(12, p.max_earn_amount_minor);
    st->setInt(13, p.max_earns_per_card_hour);
    st->executeUpdate();
    BumpRulesVersion();
    return absl::OkStatus();
  });
}

absl::StatusOr<PartnerId> MysqlTxn::InsertPartner(const PartnerRecord& p) {
  return Guard([&]() -> absl::StatusOr<PartnerId> {
    auto* st = Prepare(
        "INSERT INTO partners (name, category, role, earn_rate_bp, max_points_per_txn, "
        "max_points_per_member_day, suspended, active_category, created_at, "
        "return_window_days) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?)");
    st->setString(1, p.name);
    st->setString(2, p.category);
    st->setInt(3, static_cast<int>(p.role));
    st->setInt64(4, p.earn_rate_bp);
    st->setInt64(5, p.max_points_per_txn);
    st->setInt64(6, p.max_points_per_member_day);
    st->setString(7, p.category);
    st->setInt64(8, p.created_at);
    st->setInt(9, p.return_window_days);
    try {
      st->executeUpdate();
    } catch (const sql::SQLException& e) {
      if (e.getErrorCode() == kErrDuplicateKey) {
        return absl::AlreadyExistsError("category has an active partner");
      }
      throw;
    }
    BumpRulesVersion();
    return LastInsertId();
  });
}

absl::StatusOr<std::optional<PartnerRecord>> MysqlTxn::GetPartner(PartnerId id) {
  return Guard([&]() -> absl::StatusOr<std::optional<PartnerRecord>> {
    auto* st = Prepare("SELECT * FROM partners WHERE id = ?");
    st->setInt64(1, id);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    if (!rs->next()) return std::nullopt;
    return ReadPartner(rs.get());
  });
}

absl::StatusOr<std::optional<PartnerRecord>> MysqlTxn::ActivePartnerInCategory(
    const std::string& category) {
  return Guard([&]() -> absl::StatusOr<std::optional<PartnerRecord>> {
    auto* st = Prepare("SELECT * FROM partners WHERE active_category = ?");
    st->setString(1, category);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    if (!rs->next()) return std::nullopt;
    return ReadPartner(rs.get());
  });
}

absl::StatusOr<std::vector<PartnerRecord>> MysqlTxn::ListPartners() {
  return Guard([&]() -> absl::StatusOr<std::vector<PartnerRecord>> {
    std::unique_ptr<sql::ResultSet> rs(
        Prepare("SELECT * FROM partners ORDER BY id")->executeQuery());
    std::vector<PartnerRecord> out;
    while (rs->next()) out.push_back(ReadPartner(rs.get()));
    return out;
  });
}

absl::StatusOr<std::vector<PartnerRecord>> MysqlTxn::ListPartnersAfter(PartnerId after, int limit) {
  return Guard([&]() -> absl::StatusOr<std::vector<PartnerRecord>> {
    auto* st = Prepare("SELECT * FROM partners WHERE id > ? ORDER BY id LIMIT ?");
    st->setInt64(1, after);
    st->setInt(2, limit);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    std::vector<PartnerRecord> out;
    while (rs->next()) out.push_back(ReadPartner(rs.get()));
    return out;
  });
}

absl::Status MysqlTxn::SetPartnerSuspended(PartnerId id) {
  return Guard([&]() -> absl::Status {
    auto* st = Prepare("UPDATE partners SET suspended = 1, active_category = NULL WHERE id = ?");
    st->setInt64(1, id);
    st->executeUpdate();
    BumpRulesVersion();
    return absl::OkStatus();
  });
}

absl::Status MysqlTxn::InsertApiKey(const std::string& key_hash, Role role,
                                    std::optional<PartnerId> partner, Micros now) {
  return Guard([&]() -> absl::Status {
    auto* st = Prepare(
        "INSERT INTO api_keys (key_hash, role, partner_id, created_at) VALUES (?, ?, ?, ?)");
    st->setString(1, key_hash);
    st->setInt(2, static_cast<int>(role));
    SetOptInt(st, 3, partner);
    st->setInt64(4, now);
    st->executeUpdate();
    return absl::OkStatus();
  });
}

absl::Status MysqlTxn::RevokeApiKeysOfPartner(PartnerId partner) {
  return Guard([&]() -> absl::Status {
    auto* st = Prepare("UPDATE api_keys SET revoked = 1 WHERE partner_id = ?");
    st->setInt64(1, partner);
    st->executeUpdate();
    return absl::OkStatus();
  });
}

absl::StatusOr<std::optional<Principal>> MysqlTxn::LookupApiKey(const std::string& key_hash) {
  return Guard([&]() -> absl::StatusOr<std::optional<Principal>> {
    auto* st = Prepare(
        "SELECT k.role, k.partner_id, COALESCE(p.suspended, 0) AS suspended "
        "FROM api_keys k LEFT JOIN partners p ON p.id = k.partner_id "
        "WHERE k.key_hash = ? AND k.revoked = 0");
    st->setString(1, key_hash);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    if (!rs->next()) return std::nullopt;
    Principal p;
    p.role = static_cast<Role>(rs->getInt("role"));
    p.partner_id = OptInt(rs.get(), "partner_id").value_or(kOperatorId);
    p.suspended = rs->getInt("suspended") != 0;
    return p;
  });
}

absl::StatusOr<int64_t> MysqlTxn::CountActiveKeys(Role role) {
  return Guard([&]() -> absl::StatusOr<int64_t> {
    auto* st = Prepare("SELECT COUNT(*) FROM api_keys WHERE role = ? AND revoked = 0");
    st->setInt(1, static_cast<int>(role));
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    LOYALTY_CHECK(rs->next());
    return rs->getInt64(1);
  });
}

absl::Status MysqlTxn::InsertAudit(Micros at, const std::string& actor, const std::string& action,
                                   const std::string& detail, const std::string& before,
                                   const std::string& after) {
  return InsertAudits({{0, at, actor, action, detail, before, after}});
}

absl::StatusOr<std::vector<AuditEntry>> MysqlTxn::ListAudit(const AuditQuery& q) {
  return Guard([&]() -> absl::StatusOr<std::vector<AuditEntry>> {
    auto* st = Prepare(
        "SELECT id, at, actor, action, detail, COALESCE(before_state, ''), "
        "COALESCE(after_state, '') FROM audit_log WHERE at >= ? AND at < ? AND id < ? "
        "AND (? = '' OR actor = ?) AND (? = '' OR action = ?) ORDER BY id DESC LIMIT ?");
    st->setInt64(1, q.from);
    st->setInt64(2, q.to);
    st->setInt64(3, q.before_id);
    st->setString(4, q.actor);
    st->setString(5, q.actor);
    st->setString(6, q.action);
    st->setString(7, q.action);
    st->setInt(8, q.limit);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    std::vector<AuditEntry> out;
    while (rs->next()) {
      out.push_back({rs->getInt64(1), rs->getInt64(2), rs->getString(3), rs->getString(4),
                     rs->getString(5), rs->getString(6), rs->getString(7)});
    }
    return out;
  });
}

absl::StatusOr<MemberId> MysqlTxn::InsertMember(bool anonymous, Micros now) {
  return Guard([&]() -> absl::StatusOr<MemberId> {
    auto* st = Prepare("INSERT INTO members (anonymous, created_at) VALUES (?, ?)");
    st->setInt(1, anonymous ? 1 : 0);
    st->setInt64(2, now);
    st->executeUpdate();
    const MemberId id = LastInsertId();
    events_.tier_before.emplace(id, "");
    return id;
  });
}

absl::StatusOr<MemberRecord> MysqlTxn::LockMember(MemberId id) {
  return Guard([&]() -> absl::StatusOr<MemberRecord> {
    auto* st =
        Prepare(absl::StrCat("SELECT ", kMemberColumns, " FROM members WHERE id = ? FOR UPDATE"));
    st->setInt64(1, id);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    if (!rs->next()) return absl::NotFoundError(absl::StrCat("member ", id, " not found"));
    MemberRecord m = ReadMember(rs.get());
    NoteMemberRead(m);
    return m;
  });
}

absl::Status MysqlTxn::UpdateMember(const MemberRecord& m) {
  return Guard([&]() -> absl::Status {
    auto* st = Prepare(
        "UPDATE members SET balance = ?, debt = ?, anonymous = ?, merged_into = ?, tier = ?, "
        "pin_hash = ?, pin_failures = ?, last_posted_at = ? WHERE id = ?");
    st->setInt64(1, m.balance);
    st->setInt64(2, m.debt);
    st->setInt(3, m.anonymous ? 1 : 0);
    SetOptInt(st, 4, m.merged_into);
    st->setString(5, m.tier);
    if (m.pin_hash.has_value()) {
      st->setString(6, *m.pin_hash);
    } else {
      st->setNull(6, sql::DataType::CHAR);
    }
    st->setInt(7, m.pin_failures);
    st->setInt64(8, m.last_posted_at);
    st->setInt64(9, m.id);
    st->executeUpdate();
    NoteMemberWritten(m);
    return absl::OkStatus();
  });
}

absl::StatusOr<std::optional<CardRecord>> MysqlTxn::FindCard(const std::string& number) {
  return Guard([&]() -> absl::StatusOr<std::optional<CardRecord>> {
    auto* st = Prepare("SELECT card_number, member_id, bearer FROM cards WHERE card_number = ?");
    st->setString(1, number);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    if (!rs->next()) return std::nullopt;
    return CardRecord{rs->getString(1), rs->getInt64(2), rs->getInt(3) != 0};
  });
}

absl::Status MysqlTxn::InsertCard(const CardRecord& card, Micros now) {
  return Guard([&]() -> absl::Status {
    auto* st = Prepare(
        "INSERT INTO cards (card_number, member_id, bearer, created_at) VALUES (?, ?, ?, ?)");
    st->setString(1, card.number);
    st->setInt64(2, card.member_id);
    st->setInt(3, card.bearer ? 1 : 0);
    st->setInt64(4, now);
    try {
      st->executeUpdate();
    } catch (const sql::SQLException& e) {
      if (e.getErrorCode() == kErrDuplicateKey) {
        return absl::AlreadyExistsError("card number already in use");
      }
      throw;
    }
    return absl::OkStatus();
  });
}

absl::Status MysqlTxn::RepointCards(MemberId from, MemberId to) {
  return Guard([&]() -> absl::Status {
    auto* st = Prepare("UPDATE cards SET member_id = ? WHERE member_id = ?");
    st->setInt64(1, to);
    st->setInt64(2, from);
    st->executeUpdate();
    return absl::OkStatus();
  });
}

absl::StatusOr<std::optional<TxnRecord>> MysqlTxn::FindTxn(PartnerId partner,
                                                           const std::string& partner_txn_id) {
  return Guard([&]() -> absl::StatusOr<std::optional<TxnRecord>> {
    auto* st = Prepare(absl::StrCat("SELECT ", kTxnColumns,
                                    " FROM txns WHERE partner_id = ? AND partner_txn_id = ?"));
    st->setInt64(1, partner);
    st->setString(2, partner_txn_id);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    if (!rs->next()) return std::nullopt;
    return ReadTxn(rs.get());
  });
}

absl::StatusOr<std::optional<TxnRecord>> MysqlTxn::GetTxn(TxnId id) {
  return Guard([&]() -> absl::StatusOr<std::optional<TxnRecord>> {
    auto* st = Prepare(absl::StrCat("SELECT ", kTxnColumns, " FROM txns WHERE id = ?"));
    st->setInt64(1, id);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    if (!rs->next()) return std::nullopt;
    return ReadTxn(rs.get());
  });
}

absl::StatusOr<TxnId> MysqlTxn::InsertTxn(const TxnRecord& t) {
  ASSIGN_OR_RETURN(TxnId id, ids_->Next(IdKind::kTxn));
  TxnRecord row = t;
  row.id = id;
  row.reversed_points = 0;
  RETURN_IF_ERROR(InsertTxns({row}));
  return id;
}

absl::Status MysqlTxn::UpdateTxnResult(TxnId id, Points points, Points balance_after,
                                       Points available_after) {
  return Guard([&]() -> absl::Status {
    auto* st =
        Prepare("UPDATE txns SET points = ?, balance_after = ?, available_after = ? WHERE id = ?");
    st->setInt64(1, points);
    st->setInt64(2, balance_after);
    st->setInt64(3, available_after);
    st->setInt64(4, id);
    st->executeUpdate();
    return absl::OkStatus();
  });
}

absl::Status MysqlTxn::AddTxnReversed(TxnId id, Points points) {
  return Guard([&]() -> absl::Status {
    auto* st = Prepare("UPDATE txns SET reversed_points = reversed_points + ? WHERE id = ?");
    st->setInt64(1, points);
    st->setInt64(2, id);
    st->executeUpdate();
    return absl::OkStatus();
  });
}

absl::Status MysqlTxn::InsertTransfer(const TransferRecord& t) { return InsertTransfers({t}); }

absl::StatusOr<Points> MysqlTxn::SumEarnedSince(PartnerId partner, MemberId member, Micros since) {
  return Guard([&]() -> absl::StatusOr<Points> {
    auto* st = Prepare(
        "SELECT COALESCE(SUM(points), 0) FROM txns WHERE partner_id = ? AND member_id = ? "
        "AND kind = 'earn' AND posted_at >= ?");
    st->setInt64(1, partner);
    st->setInt64(2, member);
    st->setInt64(3, since);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    LOYALTY_CHECK(rs->next());
    return rs->getInt64(1);
  });
}

absl::StatusOr<std::vector<TxnRecord>> MysqlTxn::ListTxns(const TxnQuery& q) {
  return Guard([&]() -> absl::StatusOr<std::vector<TxnRecord>> {
    auto* st = Prepare(absl::StrCat(
        "SELECT x.*, (SELECT o.partner_txn_id FROM txns o WHERE o.id = x.original_txn_id) "
        "AS original_ptid FROM (SELECT ",
        kTxnColumns,
        " FROM txns WHERE partner_id = ? AND id < ? AND posted_at >= ? AND posted_at < ? "
        "AND (? IS NULL OR member_id = ?) ORDER BY id DESC LIMIT ?) x ORDER BY x.id DESC"));
    st->setInt64(1, q.partner);
    st->setInt64(2, q.before_id);
    st->setInt64(3, q.since);
    st->setInt64(4, q.until);
    SetOptInt(st, 5, q.member);
    SetOptInt(st, 6, q.member);
    st->setInt(7, q.limit);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    std::vector<TxnRecord> out;
    while (rs->next()) {
      out.push_back(ReadTxn(rs.get()));
      if (!rs->isNull("original_ptid"))
        out.back().original_partner_txn_id = rs->getString("original_ptid");
    }
    return out;
  });
}

absl::StatusOr<std::vector<TxnRecord>> MysqlTxn::PartnerTxnsBetween(PartnerId partner, Micros start,
                                                                    Micros end) {
  return Guard([&]() -> absl::StatusOr<std::vector<TxnRecord>> {
    auto* st = Prepare(absl::StrCat("SELECT ", kTxnColumns,
                                    " FROM txns WHERE partner_id = ? AND posted_at >= ? AND "
                                    "posted_at < ? ORDER BY id"));
    st->setInt64(1, partner);
    st->setInt64(2, start);
    st->setInt64(3, end);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    std::vector<TxnRecord> out;
    while (rs->next()) out.push_back(ReadTxn(rs.get()));
    return out;
  });
}

absl::StatusOr<std::vector<TxnRecord>> MysqlTxn::BonusTxnsOf(TxnId earn) {
  return Guard([&]() -> absl::StatusOr<std::vector<TxnRecord>> {
    auto* st = Prepare(absl::StrCat("SELECT ", kTxnColumns,
                                    " FROM txns WHERE original_txn_id = ? AND kind = 'bonus' "
                                    "ORDER BY id"));
    st->setInt64(1, earn);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    std::vector<TxnRecord> out;
    while (rs->next()) out.push_back(ReadTxn(rs.get()));
    return out;
  });
}

absl::StatusOr<std::vector<LotRecord>> MysqlTxn::OpenLots(MemberId member) {
  return OpenLotsOf({member});
}

absl::StatusOr<std::vector<LotRecord>> MysqlTxn::LotsDueOrPending(MemberId member, Micros now) {
  return Guard([&]() -> absl::StatusOr<std::vector<LotRecord>> {
    auto* st = Prepare(absl::StrCat(
        "SELECT ", kLotColumns, " FROM lots WHERE member_id = ? AND remaining > 0 AND ",
        "(expires_at <= ? OR available_at > ?) ORDER BY ", kLotOrderSql));
    st->setInt64(1, member);
    st->setInt64(2, now);
    st->setInt64(3, now);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    std::vector<LotRecord> out;
    while (rs->next()) out.push_back(ReadLot(rs.get()));
    return out;
  });
}

absl::StatusOr<std::optional<LotRecord>> MysqlTxn::LotOfEarn(TxnId earn_txn) {
  return Guard([&]() -> absl::StatusOr<std::optional<LotRecord>> {
    auto* st = Prepare(absl::StrCat("SELECT ", kLotColumns, " FROM lots WHERE earn_txn_id = ?"));
    st->setInt64(1, earn_txn);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    if (!rs->next()) return std::nullopt;
    return ReadLot(rs.get());
  });
}

absl::StatusOr<LotRecord> MysqlTxn::GetLot(LotId id) {
  return Guard([&]() -> absl::StatusOr<LotRecord> {
    auto* st = Prepare(absl::StrCat("SELECT ", kLotColumns, " FROM lots WHERE id = ?"));
    st->setInt64(1, id);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    if (!rs->next()) return absl::InternalError(absl::StrCat("lot ", id, " missing"));
    return ReadLot(rs.get());
  });
}

absl::StatusOr<LotId> MysqlTxn::InsertLot(const LotRecord& l) {
  ASSIGN_OR_RETURN(LotId id, ids_->Next(IdKind::kLot));
  LotRecord row = l;
  row.id = id;
  RETURN_IF_ERROR(InsertLots({row}));
  return id;
}

absl::Status MysqlTxn::SetLotRemaining(LotId id, Points remaining) {
  return Guard([&]() -> absl::Status {
    auto* st = Prepare("UPDATE lots SET remaining = ? WHERE id = ?");
    st->setInt64(1, remaining);
    st->setInt64(2, id);
    st->executeUpdate();
    return absl::OkStatus();
  });
}

absl::Status MysqlTxn::MoveLots(MemberId from, MemberId to) {
  return Guard([&]() -> absl::Status {
    auto* st = Prepare("UPDATE lots SET member_id = ? WHERE member_id = ?");
    st->setInt64(1, to);
    st->setInt64(2, from);
    st->executeUpdate();
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<MemberId>> MysqlTxn::MembersWithExpiredLots(Micros now, int limit) {
  return Guard([&]() -> absl::StatusOr<std::vector<MemberId>> {
    auto* st = Prepare(
        "SELECT DISTINCT member_id FROM lots WHERE expires_at <= ? AND remaining > 0 "
        "ORDER BY member_id LIMIT ?");
    st->setInt64(1, now);
    st->setInt(2, limit);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    std::vector<MemberId> out;
    while (rs->next()) out.push_back(rs->getInt64(1));
    return out;
  });
}

absl::Status MysqlTxn::InsertConsumption(const ConsumptionRecord& c) {
  ASSIGN_OR_RETURN(int64_t id, ids_->Next(IdKind::kConsumption));
  ConsumptionRecord row = c;
  row.id = id;
  return InsertConsumptions({row});
}

absl::StatusOr<std::vector<ConsumptionRecord>> MysqlTxn::ConsumptionsOfTxn(TxnId txn) {
  return Guard([&]() -> absl::StatusOr<std::vector<ConsumptionRecord>> {
    auto* st = Prepare(
        "SELECT id, txn_id, lot_id, funder_id, redeemer_id, kind, points, restores_id, "
        "posted_at FROM consumptions WHERE txn_id = ? ORDER BY id");
    st->setInt64(1, txn);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    std::vector<ConsumptionRecord> out;
    while (rs->next()) {
      ConsumptionRecord c;
      c.id = rs->getInt64("id");
      c.txn_id = rs->getInt64("txn_id");
      c.lot_id = rs->getInt64("lot_id");
      c.funder_id = rs->getInt64("funder_id");
      c.redeemer_id = OptInt(rs.get(), "redeemer_id");
      c.kind = rs->getString("kind");
      c.points = rs->getInt64("points");
      c.restores_id = OptInt(rs.get(), "restores_id");
      c.posted_at = rs->getInt64("posted_at");
      out.push_back(std::move(c));
    }
    return out;
  });
}

absl::StatusOr<Points> MysqlTxn::RestoredOf(int64_t consumption_id) {
  return Guard([&]() -> absl::StatusOr<Points> {
    auto* st = Prepare("SELECT COALESCE(-SUM(points), 0) FROM consumptions WHERE restores_id = ?");
    st->setInt64(1, consumption_id);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    LOYALTY_CHECK(rs->next());
    return rs->getInt64(1);
  });
}

absl::StatusOr<std::vector<DebtRecord>> MysqlTxn::OpenDebts(MemberId member) {
  return OpenDebtsOf({member});
}

absl::Status MysqlTxn::InsertDebt(const DebtRecord& d) {
  ASSIGN_OR_RETURN(int64_t id, ids_->Next(IdKind::kDebt));
  DebtRecord row = d;
  row.id = id;
  return UpsertDebts({row});
}

absl::Status MysqlTxn::SetDebtOutstanding(int64_t id, Points outstanding) {
  return Guard([&]() -> absl::Status {
    auto* st = Prepare("UPDATE debts SET outstanding = ? WHERE id = ?");
    st->setInt64(1, outstanding);
    st->setInt64(2, id);
    st->executeUpdate();
    NoteDebtWritten(id, outstanding);
    return absl::OkStatus();
  });
}

absl::Status MysqlTxn::MoveDebts(MemberId from, MemberId to) {
  return Guard([&]() -> absl::Status {
    auto* st = Prepare("UPDATE debts SET member_id = ? WHERE member_id = ?");
    st->setInt64(1, to);
    st->setInt64(2, from);
    st->executeUpdate();
    return absl::OkStatus();
  });
}

absl::Status MysqlTxn::InsertHold(const HoldRecord& h) {
  ASSIGN_OR_RETURN(int64_t id, ids_->Next(IdKind::kHold));
  HoldRecord row = h;
  row.id = id;
  return InsertHolds({row});
}

absl::StatusOr<std::optional<HoldRecord>> MysqlTxn::HoldOfAuthorization(TxnId auth_txn) {
  return Guard([&]() -> absl::StatusOr<std::optional<HoldRecord>> {
    auto* st = Prepare("SELECT * FROM holds WHERE auth_txn_id = ?");
    st->setInt64(1, auth_txn);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    if (!rs->next()) return std::nullopt;
    return ReadHold(rs.get());
  });
}

absl::Status MysqlTxn::UpdateHold(int64_t id, const std::string& status, Points points) {
  return Guard([&]() -> absl::Status {
    auto* st = Prepare("UPDATE holds SET status = ?, points = ? WHERE id = ?");
    st->setString(1, status);
    st->setInt64(2, points);
    st->setInt64(3, id);
    st->executeUpdate();
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<HoldRecord>> MysqlTxn::ActiveHolds(MemberId member, Micros now) {
  return Guard([&]() -> absl::StatusOr<std::vector<HoldRecord>> {
    auto* st = Prepare(
        "SELECT * FROM holds WHERE member_id = ? AND status = 'active' AND expires_at > ? "
        "ORDER BY id DESC");
    st->setInt64(1, member);
    st->setInt64(2, now);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    std::vector<HoldRecord> out;
    while (rs->next()) out.push_back(ReadHold(rs.get()));
    return out;
  });
}

}  // namespace loyalty
