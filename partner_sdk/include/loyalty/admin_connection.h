// The interface behind AdminClient: one method per AdminService call (operator keys).
// MakeAdminConnection() returns the real one; loyalty/mocks/mock_admin_connection.h a
// mock.
//
// Contract: every call has a deadline and returns the hub's status code unchanged.
// Only calls that are safe to repeat are retried (ListPartners, GetProgram, SetProgram,
// AdjustPoints with its adjustment_id, RunExpiry, Set/GetBankEarnRules); RegisterPartner,
// SuspendPartner, RotateApiKey, IssueBearerCards and CreateOperatorKey have no idempotency key, so
// they are tried once and an UNAVAILABLE / DEADLINE_EXCEEDED result means "unknown": check with
// ListPartners before trying again.
//
// Thread-safety: every method may be called from many threads at once.
#ifndef LOYALTY_PARTNER_SDK_ADMIN_CONNECTION_H_
#define LOYALTY_PARTNER_SDK_ADMIN_CONNECTION_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "loyalty/admin_types.h"
#include "loyalty/options.h"

namespace loyalty::sdk {

class AdminConnection {
 public:
  virtual ~AdminConnection() = default;

  virtual absl::StatusOr<RegisterPartnerResult> RegisterPartner(const RegisterPartnerParams& p) = 0;
  virtual absl::StatusOr<std::vector<Partner>> ListPartners() = 0;
  virtual absl::StatusOr<Partner> SuspendPartner(const SuspendPartnerParams& p) = 0;
  // Returns the new key; the old one stops working at once.
  virtual absl::StatusOr<std::string> RotateApiKey(const RotateApiKeyParams& p) = 0;
  virtual absl::StatusOr<Program> SetProgram(const Program& p) = 0;
  virtual absl::StatusOr<Program> GetProgram() = 0;
  virtual absl::StatusOr<std::vector<std::string>> IssueBearerCards(
      const IssueBearerCardsParams& p) = 0;
  // The result's partner_txn_id is the adjustment_id used.
  virtual absl::StatusOr<PostingResult> AdjustPoints(const AdjustPointsParams& p) = 0;
  virtual absl::StatusOr<ExpiryResult> RunExpiry() = 0;
  // Returns the new key (shown once).
  virtual absl::StatusOr<std::string> CreateOperatorKey(const CreateOperatorKeyParams& p) = 0;
  // Returns the rules as stored. INVALID_ARGUMENT naming the field (rates 0..10000, an
  // MCC twice), NOT_FOUND / FAILED_PRECONDITION when the partner is not an issuer.
  virtual absl::StatusOr<BankEarnRules> SetBankEarnRules(const SetBankEarnRulesParams& p) = 0;
  // NOT_FOUND when the bank has no rules yet.
  virtual absl::StatusOr<BankEarnRules> GetBankEarnRules(const GetBankEarnRulesParams& p) = 0;
};

// Makes the gRPC connection; errors as MakePartnerConnection(). The offline queue
// options are ignored: admin calls are never queued.
absl::StatusOr<std::shared_ptr<AdminConnection>> MakeAdminConnection(Options options);

}  // namespace loyalty::sdk

#endif  // LOYALTY_PARTNER_SDK_ADMIN_CONNECTION_H_
