#include "hub/store/audit.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"

namespace loyalty {
namespace {

// A JSON string (nlohmann's escaping); invalid UTF-8 becomes U+FFFD, never an error.
std::string Quoted(absl::string_view s) {
  return nlohmann::json(std::string(s)).dump(-1, ' ', false,
                                             nlohmann::json::error_handler_t::replace);
}

}  // namespace

void AuditState::Key(absl::string_view key) {
  if (!body_.empty()) body_ += ",";
  absl::StrAppend(&body_, Quoted(key), ":");
}

AuditState& AuditState::Int(absl::string_view key, int64_t value) {
  Key(key);
  absl::StrAppend(&body_, value);
  return *this;
}

AuditState& AuditState::Text(absl::string_view key, absl::string_view value) {
  Key(key);
  body_ += Quoted(value);
  return *this;
}

AuditState& AuditState::Bool(absl::string_view key, bool value) {
  Key(key);
  body_ += value ? "true" : "false";
  return *this;
}

AuditState& AuditState::Raw(absl::string_view key, absl::string_view json) {
  Key(key);
  absl::StrAppend(&body_, json);
  return *this;
}

std::string AuditJson(const PartnerRecord& p) {
  return AuditState()
      .Int("id", p.id)
      .Text("name", p.name)
      .Text("category", p.category)
      .Int("role", static_cast<int>(p.role))
      .Int("earn_rate_bp", p.earn_rate_bp)
      .Int("max_points_per_txn", p.max_points_per_txn)
      .Int("max_points_per_member_day", p.max_points_per_member_day)
      .Int("return_window_days", p.return_window_days)
      .Bool("suspended", p.suspended)
      .Json();
}

std::string AuditJson(const ProgramRecord& p) {
  return AuditState()
      .Int("point_value_micros", p.point_value_micros)
      .Text("currency", p.currency)
      .Text("expiry_policy", p.expiry_policy)
      .Int("expiry_months", p.expiry_months)
      .Int("expiry_years", p.expiry_years)
      .Int("hold_timeout_seconds", p.hold_timeout_seconds)
      .Text("time_zone", p.time_zone)
      .Int("min_redemption_points", p.min_redemption_points)
      .Int("pin_threshold_points", p.pin_threshold_points)
      .Bool("pause_expiry_for_cobranded", p.pause_expiry_for_cobranded)
      .Int("max_earn_amount_minor", p.max_earn_amount_minor)
      .Int("max_earns_per_card_hour", p.max_earns_per_card_hour)
      .Json();
}

std::string AuditJson(const std::vector<TierRow>& tiers) {
  std::string list;
  for (const TierRow& t : tiers) {
    if (!list.empty()) list += ",";
    list += AuditState()
                .Text("name", t.name)
                .Int("threshold_minor", t.threshold_minor)
                .Int("multiplier_bp", t.multiplier_bp)
                .Json();
  }
  return AuditState().Raw("tiers", absl::StrCat("[", list, "]")).Json();
}

std::string AuditJson(const PromotionRow& p) {
  return AuditState()
      .Int("id", p.id)
      .Text("name", p.name)
      .Int("funder_id", p.funder_id)
      .Text("scope", p.scope)
      .Text("scope_value", p.scope_value)
      .Text("kind", p.kind)
      .Int("starts_at", p.starts_at)
      .Int("ends_at", p.ends_at)
      .Int("multiplier_bp", p.multiplier_bp)
      .Int("bonus_points", p.bonus_points)
      .Int("min_spend_minor", p.min_spend_minor)
      .Int("every_n", p.every_n)
      .Int("distinct_partners", p.distinct_partners)
      .Int("window_days", p.window_days)
      .Bool("ended", p.ended)
      .Json();
}

std::string AuditJson(const BankRulesRow& r) {
  std::string list;
  for (const MccRuleRow& m : r.mcc_rules) {
    if (!list.empty()) list += ",";
    list += AuditState()
                .Int("mcc", m.mcc)
                .Int("rate_bp", m.rate_bp)
                .Bool("excluded", m.excluded)
                .Json();
  }
  return AuditState()
      .Int("default_rate_bp", r.default_rate_bp)
      .Int("partner_merchant_rate_bp", r.partner_merchant_rate_bp)
      .Int("monthly_cap_points", r.monthly_cap_points)
      .Raw("mcc_rules", absl::StrCat("[", list, "]"))
      .Json();
}

std::string AuditJson(const SettlementConfigRow& c) {
  return AuditState()
      .Text("model", c.model)
      .Text("period_unit", c.period_unit)
      .Text("time_zone", c.time_zone)
      .Json();
}

std::string AuditJson(const SettlementTermsRow& t) {
  return AuditState()
      .Int("partner_id", t.partner_id)
      .Int("issue_price_micros", t.issue_price_micros)
      .Int("redeem_value_micros", t.redeem_value_micros)
      .Int("fee_per_point_micros", t.fee_per_point_micros)
      .Json();
}

}  // namespace loyalty
