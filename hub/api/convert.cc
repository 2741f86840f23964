#include "hub/api/convert.h"

#include "absl/strings/str_cat.h"
#include "hub/ledger/validate.h"

namespace loyalty {

void ToProto(const Posting& p, v1::PostingResult* out) {
  out->set_hub_txn_id(p.txn_id);
  out->set_points(p.points);
  out->set_balance_after(p.balance_after);
  out->set_available_after(p.available_after);
  out->set_replayed(p.replayed);
}

void ToProto(const PartnerRecord& p, v1::Partner* out) {
  out->set_partner_id(p.id);
  out->set_name(p.name);
  out->set_category(p.category);
  out->set_role(ToProto(p.role));
  out->set_earn_rate_bp(p.earn_rate_bp);
  out->mutable_limits()->set_max_points_per_txn(p.max_points_per_txn);
  out->mutable_limits()->set_max_points_per_member_day(p.max_points_per_member_day);
  out->set_suspended(p.suspended);
  out->set_created_at_micros(p.created_at);
  out->set_return_window_days(p.return_window_days);
}

void ToProto(const ProgramRecord& p, v1::Program* out) {
  out->set_point_value_micros(p.point_value_micros);
  out->set_currency(p.currency);
  out->set_expiry_months(p.expiry_months);
  out->set_hold_timeout_seconds(p.hold_timeout_seconds);
  out->set_expiry_policy(p.expiry_policy == expiry_policy::kEndOfYear
                             ? v1::EXPIRY_POLICY_END_OF_YEAR
                             : v1::EXPIRY_POLICY_MONTHS_AFTER_EARN);
  out->set_expiry_years(p.expiry_years);
  out->set_time_zone(p.time_zone);
  out->set_min_redemption_points(p.min_redemption_points);
  out->set_pin_threshold_points(p.pin_threshold_points);
  out->set_pause_expiry_for_cobranded(p.pause_expiry_for_cobranded);
  out->set_max_earn_amount_minor(p.max_earn_amount_minor);
  out->set_max_earns_per_card_hour(p.max_earns_per_card_hour);
}

ProgramRecord FromProto(const v1::Program& p) {
  ProgramRecord r;
  r.point_value_micros = p.point_value_micros();
  r.currency = p.currency();
  r.expiry_months = p.expiry_months();
  r.hold_timeout_seconds = p.hold_timeout_seconds();
  switch (p.expiry_policy()) {
    case v1::EXPIRY_POLICY_MONTHS_AFTER_EARN:
      r.expiry_policy = expiry_policy::kMonthsAfterEarn;
      break;
    case v1::EXPIRY_POLICY_END_OF_YEAR:
      r.expiry_policy = expiry_policy::kEndOfYear;
      break;
    default:  // a value this hub does not know: the ledger rejects program.expiry_policy
      r.expiry_policy = absl::StrCat("unknown:", p.expiry_policy());
      break;
  }
  r.expiry_years = p.expiry_years();
  r.time_zone = p.time_zone().empty() ? "UTC" : p.time_zone();
  r.min_redemption_points = p.min_redemption_points();
  r.pin_threshold_points = p.pin_threshold_points();
  r.pause_expiry_for_cobranded = p.pause_expiry_for_cobranded();
  r.max_earn_amount_minor = p.max_earn_amount_minor();
  r.max_earns_per_card_hour = p.max_earns_per_card_hour();
  return r;
}

void ToProto(const Posting& p, v1::EarnBreakdown* out) {
  out->set_base_points(p.base_points);
  out->set_tier(p.tier);
  out->set_tier_bonus_points(p.tier_bonus);
  out->set_capped(p.capped);
  out->set_uncapped_points(p.uncapped_points);
  out->set_pending_until_micros(p.pending_until);
  for (const Posting::Bonus& b : p.bonuses) {
    v1::PromotionBonus* pb = out->add_promotions();
    pb->set_promotion_id(b.promotion_id);
    pb->set_name(b.name);
    pb->set_points(b.points);
    pb->set_funder_partner_id(b.funder_id);
  }
}

namespace {
const char* ScopeName(v1::PromotionScope s) {
  switch (s) {
    case v1::PROMOTION_SCOPE_PARTNER:
      return "partner";
    case v1::PROMOTION_SCOPE_CATEGORY:
      return "category";
    case v1::PROMOTION_SCOPE_TIER:
      return "tier";
    case v1::PROMOTION_SCOPE_ALL:
      return "all";
    default:
      return "";  // a value this hub does not know: the ledger rejects it
  }
}
}  // namespace

absl::StatusOr<PromotionRow> FromProto(const v1::Promotion& p) {
  PromotionRow r;
  r.name = p.name();
  r.funder_id = p.funder_partner_id();
  r.scope = ScopeName(p.scope());
  r.scope_value = p.scope_value();
  switch (p.kind()) {
    case v1::PROMOTION_KIND_MULTIPLIER:
      r.kind = promotion_kind::kMultiplier;
      break;
    case v1::PROMOTION_KIND_FIXED:
      r.kind = promotion_kind::kFixed;
      break;
    case v1::PROMOTION_KIND_STAMP:
      r.kind = promotion_kind::kStamp;
      break;
    case v1::PROMOTION_KIND_CROSS_PARTNER:
      r.kind = promotion_kind::kCrossPartner;
      break;
    default:
      return InvalidField("promotion.kind", "must name a kind");
  }
  r.starts_at = p.starts_at_micros();
  r.ends_at = p.ends_at_micros();
  r.multiplier_bp = p.multiplier_bp();
  r.bonus_points = p.bonus_points();
  r.min_spend_minor = p.min_spend_minor();
  r.every_n = p.every_n();
  r.distinct_partners = p.distinct_partners();
  r.window_days = p.window_days();
  return r;
}

void ToProto(const TierRow& t, v1::Tier* out) {
  out->set_name(t.name);
  out->set_threshold_minor(t.threshold_minor);
  out->set_multiplier_bp(t.multiplier_bp);
}

void ToProto(const PromotionRow& r, v1::Promotion* p) {
  p->set_promotion_id(r.id);
  p->set_name(r.name);
  p->set_funder_partner_id(r.funder_id);
  p->set_scope(r.scope == "partner"    ? v1::PROMOTION_SCOPE_PARTNER
               : r.scope == "category" ? v1::PROMOTION_SCOPE_CATEGORY
               : r.scope == "tier"     ? v1::PROMOTION_SCOPE_TIER
                                       : v1::PROMOTION_SCOPE_ALL);
  p->set_scope_value(r.scope_value);
  p->set_kind(r.kind == promotion_kind::kMultiplier ? v1::PROMOTION_KIND_MULTIPLIER
              : r.kind == promotion_kind::kFixed    ? v1::PROMOTION_KIND_FIXED
              : r.kind == promotion_kind::kStamp    ? v1::PROMOTION_KIND_STAMP
                                                    : v1::PROMOTION_KIND_CROSS_PARTNER);
  p->set_starts_at_micros(r.starts_at);
  p->set_ends_at_micros(r.ends_at);
  p->set_multiplier_bp(r.multiplier_bp);
  p->set_bonus_points(r.bonus_points);
  p->set_min_spend_minor(r.min_spend_minor);
  p->set_every_n(r.every_n);
  p->set_distinct_partners(r.distinct_partners);
  p->set_window_days(r.window_days);
  p->set_ended(r.ended);
}

void ToProto(const BalanceView& b, v1::Balance* out) {
  out->set_member_id(b.member_id);
  out->set_balance(b.balance);
  out->set_available(b.available);
  out->set_held(b.held);
  out->set_debt(b.debt);
  out->set_next_expiry_points(b.next_expiry_points);
  out->set_next_expiry_at_micros(b.next_expiry_at);
  out->set_pending(b.pending);
  out->set_tier(b.tier);
  out->set_spend_12m_minor(b.spend_12m_minor);
  out->set_next_tier(b.next_tier);
  out->set_next_tier_threshold_minor(b.next_tier_threshold_minor);
}

void ToProto(const TxnRecord& t, v1::Transaction* out) {
  out->set_hub_txn_id(t.id);
  out->set_partner_txn_id(t.partner_txn_id);
  out->set_kind(t.kind);
  out->set_member_id(t.member_id);
  out->set_points(t.points);
  if (!t.currency.empty()) {
    out->mutable_amount()->set_amount_minor(t.amount_minor);
    out->mutable_amount()->set_currency(t.currency);
  }
  out->set_posted_at_micros(t.posted_at);
  out->set_occurred_at_micros(t.occurred_at);
  out->set_original_partner_txn_id(t.original_partner_txn_id);
}

v1::Role ToProto(Role role) {
  switch (role) {
    case Role::kMerchant:
      return v1::ROLE_MERCHANT;
    case Role::kIssuer:
      return v1::ROLE_ISSUER;
    case Role::kAdmin:
      return v1::ROLE_ADMIN;
    case Role::kFinance:
      return v1::ROLE_FINANCE;
  }
  return v1::ROLE_UNSPECIFIED;
}

absl::StatusOr<Role> FromProto(v1::Role role, const char* field) {
  switch (role) {
    case v1::ROLE_MERCHANT:
      return Role::kMerchant;
    case v1::ROLE_ISSUER:
      return Role::kIssuer;
    case v1::ROLE_ADMIN:
      return Role::kAdmin;
    case v1::ROLE_FINANCE:
      return Role::kFinance;
    default:
      return InvalidField(field, "must name a role");
  }
}

PartnerRequest ToPartnerRequest(const Principal& caller, const std::string& partner_txn_id,
                                int64_t occurred_at_micros) {
  PartnerRequest req;
  req.partner_id = caller.partner_id;
  req.partner_txn_id = partner_txn_id;
  req.occurred_at = occurred_at_micros;
  return req;
}

}  // namespace loyalty
