// The interface behind PartnerClient: one method per PartnerService call plus the
// offline queue. MakePartnerConnection() returns the real one (gRPC to the hub); tests
// of a partner's own code use loyalty/mocks/mock_partner_connection.h instead.
//
// Contract of the real connection:
// - Every call has a deadline (Options::call_timeout per attempt, RetryPolicy
//   total_timeout over all attempts) and returns the hub's status code unchanged
//   (docs/api.md lists them): INVALID_ARGUMENT naming the field, NOT_FOUND,
//   FAILED_PRECONDITION, ALREADY_EXISTS, PERMISSION_DENIED, UNAUTHENTICATED, ...
// - Calls that carry a partner_txn_id, and the reads, are retried on UNAVAILABLE,
//   DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED and ABORTED with backoff, re-sending the same
//   partner_txn_id (and occurred_at), so a retry can never post twice.
// - Store-and-forward (Options::offline_queue_path set): an Earn that still fails
//   UNAVAILABLE or DEADLINE_EXCEEDED after its retries is written durably to the queue
//   file and returns OK with `queued = true`. While earns wait, a new Earn joins the end
//   of the queue so earns post in the order they were made. The queue drains, in order,
//   on DrainOfflineQueue() and by itself after any later successful call. Redemptions,
//   holds and reversals are never queued: they need the hub's answer at the till.
//
// Thread-safety: every method may be called from many threads at once; they share one
// gRPC channel and one queue file.
#ifndef LOYALTY_PARTNER_SDK_PARTNER_CONNECTION_H_
#define LOYALTY_PARTNER_SDK_PARTNER_CONNECTION_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "loyalty/options.h"
#include "loyalty/partner_types.h"

namespace loyalty::sdk {

class PartnerConnection {
 public:
  virtual ~PartnerConnection() = default;

  virtual absl::StatusOr<EnrollMemberResult> EnrollMember(const EnrollMemberParams& p) = 0;
  virtual absl::StatusOr<LinkCardResult> LinkCard(const LinkCardParams& p) = 0;
  virtual absl::StatusOr<PostingResult> RegisterBearerCard(const RegisterBearerCardParams& p) = 0;
  virtual absl::StatusOr<Balance> GetBalance(const GetBalanceParams& p) = 0;
  virtual absl::StatusOr<QuoteEarnResult> QuoteEarn(const QuoteEarnParams& p) = 0;
  virtual absl::StatusOr<EarnResult> Earn(const EarnParams& p) = 0;
  virtual absl::StatusOr<PostingResult> Redeem(const RedeemParams& p) = 0;
  virtual absl::StatusOr<AuthorizeRedemptionResult> AuthorizeRedemption(
      const AuthorizeRedemptionParams& p) = 0;
  virtual absl::StatusOr<PostingResult> CaptureRedemption(const CaptureRedemptionParams& p) = 0;
  virtual absl::StatusOr<PostingResult> VoidRedemption(const VoidRedemptionParams& p) = 0;
  virtual absl::StatusOr<ReverseResult> Reverse(const ReverseParams& p) = 0;
  virtual absl::StatusOr<TransactionPage> ListTransactions(const ListTransactionsParams& p) = 0;
  // Idempotent (retried). ALREADY_EXISTS when another partner registered the id.
  virtual absl::StatusOr<RegisterMerchantIdResult> RegisterMerchantId(
      const RegisterMerchantIdParams& p) = 0;
  // Sets or replaces the member's PIN (retried: setting the same PIN twice is harmless).
  // INVALID_ARGUMENT pin unless 4..8 digits; NOT_FOUND for an unknown card. A locked PIN
  // stays locked until the operator's AdminClient::UnlockMemberPin.
  virtual absl::Status SetMemberPin(const SetMemberPinParams& p) = 0;
  virtual absl::StatusOr<ProgramRules> GetProgramRules(const GetProgramRulesParams& p) = 0;

  // Replays queued earns in order until the queue is empty or the hub stops answering.
  // FAILED_PRECONDITION if the connection has no offline queue.
  virtual absl::StatusOr<DrainResult> DrainOfflineQueue() = 0;
  // How many earns wait in the offline queue (0 without one).
  virtual absl::StatusOr<int64_t> QueuedEarns() = 0;
  // The queued earns the hub refused on replay, oldest first (empty without a queue).
  virtual absl::StatusOr<std::vector<FailedEarn>> FailedEarns() = 0;
};

// Makes the gRPC connection: one channel for all calls. Fails INVALID_ARGUMENT for bad
// options (empty target, half of a client certificate, limits out of range), NOT_FOUND
// for an unreadable TLS file, and the queue's error if the offline queue file cannot be
// opened. Does not contact the hub: the first call does.
absl::StatusOr<std::shared_ptr<PartnerConnection>> MakePartnerConnection(Options options);

}  // namespace loyalty::sdk

#endif  // LOYALTY_PARTNER_SDK_PARTNER_CONNECTION_H_
