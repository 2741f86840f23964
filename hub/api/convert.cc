#include "hub/api/convert.h"

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
}

void ToProto(const ProgramRecord& p, v1::Program* out) {
  out->set_point_value_micros(p.point_value_micros);
  out->set_currency(p.currency);
  out->set_expiry_months(p.expiry_months);
  out->set_hold_timeout_seconds(p.hold_timeout_seconds);
}

void ToProto(const BalanceView& b, v1::Balance* out) {
  out->set_member_id(b.member_id);
  out->set_balance(b.balance);
  out->set_available(b.available);
  out->set_held(b.held);
  out->set_debt(b.debt);
  out->set_next_expiry_points(b.next_expiry_points);
  out->set_next_expiry_at_micros(b.next_expiry_at);
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
