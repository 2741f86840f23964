// MysqlTxn's webhook rows (member_rows.h, deploy/migrations/0017_webhooks.sql).
#include <cppconn/datatype.h>
#include <cppconn/statement.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "hub/store/mysql_txn.h"

namespace loyalty {
namespace {

constexpr char kWebhookColumns[] =
    "id, partner_id, url, secret, types, active, cursor_seq, created_at";

WebhookRow ReadWebhook(sql::ResultSet* rs) {
  WebhookRow w;
  w.id = rs->getInt64("id");
  w.partner_id = rs->getInt64("partner_id");
  w.url = rs->getString("url");
  w.secret = rs->getString("secret");
  w.types = absl::StrSplit(std::string(rs->getString("types")), ',', absl::SkipEmpty());
  w.active = rs->getInt("active") != 0;
  w.cursor_seq = rs->getInt64("cursor_seq");
  w.created_at = rs->getInt64("created_at");
  return w;
}

constexpr char kDeliveryColumns[] =
    "id, webhook_id, event_id, event_seq, payload, status, attempts, next_attempt_at, "
    "created_at, delivered_at, last_status_code, last_error";

DeliveryRow ReadDelivery(sql::ResultSet* rs) {
  DeliveryRow d;
  d.id = rs->getInt64("id");
  d.webhook_id = rs->getInt64("webhook_id");
  d.event_id = rs->getInt64("event_id");
  d.event_seq = rs->getInt64("event_seq");
  d.payload = rs->getString("payload");
  d.status = rs->getString("status");
  d.attempts = rs->getInt("attempts");
  d.next_attempt_at = rs->getInt64("next_attempt_at");
  d.created_at = rs->getInt64("created_at");
  d.delivered_at = rows::OptInt(rs, "delivered_at");
  d.last_status_code = rs->getInt("last_status_code");
  d.last_error = rs->getString("last_error");
  return d;
}

}  // namespace

absl::StatusOr<int64_t> MysqlTxn::InsertWebhook(const WebhookRow& w) {
  return Guard([&]() -> absl::StatusOr<int64_t> {
    auto* st = Prepare(
        "INSERT INTO webhooks (partner_id, url, secret, types, active, cursor_seq, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)");
    st->setInt64(1, w.partner_id);
    st->setString(2, w.url);
    st->setString(3, w.secret);
    st->setString(4, absl::StrJoin(w.types, ","));
    st->setInt(5, w.active ? 1 : 0);
    st->setInt64(6, w.cursor_seq);
    st->setInt64(7, w.created_at);
    st->executeUpdate();
    return LastInsertId();
  });
}

absl::StatusOr<std::vector<WebhookRow>> MysqlTxn::ListWebhooks(std::optional<PartnerId> partner,
                                                               bool active_only) {
  return Guard([&]() -> absl::StatusOr<std::vector<WebhookRow>> {
    std::string where = "1 = 1";
    if (partner.has_value()) absl::StrAppend(&where, " AND partner_id = ", *partner);
    if (active_only) absl::StrAppend(&where, " AND active = 1");
    std::unique_ptr<sql::Statement> st(c_->conn->createStatement());
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery(
        absl::StrCat("SELECT ", kWebhookColumns, " FROM webhooks WHERE ", where, " ORDER BY id")));
    std::vector<WebhookRow> out;
    while (rs->next()) out.push_back(ReadWebhook(rs.get()));
    return out;
  });
}

absl::StatusOr<std::optional<WebhookRow>> MysqlTxn::LockWebhook(int64_t id) {
  return Guard([&]() -> absl::StatusOr<std::optional<WebhookRow>> {
    auto* st = Prepare(
        absl::StrCat("SELECT ", kWebhookColumns, " FROM webhooks WHERE id = ? FOR UPDATE"));
    st->setInt64(1, id);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    if (!rs->next()) return std::nullopt;
    return ReadWebhook(rs.get());
  });
}

absl::Status MysqlTxn::SetWebhookActive(int64_t id, bool active) {
  return Guard([&]() -> absl::Status {
    auto* st = Prepare("UPDATE webhooks SET active = ? WHERE id = ?");
    st->setInt(1, active ? 1 : 0);
    st->setInt64(2, id);
    st->executeUpdate();
    return absl::OkStatus();
  });
}

absl::Status MysqlTxn::SetWebhookCursor(int64_t id, int64_t seq) {
  return Guard([&]() -> absl::Status {
    auto* st = Prepare("UPDATE webhooks SET cursor_seq = ? WHERE id = ?");
    st->setInt64(1, seq);
    st->setInt64(2, id);
    st->executeUpdate();
    return absl::OkStatus();
  });
}

absl::Status MysqlTxn::InsertDeliveries(const std::vector<DeliveryRow>& rows) {
  return Guard([&]() -> absl::Status {
    for (const DeliveryRow& d : rows) {
      auto* st = Prepare(
          "INSERT IGNORE INTO webhook_deliveries (webhook_id, event_id, event_seq, payload, "
          "status, attempts, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?)");
      st->setInt64(1, d.webhook_id);
      st->setInt64(2, d.event_id);
      st->setInt64(3, d.event_seq);
      st->setString(4, d.payload);
      st->setString(5, d.status);
      st->setInt64(6, d.next_attempt_at);
      st->setInt64(7, d.created_at);
      st->executeUpdate();
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<DeliveryRow>> MysqlTxn::LockDueDeliveries(Micros now, int limit) {
  return Guard([&]() -> absl::StatusOr<std::vector<DeliveryRow>> {
    auto* st = Prepare(absl::StrCat("SELECT ", kDeliveryColumns,
                                    " FROM webhook_deliveries WHERE status = 'pending' AND "
                                    "next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ? "
                                    "FOR UPDATE SKIP LOCKED"));
    st->setInt64(1, now);
    st->setInt(2, limit);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    std::vector<DeliveryRow> out;
    while (rs->next()) out.push_back(ReadDelivery(rs.get()));
    return out;
  });
}

absl::Status MysqlTxn::UpdateDelivery(const DeliveryRow& d) {
  return Guard([&]() -> absl::Status {
    auto* st = Prepare(
        "UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, "
        "created_at = ?, delivered_at = ?, last_status_code = ?, last_error = ? WHERE id = ?");
    st->setString(1, d.status);
    st->setInt(2, d.attempts);
    st->setInt64(3, d.next_attempt_at);
    st->setInt64(4, d.created_at);
    rows::SetOptInt(st, 5, d.delivered_at);
    st->setInt(6, d.last_status_code);
    st->setString(7, d.last_error.substr(0, 300));
    st->setInt64(8, d.id);
    st->executeUpdate();
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<DeliveryRow>> MysqlTxn::ListDeliveries(int64_t webhook,
                                                                  const std::string& status,
                                                                  int64_t before_id, int limit) {
  return Guard([&]() -> absl::StatusOr<std::vector<DeliveryRow>> {
    auto* st = Prepare(absl::StrCat("SELECT ", kDeliveryColumns,
                                    " FROM webhook_deliveries WHERE webhook_id = ? AND status = ? "
                                    "AND id < ? ORDER BY id DESC LIMIT ?"));
    st->setInt64(1, webhook);
    st->setString(2, status);
    st->setInt64(3, before_id);
    st->setInt(4, limit);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    std::vector<DeliveryRow> out;
    while (rs->next()) out.push_back(ReadDelivery(rs.get()));
    return out;
  });
}

absl::StatusOr<int64_t> MysqlTxn::RequeueDeliveries(int64_t webhook,
                                                    const std::vector<int64_t>& ids, Micros now) {
  return Guard([&]() -> absl::StatusOr<int64_t> {
    std::unique_ptr<sql::Statement> st(c_->conn->createStatement());
    std::string sql = absl::StrCat(
        "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = ", now,
        ", created_at = ", now, " WHERE webhook_id = ", webhook, " AND status = 'dead'");
    if (!ids.empty()) absl::StrAppend(&sql, " AND id IN (", absl::StrJoin(ids, ","), ")");
    return static_cast<int64_t>(st->executeUpdate(sql));
  });
}

}  // namespace loyalty
