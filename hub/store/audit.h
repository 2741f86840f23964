// The audit log of admin and finance actions (DESIGN.md section 8): who did what, when,
// and the state before and after, as flat JSON text so an auditor reads it without the
// hub's types. Written in the same database transaction as the action it records.
#ifndef LOYALTY_HUB_STORE_AUDIT_H_
#define LOYALTY_HUB_STORE_AUDIT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "hub/store/records.h"

namespace loyalty {

// One row of audit_log. `before` is "" for a creation, `after` "" when nothing remains.
struct AuditEntry {
  int64_t id = 0;  // assigned by the store; ascending in insertion order
  Micros at = 0;
  std::string actor;   // "admin", "finance-cli:<os user>", "bootstrap", ...
  std::string action;  // snake_case verb: set_program, suspend_partner, finalize_run ...
  std::string detail;  // one human line, at most 500 bytes (longer is cut)
  std::string before;  // JSON object or ""
  std::string after;   // JSON object or ""
};

// A page of the log, newest first (by id). Empty actor/action match all.
struct AuditQuery {
  Micros from = 0;        // at >= from
  Micros to = INT64_MAX;  // at < to
  std::string actor;
  std::string action;
  int64_t before_id = INT64_MAX;  // the cursor: ids below this
  int limit = 100;
};

// Builds a flat JSON object, keys in the order added. Not thread-safe (a value).
class AuditState {
 public:
  AuditState& Int(absl::string_view key, int64_t value);
  AuditState& Text(absl::string_view key, absl::string_view value);
  AuditState& Bool(absl::string_view key, bool value);
  // `json` must already be JSON (an array or object built by this class).
  AuditState& Raw(absl::string_view key, absl::string_view json);
  std::string Json() const { return "{" + body_ + "}"; }

 private:
  void Key(absl::string_view key);
  std::string body_;
};

// The state of each audited thing, as the log shows it.
std::string AuditJson(const PartnerRecord& p);
std::string AuditJson(const ProgramRecord& p);
std::string AuditJson(const std::vector<TierRow>& tiers);
std::string AuditJson(const PromotionRow& p);
std::string AuditJson(const BankRulesRow& r);
std::string AuditJson(const SettlementConfigRow& c);
std::string AuditJson(const SettlementTermsRow& t);

}  // namespace loyalty

#endif  // LOYALTY_HUB_STORE_AUDIT_H_
