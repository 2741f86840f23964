// MysqlTxn's MemberRows (member_rows.h): members' own tables and the reads MemberService
// and the notifier need.
#include <cppconn/datatype.h>
#include <cppconn/statement.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "hub/store/mysql_txn.h"

namespace loyalty {

namespace {

constexpr char kClaimColumns[] =
    "id, member_id, partner_id, purchased_at, amount_minor, currency, receipt_ref, status, "
    "reason, created_at, due_at, escalated_at, resolved_at, resolved_by, earn_txn_id";

ClaimRow ReadClaim(sql::ResultSet* rs) {
  ClaimRow c;
  c.id = rs->getInt64("id");
  c.member_id = rs->getInt64("member_id");
  c.partner_id = rs->getInt64("partner_id");
  c.purchased_at = rs->getInt64("purchased_at");
  c.amount_minor = rs->getInt64("amount_minor");
  c.currency = rs->getString("currency");
  c.receipt_ref = rs->getString("receipt_ref");
  c.status = rs->getString("status");
  c.reason = rs->getString("reason");
  c.created_at = rs->getInt64("created_at");
  c.due_at = rs->getInt64("due_at");
  c.escalated_at = rows::OptInt(rs, "escalated_at");
  c.resolved_at = rows::OptInt(rs, "resolved_at");
  c.resolved_by = rs->getString("resolved_by");
  c.earn_txn_id = rows::OptInt(rs, "earn_txn_id");
  return c;
}

constexpr char kNotificationColumns[] =
    "id, member_id, kind, event_id, language, recipient, subject, body, status, send_after, "
    "attempts, last_error, created_at, sent_at";

NotificationRow ReadNotification(sql::ResultSet* rs) {
  NotificationRow n;
  n.id = rs->getInt64("id");
  n.member_id = rs->getInt64("member_id");
  n.kind = rs->getString("kind");
  n.event_id = rows::OptInt(rs, "event_id");
  n.language = rs->getString("language");
  n.recipient = rs->getString("recipient");
  n.subject = rs->getString("subject");
  n.body = rs->getString("body");
  n.status = rs->getString("status");
  n.send_after = rs->getInt64("send_after");
  n.attempts = rs->getInt("attempts");
  n.last_error = rs->getString("last_error");
  n.created_at = rs->getInt64("created_at");
  n.sent_at = rows::OptInt(rs, "sent_at");
  return n;
}

}  // namespace

absl::StatusOr<std::optional<MemberId>> MysqlTxn::MemberOfCard(const std::string& card) {
  return Guard([&]() -> absl::StatusOr<std::optional<MemberId>> {
    auto* st = Prepare(
        "SELECT c.member_id FROM cards c JOIN members m ON m.id = c.member_id WHERE "
        "c.card_number = ? AND m.erased_at IS NULL");
    st->setString(1, card);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    if (!rs->next()) return std::nullopt;
    return rs->getInt64(1);
  });
}

absl::StatusOr<bool> MysqlTxn::MemberExists(MemberId member) {
  return Guard([&]() -> absl::StatusOr<bool> {
    auto* st = Prepare("SELECT 1 FROM members WHERE id = ? AND erased_at IS NULL");
    st->setInt64(1, member);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    return rs->next();
  });
}

absl::StatusOr<std::vector<std::string>> MysqlTxn::CardsOf(MemberId member) {
  return Guard([&]() -> absl::StatusOr<std::vector<std::string>> {
    auto* st = Prepare("SELECT card_number FROM cards WHERE member_id = ? ORDER BY created_at, "
                       "card_number");
    st->setInt64(1, member);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    std::vector<std::string> out;
    while (rs->next()) out.push_back(rs->getString(1));
    return out;
  });
}

absl::StatusOr<std::optional<MemberProfileRow>> MysqlTxn::GetProfile(MemberId member) {
  return Guard([&]() -> absl::StatusOr<std::optional<MemberProfileRow>> {
    auto* st = Prepare(
        "SELECT member_id, email, language, consent_notices, consent_marketing, channel_email, "
        "quiet_start_minute, quiet_end_minute, time_zone, updated_at FROM member_profiles "
        "WHERE member_id = ?");
    st->setInt64(1, member);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    if (!rs->next()) return std::nullopt;
    MemberProfileRow p;
    p.member_id = rs->getInt64(1);
    p.email = rs->isNull(2) ? "" : std::string(rs->getString(2));
    p.language = rs->getString(3);
    p.consent_notices = rs->getInt(4) != 0;
    p.consent_marketing = rs->getInt(5) != 0;
    p.channel_email = rs->getInt(6) != 0;
    p.quiet_start_minute = rs->getInt(7);
    p.quiet_end_minute = rs->getInt(8);
    p.time_zone = rs->getString(9);
    p.updated_at = rs->getInt64(10);
    return p;
  });
}

absl::Status MysqlTxn::PutProfile(const MemberProfileRow& p) {
  return Guard([&]() -> absl::Status {
    auto* st = Prepare(
        "INSERT INTO member_profiles (member_id, email, language, consent_notices, "
        "consent_marketing, channel_email, quiet_start_minute, quiet_end_minute, time_zone, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE email = "
        "VALUES(email), language = VALUES(language), consent_notices = VALUES(consent_notices), "
        "consent_marketing = VALUES(consent_marketing), channel_email = VALUES(channel_email), "
        "quiet_start_minute = VALUES(quiet_start_minute), quiet_end_minute = "
        "VALUES(quiet_end_minute), time_zone = VALUES(time_zone), updated_at = "
        "VALUES(updated_at)");
    st->setInt64(1, p.member_id);
    if (p.email.empty()) {
      st->setNull(2, sql::DataType::VARCHAR);
    } else {
      st->setString(2, p.email);
    }
    st->setString(3, p.language);
    st->setInt(4, p.consent_notices ? 1 : 0);
    st->setInt(5, p.consent_marketing ? 1 : 0);
    st->setInt(6, p.channel_email ? 1 : 0);
    st->setInt(7, p.quiet_start_minute);
    st->setInt(8, p.quiet_end_minute);
    st->setString(9, p.time_zone);
    st->setInt64(10, p.updated_at);
    st->executeUpdate();
    return absl::OkStatus();
  });
}

absl::StatusOr<std::optional<SignInCodeRow>> MysqlTxn::LockCode(MemberId member) {
  return Guard([&]() -> absl::StatusOr<std::optional<SignInCodeRow>> {
    auto* st = Prepare(
        "SELECT member_id, code_hash, created_at, expires_at, attempts FROM member_codes WHERE "
        "member_id = ? FOR UPDATE");
    st->setInt64(1, member);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    if (!rs->next()) return std::nullopt;
    return SignInCodeRow{rs->getInt64(1), rs->getString(2), rs->getInt64(3), rs->getInt64(4),
                         rs->getInt(5)};
  });
}

absl::Status MysqlTxn::PutCode(const SignInCodeRow& c) {
  return Guard([&]() -> absl::Status {
    auto* st = Prepare(
        "INSERT INTO member_codes (member_id, code_hash, created_at, expires_at, attempts) "
        "VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE code_hash = VALUES(code_hash), "
        "created_at = VALUES(created_at), expires_at = VALUES(expires_at), "
        "attempts = VALUES(attempts)");
    st->setInt64(1, c.member_id);
    st->setString(2, c.code_hash);
    st->setInt64(3, c.created_at);
    st->setInt64(4, c.expires_at);
    st->setInt(5, c.attempts);
    st->executeUpdate();
    return absl::OkStatus();
  });
}

absl::Status MysqlTxn::SetCodeAttempts(MemberId member, int attempts) {
  return Guard([&]() -> absl::Status {
    auto* st = Prepare("UPDATE member_codes SET attempts = ? WHERE member_id = ?");
    st->setInt(1, attempts);
    st->setInt64(2, member);
    st->executeUpdate();
    return absl::OkStatus();
  });
}

absl::Status MysqlTxn::DeleteCode(MemberId member) {
  return Guard([&]() -> absl::Status {
    auto* st = Prepare("DELETE FROM member_codes WHERE member_id = ?");
    st->setInt64(1, member);
    st->executeUpdate();
    return absl::OkStatus();
  });
}

absl::Status MysqlTxn::InsertSession(const std::string& token_hash, MemberId member,
                                     const std::string& issued_by, Micros now,
                                     Micros expires_at) {
  return Guard([&]() -> absl::Status {
    auto* st = Prepare(
        "INSERT INTO member_sessions (token_hash, member_id, issued_by, created_at, expires_at) "
        "VALUES (?, ?, ?, ?, ?)");
    st->setString(1, token_hash);
    st->setInt64(2, member);
    st->setString(3, issued_by);
    st->setInt64(4, now);
    st->setInt64(5, expires_at);
    st->executeUpdate();
    return absl::OkStatus();
  });
}

absl::StatusOr<std::optional<MemberId>> MysqlTxn::SessionMember(const std::string& token_hash,
                                                                Micros now) {
  return Guard([&]() -> absl::StatusOr<std::optional<MemberId>> {
    auto* st = Prepare(
        "SELECT s.member_id FROM member_sessions s JOIN members m ON m.id = s.member_id WHERE "
        "s.token_hash = ? AND s.expires_at > ? AND m.erased_at IS NULL");
    st->setString(1, token_hash);
    st->setInt64(2, now);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    if (!rs->next()) return std::nullopt;
    return rs->getInt64(1);
  });
}

absl::StatusOr<std::vector<HistoryRow>> MysqlTxn::MemberHistory(MemberId member, TxnId before_id,
                                                                int limit) {
  return Guard([&]() -> absl::StatusOr<std::vector<HistoryRow>> {
    std::string cols;
    for (absl::string_view c : absl::StrSplit(rows::kTxnColumns, ", ")) {
      absl::StrAppend(&cols, cols.empty() ? "" : ", ", "t.", c);
    }
    auto* st = Prepare(absl::StrCat("SELECT ", cols,
                                    ", COALESCE(p.name, '') AS partner_name FROM txns t LEFT JOIN "
                                    "partners p ON p.id = t.partner_id WHERE t.member_id = ? AND "
                                    "t.id < ? ORDER BY t.id DESC LIMIT ?"));
    st->setInt64(1, member);
    st->setInt64(2, before_id);
    st->setInt(3, limit);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    std::vector<HistoryRow> out;
    while (rs->next()) out.push_back({rows::ReadTxn(rs.get()), rs->getString("partner_name")});
    return out;
  });
}

absl::StatusOr<std::vector<std::pair<Micros, Points>>> MysqlTxn::ExpiringLotsOf(MemberId member) {
  return Guard([&]() -> absl::StatusOr<std::vector<std::pair<Micros, Points>>> {
    auto* st = Prepare(
        "SELECT expires_at, CAST(SUM(remaining) AS SIGNED) FROM lots WHERE member_id = ? AND "
        "remaining > 0 AND expires_at < ? GROUP BY expires_at ORDER BY expires_at");
    st->setInt64(1, member);
    st->setInt64(2, kNeverExpires);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    std::vector<std::pair<Micros, Points>> out;
    while (rs->next()) out.emplace_back(rs->getInt64(1), rs->getInt64(2));
    return out;
  });
}

absl::StatusOr<std::vector<PartnerId>> MysqlTxn::PartnersVisited(MemberId member, Micros since) {
  return EarnPartnersSince(member, since);
}

absl::StatusOr<std::vector<MemberId>> MysqlTxn::MembersVisiting(PartnerId partner, Micros since,
                                                                MemberId after, int limit) {
  return Guard([&]() -> absl::StatusOr<std::vector<MemberId>> {
    auto* st = Prepare(
        "SELECT DISTINCT member_id FROM txns WHERE partner_id = ? AND kind = 'earn' AND "
        "posted_at >= ? AND member_id > ? ORDER BY member_id LIMIT ?");
    st->setInt64(1, partner);
    st->setInt64(2, since);
    st->setInt64(3, after);
    st->setInt(4, limit);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    std::vector<MemberId> out;
    while (rs->next()) out.push_back(rs->getInt64(1));
    return out;
  });
}

absl::StatusOr<int64_t> MysqlTxn::InsertClaim(const ClaimRow& c) {
  return Guard([&]() -> absl::StatusOr<int64_t> {
    auto* st = Prepare(
        "INSERT INTO claims (member_id, partner_id, purchased_at, amount_minor, currency, "
        "receipt_ref, status, created_at, due_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    st->setInt64(1, c.member_id);
    st->setInt64(2, c.partner_id);
    st->setInt64(3, c.purchased_at);
    st->setInt64(4, c.amount_minor);
    st->setString(5, c.currency);
    st->setString(6, c.receipt_ref);
    st->setString(7, c.status);
    st->setInt64(8, c.created_at);
    st->setInt64(9, c.due_at);
    try {
      st->executeUpdate();
    } catch (const sql::SQLException& e) {
      if (e.getErrorCode() != rows::kErrDuplicateKey) throw;
      return absl::AlreadyExistsError(
          "receipt_ref: this partner already has a claim for this receipt");
    }
    return LastInsertId();
  });
}

absl::StatusOr<std::optional<ClaimRow>> MysqlTxn::GetClaim(int64_t id, bool for_update) {
  return Guard([&]() -> absl::StatusOr<std::optional<ClaimRow>> {
    auto* st = Prepare(absl::StrCat("SELECT ", kClaimColumns, " FROM claims WHERE id = ?",
                                    for_update ? " FOR UPDATE" : ""));
    st->setInt64(1, id);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    if (!rs->next()) return std::nullopt;
    return ReadClaim(rs.get());
  });
}

absl::Status MysqlTxn::UpdateClaim(const ClaimRow& c) {
  return Guard([&]() -> absl::Status {
    auto* st = Prepare(
        "UPDATE claims SET status = ?, reason = ?, escalated_at = ?, resolved_at = ?, "
        "resolved_by = ?, earn_txn_id = ? WHERE id = ?");
    st->setString(1, c.status);
    st->setString(2, c.reason);
    rows::SetOptInt(st, 3, c.escalated_at);
    rows::SetOptInt(st, 4, c.resolved_at);
    st->setString(5, c.resolved_by);
    rows::SetOptInt(st, 6, c.earn_txn_id);
    st->setInt64(7, c.id);
    st->executeUpdate();
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<ClaimRow>> MysqlTxn::ListClaims(const ClaimQuery& q) {
  std::string where = absl::StrCat("id < ", q.before_id);
  if (q.member.has_value()) absl::StrAppend(&where, " AND member_id = ", *q.member);
  if (q.partner.has_value()) absl::StrAppend(&where, " AND partner_id = ", *q.partner);
  if (!q.statuses.empty()) {
    std::vector<std::string> quoted;
    for (const std::string& s : q.statuses) {
      if (s != claim_status::kOpen && s != claim_status::kEscalated &&
          s != claim_status::kAccepting && s != claim_status::kAccepted &&
          s != claim_status::kRejected) {
        return absl::InvalidArgumentError(absl::StrCat("status: unknown ", s));
      }
      quoted.push_back(absl::StrCat("'", s, "'"));
    }
    absl::StrAppend(&where, " AND status IN (", absl::StrJoin(quoted, ","), ")");
  }
  return Guard([&]() -> absl::StatusOr<std::vector<ClaimRow>> {
    std::unique_ptr<sql::Statement> st(c_->conn->createStatement());
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery(absl::StrCat(
        "SELECT ", kClaimColumns, " FROM claims WHERE ", where, " ORDER BY id DESC LIMIT ",
        std::max(1, q.limit))));
    std::vector<ClaimRow> out;
    while (rs->next()) out.push_back(ReadClaim(rs.get()));
    return out;
  });
}

absl::StatusOr<std::vector<ClaimRow>> MysqlTxn::LockClaimsDue(Micros now, int limit) {
  return Guard([&]() -> absl::StatusOr<std::vector<ClaimRow>> {
    auto* st = Prepare(absl::StrCat("SELECT ", kClaimColumns,
                                    " FROM claims WHERE status = 'open' AND due_at <= ? ORDER BY "
                                    "due_at, id LIMIT ? FOR UPDATE"));
    st->setInt64(1, now);
    st->setInt(2, limit);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    std::vector<ClaimRow> out;
    while (rs->next()) out.push_back(ReadClaim(rs.get()));
    return out;
  });
}

absl::Status MysqlTxn::InsertNotification(const NotificationRow& n) {
  return Guard([&]() -> absl::Status {
    auto* st = Prepare(
        "INSERT IGNORE INTO notifications (member_id, kind, event_id, language, recipient, "
        "subject, body, status, send_after, attempts, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, "
        "?, ?, 0, ?)");
    st->setInt64(1, n.member_id);
    st->setString(2, n.kind);
    rows::SetOptInt(st, 3, n.event_id);
    st->setString(4, n.language);
    st->setString(5, n.recipient);
    st->setString(6, n.subject);
    st->setString(7, n.body);
    st->setString(8, n.status);
    st->setInt64(9, n.send_after);
    st->setInt64(10, n.created_at);
    st->executeUpdate();
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<NotificationRow>> MysqlTxn::LockDueNotifications(Micros now, int limit) {
  return Guard([&]() -> absl::StatusOr<std::vector<NotificationRow>> {
    auto* st = Prepare(absl::StrCat("SELECT ", kNotificationColumns,
                                    " FROM notifications WHERE status = 'pending' AND send_after "
                                    "<= ? ORDER BY send_after, id LIMIT ? FOR UPDATE SKIP LOCKED"));
    st->setInt64(1, now);
    st->setInt(2, limit);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    std::vector<NotificationRow> out;
    while (rs->next()) out.push_back(ReadNotification(rs.get()));
    return out;
  });
}

absl::Status MysqlTxn::UpdateNotification(const NotificationRow& n) {
  return Guard([&]() -> absl::Status {
    auto* st = Prepare(
        "UPDATE notifications SET status = ?, attempts = ?, send_after = ?, last_error = ?, "
        "sent_at = ?, body = ? WHERE id = ?");
    st->setString(1, n.status);
    st->setInt(2, n.attempts);
    st->setInt64(3, n.send_after);
    st->setString(4, n.last_error.substr(0, 300));
    rows::SetOptInt(st, 5, n.sent_at);
    st->setString(6, n.body);
    st->setInt64(7, n.id);
    st->executeUpdate();
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<NotificationRow>> MysqlTxn::NotificationsOf(MemberId member) {
  return Guard([&]() -> absl::StatusOr<std::vector<NotificationRow>> {
    auto* st = Prepare(absl::StrCat("SELECT ", kNotificationColumns,
                                    " FROM notifications WHERE member_id = ? ORDER BY id"));
    st->setInt64(1, member);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    std::vector<NotificationRow> out;
    while (rs->next()) out.push_back(ReadNotification(rs.get()));
    return out;
  });
}

absl::StatusOr<int64_t> MysqlTxn::LockConsumerCursor(const std::string& name) {
  return Guard([&]() -> absl::StatusOr<int64_t> {
    auto* ins = Prepare("INSERT IGNORE INTO event_consumers (name, cursor_seq) VALUES (?, 0)");
    ins->setString(1, name);
    ins->executeUpdate();
    auto* st = Prepare("SELECT cursor_seq FROM event_consumers WHERE name = ? FOR UPDATE");
    st->setString(1, name);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    if (!rs->next()) return absl::InternalError("event_consumers row vanished");
    return rs->getInt64(1);
  });
}

absl::Status MysqlTxn::SetConsumerCursor(const std::string& name, int64_t seq) {
  return Guard([&]() -> absl::Status {
    auto* st = Prepare("UPDATE event_consumers SET cursor_seq = ? WHERE name = ?");
    st->setInt64(1, seq);
    st->setString(2, name);
    st->executeUpdate();
    return absl::OkStatus();
  });
}

absl::StatusOr<bool> MysqlTxn::TryLease(const std::string& name, const std::string& holder,
                                        Micros now, Micros ttl) {
  return Guard([&]() -> absl::StatusOr<bool> {
    auto* st = Prepare("SELECT holder, expires_at FROM leases WHERE name = ? FOR UPDATE");
    st->setString(1, name);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    if (!rs->next()) {
      auto* ins = Prepare(
          "INSERT INTO leases (name, holder, expires_at, acquired_at) VALUES (?, ?, ?, ?)");
      ins->setString(1, name);
      ins->setString(2, holder);
      ins->setInt64(3, now + ttl);
      ins->setInt64(4, now);
      try {
        ins->executeUpdate();
      } catch (const sql::SQLException& e) {
        if (e.getErrorCode() != rows::kErrDuplicateKey) throw;
        return false;  // another instance took it first
      }
      return true;
    }
    const std::string current = rs->getString(1);
    const Micros expires_at = rs->getInt64(2);
    if (current != holder && expires_at > now) return false;
    // acquired_at first: MariaDB assigns left to right, so `holder` is still the old one.
    auto* up = Prepare(
        "UPDATE leases SET acquired_at = IF(holder = ?, acquired_at, ?), holder = ?, "
        "expires_at = ? WHERE name = ?");
    up->setString(1, holder);
    up->setInt64(2, now);
    up->setString(3, holder);
    up->setInt64(4, now + ttl);
    up->setString(5, name);
    up->executeUpdate();
    return true;
  });
}

absl::Status MysqlTxn::ReleaseLease(const std::string& name, const std::string& holder) {
  return Guard([&]() -> absl::Status {
    auto* st = Prepare("DELETE FROM leases WHERE name = ? AND holder = ?");
    st->setString(1, name);
    st->setString(2, holder);
    st->executeUpdate();
    return absl::OkStatus();
  });
}

absl::Status MysqlTxn::EraseMember(MemberId member, Micros now) {
  return Guard([&]() -> absl::Status {
    // The banks hear that the member's co-branded cards are gone.
    auto* unlinked = Prepare(
        "INSERT INTO events (type, member_id, partner_id, detail, occurred_at) SELECT "
        "'card.unlinked', member_id, bank_id, JSON_OBJECT('card_ref', card_ref, 'reason', "
        "'erased'), ? FROM card_links WHERE member_id = ? AND active = 1");
    unlinked->setInt64(1, now);
    unlinked->setInt64(2, member);
    unlinked->executeUpdate();
    for (const char* sql :
         {"DELETE FROM member_profiles WHERE member_id = ?",
          "DELETE FROM member_codes WHERE member_id = ?",
          "DELETE FROM member_sessions WHERE member_id = ?",
          "DELETE FROM cards WHERE member_id = ?",
          "DELETE FROM card_links WHERE member_id = ?",
          "UPDATE notifications SET recipient = '', subject = '', body = '' WHERE member_id = ?"}) {
      auto* st = Prepare(sql);
      st->setInt64(1, member);
      st->executeUpdate();
    }
    auto* st = Prepare("UPDATE members SET erased_at = ? WHERE id = ?");
    st->setInt64(1, now);
    st->setInt64(2, member);
    st->executeUpdate();
    return absl::OkStatus();
  });
}

}  // namespace loyalty
