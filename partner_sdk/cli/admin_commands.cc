// Operator subcommands: one per AdminService call (an admin key; list-partners also
// takes a finance key).
#include <utility>

#include "absl/strings/str_cat.h"
#include "command.h"
#include "hub/common/status_macros.h"

namespace loyalty::cli {
namespace {

const char* RoleName(sdk::Role r) {
  switch (r) {
    case sdk::Role::kMerchant:
      return "merchant";
    case sdk::Role::kIssuer:
      return "issuer";
    case sdk::Role::kAdmin:
      return "admin";
    case sdk::Role::kFinance:
      return "finance";
    default:
      return "unspecified";
  }
}

absl::StatusOr<sdk::Role> ParseRole(const std::string& s) {
  for (sdk::Role r :
       {sdk::Role::kMerchant, sdk::Role::kIssuer, sdk::Role::kAdmin, sdk::Role::kFinance}) {
    if (s == RoleName(r)) return r;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("--role: \"", s, "\" is not merchant, issuer, admin or finance"));
}

Record PartnerRecord(const sdk::Partner& p) {
  Record r;
  r.Add("partner_id", p.partner_id).Add("name", p.name).Add("category", p.category);
  r.Add("role", RoleName(p.role)).Add("earn_rate_bp", p.earn_rate_bp);
  r.Add("max_points_per_txn", p.limits.max_points_per_txn);
  r.Add("max_points_per_member_day", p.limits.max_points_per_member_day);
  r.Add("suspended", p.suspended).Add("created_at_micros", p.created_at_micros);
  return r;
}

Record ProgramRecord(const sdk::Program& p) {
  Record r;
  r.Add("point_value_micros", p.point_value_micros).Add("currency", p.currency);
  r.Add("expiry_months", static_cast<int64_t>(p.expiry_months));
  r.Add("hold_timeout_seconds", p.hold_timeout_seconds);
  return r;
}

absl::StatusOr<Record> RegisterPartner(const Args& a, Clients& c) {
  ASSIGN_OR_RETURN(sdk::AdminClient * client, c.Admin());
  sdk::RegisterPartnerParams p;
  p.name = a.Str("name");
  p.category = a.Str("category");
  ASSIGN_OR_RETURN(p.role, ParseRole(a.Str("role", "merchant")));
  ASSIGN_OR_RETURN(p.earn_rate_bp, a.Int("earn_rate_bp"));
  ASSIGN_OR_RETURN(p.limits.max_points_per_txn, a.Int("max_points_per_txn"));
  ASSIGN_OR_RETURN(p.limits.max_points_per_member_day, a.Int("max_points_per_member_day"));
  ASSIGN_OR_RETURN(sdk::RegisterPartnerResult r, client->RegisterPartner(p));
  return PartnerRecord(r.partner).Add("api_key", r.api_key);
}

absl::StatusOr<Record> ListPartners(const Args& a, Clients& c) {
  ASSIGN_OR_RETURN(sdk::AdminClient * client, c.Admin());
  ASSIGN_OR_RETURN(std::vector<sdk::Partner> partners, client->ListPartners());
  std::vector<Record> rows;
  for (const sdk::Partner& p : partners) rows.push_back(PartnerRecord(p));
  Record out;
  out.Add("partners", std::move(rows));
  return out;
}

absl::StatusOr<Record> SuspendPartner(const Args& a, Clients& c) {
  ASSIGN_OR_RETURN(sdk::AdminClient * client, c.Admin());
  sdk::SuspendPartnerParams p;
  ASSIGN_OR_RETURN(p.partner_id, a.Int("partner_id"));
  p.reason = a.Str("reason");
  ASSIGN_OR_RETURN(sdk::Partner r, client->SuspendPartner(p));
  return PartnerRecord(r);
}

absl::StatusOr<Record> RotateKey(const Args& a, Clients& c) {
  ASSIGN_OR_RETURN(sdk::AdminClient * client, c.Admin());
  sdk::RotateApiKeyParams p;
  ASSIGN_OR_RETURN(p.partner_id, a.Int("partner_id"));
  ASSIGN_OR_RETURN(std::string key, client->RotateApiKey(p));
  Record out;
  out.Add("partner_id", p.partner_id).Add("api_key", key);
  return out;
}

absl::StatusOr<Record> SetProgram(const Args& a, Clients& c) {
  ASSIGN_OR_RETURN(sdk::AdminClient * client, c.Admin());
  sdk::Program p;
  ASSIGN_OR_RETURN(p.point_value_micros, a.Int("point_value_micros"));
  p.currency = a.Str("currency");
  ASSIGN_OR_RETURN(const int64_t months, a.Int("expiry_months"));
  p.expiry_months = static_cast<int32_t>(months);
  ASSIGN_OR_RETURN(p.hold_timeout_seconds, a.Int("hold_timeout_seconds"));
  ASSIGN_OR_RETURN(sdk::Program r, client->SetProgram(p));
  return ProgramRecord(r);
}

absl::StatusOr<Record> GetProgram(const Args& a, Clients& c) {
  ASSIGN_OR_RETURN(sdk::AdminClient * client, c.Admin());
  ASSIGN_OR_RETURN(sdk::Program r, client->GetProgram());
  return ProgramRecord(r);
}

absl::StatusOr<Record> IssueBearerCards(const Args& a, Clients& c) {
  ASSIGN_OR_RETURN(sdk::AdminClient * client, c.Admin());
  ASSIGN_OR_RETURN(const int64_t count, a.Int("count"));
  ASSIGN_OR_RETURN(std::vector<std::string> cards,
                   client->IssueBearerCards({static_cast<int32_t>(count)}));
  Record out;
  out.Add("card_numbers", std::move(cards));
  return out;
}

absl::StatusOr<Record> AdjustPoints(const Args& a, Clients& c) {
  ASSIGN_OR_RETURN(sdk::AdminClient * client, c.Admin());
  sdk::AdjustPointsParams p;
  p.adjustment_id = a.Str("adjustment_id");
  p.card_number = a.Str("card");
  ASSIGN_OR_RETURN(p.points, a.Int("points"));
  p.reason = a.Str("reason");
  ASSIGN_OR_RETURN(sdk::PostingResult r, client->AdjustPoints(p));
  Record out = PostingRecord(r);
  // The posting's idempotency key is the adjustment_id here: name it so.
  out.fields[0].first = "adjustment_id";
  return out;
}

absl::StatusOr<Record> RunExpiry(const Args& a, Clients& c) {
  ASSIGN_OR_RETURN(sdk::AdminClient * client, c.Admin());
  ASSIGN_OR_RETURN(sdk::ExpiryResult r, client->RunExpiry());
  Record out;
  out.Add("lots_expired", r.lots_expired).Add("points_expired", r.points_expired);
  return out;
}

absl::StatusOr<Record> CreateOperatorKey(const Args& a, Clients& c) {
  ASSIGN_OR_RETURN(sdk::AdminClient * client, c.Admin());
  sdk::CreateOperatorKeyParams p;
  ASSIGN_OR_RETURN(p.role, ParseRole(a.Str("role")));
  ASSIGN_OR_RETURN(std::string key, client->CreateOperatorKey(p));
  Record out;
  out.Add("role", RoleName(p.role)).Add("api_key", key);
  return out;
}

}  // namespace

std::vector<Command> AdminCommands() {
  const FlagSpec partner_id{"partner_id", "the partner's id", true};
  return {
      {"register-partner",
       "register a merchant or issuer; prints its API key (shown once)",
       {{"name", "1..100 characters", true},
        {"category", "[a-z0-9_]{1,40}; one active partner per category", true},
        {"role", "merchant (default) or issuer"},
        {"earn_rate_bp", "earn rate in basis points of the amount (500 = 5%)", true},
        {"max_points_per_txn", "0 = no limit"},
        {"max_points_per_member_day", "0 = no limit"}},
       RegisterPartner},
      {"list-partners", "all partners (admin or finance key)", {}, ListPartners},
      {"suspend-partner",
       "suspend a partner: its keys stop working, its category is freed",
       {partner_id, {"reason", "1..200 characters, audited", true}},
       SuspendPartner},
      {"rotate-key",
       "replace a partner's API key (the old one stops at once)",
       {partner_id},
       RotateKey},
      {"set-program",
       "set the program: point value, currency, expiry, hold timeout",
       {{"point_value_micros", "value of one point in micros of the currency", true},
        {"currency", "ISO 4217 code", true},
        {"expiry_months", "0 = never", true},
        {"hold_timeout_seconds", "an uncaptured hold is void after this", true}},
       SetProgram},
      {"get-program", "the current program", {}, GetProgram},
      {"issue-bearer-cards",
       "create anonymous cards",
       {{"count", "1..1000", true}},
       IssueBearerCards},
      {"adjust-points",
       "credit (> 0, operator-funded) or debit (< 0) a member, audited",
       {{"card", "the member's card number", true},
        {"points", "> 0 credits, < 0 debits", true},
        {"reason", "1..200 characters", true},
        {"adjustment_id", "idempotency key; default: a new UUIDv4"}},
       AdjustPoints},
      {"run-expiry", "expire every lot past its expiry now", {}, RunExpiry},
      {"create-operator-key",
       "another admin or finance key (shown once)",
       {{"role", "admin or finance", true}},
       CreateOperatorKey},
  };
}

}  // namespace loyalty::cli
