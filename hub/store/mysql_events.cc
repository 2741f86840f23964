// MysqlTxn's events: the rows a posting's transaction derives from what it wrote
// (WriteEvents, run right before COMMIT), the sequencer, the readers' query and the
// timed-events job (event_rows.h).
//
// Why derive at commit rather than write an event with each change: a batch of
// postings undoes a failed request in memory or to a savepoint, and a later request of
// the batch may change an earlier one's row (a capture closes a hold written by the same
// batch). Reading back, once, the rows that are there at the end gives each event the
// figures that commit, and a request that was undone leaves no row to read. One
// INSERT ... SELECT per transaction: no round trip per posting.
#include <cppconn/statement.h>

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "hub/store/mysql_txn.h"

namespace loyalty {

namespace {

constexpr char kEventColumns[] =
    "type, member_id, partner_id, txn_id, partner_txn_id, points, balance_after, "
    "available_after, amount_minor, currency, detail, occurred_at";

// A txns row's kind and the event it makes.
constexpr std::pair<const char*, const char*> kTxnEvents[] = {
    {txn_kind::kEnroll, event_type::kMemberEnrolled},
    {txn_kind::kLinkCard, event_type::kCardLinked},
    {txn_kind::kMerge, event_type::kMemberMerged},
    {txn_kind::kEarn, event_type::kPointsEarned},
    {txn_kind::kBonus, event_type::kPointsEarned},
    {txn_kind::kRedeem, event_type::kPointsRedeemed},
    {txn_kind::kReverseEarn, event_type::kPointsReversed},
    {txn_kind::kReverseRedeem, event_type::kPointsReversed},
    {txn_kind::kAuthorize, event_type::kPointsHeld},
    {txn_kind::kCapture, event_type::kPointsCaptured},
    {txn_kind::kVoid, event_type::kPointsVoided},
    {txn_kind::kAdjust, event_type::kPointsAdjusted},
    {txn_kind::kExpire, event_type::kPointsExpired},
};

// "CASE kind WHEN 'earn' THEN 'points.earned' ... END" and "'earn', 'bonus', ...".
const std::string& TxnEventCase() {
  static const std::string* sql = [] {
    std::string s = "CASE kind";
    for (const auto& [kind, type] : kTxnEvents) absl::StrAppend(&s, " WHEN '", kind, "' THEN '", type, "'");
    return new std::string(absl::StrCat(s, " END"));
  }();
  return *sql;
}
const std::string& TxnEventKinds() {
  static const std::string* sql = [] {
    std::vector<std::string> kinds;
    for (const auto& [kind, type] : kTxnEvents) kinds.push_back(absl::StrCat("'", kind, "'"));
    return new std::string(absl::StrJoin(kinds, ", "));
  }();
  return *sql;
}

Micros WallNow() { return absl::ToUnixMicros(absl::Now()); }

// How far behind now the timed windows end (EmitTimedEvents).
constexpr Micros kTimedEventsMargin = 120'000'000;

}  // namespace

const std::vector<std::string>& AllEventTypes() {
  static const std::vector<std::string>* types = new std::vector<std::string>{
      event_type::kMemberEnrolled,  event_type::kMemberMerged,     event_type::kCardLinked,
      event_type::kCardUnlinked,    event_type::kPointsEarned,     event_type::kPointsRedeemed,
      event_type::kPointsReversed,  event_type::kPointsHeld,       event_type::kPointsCaptured,
      event_type::kPointsVoided,    event_type::kHoldExpired,      event_type::kPointsAdjusted,
      event_type::kPointsExpiring,  event_type::kPointsExpired,    event_type::kDebtCreated,
      event_type::kDebtRepaid,      event_type::kTierChanged,      event_type::kPromotionStarted,
      event_type::kPromotionEnded,  event_type::kClaimOpened,      event_type::kClaimEscalated,
      event_type::kClaimResolved};
  return *types;
}

bool IsEventType(const std::string& type) {
  const auto& all = AllEventTypes();
  return std::find(all.begin(), all.end(), type) != all.end();
}

void MysqlTxn::NoteMemberRead(const MemberRecord& m) {
  events_.tier_before.emplace(m.id, m.tier);
}

void MysqlTxn::NoteMemberWritten(const MemberRecord& m) {
  auto it = events_.tier_before.find(m.id);
  if (it != events_.tier_before.end() && it->second != m.tier) {
    events_.tier_changed.insert(m.id);
  }
}

void MysqlTxn::NoteDebtWritten(int64_t id, Points outstanding) {
  auto it = events_.debt_before.find(id);
  if (it == events_.debt_before.end()) {
    events_.new_debts.insert(id);
  } else if (outstanding < it->second) {
    events_.repaid_debts.insert(id);
  }
}

absl::Status MysqlTxn::WriteEvents() {
  if (events_.txns.empty() && events_.tier_changed.empty() && events_.new_debts.empty() &&
      events_.repaid_debts.empty()) {
    return absl::OkStatus();
  }
  return Guard([&]() -> absl::Status {
    std::unique_ptr<sql::Statement> plain(c_->conn->createStatement());
    if (!events_.txns.empty()) {
      // Ids are integers, spelled into the text: one statement whatever the count.
      plain->execute(absl::StrCat(
          "INSERT INTO events (", kEventColumns, ") SELECT ", TxnEventCase(),
          ", member_id, partner_id, id, partner_txn_id, points, balance_after, available_after, "
          "amount_minor, currency, JSON_OBJECT('kind', kind, 'original_txn_id', original_txn_id), "
          "posted_at FROM txns WHERE id IN (",
          absl::StrJoin(events_.txns, ","), ") AND kind IN (", TxnEventKinds(), ") ORDER BY id"));
    }
    if (!events_.new_debts.empty()) {
      plain->execute(absl::StrCat(
          "INSERT INTO events (", kEventColumns,
          ") SELECT 'debt.created', member_id, funder_id, txn_id, NULL, points, NULL, NULL, 0, "
          "'', JSON_OBJECT('debt_id', id, 'outstanding', outstanding), created_at FROM debts "
          "WHERE id IN (",
          absl::StrJoin(events_.new_debts, ","), ") ORDER BY id"));
    }
    const Micros now = WallNow();
    // Rare (a tier crossed, a debt paid down): a statement of their own, the values the
    // transaction first read bound as parameters; the WHERE clauses compare them with
    // what is there now, so a change undone to a savepoint makes no event.
    for (int64_t id : events_.repaid_debts) {
      std::unique_ptr<sql::PreparedStatement> st(c_->conn->prepareStatement(absl::StrCat(
          "INSERT INTO events (", kEventColumns,
          ") SELECT 'debt.repaid', member_id, funder_id, txn_id, NULL, ? - outstanding, NULL, "
          "NULL, 0, '', JSON_OBJECT('debt_id', id, 'outstanding', outstanding), ? FROM debts "
          "WHERE id = ? AND outstanding < ?")));
      const Points before = events_.debt_before.at(id);
      st->setInt64(1, before);
      st->setInt64(2, now);
      st->setInt64(3, id);
      st->setInt64(4, before);
      st->executeUpdate();
    }
    for (MemberId id : events_.tier_changed) {
      std::unique_ptr<sql::PreparedStatement> st(c_->conn->prepareStatement(absl::StrCat(
          "INSERT INTO events (", kEventColumns,
          ") SELECT 'tier.changed', id, 0, NULL, NULL, 0, balance, NULL, 0, '', "
          "JSON_OBJECT('from', ?, 'to', tier), GREATEST(last_posted_at, ?) FROM members "
          "WHERE id = ? AND tier <> ?")));
      const std::string& before = events_.tier_before.at(id);
      st->setString(1, before);
      st->setInt64(2, now);
      st->setInt64(3, id);
      st->setString(4, before);
      st->executeUpdate();
    }
    events_ = {};
    return absl::OkStatus();
  });
}

absl::StatusOr<int64_t> MysqlTxn::SequenceEvents(int limit) {
  return Guard([&]() -> absl::StatusOr<int64_t> {
    std::unique_ptr<sql::Statement> st(c_->conn->createStatement());
    std::unique_ptr<sql::ResultSet> rs(
        st->executeQuery("SELECT next_seq FROM event_sequence WHERE id = 1 FOR UPDATE"));
    if (!rs->next()) return absl::InternalError("event_sequence has no row");
    const int64_t next = rs->getInt64(1);
    // A plain read: under READ COMMITTED it sees committed rows only, and waits for
    // no posting's locks. A row that commits after it is numbered by a later run, after
    // these: the cursor is commit order as the sequencer saw it.
    rs.reset(st->executeQuery(
        absl::StrCat("SELECT id FROM events WHERE seq IS NULL ORDER BY id LIMIT ", limit)));
    std::vector<int64_t> ids;
    while (rs->next()) ids.push_back(rs->getInt64(1));
    if (ids.empty()) return int64_t{0};
    st->execute(absl::StrCat("SET @loyalty_seq = ", next - 1));
    st->execute(absl::StrCat(
        "UPDATE events SET seq = (@loyalty_seq := @loyalty_seq + 1) WHERE id IN (",
        absl::StrJoin(ids, ","), ") ORDER BY id"));
    st->execute(absl::StrCat("UPDATE event_sequence SET next_seq = ", next + ids.size(),
                             " WHERE id = 1"));
    return static_cast<int64_t>(ids.size());
  });
}

absl::StatusOr<int64_t> MysqlTxn::LastSeq() {
  return Guard([&]() -> absl::StatusOr<int64_t> {
    std::unique_ptr<sql::ResultSet> rs(
        Prepare("SELECT next_seq - 1 FROM event_sequence WHERE id = 1")->executeQuery());
    if (!rs->next()) return absl::InternalError("event_sequence has no row");
    return rs->getInt64(1);
  });
}

absl::StatusOr<std::vector<EventRow>> MysqlTxn::ReadEvents(const EventQuery& q) {
  std::string where = absl::StrCat("seq > ", q.after_seq);
  if (q.until_seq.has_value()) absl::StrAppend(&where, " AND seq <= ", *q.until_seq);
  if (!q.types.empty()) {
    std::vector<std::string> quoted;
    for (const std::string& t : q.types) {
      if (!IsEventType(t)) return absl::InvalidArgumentError(absl::StrCat("types: unknown ", t));
      quoted.push_back(absl::StrCat("'", t, "'"));
    }
    absl::StrAppend(&where, " AND type IN (", absl::StrJoin(quoted, ","), ")");
  }
  if (q.member.has_value()) absl::StrAppend(&where, " AND member_id = ", *q.member);
  if (q.is_operator) {
    if (q.only_partner.has_value()) absl::StrAppend(&where, " AND partner_id = ", *q.only_partner);
  } else {
    // A partner's own rows, and the tier changes of members it has dealt with.
    absl::StrAppend(&where, " AND (partner_id = ", q.partner,
                    " OR (type = 'tier.changed' AND EXISTS (SELECT 1 FROM txns t WHERE "
                    "t.partner_id = ",
                    q.partner, " AND t.member_id = events.member_id)))");
  }
  return Guard([&]() -> absl::StatusOr<std::vector<EventRow>> {
    std::unique_ptr<sql::Statement> st(c_->conn->createStatement());
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery(absl::StrCat(
        "SELECT id, seq, ", kEventColumns, " FROM events WHERE ", where, " ORDER BY seq LIMIT ",
        std::max(1, q.limit))));
    std::vector<EventRow> out;
    while (rs->next()) {
      EventRow e;
      e.id = rs->getInt64(1);
      e.seq = rs->getInt64(2);
      e.type = rs->getString(3);
      e.member_id = rs->getInt64(4);
      e.partner_id = rs->getInt64(5);
      e.txn_id = rows::OptInt(rs.get(), "txn_id");
      e.partner_txn_id = rs->isNull(7) ? "" : std::string(rs->getString(7));
      e.points = rs->getInt64(8);
      e.balance_after = rows::OptInt(rs.get(), "balance_after");
      e.available_after = rows::OptInt(rs.get(), "available_after");
      e.amount_minor = rs->getInt64(11);
      e.currency = rs->getString(12);
      e.detail = rs->getString(13);
      e.occurred_at = rs->getInt64(14);
      out.push_back(std::move(e));
    }
    return out;
  });
}

absl::Status MysqlTxn::InsertEvents(const std::vector<EventRow>& rows) {
  return Guard([&]() -> absl::Status {
    for (const EventRow& e : rows) {
      auto* st = Prepare(absl::StrCat("INSERT INTO events (", kEventColumns,
                                      ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
      st->setString(1, e.type);
      st->setInt64(2, e.member_id);
      st->setInt64(3, e.partner_id);
      rows::SetOptInt(st, 4, e.txn_id);
      if (e.partner_txn_id.empty()) {
        st->setNull(5, sql::DataType::VARCHAR);
      } else {
        st->setString(5, e.partner_txn_id);
      }
      st->setInt64(6, e.points);
      rows::SetOptInt(st, 7, e.balance_after);
      rows::SetOptInt(st, 8, e.available_after);
      st->setInt64(9, e.amount_minor);
      st->setString(10, e.currency);
      st->setString(11, e.detail);
      st->setInt64(12, e.occurred_at);
      st->executeUpdate();
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<TimedEventsOutcome> MysqlTxn::EmitTimedEvents(Micros now, Micros expiring_notice) {
  return Guard([&]() -> absl::StatusOr<TimedEventsOutcome> {
    // Where the last run stopped; the first run starts now. Locked: two hubs running the
    // job take turns, and the second finds nothing left in the window.
    auto done_until = [&](const char* job) -> std::optional<Micros> {
      auto* st = Prepare("SELECT done_until FROM event_jobs WHERE name = ? FOR UPDATE");
      st->setString(1, job);
      std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
      if (rs->next()) return rs->getInt64(1);
      return std::nullopt;
    };
    auto set_done = [&](const char* job, Micros until) {
      // Never backwards: two hubs' first runs may race (no row to lock yet).
      auto* st = Prepare(
          "INSERT INTO event_jobs (name, done_until) VALUES (?, ?) ON DUPLICATE KEY UPDATE "
          "done_until = GREATEST(done_until, VALUES(done_until))");
      st->setString(1, job);
      st->setInt64(2, until);
      st->executeUpdate();
    };
    // The windows end a little in the past: a promotion created or ended just now carries
    // a time taken before its transaction committed, and a row not committed yet is not
    // seen; past the margin every transaction that stamped a time in the window is over.
    const Micros settled = now - kTimedEventsMargin;
    TimedEventsOutcome out;
    {
      const std::optional<Micros> from = done_until("holds");
      if (from.has_value() && *from < settled) {
        auto* st = Prepare(absl::StrCat(
            "INSERT INTO events (", kEventColumns,
            ") SELECT 'hold.expired', h.member_id, h.partner_id, h.auth_txn_id, "
            "t.partner_txn_id, h.points, NULL, NULL, 0, '', JSON_OBJECT('hold_id', h.id), "
            "h.expires_at FROM holds h JOIN txns t ON t.id = h.auth_txn_id WHERE h.status = "
            "'active' AND h.expires_at > ? AND h.expires_at <= ? ORDER BY h.expires_at, h.id"));
        st->setInt64(1, *from);
        st->setInt64(2, settled);
        out.holds_expired = st->executeUpdate();
      }
      if (!from.has_value() || *from < settled) set_done("holds", settled);
    }
    {
      // Lots expiring within the notice not announced yet, one event per member: those
      // that came into the window since the last run and those made inside it (a short
      // lifetime, a back-dated earn) alike. expiry_notices remembers what was announced
      // until it expires.
      auto* prune = Prepare("DELETE FROM expiry_notices WHERE expires_at <= ?");
      prune->setInt64(1, now);
      prune->executeUpdate();
      auto* st = Prepare(
          "INSERT INTO expiry_notices (lot_id, member_id, points, expires_at, noticed_at) "
          "SELECT l.id, l.member_id, l.remaining, l.expires_at, ? FROM lots l WHERE "
          "l.remaining > 0 AND l.expires_at > ? AND l.expires_at <= ? AND NOT EXISTS (SELECT 1 "
          "FROM expiry_notices n WHERE n.lot_id = l.id)");
      st->setInt64(1, now);
      st->setInt64(2, now);
      st->setInt64(3, now + expiring_notice);
      if (st->executeUpdate() > 0) {
        st = Prepare(absl::StrCat(
            "INSERT INTO events (", kEventColumns,
            ") SELECT 'points.expiring', member_id, 0, NULL, NULL, SUM(points), NULL, NULL, 0, "
            "'', JSON_OBJECT('first_expires_at', MIN(expires_at), 'last_expires_at', "
            "MAX(expires_at), 'lots', COUNT(*)), ? FROM expiry_notices WHERE noticed_at = ? "
            "GROUP BY member_id ORDER BY member_id"));
        st->setInt64(1, now);
        st->setInt64(2, now);
        out.expiring_notices = st->executeUpdate();
      }
    }
    {
      const std::optional<Micros> from = done_until("promotions");
      if (from.has_value() && *from < settled) {
        // A promotion starts when its window opens, or when it is created inside it.
        const char* kDetail =
            "JSON_OBJECT('promotion_id', id, 'name', name, 'scope', scope, 'scope_value', "
            "scope_value, 'kind', kind, 'starts_at', starts_at, 'ends_at', ends_at)";
        auto* st = Prepare(absl::StrCat(
            "INSERT INTO events (", kEventColumns,
            ") SELECT 'promotion.started', 0, funder_id, NULL, NULL, bonus_points, NULL, NULL, "
            "0, '', ",
            kDetail,
            ", GREATEST(starts_at, created_at) FROM promotions WHERE GREATEST(starts_at, "
            "created_at) > ? AND GREATEST(starts_at, created_at) <= ? AND ends_at > "
            "GREATEST(starts_at, created_at) ORDER BY GREATEST(starts_at, created_at), id"));
        st->setInt64(1, *from);
        st->setInt64(2, settled);
        out.promotions_started = st->executeUpdate();
        st = Prepare(absl::StrCat("INSERT INTO events (", kEventColumns,
                                  ") SELECT 'promotion.ended', 0, funder_id, NULL, NULL, "
                                  "bonus_points, NULL, NULL, 0, '', ",
                                  kDetail,
                                  ", ends_at FROM promotions WHERE ends_at > ? AND ends_at <= ? "
                                  "AND ends_at > GREATEST(starts_at, created_at) ORDER BY "
                                  "ends_at, id"));
        st->setInt64(1, *from);
        st->setInt64(2, settled);
        out.promotions_ended = st->executeUpdate();
      }
      if (!from.has_value() || *from < settled) set_done("promotions", settled);
    }
    return out;
  });
}

}  // namespace loyalty
