#include "partner_connection_impl.h"

#include <cassert>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "convert.h"
#include "hub/common/status_macros.h"
#include "loyalty/partner_client.h"
#include "uuid.h"

namespace loyalty::sdk::internal {
namespace {

// Earns an automatic drain (after a successful call) replays at most, so one sale at the
// till never waits for a long backlog; DrainOfflineQueue() has no such limit.
constexpr int64_t kAutoDrainBatch = 64;
constexpr int64_t kUnlimited = INT64_MAX;

std::string IdOrNew(const std::string& id) { return id.empty() ? NewUuidV4() : id; }

// The sale's time, stamped once so every retry and replay sends identical content
// (the hub compares it when it recognises a repeated partner_txn_id).
int64_t TimeOrNow(int64_t micros) { return micros != 0 ? micros : absl::ToUnixMicros(absl::Now()); }

// The hub refused this earn for reasons of its own content: replaying it again cannot
// help. Other failures (unreachable, key revoked, hub bug) stop the drain instead, so
// no earn is set aside because of a problem that is not its own.
bool IsRejection(absl::StatusCode code) {
  return code == absl::StatusCode::kInvalidArgument || code == absl::StatusCode::kNotFound ||
         code == absl::StatusCode::kAlreadyExists ||
         code == absl::StatusCode::kFailedPrecondition || code == absl::StatusCode::kOutOfRange;
}

// Automatic drains make one attempt per earn: the hub has just answered, and a failure
// must not hold up the call that triggered the drain.
RetryPolicy SingleAttempt(const RetryPolicy& p) {
  RetryPolicy once = p;
  once.max_attempts = 1;
  return once;
}

}  // namespace

PartnerConnectionImpl::PartnerConnectionImpl(Options options,
                                             const std::shared_ptr<grpc::Channel>& channel,
                                             std::unique_ptr<OfflineQueue> queue)
    : runner_(std::move(options), channel),
      stub_(v1::PartnerService::NewStub(channel)),
      queue_(std::move(queue)) {
  // Earns left by an earlier process wait for the first successful call.
  maybe_backlog_.store(queue_ != nullptr);
}

template <typename Req, typename Resp>
absl::StatusOr<Resp> PartnerConnectionImpl::Call(const char* name, Method<Req, Resp> method,
                                                 const Req& req, const std::string& txn_id) {
  absl::StatusOr<Resp> resp = runner_.Unary(CallSpec{name, txn_id, true}, stub_.get(), method, req);
  if (resp.ok() && maybe_backlog_.load()) TryDrain().IgnoreError();
  return resp;
}

absl::StatusOr<EnrollMemberResult> PartnerConnectionImpl::EnrollMember(
    const EnrollMemberParams& p) {
  v1::EnrollMemberRequest req;
  req.set_partner_txn_id(IdOrNew(p.partner_txn_id));
  ASSIGN_OR_RETURN(v1::EnrollMemberResponse r,
                   Call("EnrollMember", &Stub::EnrollMember, req, req.partner_txn_id()));
  return EnrollMemberResult{req.partner_txn_id(), r.member_id(), r.card_number(), r.replayed()};
}

absl::StatusOr<LinkCardResult> PartnerConnectionImpl::LinkCard(const LinkCardParams& p) {
  v1::LinkCardRequest req;
  req.set_partner_txn_id(IdOrNew(p.partner_txn_id));
  req.set_card_number(p.card_number);
  req.set_new_card_number(p.new_card_number);
  ASSIGN_OR_RETURN(v1::LinkCardResponse r,
                   Call("LinkCard", &Stub::LinkCard, req, req.partner_txn_id()));
  return LinkCardResult{req.partner_txn_id(), r.member_id(), r.replayed()};
}

absl::StatusOr<PostingResult> PartnerConnectionImpl::RegisterBearerCard(
    const RegisterBearerCardParams& p) {
  v1::RegisterBearerCardRequest req;
  req.set_partner_txn_id(IdOrNew(p.partner_txn_id));
  req.set_card_number(p.card_number);
  req.set_bearer_card_number(p.bearer_card_number);
  ASSIGN_OR_RETURN(
      v1::RegisterBearerCardResponse r,
      Call("RegisterBearerCard", &Stub::RegisterBearerCard, req, req.partner_txn_id()));
  return FromProto(r.result(), req.partner_txn_id());
}

absl::StatusOr<Balance> PartnerConnectionImpl::GetBalance(const GetBalanceParams& p) {
  v1::GetBalanceRequest req;
  req.set_card_number(p.card_number);
  ASSIGN_OR_RETURN(v1::Balance r, Call("GetBalance", &Stub::GetBalance, req, ""));
  return FromProto(r);
}

absl::StatusOr<QuoteEarnResult> PartnerConnectionImpl::QuoteEarn(const QuoteEarnParams& p) {
  v1::QuoteEarnRequest req;
  req.set_card_number(p.card_number);
  *req.mutable_amount() = ToProto(p.amount);
  ASSIGN_OR_RETURN(v1::QuoteEarnResponse r, Call("QuoteEarn", &Stub::QuoteEarn, req, ""));
  return QuoteEarnResult{r.points(), r.breakdown().base_points(), FromProto(r.breakdown())};
}

absl::StatusOr<EarnResult> PartnerConnectionImpl::EarnOnline(const EarnParams& p,
                                                             const RetryPolicy& policy) {
  const v1::EarnRequest req = ToProto(p);
  v1::EarnResponse r;
  RETURN_IF_ERROR(
      runner_.Run(CallSpec{"Earn", p.partner_txn_id, true}, policy, [&](grpc::ClientContext* ctx) {
        r.Clear();
        return stub_->Earn(ctx, req, &r);
      }));
  EarnResult out;
  out.posting = FromProto(r.result(), p.partner_txn_id);
  out.base_points = r.breakdown().base_points();
  out.expires_at_micros = r.expires_at_micros();
  out.breakdown = FromProto(r.breakdown());
  return out;
}

absl::StatusOr<EarnResult> PartnerConnectionImpl::Enqueue(EarnParams p, int64_t sale_time,
                                                          const absl::Status& why) {
  p.occurred_at_micros = sale_time;
  absl::Status pushed = queue_->Push(p);
  if (!pushed.ok()) {
    // The sale cannot be stored: report both problems, as UNAVAILABLE (try again).
    return absl::UnavailableError(absl::StrCat(why.message(), "; and ", pushed.message()));
  }
  maybe_backlog_.store(true);
  EarnResult out;
  out.posting.partner_txn_id = p.partner_txn_id;
  out.queued = true;
  return out;
}

absl::StatusOr<EarnResult> PartnerConnectionImpl::Earn(const EarnParams& params) {
  EarnParams p = params;
  p.partner_txn_id = IdOrNew(p.partner_txn_id);
  // Sent as given: without a time the hub takes its own clock, so sending the same call
  // again (a retry, the CLI run twice) is the same request and replays. A sale that goes
  // to the offline queue keeps the time it was made (the hub takes an original sent
  // without a time as the same request).
  const int64_t sale_time = TimeOrNow(p.occurred_at_micros);
  // Earns made while others wait go behind them, so the hub sees them in sale order.
  // A backlog blocked by something else (a revoked key) must not hide that from the
  // till: then the earn goes out live and reports it.
  if (queue_ != nullptr && maybe_backlog_.load()) {
    absl::Status drained = TryDrain();
    if (IsUnreachable(drained.code())) return Enqueue(p, sale_time, drained);
  }
  absl::StatusOr<EarnResult> r = EarnOnline(p, runner_.options().retry);
  if (!r.ok() && queue_ != nullptr && IsUnreachable(r.status().code())) {
    return Enqueue(p, sale_time, r.status());
  }
  return r;
}

absl::StatusOr<PostingResult> PartnerConnectionImpl::Redeem(const RedeemParams& params) {
  RedeemParams p = params;
  p.partner_txn_id = IdOrNew(p.partner_txn_id);
  ASSIGN_OR_RETURN(v1::RedeemResponse r,
                   Call("Redeem", &Stub::Redeem, ToRedeemProto(p), p.partner_txn_id));
  return FromProto(r.result(), p.partner_txn_id);
}

absl::StatusOr<AuthorizeRedemptionResult> PartnerConnectionImpl::AuthorizeRedemption(
    const AuthorizeRedemptionParams& params) {
  AuthorizeRedemptionParams p = params;
  p.partner_txn_id = IdOrNew(p.partner_txn_id);
  ASSIGN_OR_RETURN(v1::AuthorizeRedemptionResponse r,
                   Call("AuthorizeRedemption", &Stub::AuthorizeRedemption, ToAuthorizeProto(p),
                        p.partner_txn_id));
  return AuthorizeRedemptionResult{FromProto(r.result(), p.partner_txn_id),
                                   r.hold_expires_at_micros()};
}

absl::StatusOr<PostingResult> PartnerConnectionImpl::CaptureRedemption(
    const CaptureRedemptionParams& params) {
  CaptureRedemptionParams p = params;
  p.partner_txn_id = IdOrNew(p.partner_txn_id);
  ASSIGN_OR_RETURN(
      v1::CaptureRedemptionResponse r,
      Call("CaptureRedemption", &Stub::CaptureRedemption, ToProto(p), p.partner_txn_id));
  return FromProto(r.result(), p.partner_txn_id);
}

absl::StatusOr<PostingResult> PartnerConnectionImpl::VoidRedemption(const VoidRedemptionParams& p) {
  v1::VoidRedemptionRequest req;
  req.set_partner_txn_id(IdOrNew(p.partner_txn_id));
  req.set_authorization_partner_txn_id(p.authorization_partner_txn_id);
  ASSIGN_OR_RETURN(v1::VoidRedemptionResponse r,
                   Call("VoidRedemption", &Stub::VoidRedemption, req, req.partner_txn_id()));
  return FromProto(r.result(), req.partner_txn_id());
}

absl::StatusOr<ReverseResult> PartnerConnectionImpl::Reverse(const ReverseParams& params) {
  ReverseParams p = params;
  p.partner_txn_id = IdOrNew(p.partner_txn_id);
  ASSIGN_OR_RETURN(v1::ReverseResponse r,
                   Call("Reverse", &Stub::Reverse, ToProto(p), p.partner_txn_id));
  return ReverseResult{FromProto(r.result(), p.partner_txn_id), r.debt_created()};
}

absl::StatusOr<TransactionPage> PartnerConnectionImpl::ListTransactions(
    const ListTransactionsParams& p) {
  v1::ListTransactionsRequest req;
  req.set_page_size(p.page_size);
  req.set_page_token(p.page_token);
  req.set_card_number(p.card_number);
  req.set_since_micros(p.since_micros);
  req.set_until_micros(p.until_micros);
  ASSIGN_OR_RETURN(v1::ListTransactionsResponse r,
                   Call("ListTransactions", &Stub::ListTransactions, req, ""));
  TransactionPage page;
  page.next_page_token = r.next_page_token();
  for (const v1::Transaction& t : r.transactions()) page.transactions.push_back(FromProto(t));
  return page;
}

absl::StatusOr<RegisterMerchantIdResult> PartnerConnectionImpl::RegisterMerchantId(
    const RegisterMerchantIdParams& p) {
  v1::RegisterMerchantIdRequest req;
  req.set_merchant_id(p.merchant_id);
  ASSIGN_OR_RETURN(v1::RegisterMerchantIdResponse r,
                   Call("RegisterMerchantId", &Stub::RegisterMerchantId, req, ""));
  return RegisterMerchantIdResult{r.replayed()};
}

absl::StatusOr<ProgramRules> PartnerConnectionImpl::GetProgramRules(
    const GetProgramRulesParams& p) {
  v1::GetProgramRulesRequest req;
  req.set_include_ended(p.include_ended);
  ASSIGN_OR_RETURN(v1::ProgramRules r, Call("GetProgramRules", &Stub::GetProgramRules, req, ""));
  ProgramRules out;
  out.program = FromProto(r.program());
  for (const v1::Tier& t : r.tiers()) out.tiers.push_back(FromProto(t));
  for (const v1::Promotion& pr : r.promotions()) out.promotions.push_back(FromProto(pr));
  return out;
}

absl::Status PartnerConnectionImpl::SetMemberPin(const SetMemberPinParams& p) {
  v1::SetMemberPinRequest req;
  req.set_card_number(p.card_number);
  req.set_pin(p.pin);
  return Call("SetMemberPin", &Stub::SetMemberPin, req, "").status();
}

absl::Status PartnerConnectionImpl::TryDrain() {
  if (!drain_mu_.TryLock()) {
    return absl::UnavailableError("earlier earns are being sent by another thread");
  }
  absl::StatusOr<DrainResult> r =
      DrainLocked(kAutoDrainBatch, SingleAttempt(runner_.options().retry));
  drain_mu_.Unlock();
  if (!r.ok()) return r.status();
  if (r->remaining == 0) return absl::OkStatus();
  if (!r->stopped_by.ok()) return r->stopped_by;
  return absl::UnavailableError("earlier earns are still waiting to be sent");
}

absl::StatusOr<DrainResult> PartnerConnectionImpl::DrainLocked(int64_t limit,
                                                               const RetryPolicy& policy) {
  DrainResult out;
  // Cleared before looking, so an earn queued meanwhile sets it again and is not missed.
  maybe_backlog_.store(false);
  while (out.posted + out.rejected < limit) {
    ASSIGN_OR_RETURN(std::optional<QueuedEarn> next, queue_->Front());
    if (!next.has_value()) break;
    absl::StatusOr<EarnResult> r = EarnOnline(next->earn, policy);
    if (r.ok()) {
      RETURN_IF_ERROR(queue_->Remove(next->seq));
      ++out.posted;
    } else if (IsRejection(r.status().code())) {
      RETURN_IF_ERROR(queue_->MoveToFailed(next->seq, r.status(), absl::ToUnixMicros(absl::Now())));
      ++out.rejected;
    } else {
      out.stopped_by = r.status();
      break;
    }
  }
  ASSIGN_OR_RETURN(out.remaining, queue_->Count());
  if (out.remaining > 0) maybe_backlog_.store(true);
  return out;
}

absl::StatusOr<DrainResult> PartnerConnectionImpl::DrainOfflineQueue() {
  if (queue_ == nullptr) {
    return absl::FailedPreconditionError("offline_queue_path: no offline queue configured");
  }
  absl::MutexLock lock(&drain_mu_);
  return DrainLocked(kUnlimited, runner_.options().retry);
}

absl::StatusOr<int64_t> PartnerConnectionImpl::QueuedEarns() {
  if (queue_ == nullptr) return 0;
  return queue_->Count();
}

absl::StatusOr<std::vector<FailedEarn>> PartnerConnectionImpl::FailedEarns() {
  if (queue_ == nullptr) return std::vector<FailedEarn>();
  return queue_->Failed();
}

}  // namespace loyalty::sdk::internal

namespace loyalty::sdk {

absl::StatusOr<std::shared_ptr<PartnerConnection>> MakePartnerConnection(Options options) {
  RETURN_IF_ERROR(internal::ValidateOptions(options));
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel, internal::MakeChannel(options));
  std::unique_ptr<internal::OfflineQueue> queue;
  if (!options.offline_queue_path.empty()) {
    ASSIGN_OR_RETURN(
        queue, internal::OfflineQueue::Open(options.offline_queue_path, options.max_queued_earns));
  }
  return std::shared_ptr<PartnerConnection>(
      new internal::PartnerConnectionImpl(std::move(options), channel, std::move(queue)));
}

PartnerClient::PartnerClient(std::shared_ptr<PartnerConnection> connection)
    : conn_(std::move(connection)) {
  assert(conn_ != nullptr);
}

}  // namespace loyalty::sdk
