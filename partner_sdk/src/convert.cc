#include "convert.h"

#include "absl/strings/str_cat.h"

namespace loyalty::sdk::internal {

v1::Money ToProto(const Money& m) {
  v1::Money out;
  out.set_amount_minor(m.amount_minor);
  out.set_currency(m.currency);
  return out;
}

Money FromProto(const v1::Money& m) { return Money{m.amount_minor(), m.currency()}; }

PostingResult FromProto(const v1::PostingResult& r, const std::string& partner_txn_id) {
  PostingResult out;
  out.partner_txn_id = partner_txn_id;
  out.hub_txn_id = r.hub_txn_id();
  out.points = r.points();
  out.balance_after = r.balance_after();
  out.available_after = r.available_after();
  out.replayed = r.replayed();
  return out;
}

Balance FromProto(const v1::Balance& b) {
  Balance out;
  out.member_id = b.member_id();
  out.balance = b.balance();
  out.available = b.available();
  out.held = b.held();
  out.debt = b.debt();
  out.next_expiry_points = b.next_expiry_points();
  out.next_expiry_at_micros = b.next_expiry_at_micros();
  out.pending = b.pending();
  out.tier = b.tier();
  out.spend_12m_minor = b.spend_12m_minor();
  out.next_tier = b.next_tier();
  out.next_tier_threshold_minor = b.next_tier_threshold_minor();
  return out;
}

EarnBreakdown FromProto(const v1::EarnBreakdown& b) {
  EarnBreakdown out;
  out.base_points = b.base_points();
  out.tier = b.tier();
  out.tier_bonus_points = b.tier_bonus_points();
  out.capped = b.capped();
  out.uncapped_points = b.uncapped_points();
  for (const v1::PromotionBonus& p : b.promotions()) {
    out.promotions.push_back(
        PromotionBonus{p.promotion_id(), p.name(), p.points(), p.funder_partner_id()});
  }
  out.pending_until_micros = b.pending_until_micros();
  return out;
}

Transaction FromProto(const v1::Transaction& t) {
  Transaction out;
  out.hub_txn_id = t.hub_txn_id();
  out.partner_txn_id = t.partner_txn_id();
  out.kind = t.kind();
  out.member_id = t.member_id();
  out.points = t.points();
  out.amount = FromProto(t.amount());
  out.posted_at_micros = t.posted_at_micros();
  out.occurred_at_micros = t.occurred_at_micros();
  out.original_partner_txn_id = t.original_partner_txn_id();
  return out;
}

// The enums share their numbers by construction (types.h mirrors common.proto).
v1::Role ToProto(Role r) { return static_cast<v1::Role>(static_cast<int>(r)); }

Role FromProto(v1::Role r) {
  const int n = static_cast<int>(r);
  return n >= 0 && n <= static_cast<int>(Role::kFinance) ? static_cast<Role>(n)
                                                         : Role::kUnspecified;
}

v1::PartnerLimits ToProto(const PartnerLimits& l) {
  v1::PartnerLimits out;
  out.set_max_points_per_txn(l.max_points_per_txn);
  out.set_max_points_per_member_day(l.max_points_per_member_day);
  return out;
}

Partner FromProto(const v1::Partner& p) {
  Partner out;
  out.partner_id = p.partner_id();
  out.name = p.name();
  out.category = p.category();
  out.role = FromProto(p.role());
  out.earn_rate_bp = p.earn_rate_bp();
  out.limits.max_points_per_txn = p.limits().max_points_per_txn();
  out.limits.max_points_per_member_day = p.limits().max_points_per_member_day();
  out.suspended = p.suspended();
  out.created_at_micros = p.created_at_micros();
  out.return_window_days = p.return_window_days();
  return out;
}

v1::Program ToProto(const Program& p) {
  v1::Program out;
  out.set_point_value_micros(p.point_value_micros);
  out.set_currency(p.currency);
  out.set_expiry_months(p.expiry_months);
  out.set_hold_timeout_seconds(p.hold_timeout_seconds);
  out.set_expiry_policy(static_cast<v1::ExpiryPolicy>(static_cast<int>(p.expiry_policy)));
  out.set_expiry_years(p.expiry_years);
  out.set_time_zone(p.time_zone);
  out.set_min_redemption_points(p.min_redemption_points);
  out.set_pin_threshold_points(p.pin_threshold_points);
  out.set_pause_expiry_for_cobranded(p.pause_expiry_for_cobranded);
  out.set_max_earn_amount_minor(p.max_earn_amount_minor);
  out.set_max_earns_per_card_hour(p.max_earns_per_card_hour);
  return out;
}

Program FromProto(const v1::Program& p) {
  Program out;
  out.point_value_micros = p.point_value_micros();
  out.currency = p.currency();
  out.expiry_months = p.expiry_months();
  out.hold_timeout_seconds = p.hold_timeout_seconds();
  out.expiry_policy = p.expiry_policy() == v1::EXPIRY_POLICY_END_OF_YEAR
                          ? ExpiryPolicy::kEndOfYear
                          : ExpiryPolicy::kMonthsAfterEarn;
  out.expiry_years = p.expiry_years();
  out.time_zone = p.time_zone();
  out.min_redemption_points = p.min_redemption_points();
  out.pin_threshold_points = p.pin_threshold_points();
  out.pause_expiry_for_cobranded = p.pause_expiry_for_cobranded();
  out.max_earn_amount_minor = p.max_earn_amount_minor();
  out.max_earns_per_card_hour = p.max_earns_per_card_hour();
  return out;
}

v1::Tier ToProto(const Tier& t) {
  v1::Tier out;
  out.set_name(t.name);
  out.set_threshold_minor(t.threshold_minor);
  out.set_multiplier_bp(t.multiplier_bp);
  return out;
}

Tier FromProto(const v1::Tier& t) { return Tier{t.name(), t.threshold_minor(), t.multiplier_bp()}; }

// PromotionKind and PromotionScope share their numbers with admin.proto by construction.
v1::Promotion ToProto(const Promotion& p) {
  v1::Promotion out;
  out.set_name(p.name);
  out.set_funder_partner_id(p.funder_partner_id);
  out.set_scope(static_cast<v1::PromotionScope>(static_cast<int>(p.scope)));
  out.set_scope_value(p.scope_value);
  out.set_kind(static_cast<v1::PromotionKind>(static_cast<int>(p.kind)));
  out.set_starts_at_micros(p.starts_at_micros);
  out.set_ends_at_micros(p.ends_at_micros);
  out.set_multiplier_bp(p.multiplier_bp);
  out.set_bonus_points(p.bonus_points);
  out.set_min_spend_minor(p.min_spend_minor);
  out.set_every_n(p.every_n);
  out.set_distinct_partners(p.distinct_partners);
  out.set_window_days(p.window_days);
  return out;
}

Promotion FromProto(const v1::Promotion& p) {
  Promotion out;
  out.promotion_id = p.promotion_id();
  out.name = p.name();
  out.funder_partner_id = p.funder_partner_id();
  const int scope = static_cast<int>(p.scope());
  out.scope = scope >= 0 && scope <= static_cast<int>(PromotionScope::kTier)
                  ? static_cast<PromotionScope>(scope)
                  : PromotionScope::kAll;
  out.scope_value = p.scope_value();
  const int kind = static_cast<int>(p.kind());
  out.kind = kind >= 0 && kind <= static_cast<int>(PromotionKind::kCrossPartner)
                 ? static_cast<PromotionKind>(kind)
                 : PromotionKind::kUnspecified;
  out.starts_at_micros = p.starts_at_micros();
  out.ends_at_micros = p.ends_at_micros();
  out.multiplier_bp = p.multiplier_bp();
  out.bonus_points = p.bonus_points();
  out.min_spend_minor = p.min_spend_minor();
  out.every_n = p.every_n();
  out.distinct_partners = p.distinct_partners();
  out.window_days = p.window_days();
  out.ended = p.ended();
  return out;
}

v1::EarnRequest ToProto(const EarnParams& p) {
  v1::EarnRequest out;
  out.set_partner_txn_id(p.partner_txn_id);
  out.set_card_number(p.card_number);
  *out.mutable_amount() = ToProto(p.amount);
  out.set_points(p.points);
  out.set_occurred_at_micros(p.occurred_at_micros);
  return out;
}

namespace {

// Redeem and AuthorizeRedemption take the same fields.
template <typename Request>
Request ToRedemptionRequest(const RedeemParams& p) {
  Request out;
  out.set_partner_txn_id(p.partner_txn_id);
  out.set_card_number(p.card_number);
  out.set_points(p.points);
  out.set_occurred_at_micros(p.occurred_at_micros);
  out.set_pin(p.pin);
  return out;
}

}  // namespace

v1::RedeemRequest ToRedeemProto(const RedeemParams& p) {
  return ToRedemptionRequest<v1::RedeemRequest>(p);
}

v1::AuthorizeRedemptionRequest ToAuthorizeProto(const RedeemParams& p) {
  return ToRedemptionRequest<v1::AuthorizeRedemptionRequest>(p);
}

v1::CaptureRedemptionRequest ToProto(const CaptureRedemptionParams& p) {
  v1::CaptureRedemptionRequest out;
  out.set_partner_txn_id(p.partner_txn_id);
  out.set_authorization_partner_txn_id(p.authorization_partner_txn_id);
  out.set_points(p.points);
  out.set_occurred_at_micros(p.occurred_at_micros);
  return out;
}

v1::ReverseRequest ToProto(const ReverseParams& p) {
  v1::ReverseRequest out;
  out.set_partner_txn_id(p.partner_txn_id);
  out.set_original_partner_txn_id(p.original_partner_txn_id);
  out.set_points(p.points);
  out.set_occurred_at_micros(p.occurred_at_micros);
  return out;
}

v1::BankEarnRules ToProto(const BankEarnRules& r) {
  v1::BankEarnRules out;
  out.set_default_rate_bp(r.default_rate_bp);
  out.set_partner_merchant_rate_bp(r.partner_merchant_rate_bp);
  out.set_monthly_cap_points(r.monthly_cap_points);
  for (const MccRule& m : r.mcc_rules) {
    v1::MccRule* rule = out.add_mcc_rules();
    rule->set_mcc(m.mcc);
    rule->set_rate_bp(m.rate_bp);
    rule->set_excluded(m.excluded);
  }
  return out;
}

BankEarnRules FromProto(const v1::BankEarnRules& r) {
  BankEarnRules out;
  out.default_rate_bp = r.default_rate_bp();
  out.partner_merchant_rate_bp = r.partner_merchant_rate_bp();
  out.monthly_cap_points = r.monthly_cap_points();
  for (const v1::MccRule& m : r.mcc_rules()) {
    out.mcc_rules.push_back(MccRule{m.mcc(), m.rate_bp(), m.excluded()});
  }
  return out;
}

absl::Status CheckCardRef(const char* field, const CardRef& c) {
  if (c.token.empty() == c.pan.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": set exactly one of token and pan"));
  }
  return absl::OkStatus();
}

v1::CardRef ToProto(const CardRef& c) {
  v1::CardRef out;
  if (!c.pan.empty()) {
    out.set_pan(c.pan);
  } else {
    out.set_token(c.token);
  }
  return out;
}

void ToProto(const ClearingRecord& r, v1::ClearingRecord* out) {
  out->Clear();
  out->set_clearing_id(r.clearing_id);
  *out->mutable_card() = ToProto(r.card);
  *out->mutable_amount() = ToProto(r.amount);
  out->set_mcc(r.mcc);
  out->set_merchant_id(r.merchant_id);
  out->set_type(static_cast<v1::ClearingType>(r.type));
  out->set_original_clearing_id(r.original_clearing_id);
  out->set_occurred_at_micros(r.occurred_at_micros);
}

ClearingResult FromProto(const v1::ClearingResult& r) {
  ClearingResult out;
  out.clearing_id = r.clearing_id();
  out.status =
      r.status() >= v1::CLEARING_STATUS_EARNED && r.status() <= v1::CLEARING_STATUS_REJECTED
          ? static_cast<ClearingStatus>(r.status())
          : ClearingStatus::kUnspecified;
  out.points = r.points();
  out.reason = r.reason();
  out.hub_txn_id = r.hub_txn_id();
  out.replayed = r.replayed();
  out.code = static_cast<absl::StatusCode>(r.code());
  out.error_reason = r.error_reason();
  out.field = r.field();
  return out;
}

CardStatement FromProto(const v1::CardStatement& s) {
  CardStatement out;
  out.card_ref = s.card_ref();
  out.month = s.month();
  out.currency = s.currency();
  out.points_earned = s.points_earned();
  out.points_reversed = s.points_reversed();
  out.monthly_cap_points = s.monthly_cap_points();
  for (const v1::StatementLine& l : s.lines()) {
    out.lines.push_back(StatementLine{l.merchant_id(), l.partner_id(), l.purchases(),
                                      l.amount_minor(), l.points_earned(), l.points_reversed(),
                                      l.partner_name()});
  }
  return out;
}

}  // namespace loyalty::sdk::internal
