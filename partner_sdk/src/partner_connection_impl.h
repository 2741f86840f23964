// The real PartnerConnection: gRPC to the hub, retries, and the offline earn queue.
#ifndef LOYALTY_PARTNER_SDK_SRC_PARTNER_CONNECTION_IMPL_H_
#define LOYALTY_PARTNER_SDK_SRC_PARTNER_CONNECTION_IMPL_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "call_runner.h"
#include "loyalty/partner_connection.h"
#include "loyalty/v1/partner.grpc.pb.h"
#include "offline_queue.h"

namespace loyalty::sdk::internal {

class PartnerConnectionImpl : public PartnerConnection {
 public:
  // `queue` may be null (store-and-forward off).
  PartnerConnectionImpl(Options options, const std::shared_ptr<grpc::Channel>& channel,
                        std::unique_ptr<OfflineQueue> queue);

  absl::StatusOr<EnrollMemberResult> EnrollMember(const EnrollMemberParams& p) override;
  absl::StatusOr<LinkCardResult> LinkCard(const LinkCardParams& p) override;
  absl::StatusOr<PostingResult> RegisterBearerCard(const RegisterBearerCardParams& p) override;
  absl::StatusOr<Balance> GetBalance(const GetBalanceParams& p) override;
  absl::StatusOr<QuoteEarnResult> QuoteEarn(const QuoteEarnParams& p) override;
  absl::StatusOr<EarnResult> Earn(const EarnParams& p) override;
  absl::StatusOr<PostingResult> Redeem(const RedeemParams& p) override;
  absl::StatusOr<AuthorizeRedemptionResult> AuthorizeRedemption(
      const AuthorizeRedemptionParams& p) override;
  absl::StatusOr<PostingResult> CaptureRedemption(const CaptureRedemptionParams& p) override;
  absl::StatusOr<PostingResult> VoidRedemption(const VoidRedemptionParams& p) override;
  absl::StatusOr<ReverseResult> Reverse(const ReverseParams& p) override;
  absl::StatusOr<TransactionPage> ListTransactions(const ListTransactionsParams& p) override;
  absl::StatusOr<RegisterMerchantIdResult> RegisterMerchantId(
      const RegisterMerchantIdParams& p) override;
  absl::Status SetMemberPin(const SetMemberPinParams& p) override;
  absl::StatusOr<ProgramRules> GetProgramRules(const GetProgramRulesParams& p) override;
  absl::StatusOr<DrainResult> DrainOfflineQueue() override;
  absl::StatusOr<int64_t> QueuedEarns() override;
  absl::StatusOr<std::vector<FailedEarn>> FailedEarns() override;

 private:
  using Stub = v1::PartnerService::Stub;
  template <typename Req, typename Resp>
  using Method = grpc::Status (Stub::*)(grpc::ClientContext*, const Req&, Resp*);

  // One call with the connection's retry policy; then an automatic drain if earns wait.
  template <typename Req, typename Resp>
  absl::StatusOr<Resp> Call(const char* name, Method<Req, Resp> method, const Req& req,
                            const std::string& txn_id);
  absl::StatusOr<EarnResult> EarnOnline(const EarnParams& p, const RetryPolicy& policy);
  // Stores the earn in the offline queue, stamped with the time of the sale.
  absl::StatusOr<EarnResult> Enqueue(EarnParams p, int64_t sale_time, const absl::Status& why);
  // A short drain (one attempt per earn, kAutoDrainBatch earns) unless another thread is
  // draining. OK if no earn waits afterwards; UNAVAILABLE / DEADLINE_EXCEEDED if the hub
  // is unreachable or another thread drains; else what stopped the drain.
  absl::Status TryDrain();
  // Replays up to `limit` queued earns in order with `policy`.
  absl::StatusOr<DrainResult> DrainLocked(int64_t limit, const RetryPolicy& policy)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(drain_mu_);

  const CallRunner runner_;
  const std::unique_ptr<Stub> stub_;
  const std::unique_ptr<OfflineQueue> queue_;
  // One drainer at a time keeps replays in queue order.
  absl::Mutex drain_mu_;
  // Set when earns may be waiting; lets successful calls skip a queue lookup otherwise.
  std::atomic<bool> maybe_backlog_{false};
};

}  // namespace loyalty::sdk::internal

#endif  // LOYALTY_PARTNER_SDK_SRC_PARTNER_CONNECTION_IMPL_H_
