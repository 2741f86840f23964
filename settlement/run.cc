#include "settlement/run.h"

#include "absl/strings/str_cat.h"
#include "hub/common/status_macros.h"
#include "hub/ledger/ledger.h"
#include "settlement/compute.h"
#include "settlement/json.h"
#include "settlement/period.h"
#include "settlement/report.h"

namespace loyalty::settlement {
namespace {

// A settlement run as the audit log shows it: the figures live in the run itself.
std::string RunState(int64_t id, const std::string& status, const std::string& checksum) {
  return AuditState().Int("run_id", id).Text("status", status).Text("checksum", checksum).Json();
}

absl::StatusOr<Model> ParseModel(const std::string& s) {
  if (s == "operator") return Model::kOperator;
  if (s == "funder_pays") return Model::kFunderPays;
  return absl::InvalidArgumentError("model: must be operator or funder_pays");
}

absl::StatusOr<Settlement> FromRow(const SettlementRunRow& row) {
  ASSIGN_OR_RETURN(Settlement s, SettlementFromJson(row.document));
  if (s.checksum != row.checksum) {
    return absl::DataLossError(absl::StrCat("settlement run ", row.id,
                                            ": stored document does not match its checksum"));
  }
  return s;
}

SettlementRunRow ToRow(const Settlement& s) {
  SettlementRunRow row;
  row.id = s.run_id;
  row.period_label = s.period.label;
  row.period_start = s.period.start;
  row.period_end = s.period.end;
  row.model = ModelName(s.model);
  row.currency = s.currency;
  row.status = s.status;
  row.checksum = s.checksum;
  row.gross_total_minor = s.gross_total_minor;
  row.net_total_minor = s.net_total_minor;
  row.document = SettlementToJson(s);
  row.created_at = s.created_at;
  return row;
}

std::vector<SettlementLineRow> LineRows(const Settlement& s) {
  std::vector<SettlementLineRow> rows;
  for (const Line& l : s.lines) {
    rows.push_back({l.kind, l.payer, l.payee, l.points, l.price_micros, l.amount_minor,
                    l.internal});
  }
  return rows;
}

// Reads everything the computation needs for `period` in one transaction.
absl::Status Gather(StoreTxn& txn, const Period& period, PeriodFacts* facts,
                    ProgramFacts* program, std::vector<Participant>* participants) {
  ASSIGN_OR_RETURN(std::optional<ProgramRecord> p, txn.GetProgram());
  if (!p.has_value()) return absl::FailedPreconditionError("program: not configured yet");
  program->currency = p->currency;
  program->point_value_micros = p->point_value_micros;
  ASSIGN_OR_RETURN(facts->flows, txn.FlowsBetween(period.start, period.end));
  ASSIGN_OR_RETURN(facts->lots_earned, txn.LotPointsEarnedBetween(period.start, period.end));
  ASSIGN_OR_RETURN(facts->earn_reversals, txn.EarnReversalsBetween(period.start, period.end));
  ASSIGN_OR_RETURN(facts->remaining_at_start, txn.FunderRemainingAt(period.start));
  ASSIGN_OR_RETURN(facts->remaining_at_end, txn.FunderRemainingAt(period.end));
  ASSIGN_OR_RETURN(std::vector<PartnerRecord> partners, txn.ListPartners());
  participants->clear();
  participants->push_back({kOperatorId, "operator"});
  for (const PartnerRecord& pr : partners) participants->push_back({pr.id, pr.name});
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SettlementConfig> LoadConfig(Store* store) {
  SettlementConfig config;
  RETURN_IF_ERROR(store->RunInTransaction([&](StoreTxn& txn) -> absl::Status {
    config = SettlementConfig{};
    ASSIGN_OR_RETURN(std::optional<SettlementConfigRow> row, txn.GetSettlementConfig());
    if (row.has_value()) {
      ASSIGN_OR_RETURN(config.model, ParseModel(row->model));
      ASSIGN_OR_RETURN(config.period_unit, ParsePeriodUnit(row->period_unit));
      config.time_zone = row->time_zone;
    }
    ASSIGN_OR_RETURN(std::vector<SettlementTermsRow> terms, txn.ListSettlementTerms());
    for (const SettlementTermsRow& t : terms) {
      config.terms[t.partner_id] = {t.issue_price_micros, t.redeem_value_micros,
                                    t.fee_per_point_micros};
    }
    return absl::OkStatus();
  }));
  return config;
}

absl::Status SaveConfig(Store* store, const Clock& clock, Model model, PeriodUnit unit,
                        const std::string& time_zone, const std::string& actor) {
  // Validates the zone the same way periods are cut.
  RETURN_IF_ERROR(ParsePeriod("2026-01", PeriodUnit::kMonth, time_zone).status());
  return store->RunInTransaction([&](StoreTxn& txn) -> absl::Status {
    const SettlementConfigRow row{ModelName(model), PeriodUnitName(unit), time_zone};
    ASSIGN_OR_RETURN(std::optional<SettlementConfigRow> old, txn.GetSettlementConfig());
    const Micros now = clock.NowMicros();
    RETURN_IF_ERROR(txn.PutSettlementConfig(row, now));
    return txn.InsertAudit(now, actor, "set_settlement_config",
                           absl::StrCat("model=", row.model, " period_unit=", row.period_unit,
                                        " time_zone=", row.time_zone),
                           old.has_value() ? AuditJson(*old) : "", AuditJson(row));
  });
}

absl::Status SaveTerms(Store* store, const Clock& clock, PartnerId partner,
                       const PartnerTerms& terms, const std::string& actor) {
  if (terms.issue_price_micros < 0 || terms.redeem_value_micros < 0 ||
      terms.fee_per_point_micros < 0) {
    return absl::InvalidArgumentError("terms: prices must be >= 0 micros per point");
  }
  return store->RunInTransaction([&](StoreTxn& txn) -> absl::Status {
    if (partner != kOperatorId) {
      ASSIGN_OR_RETURN(std::optional<PartnerRecord> p, txn.GetPartner(partner));
      if (!p.has_value()) return absl::NotFoundError(absl::StrCat("partner: no partner ", partner));
    }
    const SettlementTermsRow row{partner, terms.issue_price_micros, terms.redeem_value_micros,
                                 terms.fee_per_point_micros};
    ASSIGN_OR_RETURN(std::vector<SettlementTermsRow> all, txn.ListSettlementTerms());
    std::string before;
    for (const SettlementTermsRow& t : all) {
      if (t.partner_id == partner) before = AuditJson(t);
    }
    const Micros now = clock.NowMicros();
    RETURN_IF_ERROR(txn.PutSettlementTerms(row, now));
    return txn.InsertAudit(now, actor, "set_settlement_terms", absl::StrCat("partner=", partner),
                           before, AuditJson(row));
  });
}

absl::StatusOr<Settlement> ClosePeriod(Store* store, const Clock& clock, const Period& period,
                                       const Progress& progress, const std::string& actor) {
  const Micros now = clock.NowMicros();
  if (period.end > now) {
    return absl::FailedPreconditionError(absl::StrCat(
        "period: ", period.label, " is still open until ", FormatUtc(period.end)));
  }
  ASSIGN_OR_RETURN(SettlementConfig config, LoadConfig(store));
  std::optional<SettlementRunRow> existing;
  RETURN_IF_ERROR(store->RunInTransaction([&](StoreTxn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(existing, txn.FindSettlementRun(period.start, period.end));
    return absl::OkStatus();
  }));
  if (existing.has_value() && existing->status == "final") {
    progress(absl::StrCat("run ", existing->id, " for ", period.label, " is final: unchanged"));
    return FromRow(*existing);
  }

  // Expire what was due before the end, dated inside the period.
  FakeClock period_clock(period.end - 1);
  Ledger ledger(store, &period_clock);
  ASSIGN_OR_RETURN(ExpiryOutcome expired, ledger.RunExpiry());
  progress(absl::StrCat("expiry up to period end: ", expired.lots_expired, " lots, ",
                        expired.points_expired, " points"));

  Settlement s;
  RETURN_IF_ERROR(store->RunInTransaction([&](StoreTxn& txn) -> absl::Status {
    PeriodFacts facts;
    ProgramFacts program;
    std::vector<Participant> participants;
    RETURN_IF_ERROR(Gather(txn, period, &facts, &program, &participants));
    progress(absl::StrCat("gathered: ", facts.flows.size(), " flow groups, ",
                          participants.size(), " participants"));
    ASSIGN_OR_RETURN(Quantities q, ComputeQuantities(facts));
    ASSIGN_OR_RETURN(s, ComputeSettlement(config, program, participants, period, q));
    progress(absl::StrCat("computed: ", s.lines.size(), " lines, ", s.payments.size(),
                          " payments"));
    ASSIGN_OR_RETURN(std::optional<SettlementRunRow> row,
                     txn.FindSettlementRun(period.start, period.end));
    if (row.has_value() && row->status == "final") {
      return absl::AbortedError("period was finalized concurrently; close it again");
    }
    // The first close fixes the run's id and creation time, so a recompute of
    // unchanged data is byte-identical.
    s.run_id = row.has_value() ? row->id : 0;
    s.created_at = row.has_value() ? row->created_at : now;
    const std::string before =
        row.has_value() ? RunState(row->id, row->status, row->checksum) : "";
    if (s.run_id == 0) {
      ASSIGN_OR_RETURN(s.run_id, txn.SaveSettlementDraft(ToRow(s), {}));
    }
    RETURN_IF_ERROR(txn.SaveSettlementDraft(ToRow(s), LineRows(s)).status());
    return txn.InsertAudit(now, actor, "close_period",
                           absl::StrCat("run=", s.run_id, " period=", period.label), before,
                           RunState(s.run_id, "draft", s.checksum));
  }));
  progress(absl::StrCat("stored run ", s.run_id, " (draft), checksum ", s.checksum));
  return s;
}

absl::StatusOr<Settlement> FinalizeRun(Store* store, const Clock& clock, int64_t run_id,
                                       const std::string& actor) {
  Settlement s;
  RETURN_IF_ERROR(store->RunInTransaction([&](StoreTxn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<SettlementRunRow> row, txn.GetSettlementRun(run_id));
    if (!row.has_value()) return absl::NotFoundError(absl::StrCat("run: no run ", run_id));
    if (row->status == "final") {
      return absl::FailedPreconditionError(absl::StrCat("run: ", run_id, " is already final"));
    }
    ASSIGN_OR_RETURN(s, FromRow(*row));
    s.status = "final";
    s.finalized_at = clock.NowMicros();
    RETURN_IF_ERROR(txn.FinalizeSettlementRun(run_id, s.finalized_at, SettlementToJson(s)));
    return txn.InsertAudit(s.finalized_at, actor, "finalize_run", absl::StrCat("run=", run_id),
                           RunState(run_id, row->status, row->checksum),
                           RunState(run_id, s.status, s.checksum));
  }));
  return s;
}

absl::StatusOr<Settlement> LoadRun(Store* store, int64_t run_id) {
  std::optional<SettlementRunRow> row;
  RETURN_IF_ERROR(store->RunInTransaction([&](StoreTxn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(row, txn.GetSettlementRun(run_id));
    return absl::OkStatus();
  }));
  if (!row.has_value()) return absl::NotFoundError(absl::StrCat("run: no run ", run_id));
  return FromRow(*row);
}

absl::StatusOr<std::optional<Settlement>> LoadRunOfPeriod(Store* store, const Period& period) {
  std::optional<SettlementRunRow> row;
  RETURN_IF_ERROR(store->RunInTransaction([&](StoreTxn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(row, txn.FindSettlementRun(period.start, period.end));
    return absl::OkStatus();
  }));
  if (!row.has_value()) return std::nullopt;
  ASSIGN_OR_RETURN(Settlement s, FromRow(*row));
  return s;
}

}  // namespace loyalty::settlement
