#include "settlement/compute.h"

#include <cstdlib>
#include <set>

#include "absl/strings/str_cat.h"
#include "hub/common/secure_random.h"
#include "hub/common/status_macros.h"

namespace loyalty::settlement {
namespace {

Points Get(const std::map<PartnerId, Points>& m, PartnerId k) {
  auto it = m.find(k);
  return it == m.end() ? 0 : it->second;
}

PartnerTerms TermsOf(const SettlementConfig& c, PartnerId p) {
  auto it = c.terms.find(p);
  return it == c.terms.end() ? PartnerTerms{} : it->second;
}

absl::StatusOr<Line> MakeLine(const char* kind, PartnerId payer, PartnerId payee, Points points,
                              int64_t price_micros, int exponent) {
  Line l;
  l.kind = kind;
  l.payer = payer;
  l.payee = payee;
  l.points = points;
  l.price_micros = price_micros;
  l.internal = payer == payee;
  ASSIGN_OR_RETURN(l.amount_minor, ValueMinorHalfEven(points, price_micros, exponent));
  return l;
}

// Step 2, operator model: funders pay the operator for points issued; the operator pays
// redeemers for till redemptions. Cover and debt repayment move no money.
absl::StatusOr<std::vector<Line>> OperatorLines(const SettlementConfig& c, const Quantities& q,
                                                int exponent) {
  std::vector<Line> lines;
  for (const auto& [funder, points] : q.issued) {
    if (points == 0 || funder == kOperatorId) continue;
    ASSIGN_OR_RETURN(Line l, MakeLine("issue", funder, kOperatorId, points,
                                      TermsOf(c, funder).issue_price_micros, exponent));
    lines.push_back(l);
  }
  for (const auto& [redeemer, points] : q.till) {
    if (points == 0 || redeemer == kOperatorId) continue;
    ASSIGN_OR_RETURN(Line l, MakeLine("redemption", kOperatorId, redeemer, points,
                                      TermsOf(c, redeemer).redeem_value_micros, exponent));
    lines.push_back(l);
  }
  return lines;
}

// Step 2, funder_pays model: each funder pays each redeemer for the points consumed
// there, and the operator a fee per point issued.
absl::StatusOr<std::vector<Line>> FunderPaysLines(const SettlementConfig& c,
                                                  const Quantities& q, int exponent) {
  std::vector<Line> lines;
  for (const auto& [pair, points] : q.consumed) {
    if (points == 0) continue;
    const auto [funder, redeemer] = pair;
    ASSIGN_OR_RETURN(Line l, MakeLine("redemption", funder, redeemer, points,
                                      TermsOf(c, redeemer).redeem_value_micros, exponent));
    lines.push_back(l);
  }
  for (const auto& [funder, points] : q.issued) {
    if (points == 0 || funder == kOperatorId) continue;
    ASSIGN_OR_RETURN(Line l, MakeLine("fee", funder, kOperatorId, points,
                                      TermsOf(c, funder).fee_per_point_micros, exponent));
    lines.push_back(l);
  }
  return lines;
}

// Step 3: net positions (received - paid) and one payment per participant through the
// hub.
absl::Status NetAndPay(Settlement* s) {
  std::map<PartnerId, NetPosition> pos;
  for (const Participant& p : s->participants) pos[p.id].participant = p.id;
  for (const Line& l : s->lines) {
    if (l.internal) continue;
    pos[l.payee].participant = l.payee;
    pos[l.payer].participant = l.payer;
    ASSIGN_OR_RETURN(pos[l.payee].received_minor,
                     CheckedAdd(pos[l.payee].received_minor, l.amount_minor, "received"));
    ASSIGN_OR_RETURN(pos[l.payer].paid_minor,
                     CheckedAdd(pos[l.payer].paid_minor, l.amount_minor, "paid"));
    ASSIGN_OR_RETURN(s->gross_total_minor,
                     CheckedAdd(s->gross_total_minor, std::llabs(l.amount_minor), "gross"));
  }
  int64_t sum = 0;
  for (auto& [id, p] : pos) {
    p.net_minor = p.received_minor - p.paid_minor;
    sum += p.net_minor;
    s->positions.push_back(p);
    if (p.net_minor == 0) continue;
    Payment pay;
    pay.participant = id;
    pay.to_hub = p.net_minor < 0;
    pay.amount_minor = std::llabs(p.net_minor);
    if (pay.to_hub) s->net_total_minor += pay.amount_minor;
    s->payments.push_back(pay);
  }
  if (sum != 0) {
    return absl::InternalError(absl::StrCat("net positions sum to ", sum, ", not 0"));
  }
  return absl::OkStatus();
}

// Step 4: per funder, opening + earned - reversed - consumed - expired = closing, which
// must equal the funder's lots' remaining at the period end.
absl::Status RollForwardAll(const Quantities& q, const ProgramFacts& program, int exponent,
                            Settlement* s) {
  std::set<PartnerId> funders;
  for (const auto* m : {&q.opening, &q.earned, &q.reversed, &q.expired, &q.closing_from_lots}) {
    for (const auto& [f, p] : *m) funders.insert(f);
  }
  std::map<PartnerId, Points> consumed;
  for (const auto& [pair, points] : q.consumed) consumed[pair.first] += points;
  for (PartnerId f : funders) {
    RollForward r;
    r.funder = f;
    r.opening = Get(q.opening, f);
    r.earned = Get(q.earned, f);
    r.reversed = Get(q.reversed, f);
    r.consumed = Get(consumed, f);
    r.expired = Get(q.expired, f);
    r.closing = r.opening + r.earned - r.reversed - r.consumed - r.expired;
    if (r.closing != Get(q.closing_from_lots, f)) {
      return absl::InternalError(absl::StrCat("roll-forward of funder ", f, " closes on ",
                                              r.closing, " but its lots hold ",
                                              Get(q.closing_from_lots, f)));
    }
    if (r.opening == 0 && r.earned == 0 && r.reversed == 0 && r.consumed == 0 &&
        r.expired == 0 && r.closing == 0) {
      continue;
    }
    ASSIGN_OR_RETURN(r.opening_value_minor,
                     ValueMinorHalfEven(r.opening, program.point_value_micros, exponent));
    ASSIGN_OR_RETURN(r.closing_value_minor,
                     ValueMinorHalfEven(r.closing, program.point_value_micros, exponent));
    const Points leaving = r.consumed + r.expired;
    if (leaving > 0 && r.expired > 0) {
      // expired * 10000 / leaving, half-even, in 128 bits.
      const __int128 num = static_cast<__int128>(r.expired) * 10000;
      __int128 bp = num / leaving;
      const __int128 rem = num % leaving;
      if (2 * rem > leaving || (2 * rem == leaving && bp % 2 != 0)) ++bp;
      r.breakage_rate_bp = static_cast<int64_t>(bp);
    }
    s->roll_forward.push_back(r);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Quantities> ComputeQuantities(const PeriodFacts& facts) {
  Quantities q;
  for (const FlowRow& f : facts.flows) {
    const PartnerId r = f.redeemer_id.value_or(kOperatorId);
    if (f.kind == consumption_kind::kReverseOwn) {
      q.reversed[f.funder_id] += f.points;
    } else if (f.kind == consumption_kind::kRedeem || f.kind == consumption_kind::kRestore) {
      q.consumed[{f.funder_id, r}] += f.points;  // restores are negative
      q.till[r] += f.points;
    } else if (f.kind == consumption_kind::kReverseCover ||
               f.kind == consumption_kind::kDebtRepay || f.kind == consumption_kind::kAdjust) {
      q.consumed[{f.funder_id, r}] += f.points;
    } else if (f.kind == consumption_kind::kExpire) {
      q.expired[f.funder_id] += f.points;
    } else {
      return absl::InternalError(absl::StrCat("unknown consumption kind '", f.kind, "'"));
    }
  }
  q.earned = facts.lots_earned;
  for (const auto& [f, p] : facts.lots_earned) q.issued[f] += p;
  for (const auto& [f, p] : facts.earn_reversals) q.issued[f] -= p;
  q.opening = facts.remaining_at_start;
  q.closing_from_lots = facts.remaining_at_end;
  return q;
}

absl::StatusOr<Settlement> ComputeSettlement(const SettlementConfig& config,
                                             const ProgramFacts& program,
                                             const std::vector<Participant>& participants,
                                             const Period& period, const Quantities& q) {
  const std::optional<int> exponent = CurrencyExponent(program.currency);
  if (!exponent.has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat("program currency '", program.currency, "' is not supported"));
  }
  Settlement s;
  s.status = "draft";
  s.period = period;
  s.model = config.model;
  s.currency = program.currency;
  s.currency_exponent = *exponent;
  s.point_value_micros = program.point_value_micros;
  s.participants = participants;
  s.quantities = q;
  if (config.model == Model::kOperator) {
    ASSIGN_OR_RETURN(s.lines, OperatorLines(config, q, *exponent));
  } else {
    ASSIGN_OR_RETURN(s.lines, FunderPaysLines(config, q, *exponent));
  }
  RETURN_IF_ERROR(NetAndPay(&s));
  RETURN_IF_ERROR(RollForwardAll(q, program, *exponent, &s));
  s.checksum = LinesChecksum(s.lines);
  return s;
}

std::string LinesChecksum(const std::vector<Line>& lines) {
  std::string csv = "kind,payer,payee,points,price_micros,amount_minor,internal\n";
  for (const Line& l : lines) {
    absl::StrAppend(&csv, l.kind, ",", l.payer, ",", l.payee, ",", l.points, ",",
                    l.price_micros, ",", l.amount_minor, ",", l.internal ? 1 : 0, "\n");
  }
  return Sha256Hex(csv);
}

const char* ModelName(Model m) { return m == Model::kOperator ? "operator" : "funder_pays"; }

}  // namespace loyalty::settlement
