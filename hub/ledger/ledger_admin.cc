// Operator administration: partners, their keys, the program, operator keys.
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "hub/common/error_reason.h"
#include "hub/common/secure_random.h"
#include "hub/ledger/ledger.h"
#include "hub/ledger/ledger_internal.h"
#include "hub/ledger/validate.h"

namespace loyalty {
namespace {

constexpr char kPartnerKeyPrefix[] = "lk_partner_";
constexpr char kOperatorKeyPrefix[] = "lk_operator_";
constexpr int64_t kMaxEarnRateBp = 10000;  // 100% of the amount
constexpr int kMaxExpiryMonths = 600;
constexpr int64_t kMaxHoldTimeoutSeconds = 7 * 24 * 3600;
constexpr int64_t kMaxPointValueMicros = 1'000'000'000'000;

absl::Status ValidateCategory(const std::string& category) {
  if (category.empty() || category.size() > 40) {
    return InvalidField("category", "must be 1..40 characters");
  }
  for (char c : category) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return InvalidField("category", "only lower-case letters, digits and _ are allowed");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidatePartner(const PartnerRecord& p) {
  RETURN_IF_ERROR(ValidateText("name", p.name, 100));
  RETURN_IF_ERROR(ValidateCategory(p.category));
  if (p.role != Role::kMerchant && p.role != Role::kIssuer) {
    return InvalidField("role", "must be ROLE_MERCHANT or ROLE_ISSUER");
  }
  if (p.earn_rate_bp < 0 || p.earn_rate_bp > kMaxEarnRateBp) {
    return InvalidField("earn_rate_bp", absl::StrCat("must be 0..", kMaxEarnRateBp));
  }
  if (p.max_points_per_txn < 0 || p.max_points_per_txn > kMaxPointsPerRequest) {
    return InvalidField("limits.max_points_per_txn",
                        absl::StrCat("must be 0 (no limit)..", kMaxPointsPerRequest));
  }
  if (p.return_window_days < 0 || p.return_window_days > 365) {
    return InvalidField("return_window_days", "must be 0..365");
  }
  if (p.max_points_per_member_day < 0 || p.max_points_per_member_day > kMaxPointsPerRequest) {
    return InvalidField("limits.max_points_per_member_day",
                        absl::StrCat("must be 0 (no limit)..", kMaxPointsPerRequest));
  }
  return absl::OkStatus();
}

absl::Status CategoryTaken(const PartnerRecord& holder) {
  return WithReason(absl::FailedPreconditionError(absl::StrCat(
                        "category: '", holder.category, "' is exclusive and held by active partner ",
                        holder.id, " (", holder.name, ")")),
                    reason::kCategoryTaken, {{"holder_partner_id", absl::StrCat(holder.id)}});
}

absl::StatusOr<PartnerRecord> RequireExistingPartner(StoreTxn* txn, PartnerId id) {
  ASSIGN_OR_RETURN(std::optional<PartnerRecord> p, txn->GetPartner(id));
  if (!p.has_value()) {
    return WithReason(absl::NotFoundError(absl::StrCat("partner_id: no partner ", id)),
                      reason::kPartnerNotFound);
  }
  return *p;
}

}  // namespace

absl::StatusOr<RegisteredPartner> Ledger::RegisterPartner(const std::string& actor,
                                                          PartnerRecord partner) {
  RETURN_IF_ERROR(ValidatePartner(partner));
  RegisteredPartner out;
  RETURN_IF_ERROR(store_->RunInTransaction([&](StoreTxn& txn) -> absl::Status {
    const Micros now = clock_->NowMicros();
    ASSIGN_OR_RETURN(std::optional<PartnerRecord> holder,
                     txn.ActivePartnerInCategory(partner.category));
    if (holder.has_value()) return CategoryTaken(*holder);
    partner.created_at = now;
    partner.suspended = false;
    absl::StatusOr<PartnerId> id = txn.InsertPartner(partner);
    if (absl::IsAlreadyExists(id.status())) {  // registered concurrently
      ASSIGN_OR_RETURN(holder, txn.ActivePartnerInCategory(partner.category));
      if (holder.has_value()) return CategoryTaken(*holder);
    }
    RETURN_IF_ERROR(id.status());
    partner.id = *id;
    out.partner = partner;
    out.api_key = NewApiKey(kPartnerKeyPrefix);
    RETURN_IF_ERROR(txn.InsertApiKey(Sha256Hex(out.api_key), partner.role, partner.id, now));
    return txn.InsertAudit(now, actor, "register_partner",
                           absl::StrCat("partner=", partner.id, " name=", partner.name,
                                        " category=", partner.category),
                           "", AuditJson(partner));
  }));
  return out;
}

absl::StatusOr<std::vector<PartnerRecord>> Ledger::ListPartners() {
  std::vector<PartnerRecord> out;
  RETURN_IF_ERROR(store_->RunInTransaction([&](StoreTxn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(out, txn.ListPartners());
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::vector<PartnerRecord>> Ledger::ListPartners(PartnerId after, int limit) {
  if (limit < 1 || limit > kMaxListRows) {
    return InvalidField("page_size", absl::StrCat("must be 1..", kMaxPageSize));
  }
  std::vector<PartnerRecord> out;
  RETURN_IF_ERROR(store_->RunInTransaction([&](StoreTxn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(out, txn.ListPartnersAfter(after, limit));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<PartnerRecord> Ledger::SuspendPartner(const std::string& actor, PartnerId id,
                                                     const std::string& reason) {
  RETURN_IF_ERROR(ValidateText("reason", reason, 200));
  PartnerRecord out;
  RETURN_IF_ERROR(store_->RunInTransaction([&](StoreTxn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(out, RequireExistingPartner(&txn, id));
    if (out.suspended) return absl::FailedPreconditionError("partner_id: already suspended");
    RETURN_IF_ERROR(txn.SetPartnerSuspended(id));
    const std::string before = AuditJson(out);
    out.suspended = true;
    return txn.InsertAudit(clock_->NowMicros(), actor, "suspend_partner",
                           absl::StrCat("partner=", id, " reason=", reason), before,
                           AuditJson(out));
  }));
  return out;
}

absl::StatusOr<std::string> Ledger::RotateApiKey(const std::string& actor, PartnerId id) {
  std::string key = NewApiKey(kPartnerKeyPrefix);
  RETURN_IF_ERROR(store_->RunInTransaction([&](StoreTxn& txn) -> absl::Status {
    const Micros now = clock_->NowMicros();
    ASSIGN_OR_RETURN(PartnerRecord partner, RequireExistingPartner(&txn, id));
    RETURN_IF_ERROR(txn.RevokeApiKeysOfPartner(id));
    RETURN_IF_ERROR(txn.InsertApiKey(Sha256Hex(key), partner.role, id, now));
    // Keys (and their hashes) stay out of the log: the state is whose keys changed.
    const std::string keys = AuditState().Int("partner_id", id).Text("keys", "active").Json();
    return txn.InsertAudit(now, actor, "rotate_api_key", absl::StrCat("partner=", id), keys,
                           AuditState().Int("partner_id", id).Text("keys", "replaced").Json());
  }));
  return key;
}

absl::StatusOr<ProgramRecord> Ledger::SetProgram(const std::string& actor, const ProgramRecord& p) {
  if (p.point_value_micros < 1 || p.point_value_micros > kMaxPointValueMicros) {
    return InvalidField("program.point_value_micros",
                        absl::StrCat("must be 1..", kMaxPointValueMicros));
  }
  if (!CurrencyExponent(p.currency).has_value()) {
    return InvalidField("program.currency", "not a supported ISO 4217 code");
  }
  if (p.expiry_months < 0 || p.expiry_months > kMaxExpiryMonths) {
    return InvalidField("program.expiry_months", absl::StrCat("must be 0..", kMaxExpiryMonths));
  }
  if (p.hold_timeout_seconds < 1 || p.hold_timeout_seconds > kMaxHoldTimeoutSeconds) {
    return InvalidField("program.hold_timeout_seconds",
                        absl::StrCat("must be 1..", kMaxHoldTimeoutSeconds));
  }
  if (p.expiry_policy != expiry_policy::kMonthsAfterEarn &&
      p.expiry_policy != expiry_policy::kEndOfYear) {
    return InvalidField("program.expiry_policy", "unknown policy");
  }
  if (p.expiry_years < 0 || p.expiry_years > 50) {
    return InvalidField("program.expiry_years", "must be 0..50");
  }
  RETURN_IF_ERROR(ValidateTimeZoneName("program.time_zone", p.time_zone));
  absl::TimeZone tz;
  if (!absl::LoadTimeZone(p.time_zone, &tz)) {
    return InvalidField("program.time_zone", "not an IANA time zone");
  }
  if (p.min_redemption_points < 0 || p.min_redemption_points > kMaxPointsPerRequest) {
    return InvalidField("program.min_redemption_points", "must be >= 0");
  }
  if (p.pin_threshold_points < 0 || p.pin_threshold_points > kMaxPointsPerRequest) {
    return InvalidField("program.pin_threshold_points", "must be >= 0");
  }
  if (p.max_earn_amount_minor < 0 || p.max_earn_amount_minor > kMaxAmountMinor) {
    return InvalidField("program.max_earn_amount_minor",
                        absl::StrCat("must be 0..", kMaxAmountMinor, " (0 = no limit)"));
  }
  if (p.max_earns_per_card_hour < 0 || p.max_earns_per_card_hour > 100'000) {
    return InvalidField("program.max_earns_per_card_hour", "must be 0..100000 (0 = no limit)");
  }
  RETURN_IF_ERROR(store_->RunInTransaction([&](StoreTxn& txn) -> absl::Status {
    const Micros now = clock_->NowMicros();
    ASSIGN_OR_RETURN(std::optional<ProgramRecord> old, txn.GetProgram());
    if (old.has_value() && old->currency != p.currency) {
      return absl::FailedPreconditionError(absl::StrCat(
          "program.currency: the program's currency is ", old->currency, " and cannot change"));
    }
    RETURN_IF_ERROR(txn.PutProgram(p, now));
    return txn.InsertAudit(now, actor, "set_program",
                           absl::StrCat("point_value_micros=", p.point_value_micros, " currency=",
                                        p.currency, " expiry_months=", p.expiry_months,
                                        " hold_timeout_seconds=", p.hold_timeout_seconds),
                           old.has_value() ? AuditJson(*old) : "", AuditJson(p));
  }));
  return p;
}

absl::StatusOr<ProgramRecord> Ledger::GetProgram() {
  ProgramRecord out;
  RETURN_IF_ERROR(store_->RunInTransaction([&](StoreTxn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(out, RequireProgram(&txn));
    return absl::OkStatus();
  }));
  return out;
}

absl::Status Ledger::BootstrapAdminKey(const std::string& key) {
  if (key.size() < 32) {
    return absl::InvalidArgumentError("admin key: at least 32 characters are required");
  }
  return store_->RunInTransaction([&](StoreTxn& txn) -> absl::Status {
    const Micros now = clock_->NowMicros();
    ASSIGN_OR_RETURN(int64_t admins, txn.CountActiveKeys(Role::kAdmin));
    if (admins > 0) return absl::OkStatus();
    RETURN_IF_ERROR(txn.InsertApiKey(Sha256Hex(key), Role::kAdmin, std::nullopt, now));
    return txn.InsertAudit(now, "bootstrap", "create_admin_key", "first admin key", "",
                           AuditState().Int("role", static_cast<int>(Role::kAdmin)).Json());
  });
}

absl::StatusOr<std::string> Ledger::CreateOperatorKey(const std::string& actor, Role role) {
  if (role != Role::kAdmin && role != Role::kFinance) {
    return InvalidField("role", "must be ROLE_ADMIN or ROLE_FINANCE");
  }
  std::string key = NewApiKey(kOperatorKeyPrefix);
  RETURN_IF_ERROR(store_->RunInTransaction([&](StoreTxn& txn) -> absl::Status {
    const Micros now = clock_->NowMicros();
    RETURN_IF_ERROR(txn.InsertApiKey(Sha256Hex(key), role, std::nullopt, now));
    return txn.InsertAudit(now, actor, "create_operator_key",
                           absl::StrCat("role=", static_cast<int>(role)), "",
                           AuditState().Int("role", static_cast<int>(role)).Json());
  }));
  return key;
}

absl::StatusOr<std::vector<AuditEntry>> Ledger::ListAuditLog(const AuditQuery& query) {
  if (query.limit < 1 || query.limit > kMaxListRows) {
    return InvalidField("page_size", absl::StrCat("must be 0..", kMaxAuditPageSize));
  }
  if (query.from >= query.to) return InvalidField("to_micros", "must be after from_micros");
  if (query.actor.size() > 64) return InvalidField("actor", "longer than 64 bytes");
  if (query.action.size() > 40) return InvalidField("action", "longer than 40 bytes");
  std::vector<AuditEntry> out;
  RETURN_IF_ERROR(store_->RunInTransaction([&](StoreTxn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(out, txn.ListAudit(query));
    return absl::OkStatus();
  }));
  return out;
}

}  // namespace loyalty
