// Operator subcommands: one per AdminService call (an admin key; list-partners also
// takes a finance key).
#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
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
  r.Add("return_window_days", static_cast<int64_t>(p.return_window_days));
  return r;
}

const char* ExpiryPolicyName(sdk::ExpiryPolicy p) {
  return p == sdk::ExpiryPolicy::kEndOfYear ? "end_of_year" : "months_after_earn";
}

absl::StatusOr<sdk::ExpiryPolicy> ParseExpiryPolicy(const std::string& s) {
  for (sdk::ExpiryPolicy p : {sdk::ExpiryPolicy::kMonthsAfterEarn, sdk::ExpiryPolicy::kEndOfYear}) {
    if (s == ExpiryPolicyName(p)) return p;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("--expiry_policy: \"", s, "\" is not months_after_earn or end_of_year"));
}

}  // namespace

Record ProgramRecord(const sdk::Program& p) {
  Record r;
  r.Add("point_value_micros", p.point_value_micros).Add("currency", p.currency);
  r.Add("expiry_months", static_cast<int64_t>(p.expiry_months));
  r.Add("hold_timeout_seconds", p.hold_timeout_seconds);
  r.Add("expiry_policy", ExpiryPolicyName(p.expiry_policy));
  r.Add("expiry_years", static_cast<int64_t>(p.expiry_years)).Add("time_zone", p.time_zone);
  r.Add("min_redemption_points", p.min_redemption_points);
  r.Add("pin_threshold_points", p.pin_threshold_points);
  r.Add("pause_expiry_for_cobranded", p.pause_expiry_for_cobranded);
  r.Add("max_earn_amount_minor", p.max_earn_amount_minor);
  r.Add("max_earns_per_card_hour", static_cast<int64_t>(p.max_earns_per_card_hour));
  return r;
}

namespace {

Record TierRecord(const sdk::Tier& t) {
  Record r;
  r.Add("name", t.name).Add("threshold_minor", t.threshold_minor);
  r.Add("multiplier_bp", t.multiplier_bp);
  return r;
}

}  // namespace

Record TiersRecord(const std::vector<sdk::Tier>& tiers) {
  std::vector<Record> rows;
  for (const sdk::Tier& t : tiers) rows.push_back(TierRecord(t));
  Record out;
  out.Add("tiers", std::move(rows));
  return out;
}

namespace {

const char* KindName(sdk::PromotionKind k) {
  switch (k) {
    case sdk::PromotionKind::kMultiplier:
      return "multiplier";
    case sdk::PromotionKind::kFixed:
      return "fixed";
    case sdk::PromotionKind::kStamp:
      return "stamp";
    case sdk::PromotionKind::kCrossPartner:
      return "cross_partner";
    default:
      return "unspecified";
  }
}

const char* ScopeName(sdk::PromotionScope s) {
  switch (s) {
    case sdk::PromotionScope::kPartner:
      return "partner";
    case sdk::PromotionScope::kCategory:
      return "category";
    case sdk::PromotionScope::kTier:
      return "tier";
    default:
      return "all";
  }
}

absl::StatusOr<sdk::PromotionKind> ParseKind(const std::string& s) {
  for (sdk::PromotionKind k : {sdk::PromotionKind::kMultiplier, sdk::PromotionKind::kFixed,
                               sdk::PromotionKind::kStamp, sdk::PromotionKind::kCrossPartner}) {
    if (s == KindName(k)) return k;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("--kind: \"", s, "\" is not multiplier, fixed, stamp or cross_partner"));
}

absl::StatusOr<sdk::PromotionScope> ParseScope(const std::string& s) {
  for (sdk::PromotionScope p : {sdk::PromotionScope::kAll, sdk::PromotionScope::kPartner,
                                sdk::PromotionScope::kCategory, sdk::PromotionScope::kTier}) {
    if (s == ScopeName(p)) return p;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("--scope: \"", s, "\" is not all, partner, category or tier"));
}

// --tiers "Silver:10000:12500,Gold:50000:15000": name:threshold_minor:multiplier_bp, comma
// separated ("" = no tiers). The name is everything before the last two colons.
absl::StatusOr<std::vector<sdk::Tier>> ParseTiers(const std::string& s) {
  std::vector<sdk::Tier> out;
  if (s.empty()) return out;
  for (absl::string_view item : absl::StrSplit(s, ',')) {
    const size_t last = item.rfind(':');
    const size_t mid = last == absl::string_view::npos || last == 0 ? absl::string_view::npos
                                                                    : item.rfind(':', last - 1);
    sdk::Tier t;
    if (mid == absl::string_view::npos ||
        !absl::SimpleAtoi(item.substr(mid + 1, last - mid - 1), &t.threshold_minor) ||
        !absl::SimpleAtoi(item.substr(last + 1), &t.multiplier_bp)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--tiers: \"", item, "\" is not name:threshold_minor:multiplier_bp"));
    }
    t.name = std::string(item.substr(0, mid));
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace

Record PromotionRecord(const sdk::Promotion& p) {
  Record r;
  r.Add("promotion_id", p.promotion_id).Add("name", p.name);
  r.Add("funder_partner_id", p.funder_partner_id).Add("kind", KindName(p.kind));
  r.Add("scope", ScopeName(p.scope)).Add("scope_value", p.scope_value);
  r.Add("starts_at_micros", p.starts_at_micros).Add("ends_at_micros", p.ends_at_micros);
  r.Add("multiplier_bp", p.multiplier_bp).Add("bonus_points", p.bonus_points);
  r.Add("min_spend_minor", p.min_spend_minor).Add("every_n", static_cast<int64_t>(p.every_n));
  r.Add("distinct_partners", static_cast<int64_t>(p.distinct_partners));
  r.Add("window_days", static_cast<int64_t>(p.window_days)).Add("ended", p.ended);
  return r;
}

namespace {

absl::StatusOr<Record> RegisterPartner(const Args& a, Clients& c) {
  ASSIGN_OR_RETURN(sdk::AdminClient * client, c.Admin());
  sdk::RegisterPartnerParams p;
  p.name = a.Str("name");
  p.category = a.Str("category");
  ASSIGN_OR_RETURN(p.role, ParseRole(a.Str("role", "merchant")));
  ASSIGN_OR_RETURN(p.earn_rate_bp, a.Int("earn_rate_bp"));
  ASSIGN_OR_RETURN(p.limits.max_points_per_txn, a.Int("max_points_per_txn"));
  ASSIGN_OR_RETURN(p.limits.max_points_per_member_day, a.Int("max_points_per_member_day"));
  ASSIGN_OR_RETURN(const int64_t window, a.Int("return_window_days"));
  p.return_window_days = static_cast<int32_t>(window);
  ASSIGN_OR_RETURN(sdk::RegisterPartnerResult r, client->RegisterPartner(p));
  return PartnerRecord(r.partner).Add("api_key", r.api_key);
}

absl::StatusOr<Record> ListPartners(const Args& a, Clients& c) {
  ASSIGN_OR_RETURN(sdk::AdminClient * client, c.Admin());
  sdk::PartnerPage page;
  if (HasPageFlags(a)) {
    ASSIGN_OR_RETURN(const int32_t size, PageSizeOf(a));
    ASSIGN_OR_RETURN(page, client->ListPartnersPage({size, a.Str("page_token")}));
  } else {
    ASSIGN_OR_RETURN(page.partners, client->ListPartners());
  }
  std::vector<Record> rows;
  for (const sdk::Partner& p : page.partners) rows.push_back(PartnerRecord(p));
  Record out;
  out.Add("partners", std::move(rows)).Add("next_page_token", page.next_page_token);
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
  ASSIGN_OR_RETURN(p.expiry_policy, ParseExpiryPolicy(a.Str("expiry_policy", "months_after_earn")));
  ASSIGN_OR_RETURN(const int64_t years, a.Int("expiry_years"));
  p.expiry_years = static_cast<int32_t>(years);
  p.time_zone = a.Str("time_zone");
  ASSIGN_OR_RETURN(p.min_redemption_points, a.Int("min_redemption_points"));
  ASSIGN_OR_RETURN(p.pin_threshold_points, a.Int("pin_threshold_points"));
  p.pause_expiry_for_cobranded = a.Bool("pause_expiry_for_cobranded");
  ASSIGN_OR_RETURN(p.max_earn_amount_minor, a.Int("max_earn_amount_minor"));
  ASSIGN_OR_RETURN(const int64_t per_hour, a.Int("max_earns_per_card_hour"));
  p.max_earns_per_card_hour = static_cast<int32_t>(per_hour);
  ASSIGN_OR_RETURN(sdk::Program r, client->SetProgram(p));
  return ProgramRecord(r);
}

absl::StatusOr<Record> GetProgram(const Args& a, Clients& c) {
  ASSIGN_OR_RETURN(sdk::AdminClient * client, c.Admin());
  ASSIGN_OR_RETURN(sdk::Program r, client->GetProgram());
  return ProgramRecord(r);
}

absl::StatusOr<Record> IssueMemberToken(const Args& a, Clients& c) {
  ASSIGN_OR_RETURN(sdk::AdminClient * client, c.Admin());
  ASSIGN_OR_RETURN(std::string token, client->IssueMemberToken(a.Str("card")));
  Record r;
  r.Add("session_token", token);
  return r;
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

absl::StatusOr<Record> SetTiers(const Args& a, Clients& c) {
  sdk::SetTiersParams p;
  ASSIGN_OR_RETURN(p.tiers, ParseTiers(a.Str("tiers")));
  ASSIGN_OR_RETURN(sdk::AdminClient * client, c.Admin());
  ASSIGN_OR_RETURN(std::vector<sdk::Tier> stored, client->SetTiers(p));
  return TiersRecord(stored);
}

absl::StatusOr<Record> ListTiers(const Args& a, Clients& c) {
  ASSIGN_OR_RETURN(sdk::AdminClient * client, c.Admin());
  sdk::TierPage page;
  if (HasPageFlags(a)) {
    ASSIGN_OR_RETURN(const int32_t size, PageSizeOf(a));
    ASSIGN_OR_RETURN(page, client->ListTiersPage({size, a.Str("page_token")}));
  } else {
    ASSIGN_OR_RETURN(page.tiers, client->ListTiers());
  }
  return TiersRecord(page.tiers).Add("next_page_token", page.next_page_token);
}

absl::StatusOr<Record> RunTierReview(const Args& a, Clients& c) {
  ASSIGN_OR_RETURN(sdk::AdminClient * client, c.Admin());
  ASSIGN_OR_RETURN(sdk::TierReviewResult r, client->RunTierReview());
  Record out;
  out.Add("members_reviewed", r.members_reviewed).Add("members_changed", r.members_changed);
  return out;
}

absl::StatusOr<Record> CreatePromotion(const Args& a, Clients& c) {
  sdk::Promotion p;
  p.name = a.Str("name");
  ASSIGN_OR_RETURN(p.kind, ParseKind(a.Str("kind")));
  ASSIGN_OR_RETURN(p.scope, ParseScope(a.Str("scope", "all")));
  p.scope_value = a.Str("scope_value");
  ASSIGN_OR_RETURN(p.funder_partner_id, a.Int("funder_partner_id"));
  ASSIGN_OR_RETURN(p.starts_at_micros, ParseTimeFlag(a, "starts"));
  ASSIGN_OR_RETURN(p.ends_at_micros, ParseTimeFlag(a, "ends"));
  ASSIGN_OR_RETURN(p.multiplier_bp, a.Int("multiplier_bp"));
  ASSIGN_OR_RETURN(p.bonus_points, a.Int("bonus_points"));
  ASSIGN_OR_RETURN(p.min_spend_minor, a.Int("min_spend_minor"));
  ASSIGN_OR_RETURN(const int64_t every_n, a.Int("every_n"));
  p.every_n = static_cast<int32_t>(every_n);
  ASSIGN_OR_RETURN(const int64_t k, a.Int("distinct_partners"));
  p.distinct_partners = static_cast<int32_t>(k);
  ASSIGN_OR_RETURN(const int64_t window, a.Int("window_days"));
  p.window_days = static_cast<int32_t>(window);
  ASSIGN_OR_RETURN(sdk::AdminClient * client, c.Admin());
  ASSIGN_OR_RETURN(sdk::Promotion r, client->CreatePromotion(p));
  return PromotionRecord(r);
}

absl::StatusOr<Record> ListPromotions(const Args& a, Clients& c) {
  ASSIGN_OR_RETURN(sdk::AdminClient * client, c.Admin());
  sdk::ListPromotionsParams p;
  p.include_inactive = a.Bool("all");
  sdk::PromotionPage page;
  if (HasPageFlags(a)) {
    ASSIGN_OR_RETURN(p.page_size, PageSizeOf(a));
    p.page_token = a.Str("page_token");
    ASSIGN_OR_RETURN(page, client->ListPromotionsPage(p));
  } else {
    ASSIGN_OR_RETURN(page.promotions, client->ListPromotions(p));
  }
  std::vector<Record> rows;
  for (const sdk::Promotion& promo : page.promotions) rows.push_back(PromotionRecord(promo));
  Record out;
  out.Add("promotions", std::move(rows)).Add("next_page_token", page.next_page_token);
  return out;
}

absl::StatusOr<Record> EndPromotion(const Args& a, Clients& c) {
  ASSIGN_OR_RETURN(sdk::AdminClient * client, c.Admin());
  sdk::EndPromotionParams p;
  ASSIGN_OR_RETURN(p.promotion_id, a.Int("id"));
  ASSIGN_OR_RETURN(sdk::Promotion r, client->EndPromotion(p));
  return PromotionRecord(r);
}

absl::StatusOr<Record> ListExpiring(const Args& a, Clients& c) {
  ASSIGN_OR_RETURN(sdk::AdminClient * client, c.Admin());
  sdk::ListExpiringPointsParams p;
  ASSIGN_OR_RETURN(const int64_t days, a.Int("within_days"));
  p.within_days = static_cast<int32_t>(days);
  ASSIGN_OR_RETURN(const int64_t limit, a.Int("limit"));
  p.limit = static_cast<int32_t>(limit);
  ASSIGN_OR_RETURN(p.page_size, PageSizeOf(a));
  p.page_token = a.Str("page_token");
  ASSIGN_OR_RETURN(sdk::ExpiringPointsPage page, client->ListExpiringPointsPage(p));
  std::vector<Record> rows;
  for (const sdk::ExpiringPoints& e : page.members) {
    Record r;
    r.Add("member_id", e.member_id).Add("points", e.points);
    r.Add("first_expiry_at_micros", e.first_expiry_at_micros);
    rows.push_back(std::move(r));
  }
  Record out;
  out.Add("members", std::move(rows)).Add("next_page_token", page.next_page_token);
  return out;
}

absl::StatusOr<Record> UnlockPin(const Args& a, Clients& c) {
  ASSIGN_OR_RETURN(sdk::AdminClient * client, c.Admin());
  RETURN_IF_ERROR(client->UnlockMemberPin({a.Str("card")}));
  Record out;
  out.Add("card_number", a.Str("card")).Add("unlocked", true);
  return out;
}

// The audit log's time column: RFC 3339 in UTC, fractions only when there are any.
std::string AuditTime(int64_t micros) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", absl::FromUnixMicros(micros),
                          absl::UTCTimeZone());
}

// One table cell: control characters would break the row (or drive the terminal).
std::string Cell(const std::string& s) {
  if (s.empty()) return "-";
  std::string out = s;
  for (char& ch : out) {
    if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) ch = '?';
  }
  return out;
}

// Rows padded to the widest cell of each column (the last column is not padded).
std::vector<std::string> AlignedTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& row : rows) {
    width.resize(std::max(width.size(), row.size()));
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::vector<std::string> out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    out.push_back(std::move(line));
  }
  return out;
}

// Pages through the log, newest first, from p.page_token until `limit` entries; `*next`
// is the token of the entries after them ("" when no older entry matches).
absl::StatusOr<std::vector<sdk::AuditEntry>> FetchAudit(sdk::AdminClient& client,
                                                        sdk::ListAuditLogParams p, int64_t limit,
                                                        std::string* next) {
  constexpr int64_t kMaxPage = 500;
  std::vector<sdk::AuditEntry> out;
  next->clear();
  while (static_cast<int64_t>(out.size()) < limit) {
    p.page_size =
        static_cast<int32_t>(std::min(kMaxPage, limit - static_cast<int64_t>(out.size())));
    ASSIGN_OR_RETURN(sdk::AuditLogPage page, client.ListAuditLog(p));
    for (sdk::AuditEntry& e : page.entries) out.push_back(std::move(e));
    if (page.next_page_token.empty()) return out;
    p.page_token = page.next_page_token;
  }
  // The pages ended exactly at `limit`: the hub's token continues after the last entry.
  *next = p.page_token;
  return out;
}

absl::StatusOr<Record> Audit(const Args& a, Clients& c) {
  constexpr int64_t kMaxLimit = 10'000;
  sdk::ListAuditLogParams p;
  p.actor = a.Str("actor");
  p.action = a.Str("action");
  if (a.Has("since")) {
    ASSIGN_OR_RETURN(p.from_micros, ParseTimeFlag(a, "since"));
  }
  if (a.Has("until")) {
    ASSIGN_OR_RETURN(p.to_micros, ParseTimeFlag(a, "until"));
  }
  ASSIGN_OR_RETURN(const int64_t limit, a.Int("limit", 100));
  if (limit < 1 || limit > kMaxLimit) {
    return absl::InvalidArgumentError(absl::StrCat("--limit: must be 1..", kMaxLimit));
  }
  ASSIGN_OR_RETURN(sdk::AdminClient * client, c.Admin());
  p.page_token = a.Str("page_token");
  std::vector<sdk::AuditEntry> entries;
  std::string next;
  if (a.Has("page_size")) {  // one page, as the hub cuts it
    ASSIGN_OR_RETURN(p.page_size, PageSizeOf(a));
    ASSIGN_OR_RETURN(sdk::AuditLogPage page, client->ListAuditLog(p));
    entries = std::move(page.entries);
    next = std::move(page.next_page_token);
  } else {  // --limit entries, over as many pages as that takes
    ASSIGN_OR_RETURN(entries, FetchAudit(*client, p, limit, &next));
  }
  Record out;
  if (a.Bool("json")) {
    std::vector<Record> rows;
    for (const sdk::AuditEntry& e : entries) {
      Record r;
      r.Add("id", e.id).Add("time", AuditTime(e.at_micros)).Add("at_micros", e.at_micros);
      r.Add("actor", e.actor).Add("action", e.action).Add("detail", e.detail);
      r.Add("before", e.before_json).Add("after", e.after_json);
      rows.push_back(std::move(r));
    }
    out.Add("entries", std::move(rows));
  } else {
    std::vector<std::vector<std::string>> rows = {
        {"TIME", "ACTOR", "ACTION", "DETAIL", "BEFORE", "AFTER"}};
    for (const sdk::AuditEntry& e : entries) {
      rows.push_back({AuditTime(e.at_micros), Cell(e.actor), Cell(e.action), Cell(e.detail),
                      Cell(e.before_json), Cell(e.after_json)});
    }
    out.Add("entries", AlignedTable(rows));
  }
  out.Add("more", !next.empty()).Add("next_page_token", next);
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
        {"max_points_per_member_day", "0 = no limit"},
        {"return_window_days", "earned points stay pending this many days; default 0 = none"}},
       RegisterPartner},
      {"list-partners",
       "all partners, by id (admin or finance key); one page with --page_size/--page_token",
       {PageSizeFlag(), PageTokenFlag()},
       ListPartners},
      {"suspend-partner",
       "suspend a partner: its keys stop working, its category is freed",
       {partner_id, {"reason", "1..200 characters, audited", true}},
       SuspendPartner},
      {"rotate-key",
       "replace a partner's API key (the old one stops at once)",
       {partner_id},
       RotateKey},
      {"set-program",
       "set the program as a whole (flags left out are 0 / empty): point value, currency, "
       "expiry, hold timeout, minimum redemption, PIN threshold",
       {{"point_value_micros", "value of one point in micros of the currency", true},
        {"currency", "ISO 4217 code", true},
        {"expiry_months", "months_after_earn: 0 = never (default)"},
        {"hold_timeout_seconds", "an uncaptured hold is void after this", true},
        {"expiry_policy", "months_after_earn (default) or end_of_year"},
        {"expiry_years", "end_of_year: expire at the end of the Nth year after the earn's"},
        {"time_zone", "IANA zone that cuts calendar years; default UTC"},
        {"min_redemption_points", "0 = none"},
        {"pin_threshold_points", "redemptions above this need the member's PIN; 0 = never"},
        {"pause_expiry_for_cobranded", "members with a linked co-branded card keep points", false,
         true},
        {"max_earn_amount_minor", "the most spend one earn may carry (minor units); 0 = no limit"},
        {"max_earns_per_card_hour", "earns per member's cards in an hour; 0 = no limit"}},
       SetProgram},
      {"get-program", "the current program", {}, GetProgram},
      {"issue-member-token",
       "a MemberService session token for the card's member (a call centre, a kiosk), audited",
       {{"card", "the member's card number", true}},
       IssueMemberToken},
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
      {"set-tiers",
       "replace the tier scheme (rolling 12-month coalition-wide spend)",
       {{"tiers",
         "name:threshold_minor:multiplier_bp,... e.g. \"Silver:10000:12500,Gold:50000:15000\" "
         "(\"\" = no tiers)",
         true}},
       SetTiers},
      {"list-tiers",
       "the tier scheme, by threshold; one page with --page_size/--page_token",
       {PageSizeFlag(), PageTokenFlag()},
       ListTiers},
      {"run-tier-review", "re-evaluate every member's tier now", {}, RunTierReview},
      {"create-promotion",
       "create a promotion; prints its id",
       {{"name", "1..100 characters", true},
        {"kind", "multiplier, fixed, stamp or cross_partner", true},
        {"scope", "all (default), partner, category or tier"},
        {"scope_value", "partner id, category or tier name (scope other than all)"},
        {"funder_partner_id", "who pays the bonus; default 0 = the operator"},
        {"starts", "window start: ISO-8601 UTC (2026-05-01T00:00:00Z) or UTC micros", true},
        {"ends", "window end, exclusive: ISO-8601 UTC or UTC micros", true},
        {"multiplier_bp", "multiplier: 20000 doubles the base points"},
        {"bonus_points", "fixed, stamp, cross_partner: the bonus"},
        {"min_spend_minor", "the earn's amount must be at least this"},
        {"every_n", "stamp: every Nth earn at the partner"},
        {"distinct_partners", "cross_partner: K distinct partners"},
        {"window_days", "cross_partner: within this many days"}},
       CreatePromotion},
      {"list-promotions",
       "active promotions by id (--all: also ended, expired and future ones); one page with "
       "--page_size/--page_token",
       {{"all", "include inactive promotions", false, true}, PageSizeFlag(), PageTokenFlag()},
       ListPromotions},
      {"end-promotion", "end a promotion now", {{"id", "the promotion's id", true}}, EndPromotion},
      {"list-expiring",
       "members with points expiring in the next N days, by first expiry (one page)",
       {{"within_days", "1..366", true},
        {"limit", "deprecated, as --page_size: 1..1000 (pages hold at most 500)"},
        PageSizeFlag(),
        PageTokenFlag()},
       ListExpiring},
      {"unlock-pin",
       "unlock a member's PIN after 3 wrong attempts",
       {{"card", "the member's card number", true}},
       UnlockPin},
      {"audit",
       "the audit log of admin and finance actions, newest first, as a table (time, actor, "
       "action, detail, before, after); admin key",
       {{"actor", "only this actor, e.g. admin:3f2a9c0d41be or finance-cli:alice"},
        {"action", "only this action, e.g. suspend_partner"},
        {"since", "entries at or after: RFC 3339 (2026-05-01T00:00:00Z) or UTC micros"},
        {"until", "entries before: RFC 3339 or UTC micros"},
        {"limit", "at most this many entries, 1..10000; default 100"},
        {"page_size", "print one page of this many (at most 500) instead of --limit entries"},
        {"page_token", "start after the entries before: next_page_token printed with them"}},
       Audit},
  };
}

}  // namespace loyalty::cli
