#include "hub/ledger/bank_ledger.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "hub/ledger/ledger_internal.h"
#include "hub/ledger/validate.h"
#include "hub/common/error_reason.h"

namespace loyalty {
namespace {

// Clearing ids become the earn's partner_txn_id "clr:<id>" in the bank's key space.
constexpr char kClearingTxnPrefix[] = "clr:";
constexpr size_t kMaxClearingIdLength = 60;
constexpr int64_t kMaxRateBp = 10000;

std::string MonthKey(Micros t) {
  const absl::CivilMonth m =
      absl::CivilMonth(absl::ToCivilDay(absl::FromUnixMicros(t), absl::UTCTimeZone()));
  return absl::StrFormat("%04d-%02d", m.year(), m.month());
}

absl::Status ValidateClearing(const ClearingParams& p) {
  RETURN_IF_ERROR(ValidateIdempotencyKey("clearing_id", p.clearing_id));
  if (p.clearing_id.size() > kMaxClearingIdLength) {
    return InvalidField("clearing_id", absl::StrCat("longer than ", kMaxClearingIdLength));
  }
  RETURN_IF_ERROR(ValidateCardRef("card", p.card_ref));
  if (p.amount_minor <= 0 || p.amount_minor > kMaxAmountMinor) {
    return InvalidField("amount.amount_minor", absl::StrCat("must be 1..", kMaxAmountMinor));
  }
  if (!CurrencyExponent(p.currency).has_value()) {
    return InvalidField("amount.currency", "not a supported ISO 4217 code");
  }
  if (p.mcc < 0 || p.mcc > 9999) return InvalidField("mcc", "must be 0..9999");
  if (!p.merchant_id.empty()) {
    RETURN_IF_ERROR(ValidateMerchantId(p.merchant_id));
  }
  if (p.refund) {
    RETURN_IF_ERROR(ValidateIdempotencyKey("original_clearing_id", p.original_clearing_id));
  } else if (!p.original_clearing_id.empty()) {
    return InvalidField("original_clearing_id", "only refunds refer to a purchase");
  }
  return ValidateOccurredAt("occurred_at_micros", p.occurred_at);
}

ClearingOutcome OutcomeOf(const ClearingRow& row, bool replayed) {
  return {row.status, row.points, row.reason, row.hub_txn_id, replayed};
}

// The rate for a purchase, or an explanation of why it earns nothing.
struct RateChoice {
  int64_t rate_bp = 0;
  std::string reason;  // set when the purchase earns nothing by rule
  std::string basis;   // which rule applied
};

absl::StatusOr<RateChoice> ChooseRate(StoreTxn* txn, const BankRulesRow& rules,
                                      const ClearingParams& p) {
  const MccRuleRow* mcc = nullptr;
  for (const MccRuleRow& r : rules.mcc_rules) {
    if (r.mcc == p.mcc) mcc = &r;
  }
  if (mcc != nullptr && mcc->excluded) {
    return RateChoice{0, absl::StrCat("mcc ", p.mcc, " is excluded"), ""};
  }
  if (!p.merchant_id.empty()) {
    ASSIGN_OR_RETURN(std::optional<PartnerId> partner, txn->MerchantPartner(p.merchant_id));
    if (partner.has_value()) {
      ASSIGN_OR_RETURN(std::optional<PartnerRecord> rec, txn->GetPartner(*partner));
      if (rec.has_value() && !rec->suspended) {
        return RateChoice{rules.partner_merchant_rate_bp, "",
                          absl::StrCat("partner merchant ", rec->name)};
      }
    }
  }
  if (mcc != nullptr) return RateChoice{mcc->rate_bp, "", absl::StrCat("mcc ", p.mcc)};
  return RateChoice{rules.default_rate_bp, "", "default rate"};
}

// What a clearing record reads, for group commit's load: its card's member, its own
// clearing id, a refund's purchase, and the card's total for the month a purchase counts
// against (its occurred_at, or `now` without one). A purchase only adds a lot; a refund
// reverses one.
LockPlan ClearingPlan(const ClearingParams& p, Micros now) {
  LockPlan plan;
  plan.card_ref = p.card_ref;
  plan.clearing_bank = p.bank_id;
  plan.clearing_id = p.clearing_id;
  if (p.refund) {
    plan.original_clearing_id = p.original_clearing_id;
  } else {
    plan.card_month = MonthKey(p.occurred_at != 0 ? p.occurred_at : now);
  }
  plan.takes_from_lots = p.refund;
  return plan;
}

PartnerRequest ClearingRequest(const ClearingParams& p) {
  PartnerRequest req;
  req.partner_id = p.bank_id;
  req.partner_txn_id = absl::StrCat(kClearingTxnPrefix, p.clearing_id);
  req.occurred_at = p.occurred_at;
  return req;
}

// A purchase: earn by the bank's rules, within the card's monthly cap.
absl::Status Purchase(StoreTxn* txn, const ProgramRecord& program, const ClearingParams& p,
                      const std::string& hash, const Clock& clock, ClearingRow* row) {
  ASSIGN_OR_RETURN(std::optional<CardLinkRow> link, txn->FindCardLink(p.card_ref));
  if (!link.has_value() || !link->active || link->bank_id != p.bank_id) {
    row->status = clearing_status::kNoEarn;
    row->reason = "card is not linked to a member";
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(std::optional<BankRulesRow> rules, txn->GetBankRules(p.bank_id));
  if (!rules.has_value()) {
    return WithReason(absl::FailedPreconditionError(
                          "rules: the bank has no earn rules yet (AdminService.SetBankEarnRules)"),
                      reason::kBankRulesNotSet);
  }
  ASSIGN_OR_RETURN(MemberBook book, LockCurrentMember(txn, link->member_id, clock));
  const Micros now = book.now();
  row->posted_at = now;
  row->member_id = book.id();
  ASSIGN_OR_RETURN(RateChoice rate, ChooseRate(txn, *rules, p));
  Points points = 0;
  if (rate.reason.empty()) {
    ASSIGN_OR_RETURN(points, EarnPointsFloor(p.amount_minor, *CurrencyExponent(p.currency),
                                             rate.rate_bp, program.point_value_micros));
  }
  Points credited = points;
  if (rules->monthly_cap_points > 0 && points > 0) {
    ASSIGN_OR_RETURN(Points used, txn->CardPointsInMonth(p.card_ref, row->month_key));
    credited = std::min(points, std::max<Points>(0, rules->monthly_cap_points - used));
    if (credited < points) {
      rate.basis =
          absl::StrCat(rate.basis, ", capped at ", rules->monthly_cap_points, " points a month");
    }
  }
  if (credited == 0) {
    row->status = clearing_status::kNoEarn;
    row->reason = !rate.reason.empty() ? rate.reason
                  : points > 0         ? "monthly cap reached"
                                       : absl::StrCat("earns 0 points (", rate.basis, ")");
    return book.Save();
  }
  TxnRecord rec = NewTxn(ClearingRequest(p), txn_kind::kEarn, book.id(), hash, now);
  rec.amount_minor = p.amount_minor;
  rec.currency = p.currency;
  Posting posting;
  RETURN_IF_ERROR(PostEarn(txn, program, p.bank_id, &book, rec, points, credited, now, &posting));
  row->status = clearing_status::kEarned;
  row->reason = rate.basis;
  row->points = credited;
  row->hub_txn_id = posting.txn_id;
  return absl::OkStatus();
}

// A refund: reverses the purchase's points in proportion to the amount refunded (floor);
// the refund that completes the purchase's amount reverses all that is left.
absl::Status Refund(StoreTxn* txn, const ClearingParams& p, const std::string& hash,
                    const Clock& clock, ClearingRow* row) {
  ASSIGN_OR_RETURN(std::optional<ClearingRow> orig,
                   txn->FindClearing(p.bank_id, p.original_clearing_id));
  if (!orig.has_value() || orig->type != "purchase") {
    row->status = clearing_status::kUnmatched;
    row->reason = absl::StrCat("no purchase with clearing id '", p.original_clearing_id,
                               "': held for review");
    return absl::OkStatus();
  }
  if (orig->card_ref != p.card_ref) {
    return InvalidField("card", "differs from the card of the refunded purchase");
  }
  const int64_t left = orig->amount_minor - orig->refunded_amount_minor;
  if (p.amount_minor > left) {
    return InvalidField("amount.amount_minor",
                        absl::StrCat("refund exceeds the ", left, " left of the purchase"));
  }
  row->month_key = orig->month_key;  // a refund reduces its purchase's month
  row->member_id = orig->member_id;
  RETURN_IF_ERROR(txn->AddClearingRefunded(p.bank_id, orig->clearing_id, p.amount_minor));
  if (orig->status != clearing_status::kEarned) {
    row->status = clearing_status::kNoEarn;
    row->reason = "the purchase earned no points";
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(std::optional<TxnRecord> earn, txn->GetTxn(orig->hub_txn_id));
  LOYALTY_CHECK(earn.has_value());
  ASSIGN_OR_RETURN(MemberBook book, LockCurrentMember(txn, earn->member_id, clock));
  const Micros now = book.now();
  row->posted_at = now;
  ASSIGN_OR_RETURN(earn, txn->GetTxn(orig->hub_txn_id));  // re-read under the member lock
  const Points reversible = earn->points - earn->reversed_points;
  Points points = reversible;
  if (p.amount_minor < left) {
    const __int128 share =
        static_cast<__int128>(orig->points) * p.amount_minor / orig->amount_minor;
    points = std::min<Points>(reversible, static_cast<Points>(share));
  }
  if (points <= 0) {
    row->status = clearing_status::kNoEarn;
    row->reason = "nothing left to reverse";
    return book.Save();
  }
  TxnRecord rec = NewTxn(ClearingRequest(p), txn_kind::kReverseEarn, book.id(), hash, now);
  Posting posting;
  RETURN_IF_ERROR(PostReversal(txn, &book, *earn, rec, points, now, &posting));
  row->member_id = book.id();
  row->status = clearing_status::kReversed;
  row->points = points;
  row->hub_txn_id = posting.txn_id;
  row->reason = absl::StrCat("refund of ", p.amount_minor, " of ", orig->amount_minor);
  return absl::OkStatus();
}

absl::StatusOr<PartnerRecord> RequireIssuer(StoreTxn* txn, PartnerId bank) {
  ASSIGN_OR_RETURN(std::optional<PartnerRecord> p, txn->GetPartner(bank));
  if (!p.has_value())
    return absl::NotFoundError(absl::StrCat("bank_partner_id: no partner ", bank));
  if (p->role != Role::kIssuer) {
    return absl::FailedPreconditionError(
        absl::StrCat("bank_partner_id: partner ", bank, " is not an issuer"));
  }
  return *p;
}

}  // namespace

absl::Status ValidateCardRef(const char* field, const std::string& ref) {
  if (absl::StartsWith(ref, "h:")) {
    const bool hex = ref.size() == 66 && std::all_of(ref.begin() + 2, ref.end(), [](char c) {
                       return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                     });
    if (!hex) return InvalidField(field, "hashed reference must be h: + 64 lower-case hex");
    return absl::OkStatus();
  }
  return ValidateIdempotencyKey(field, ref);
}

absl::Status BankLedger::SetRules(const std::string& actor, PartnerId bank,
                                  const BankRulesRow& rules) {
  auto rate_ok = [](int64_t bp) { return bp >= 0 && bp <= kMaxRateBp; };
  if (!rate_ok(rules.default_rate_bp)) return InvalidField("rules.default_rate_bp", "0..10000");
  if (!rate_ok(rules.partner_merchant_rate_bp)) {
    return InvalidField("rules.partner_merchant_rate_bp", "0..10000");
  }
  if (rules.monthly_cap_points < 0 || rules.monthly_cap_points > kMaxPointsPerRequest) {
    return InvalidField("rules.monthly_cap_points", "must be 0 (none) or positive");
  }
  if (rules.mcc_rules.size() > static_cast<size_t>(kMaxMccRules)) {
    return InvalidField("rules.mcc_rules", "too many");
  }
  std::set<int> seen;
  for (const MccRuleRow& m : rules.mcc_rules) {
    if (m.mcc < 0 || m.mcc > 9999) return InvalidField("rules.mcc_rules.mcc", "must be 0..9999");
    if (!rate_ok(m.rate_bp)) return InvalidField("rules.mcc_rules.rate_bp", "0..10000");
    if (!seen.insert(m.mcc).second) {
      return InvalidField("rules.mcc_rules.mcc", absl::StrCat(m.mcc, " appears twice"));
    }
  }
  return store_->RunInTransaction([&](StoreTxn& txn) -> absl::Status {
    const Micros now = clock_->NowMicros();
    RETURN_IF_ERROR(RequireIssuer(&txn, bank).status());
    ASSIGN_OR_RETURN(std::optional<BankRulesRow> old, txn.GetBankRules(bank));
    RETURN_IF_ERROR(txn.PutBankRules(bank, rules, now));
    return txn.InsertAudit(
        now, actor, "set_bank_earn_rules",
        absl::StrCat("bank=", bank, " default_bp=", rules.default_rate_bp,
                     " partner_bp=", rules.partner_merchant_rate_bp,
                     " cap=", rules.monthly_cap_points, " mcc_rules=", rules.mcc_rules.size()),
        old.has_value() ? AuditJson(*old) : "", AuditJson(rules));
  });
}

absl::StatusOr<BankRulesRow> BankLedger::GetRules(PartnerId bank) {
  BankRulesRow out;
  RETURN_IF_ERROR(store_->RunInTransaction([&](StoreTxn& txn) -> absl::Status {
    RETURN_IF_ERROR(RequireIssuer(&txn, bank).status());
    ASSIGN_OR_RETURN(std::optional<BankRulesRow> rules, txn.GetBankRules(bank));
    if (!rules.has_value()) {
      return WithReason(absl::NotFoundError("rules: none set for this bank"),
                        reason::kBankRulesNotSet);
    }
    out = *rules;
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<bool> BankLedger::RegisterMerchantId(PartnerId partner,
                                                    const std::string& merchant_id) {
  RETURN_IF_ERROR(ValidateMerchantId(merchant_id));
  bool replayed = false;
  RETURN_IF_ERROR(store_->RunInTransaction([&](StoreTxn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<PartnerId> owner, txn.MerchantPartner(merchant_id));
    replayed = owner.has_value() && *owner == partner;
    if (replayed) return absl::OkStatus();
    if (owner.has_value()) {
      return WithReason(absl::AlreadyExistsError("merchant_id: registered by another partner"),
                        reason::kMerchantIdTaken);
    }
    return txn.InsertMerchantId(merchant_id, partner, clock_->NowMicros());
  }));
  return replayed;
}

absl::StatusOr<MemberId> BankLedger::LinkCard(PartnerId bank, const std::string& card_number,
                                              const std::string& card_ref) {
  RETURN_IF_ERROR(ValidateCardNumber("card_number", card_number));
  RETURN_IF_ERROR(ValidateCardRef("card", card_ref));
  MemberId member = 0;
  RETURN_IF_ERROR(store_->RunInTransaction([&](StoreTxn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(CardRecord card, ResolveCard(&txn, "card_number", card_number));
    ASSIGN_OR_RETURN(std::optional<CardLinkRow> link, txn.FindCardLink(card_ref));
    if (link.has_value() && link->active && link->member_id != card.member_id) {
      return WithReason(
          absl::AlreadyExistsError("card: linked to another member; unlink it first"),
          reason::kCardLinkedElsewhere);
    }
    member = card.member_id;
    return txn.PutCardLink({card_ref, bank, member, true}, clock_->NowMicros());
  }));
  return member;
}

absl::Status BankLedger::UnlinkCard(PartnerId bank, const std::string& card_ref) {
  RETURN_IF_ERROR(ValidateCardRef("card", card_ref));
  return store_->RunInTransaction([&](StoreTxn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<CardLinkRow> link, txn.FindCardLink(card_ref));
    if (!link.has_value() || !link->active || link->bank_id != bank) {
      return WithReason(absl::NotFoundError("card: not linked by this bank"),
                        reason::kCardNotLinked);
    }
    link->active = false;
    return txn.PutCardLink(*link, clock_->NowMicros());
  });
}

absl::StatusOr<std::vector<std::string>> BankLedger::ListCards(const std::string& card_number) {
  RETURN_IF_ERROR(ValidateCardNumber("card_number", card_number));
  std::vector<std::string> out;
  RETURN_IF_ERROR(store_->RunInTransaction([&](StoreTxn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(CardRecord card, ResolveCard(&txn, "card_number", card_number));
    ASSIGN_OR_RETURN(out, txn.ActiveCardRefs(card.member_id));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::vector<std::string>> BankLedger::ListCards(const std::string& card_number,
                                                               const std::string& after,
                                                               int limit) {
  RETURN_IF_ERROR(ValidateCardNumber("card_number", card_number));
  if (limit < 1 || limit > kMaxListRows) {
    return InvalidField("page_size", absl::StrCat("must be 1..", kMaxPageSize));
  }
  std::vector<std::string> out;
  RETURN_IF_ERROR(store_->RunInTransaction([&](StoreTxn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(CardRecord card, ResolveCard(&txn, "card_number", card_number));
    ASSIGN_OR_RETURN(out, txn.ActiveCardRefsAfter(card.member_id, after, limit));
    return absl::OkStatus();
  }));
  return out;
}

namespace {

std::string ClearingHash(const ClearingParams& p) {
  return RequestHash(
      "clearing",
      {p.card_ref, absl::StrCat(p.amount_minor), p.currency, absl::StrCat(p.mcc), p.merchant_id,
       p.refund ? "refund" : "purchase", p.original_clearing_id, absl::StrCat(p.occurred_at)});
}

}  // namespace

absl::StatusOr<ClearingOutcome> BankLedger::SubmitClearing(const ClearingParams& p) {
  RETURN_IF_ERROR(ValidateClearing(p));
  const std::string hash = ClearingHash(p);
  ClearingOutcome out;
  RETURN_IF_ERROR(store_->RunInTransaction(
      [&](StoreTxn& txn) -> absl::Status { return PostClearing(txn, p, hash, &out); }));
  return out;
}

std::vector<absl::StatusOr<ClearingOutcome>> BankLedger::SubmitClearings(
    const std::vector<ClearingParams>& records) {
  std::vector<absl::StatusOr<ClearingOutcome>> results(records.size(),
                                                       absl::UnknownError("not run"));
  std::vector<ClearingOutcome> outcomes(records.size());
  std::vector<std::string> hashes(records.size());
  std::vector<size_t> valid;  // indexes of the records that pass validation
  std::vector<std::function<absl::Status(StoreTxn&)>> work;
  std::vector<LockPlan> plans;
  for (size_t i = 0; i < records.size(); ++i) {
    if (absl::Status s = ValidateClearing(records[i]); !s.ok()) {
      results[i] = s;
      continue;
    }
    hashes[i] = ClearingHash(records[i]);
    valid.push_back(i);
    work.push_back([this, &records, &hashes, &outcomes, i](StoreTxn& txn) {
      return PostClearing(txn, records[i], hashes[i], &outcomes[i]);
    });
    plans.push_back(ClearingPlan(records[i], clock_->NowMicros()));
  }
  std::vector<absl::Status> statuses = store_->RunEach(work, plans);
  for (size_t k = 0; k < valid.size(); ++k) {
    const size_t i = valid[k];
    if (statuses[k].ok()) {
      results[i] = outcomes[i];
    } else {
      results[i] = statuses[k];
    }
  }
  return results;
}

absl::Status BankLedger::PostClearing(StoreTxn& txn, const ClearingParams& p,
                                      const std::string& hash, ClearingOutcome* out) {
  const Micros now = clock_->NowMicros();
  ASSIGN_OR_RETURN(std::optional<ClearingRow> seen, txn.FindClearing(p.bank_id, p.clearing_id));
  if (seen.has_value()) {
    if (seen->request_hash != hash) {
      return WithReason(absl::AlreadyExistsError(absl::StrCat(
                            "clearing_id: '", p.clearing_id,
                            "' was already used for a different record")),
                        reason::kIdempotencyMismatch);
    }
    *out = OutcomeOf(*seen, /*replayed=*/true);
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(ProgramRecord program, RequireProgram(&txn));
  if (p.currency != program.currency) {
    return InvalidField("amount.currency",
                        absl::StrCat("the program's currency is ", program.currency));
  }
  ClearingRow row;
  row.bank_id = p.bank_id;
  row.clearing_id = p.clearing_id;
  row.request_hash = hash;
  row.card_ref = p.card_ref;
  row.type = p.refund ? "refund" : "purchase";
  row.amount_minor = p.amount_minor;
  row.mcc = p.mcc;
  row.merchant_id = p.merchant_id;
  row.original_clearing_id = p.original_clearing_id;
  row.occurred_at = p.occurred_at != 0 ? p.occurred_at : now;
  row.posted_at = now;
  row.month_key = MonthKey(row.occurred_at);
  // A record that posts takes its time from its member's lock (MemberBook::Lock).
  RETURN_IF_ERROR(p.refund ? Refund(&txn, p, hash, *clock_, &row)
                           : Purchase(&txn, program, p, hash, *clock_, &row));
  RETURN_IF_ERROR(txn.InsertClearing(row));
  *out = OutcomeOf(row, /*replayed=*/false);
  return absl::OkStatus();
}

absl::StatusOr<CardStatementView> BankLedger::Statement(PartnerId bank, const std::string& card_ref,
                                                        const std::string& month) {
  RETURN_IF_ERROR(ValidateCardRef("card", card_ref));
  int y = 0, m = 0;
  char tail;
  if (month.size() != 7 || std::sscanf(month.c_str(), "%4d-%2d%c", &y, &m, &tail) != 2 || m < 1 ||
      m > 12) {
    return InvalidField("month", "must be YYYY-MM");
  }
  CardStatementView view;
  RETURN_IF_ERROR(store_->RunInTransaction([&](StoreTxn& txn) -> absl::Status {
    view = CardStatementView{card_ref, month, "", {}, 0, 0, 0};
    ASSIGN_OR_RETURN(ProgramRecord program, RequireProgram(&txn));
    view.currency = program.currency;
    ASSIGN_OR_RETURN(std::optional<BankRulesRow> rules, txn.GetBankRules(bank));
    if (rules.has_value()) view.monthly_cap_points = rules->monthly_cap_points;
    ASSIGN_OR_RETURN(std::vector<ClearingRow> rows, txn.CardClearingsInMonth(card_ref, month));
    std::map<std::string, StatementLineView> by_merchant;
    for (const ClearingRow& r : rows) {
      if (r.bank_id != bank || r.status == clearing_status::kUnmatched) continue;
      StatementLineView& line = by_merchant[r.merchant_id];
      line.merchant_id = r.merchant_id;
      if (r.type == "purchase") {
        ++line.purchases;
        line.amount_minor += r.amount_minor;
        line.points_earned += r.points;
      } else {
        line.amount_minor -= r.amount_minor;
        line.points_reversed += r.points;
      }
    }
    for (auto& [merchant, line] : by_merchant) {
      if (!merchant.empty()) {
        ASSIGN_OR_RETURN(std::optional<PartnerId> partner, txn.MerchantPartner(merchant));
        line.partner_id = partner.value_or(0);
      }
      if (line.partner_id != 0) {
        ASSIGN_OR_RETURN(std::optional<PartnerRecord> p, txn.GetPartner(line.partner_id));
        if (p.has_value()) line.partner_name = p->name;
      }
      view.points_earned += line.points_earned;
      view.points_reversed += line.points_reversed;
      view.lines.push_back(line);
    }
    return absl::OkStatus();
  }));
  return view;
}

}  // namespace loyalty
