// The settlement queries and run storage of MysqlTxn (hub/store/store.h).
#include <cppconn/resultset.h>

#include "absl/strings/str_cat.h"
#include "hub/common/status_macros.h"
#include "hub/store/mysql_txn.h"

namespace loyalty {
namespace {

constexpr char kRunColumns[] =
    "id, period_label, period_start, period_end, model, currency, status, checksum, "
    "gross_total_minor, net_total_minor, document, created_at, finalized_at";

SettlementRunRow ReadRun(sql::ResultSet* rs) {
  SettlementRunRow r;
  r.id = rs->getInt64("id");
  r.period_label = rs->getString("period_label");
  r.period_start = rs->getInt64("period_start");
  r.period_end = rs->getInt64("period_end");
  r.model = rs->getString("model");
  r.currency = rs->getString("currency");
  r.status = rs->getString("status");
  r.checksum = rs->getString("checksum");
  r.gross_total_minor = rs->getInt64("gross_total_minor");
  r.net_total_minor = rs->getInt64("net_total_minor");
  r.document = rs->getString("document");
  r.created_at = rs->getInt64("created_at");
  if (!rs->isNull("finalized_at")) r.finalized_at = rs->getInt64("finalized_at");
  return r;
}

}  // namespace

absl::StatusOr<std::map<int64_t, int64_t>> MysqlTxn::SumsByKey(
    const std::string& sql, std::initializer_list<int64_t> params) {
  return Guard([&]() -> absl::StatusOr<std::map<int64_t, int64_t>> {
    auto* st = Prepare(sql);
    int i = 1;
    for (int64_t p : params) st->setInt64(i++, p);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    std::map<int64_t, int64_t> out;
    while (rs->next()) out[rs->getInt64(1)] = rs->getInt64(2);
    return out;
  });
}

absl::StatusOr<std::optional<SettlementConfigRow>> MysqlTxn::GetSettlementConfig() {
  return Guard([&]() -> absl::StatusOr<std::optional<SettlementConfigRow>> {
    std::unique_ptr<sql::ResultSet> rs(
        Prepare("SELECT model, period_unit, time_zone FROM settlement_config WHERE id = 1")
            ->executeQuery());
    if (!rs->next()) return std::nullopt;
    return SettlementConfigRow{rs->getString(1), rs->getString(2), rs->getString(3)};
  });
}

absl::Status MysqlTxn::PutSettlementConfig(const SettlementConfigRow& row, Micros now) {
  return Guard([&]() -> absl::Status {
    auto* st = Prepare(
        "INSERT INTO settlement_config (id, model, period_unit, time_zone, updated_at) "
        "VALUES (1, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE model = VALUES(model), "
        "period_unit = VALUES(period_unit), time_zone = VALUES(time_zone), "
        "updated_at = VALUES(updated_at)");
    st->setString(1, row.model);
    st->setString(2, row.period_unit);
    st->setString(3, row.time_zone);
    st->setInt64(4, now);
    st->executeUpdate();
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<SettlementTermsRow>> MysqlTxn::ListSettlementTerms() {
  return Guard([&]() -> absl::StatusOr<std::vector<SettlementTermsRow>> {
    std::unique_ptr<sql::ResultSet> rs(
        Prepare("SELECT partner_id, issue_price_micros, redeem_value_micros, "
                "fee_per_point_micros FROM settlement_terms ORDER BY partner_id")
            ->executeQuery());
    std::vector<SettlementTermsRow> out;
    while (rs->next()) {
      out.push_back({rs->getInt64(1), rs->getInt64(2), rs->getInt64(3), rs->getInt64(4)});
    }
    return out;
  });
}

absl::Status MysqlTxn::PutSettlementTerms(const SettlementTermsRow& row, Micros now) {
  return Guard([&]() -> absl::Status {
    auto* st = Prepare(
        "INSERT INTO settlement_terms (partner_id, issue_price_micros, redeem_value_micros, "
        "fee_per_point_micros, updated_at) VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE "
        "issue_price_micros = VALUES(issue_price_micros), "
        "redeem_value_micros = VALUES(redeem_value_micros), "
        "fee_per_point_micros = VALUES(fee_per_point_micros), updated_at = VALUES(updated_at)");
    st->setInt64(1, row.partner_id);
    st->setInt64(2, row.issue_price_micros);
    st->setInt64(3, row.redeem_value_micros);
    st->setInt64(4, row.fee_per_point_micros);
    st->setInt64(5, now);
    st->executeUpdate();
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<FlowRow>> MysqlTxn::FlowsBetween(Micros start, Micros end) {
  return Guard([&]() -> absl::StatusOr<std::vector<FlowRow>> {
    auto* st = Prepare(
        "SELECT funder_id, redeemer_id, kind, CAST(SUM(points) AS SIGNED) FROM consumptions "
        "WHERE posted_at >= ? AND posted_at < ? GROUP BY funder_id, redeemer_id, kind "
        "ORDER BY funder_id, redeemer_id, kind");
    st->setInt64(1, start);
    st->setInt64(2, end);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    std::vector<FlowRow> out;
    while (rs->next()) {
      FlowRow f;
      f.funder_id = rs->getInt64(1);
      if (!rs->isNull(2)) f.redeemer_id = rs->getInt64(2);
      f.kind = rs->getString(3);
      f.points = rs->getInt64(4);
      out.push_back(std::move(f));
    }
    return out;
  });
}

absl::StatusOr<std::map<PartnerId, Points>> MysqlTxn::LotPointsEarnedBetween(Micros start,
                                                                             Micros end) {
  return SumsByKey(
      "SELECT funder_id, CAST(SUM(points) AS SIGNED) FROM lots WHERE earned_at >= ? AND "
      "earned_at < ? GROUP BY funder_id",
      {start, end});
}

absl::StatusOr<std::map<PartnerId, Points>> MysqlTxn::EarnReversalsBetween(Micros start,
                                                                           Micros end) {
  // Each earn reversal (txn kind reverse_earn, bonuses included) posts exactly one
  // transfer member:M -> partner_issued:P of its full points, and nothing else credits a
  // partner_issued account (docs/ledger.md), so the journal gives the same sums through
  // ix_credit, touching only reversal rows. (The txns table has no index that leads
  // with kind: there the query read every txn row.)
  return SumsByKey(
      "SELECT CAST(SUBSTRING(credit_account, 16) AS SIGNED), CAST(SUM(points) AS SIGNED) "
      "FROM transfers WHERE credit_account LIKE 'partner\\_issued:%' AND posted_at >= ? "
      "AND posted_at < ? GROUP BY credit_account",
      {start, end});
}

absl::StatusOr<std::map<PartnerId, Points>> MysqlTxn::FunderRemainingAt(Micros t) {
  // Each side is summed per funder before the union, so the union holds a few rows per
  // funder instead of one per lot and consumption (a temporary table of the journal's
  // size).
  return SumsByKey(
      "SELECT f, CAST(SUM(p) AS SIGNED) FROM ("
      " SELECT funder_id AS f, SUM(points) AS p FROM lots WHERE earned_at < ? GROUP BY funder_id"
      " UNION ALL SELECT funder_id, -SUM(points) FROM consumptions WHERE posted_at < ?"
      " GROUP BY funder_id) x GROUP BY f",
      {t, t});
}

absl::StatusOr<std::optional<SettlementRunRow>> MysqlTxn::FindSettlementRun(Micros start,
                                                                            Micros end) {
  return Guard([&]() -> absl::StatusOr<std::optional<SettlementRunRow>> {
    auto* st = Prepare(absl::StrCat("SELECT ", kRunColumns,
                                    " FROM settlement_runs WHERE period_start = ? AND "
                                    "period_end = ? FOR UPDATE"));
    st->setInt64(1, start);
    st->setInt64(2, end);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    if (!rs->next()) return std::nullopt;
    return ReadRun(rs.get());
  });
}

absl::StatusOr<std::optional<SettlementRunRow>> MysqlTxn::GetSettlementRun(int64_t id) {
  return Guard([&]() -> absl::StatusOr<std::optional<SettlementRunRow>> {
    auto* st = Prepare(
        absl::StrCat("SELECT ", kRunColumns, " FROM settlement_runs WHERE id = ? FOR UPDATE"));
    st->setInt64(1, id);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    if (!rs->next()) return std::nullopt;
    return ReadRun(rs.get());
  });
}

absl::StatusOr<int64_t> MysqlTxn::SaveSettlementDraft(
    const SettlementRunRow& run, const std::vector<SettlementLineRow>& lines) {
  return Guard([&]() -> absl::StatusOr<int64_t> {
    int64_t id = run.id;
    if (id == 0) {
      auto* st = Prepare(
          "INSERT INTO settlement_runs (period_label, period_start, period_end, model, "
          "currency, status, checksum, gross_total_minor, net_total_minor, document, "
          "created_at) VALUES (?, ?, ?, ?, ?, 'draft', ?, ?, ?, ?, ?)");
      st->setString(1, run.period_label);
      st->setInt64(2, run.period_start);
      st->setInt64(3, run.period_end);
      st->setString(4, run.model);
      st->setString(5, run.currency);
      st->setString(6, run.checksum);
      st->setInt64(7, run.gross_total_minor);
      st->setInt64(8, run.net_total_minor);
      st->setString(9, run.document);
      st->setInt64(10, run.created_at);
      st->executeUpdate();
      id = LastInsertId();
    } else {
      auto* st = Prepare(
          "UPDATE settlement_runs SET model = ?, currency = ?, checksum = ?, "
          "gross_total_minor = ?, net_total_minor = ?, document = ?, created_at = ? "
          "WHERE id = ? AND status = 'draft'");
      st->setString(1, run.model);
      st->setString(2, run.currency);
      st->setString(3, run.checksum);
      st->setInt64(4, run.gross_total_minor);
      st->setInt64(5, run.net_total_minor);
      st->setString(6, run.document);
      st->setInt64(7, run.created_at);
      st->setInt64(8, id);
      // Zero affected rows also means "unchanged", so the caller checks the status
      // under its FOR UPDATE read; the WHERE clause is the last guard of a final run.
      st->executeUpdate();
      auto* del = Prepare(
          "DELETE FROM settlement_lines WHERE run_id = ? AND run_id IN "
          "(SELECT id FROM settlement_runs WHERE id = ? AND status = 'draft')");
      del->setInt64(1, id);
      del->setInt64(2, id);
      del->executeUpdate();
    }
    auto* ins = Prepare(
        "INSERT INTO settlement_lines (run_id, line_no, kind, payer_id, payee_id, points, "
        "price_micros, amount_minor, internal) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    int line_no = 0;
    for (const SettlementLineRow& l : lines) {
      ins->setInt64(1, id);
      ins->setInt(2, ++line_no);
      ins->setString(3, l.kind);
      ins->setInt64(4, l.payer_id);
      ins->setInt64(5, l.payee_id);
      ins->setInt64(6, l.points);
      ins->setInt64(7, l.price_micros);
      ins->setInt64(8, l.amount_minor);
      ins->setInt(9, l.internal ? 1 : 0);
      ins->executeUpdate();
    }
    return id;
  });
}

absl::Status MysqlTxn::FinalizeSettlementRun(int64_t id, Micros at,
                                             const std::string& document) {
  return Guard([&]() -> absl::Status {
    auto* st = Prepare(
        "UPDATE settlement_runs SET status = 'final', finalized_at = ?, document = ? "
        "WHERE id = ? AND status = 'draft'");
    st->setInt64(1, at);
    st->setString(2, document);
    st->setInt64(3, id);
    if (st->executeUpdate() != 1) {
      return absl::FailedPreconditionError(
          absl::StrCat("settlement run ", id, " is not a draft"));
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<SettlementLineRow>> MysqlTxn::SettlementLines(int64_t run_id) {
  return Guard([&]() -> absl::StatusOr<std::vector<SettlementLineRow>> {
    auto* st = Prepare(
        "SELECT kind, payer_id, payee_id, points, price_micros, amount_minor, internal FROM "
        "settlement_lines WHERE run_id = ? ORDER BY line_no");
    st->setInt64(1, run_id);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    std::vector<SettlementLineRow> out;
    while (rs->next()) {
      out.push_back({rs->getString(1), rs->getInt64(2), rs->getInt64(3), rs->getInt64(4),
                     rs->getInt64(5), rs->getInt64(6), rs->getInt(7) != 0});
    }
    return out;
  });
}

}  // namespace loyalty
