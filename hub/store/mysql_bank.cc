// The bank's rows of MysqlTxn (hub/store/store.h): earn rules, merchant ids, co-branded
// card links and card clearing records.
#include <cppconn/datatype.h>
#include <cppconn/resultset.h>

#include "absl/strings/str_cat.h"
#include "hub/common/status_macros.h"
#include "hub/store/mysql_txn.h"

namespace loyalty {
namespace {

constexpr int kErrDuplicateKey = 1062;

}  // namespace

namespace rows {

extern const char kClearingColumns[] =
    "bank_id, clearing_id, request_hash, card_ref, member_id, type, amount_minor, mcc, "
    "merchant_id, original_clearing_id, status, reason, points, refunded_amount_minor, "
    "hub_txn_id, month_key, occurred_at, posted_at";

ClearingRow ReadClearing(sql::ResultSet* rs) {
  ClearingRow c;
  c.bank_id = rs->getInt64("bank_id");
  c.clearing_id = rs->getString("clearing_id");
  c.request_hash = rs->getString("request_hash");
  c.card_ref = rs->getString("card_ref");
  if (!rs->isNull("member_id")) c.member_id = rs->getInt64("member_id");
  c.type = rs->getString("type");
  c.amount_minor = rs->getInt64("amount_minor");
  c.mcc = rs->getInt("mcc");
  c.merchant_id = rs->getString("merchant_id");
  c.original_clearing_id = rs->getString("original_clearing_id");
  c.status = rs->getString("status");
  c.reason = rs->getString("reason");
  c.points = rs->getInt64("points");
  c.refunded_amount_minor = rs->getInt64("refunded_amount_minor");
  c.hub_txn_id = rs->getInt64("hub_txn_id");
  c.month_key = rs->getString("month_key");
  c.occurred_at = rs->getInt64("occurred_at");
  c.posted_at = rs->getInt64("posted_at");
  return c;
}

}  // namespace rows

using rows::kClearingColumns;
using rows::ReadClearing;

absl::StatusOr<std::optional<BankRulesRow>> MysqlTxn::GetBankRules(PartnerId bank) {
  return Guard([&]() -> absl::StatusOr<std::optional<BankRulesRow>> {
    auto* st = Prepare(
        "SELECT default_rate_bp, partner_merchant_rate_bp, monthly_cap_points FROM "
        "bank_earn_rules WHERE bank_id = ?");
    st->setInt64(1, bank);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    if (!rs->next()) return std::nullopt;
    BankRulesRow r;
    r.default_rate_bp = rs->getInt64(1);
    r.partner_merchant_rate_bp = rs->getInt64(2);
    r.monthly_cap_points = rs->getInt64(3);
    auto* mcc =
        Prepare("SELECT mcc, rate_bp, excluded FROM bank_mcc_rules WHERE bank_id = ? ORDER BY mcc");
    mcc->setInt64(1, bank);
    std::unique_ptr<sql::ResultSet> m(mcc->executeQuery());
    while (m->next()) r.mcc_rules.push_back({m->getInt(1), m->getInt64(2), m->getInt(3) != 0});
    return r;
  });
}

absl::Status MysqlTxn::PutBankRules(PartnerId bank, const BankRulesRow& r, Micros now) {
  return Guard([&]() -> absl::Status {
    auto* st = Prepare(
        "INSERT INTO bank_earn_rules (bank_id, default_rate_bp, partner_merchant_rate_bp, "
        "monthly_cap_points, updated_at) VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE "
        "default_rate_bp = VALUES(default_rate_bp), "
        "partner_merchant_rate_bp = VALUES(partner_merchant_rate_bp), "
        "monthly_cap_points = VALUES(monthly_cap_points), updated_at = VALUES(updated_at)");
    st->setInt64(1, bank);
    st->setInt64(2, r.default_rate_bp);
    st->setInt64(3, r.partner_merchant_rate_bp);
    st->setInt64(4, r.monthly_cap_points);
    st->setInt64(5, now);
    st->executeUpdate();
    auto* del = Prepare("DELETE FROM bank_mcc_rules WHERE bank_id = ?");
    del->setInt64(1, bank);
    del->executeUpdate();
    auto* ins =
        Prepare("INSERT INTO bank_mcc_rules (bank_id, mcc, rate_bp, excluded) VALUES (?, ?, ?, ?)");
    for (const MccRuleRow& m : r.mcc_rules) {
      ins->setInt64(1, bank);
      ins->setInt(2, m.mcc);
      ins->setInt64(3, m.rate_bp);
      ins->setInt(4, m.excluded ? 1 : 0);
      ins->executeUpdate();
    }
    BumpRulesVersion();
    return absl::OkStatus();
  });
}

absl::Status MysqlTxn::InsertMerchantId(const std::string& merchant_id, PartnerId partner,
                                        Micros now) {
  return Guard([&]() -> absl::Status {
    auto* st =
        Prepare("INSERT INTO merchant_ids (merchant_id, partner_id, created_at) VALUES (?, ?, ?)");
    st->setString(1, merchant_id);
    st->setInt64(2, partner);
    st->setInt64(3, now);
    try {
      st->executeUpdate();
    } catch (const sql::SQLException& e) {
      if (e.getErrorCode() == kErrDuplicateKey) {
        return absl::AlreadyExistsError("merchant_id: already registered");
      }
      throw;
    }
    BumpRulesVersion();
    return absl::OkStatus();
  });
}

absl::StatusOr<std::optional<PartnerId>> MysqlTxn::MerchantPartner(const std::string& merchant_id) {
  return Guard([&]() -> absl::StatusOr<std::optional<PartnerId>> {
    auto* st = Prepare("SELECT partner_id FROM merchant_ids WHERE merchant_id = ?");
    st->setString(1, merchant_id);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    if (!rs->next()) return std::nullopt;
    return rs->getInt64(1);
  });
}

absl::StatusOr<std::optional<CardLinkRow>> MysqlTxn::FindCardLink(const std::string& ref) {
  return Guard([&]() -> absl::StatusOr<std::optional<CardLinkRow>> {
    auto* st =
        Prepare("SELECT card_ref, bank_id, member_id, active FROM card_links WHERE card_ref = ?");
    st->setString(1, ref);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    if (!rs->next()) return std::nullopt;
    return CardLinkRow{rs->getString(1), rs->getInt64(2), rs->getInt64(3), rs->getInt(4) != 0};
  });
}

absl::Status MysqlTxn::PutCardLink(const CardLinkRow& link, Micros now) {
  return Guard([&]() -> absl::Status {
    auto* st = Prepare(
        "INSERT INTO card_links (card_ref, bank_id, member_id, active, linked_at) VALUES "
        "(?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE bank_id = VALUES(bank_id), "
        "member_id = VALUES(member_id), active = VALUES(active), linked_at = VALUES(linked_at)");
    st->setString(1, link.card_ref);
    st->setInt64(2, link.bank_id);
    st->setInt64(3, link.member_id);
    st->setInt(4, link.active ? 1 : 0);
    st->setInt64(5, now);
    st->executeUpdate();
    // The bank's event, in the same transaction (event_rows.h).
    auto* ev = Prepare(
        "INSERT INTO events (type, member_id, partner_id, detail, occurred_at) VALUES (?, ?, ?, "
        "JSON_OBJECT('card_ref', ?), ?)");
    ev->setString(1, link.active ? event_type::kCardLinked : event_type::kCardUnlinked);
    ev->setInt64(2, link.member_id);
    ev->setInt64(3, link.bank_id);
    ev->setString(4, link.card_ref);
    ev->setInt64(5, now);
    ev->executeUpdate();
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<std::string>> MysqlTxn::ActiveCardRefs(MemberId member) {
  return Guard([&]() -> absl::StatusOr<std::vector<std::string>> {
    auto* st = Prepare(
        "SELECT card_ref FROM card_links WHERE member_id = ? AND active = 1 ORDER BY card_ref");
    st->setInt64(1, member);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    std::vector<std::string> out;
    while (rs->next()) out.push_back(rs->getString(1));
    return out;
  });
}

absl::StatusOr<std::vector<std::string>> MysqlTxn::ActiveCardRefsAfter(MemberId member,
                                                                       const std::string& after,
                                                                       int limit) {
  return Guard([&]() -> absl::StatusOr<std::vector<std::string>> {
    auto* st = Prepare(
        "SELECT card_ref FROM card_links WHERE member_id = ? AND active = 1 AND card_ref > ? "
        "ORDER BY card_ref LIMIT ?");
    st->setInt64(1, member);
    st->setString(2, after);
    st->setInt(3, limit);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    std::vector<std::string> out;
    while (rs->next()) out.push_back(rs->getString(1));
    return out;
  });
}

absl::StatusOr<std::optional<ClearingRow>> MysqlTxn::FindClearing(PartnerId bank,
                                                                  const std::string& id) {
  return Guard([&]() -> absl::StatusOr<std::optional<ClearingRow>> {
    auto* st = Prepare(absl::StrCat("SELECT ", kClearingColumns,
                                    " FROM card_clearings WHERE bank_id = ? AND "
                                    "clearing_id = ? FOR UPDATE"));
    st->setInt64(1, bank);
    st->setString(2, id);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    if (!rs->next()) return std::nullopt;
    return ReadClearing(rs.get());
  });
}

absl::Status MysqlTxn::InsertClearing(const ClearingRow& c) {
  // The row and its card's running monthly total; a clearing id inserted concurrently
  // makes the transaction Retryable (the new attempt replays it).
  return InsertClearings({c});
}

absl::Status MysqlTxn::AddClearingRefunded(PartnerId bank, const std::string& id,
                                           int64_t amount_minor) {
  return Guard([&]() -> absl::Status {
    auto* st = Prepare(
        "UPDATE card_clearings SET refunded_amount_minor = refunded_amount_minor + ? WHERE "
        "bank_id = ? AND clearing_id = ?");
    st->setInt64(1, amount_minor);
    st->setInt64(2, bank);
    st->setString(3, id);
    st->executeUpdate();
    return absl::OkStatus();
  });
}

absl::StatusOr<Points> MysqlTxn::CardPointsInMonth(const std::string& ref,
                                                   const std::string& month_key) {
  return Guard([&]() -> absl::StatusOr<Points> {
    // The running total InsertClearing keeps: one row, however busy the card.
    auto* st = Prepare("SELECT points FROM card_month_points WHERE card_ref = ? AND month_key = ?");
    st->setString(1, ref);
    st->setString(2, month_key);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    return rs->next() ? rs->getInt64(1) : Points{0};
  });
}

absl::StatusOr<std::vector<ClearingRow>> MysqlTxn::CardClearingsInMonth(
    const std::string& ref, const std::string& month_key) {
  return Guard([&]() -> absl::StatusOr<std::vector<ClearingRow>> {
    auto* st = Prepare(absl::StrCat("SELECT ", kClearingColumns,
                                    " FROM card_clearings WHERE card_ref = ? AND month_key = ? "
                                    "ORDER BY posted_at, clearing_id"));
    st->setString(1, ref);
    st->setString(2, month_key);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    std::vector<ClearingRow> out;
    while (rs->next()) out.push_back(ReadClearing(rs.get()));
    return out;
  });
}

}  // namespace loyalty
