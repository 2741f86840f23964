#include "hub/api/bank_service.h"

#include <deque>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "hub/api/page_token.h"
#include "hub/common/error_reason.h"
#include "hub/common/secure_random.h"
#include "hub/common/status_macros.h"
#include "hub/ledger/validate.h"

namespace loyalty {
namespace {

v1::ClearingStatus ToProtoStatus(const std::string& s) {
  if (s == clearing_status::kEarned) return v1::CLEARING_STATUS_EARNED;
  if (s == clearing_status::kNoEarn) return v1::CLEARING_STATUS_NO_EARN;
  if (s == clearing_status::kReversed) return v1::CLEARING_STATUS_REVERSED;
  if (s == clearing_status::kUnmatched) return v1::CLEARING_STATUS_UNMATCHED_REFUND;
  return v1::CLEARING_STATUS_UNSPECIFIED;
}

absl::StatusOr<ClearingParams> ToParams(const v1::ClearingRecord& r, PartnerId bank,
                                        const std::string& key) {
  ClearingParams p;
  p.bank_id = bank;
  p.clearing_id = r.clearing_id();
  ASSIGN_OR_RETURN(p.card_ref, CardRefFrom(r.card(), key, "card"));
  p.amount_minor = r.amount().amount_minor();
  p.currency = r.amount().currency();
  p.mcc = r.mcc();
  p.merchant_id = r.merchant_id();
  if (r.type() != v1::CLEARING_TYPE_PURCHASE && r.type() != v1::CLEARING_TYPE_REFUND) {
    return InvalidField("type", "must be CLEARING_TYPE_PURCHASE or CLEARING_TYPE_REFUND");
  }
  p.refund = r.type() == v1::CLEARING_TYPE_REFUND;
  p.original_clearing_id = r.original_clearing_id();
  p.occurred_at = r.occurred_at_micros();
  return p;
}

// The answer to one clearing record: a rejected record is answered, not fatal.
v1::ClearingResult ResultOf(PartnerId bank, const v1::ClearingRecord& r,
                            const absl::StatusOr<ClearingOutcome>& outcome) {
  v1::ClearingResult out;
  out.set_clearing_id(r.clearing_id());
  if (!outcome.ok()) {
    out.set_status(v1::CLEARING_STATUS_REJECTED);
    out.set_code(static_cast<int>(outcome.status().code()));
    const bool internal = outcome.status().code() == absl::StatusCode::kInternal ||
                          outcome.status().code() == absl::StatusCode::kUnavailable;
    out.set_reason(internal ? "hub error; resend the record later"
                            : std::string(outcome.status().message()));
    out.set_error_reason(ReasonOf(outcome.status()));
    if (!internal) out.set_field(FieldOf(outcome.status()));
    if (internal) LogCallFailure("SubmitCardTransactions", ActorName({Role::kIssuer, bank}),
                                 outcome.status());
    return out;
  }
  out.set_status(ToProtoStatus(outcome->status));
  out.set_points(outcome->points);
  out.set_reason(outcome->reason);
  out.set_hub_txn_id(outcome->txn_id);
  out.set_replayed(outcome->replayed);
  return out;
}

// The clearing stream. Reading, posting and writing overlap: records are read while
// earlier ones are posted, and posted in batches (all records waiting, up to
// kMaxBatch, in one call of BankLedger::SubmitClearings: one transaction under group
// commit) while earlier results are written. Results keep the records' order. At most
// kMaxUnposted records wait; beyond that reading pauses (flow control reaches the bank).
// Never blocks a gRPC thread: every database call runs on the pool. Each record takes
// one token of the bank's rate limit; without one the stream ends RESOURCE_EXHAUSTED
// with a retry delay after the results of the records before it, and the bank resends
// the unanswered records (clearing ids make that safe).
class ClearingStream final
    : public grpc::ServerBidiReactor<v1::ClearingRecord, v1::ClearingResult> {
 public:
  explicit ClearingStream(ServiceEnv env, grpc::CallbackServerContext* ctx)
      : env_(std::move(env)),
        ctx_(ctx),
        header_(AuthorizationHeader(ctx)),
        peer_(PeerIdentityOf(*ctx)) {
    if (!env_.pool->Submit([this] { Authenticate(); })) {
      Finish(ToGrpcStatus(HubAtCapacity()));
    }
  }

  void OnReadDone(bool ok) override {
    bool read_more = false;
    bool post = false;
    {
      absl::MutexLock lock(&mu_);
      reading_ = false;
      if (!ok) {
        read_closed_ = true;  // the bank closed its side
      } else if (failed_.ok()) {
        unposted_.push_back(std::move(incoming_));
        incoming_.Clear();
        read_more = static_cast<int>(unposted_.size()) < kMaxUnposted;
        reading_ = read_more;
        post = !posting_;
        posting_ = true;
      }
    }
    if (read_more) StartRead(&incoming_);
    if (post && !env_.pool->Submit([this] { PostAll(); })) {
      absl::MutexLock lock(&mu_);
      posting_ = false;
      failed_ = HubAtCapacity();
    }
    MaybeFinish();
  }

  void OnWriteDone(bool ok) override {
    const v1::ClearingResult* next = nullptr;
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      if (!ok) {
        if (failed_.ok()) failed_ = absl::CancelledError("result could not be written");
        to_write_.clear();
      } else {
        to_write_.pop_front();
        next = ClaimWrite();
      }
    }
    if (next != nullptr) StartWrite(next);
    MaybeFinish();
  }

  void OnDone() override { delete this; }

 private:
  static constexpr int kMaxBatch = 256;
  static constexpr int kMaxUnposted = 1024;

  void Authenticate() {
    absl::StatusOr<Principal> p = env_.auth->Authenticate(header_, peer_);
    absl::Status s = p.status();
    if (s.ok()) s = RequireRole(*p, {Role::kIssuer}, "SubmitCardTransactions");
    if (!s.ok()) {
      LogCallFailure("SubmitCardTransactions", p.ok() ? ActorName(*p) : "anonymous", s);
      Finish(ToGrpcStatus(s));
      return;
    }
    bank_ = p->partner_id;
    {
      absl::MutexLock lock(&mu_);
      reading_ = true;
    }
    StartRead(&incoming_);
  }

  // On the pool while posting_: posts what waits, batch after batch, until none does.
  void PostAll() {
    for (;;) {
      std::vector<v1::ClearingRecord> batch;
      bool read_more = false;
      {
        absl::MutexLock lock(&mu_);
        while (!unposted_.empty() && static_cast<int>(batch.size()) < kMaxBatch) {
          batch.push_back(std::move(unposted_.front()));
          unposted_.pop_front();
        }
        // A cancelled call posts nothing more: the bank resends what was not answered.
        if (ctx_->IsCancelled() && failed_.ok()) failed_ = absl::CancelledError("call cancelled");
        if (batch.empty() || !failed_.ok()) {
          posting_ = false;
          break;
        }
        if (!reading_ && !read_closed_) reading_ = read_more = true;  // room again
      }
      if (read_more) StartRead(&incoming_);
      Post(batch);
    }
    MaybeFinish();
  }

  void Post(const std::vector<v1::ClearingRecord>& batch) {
    // One token a record, in order; the first record without one ends the stream.
    absl::Status limited;
    size_t allowed = batch.size();
    for (size_t i = 0; i < batch.size(); ++i) {
      limited = CheckRateLimit(env_, {Role::kIssuer, bank_});
      if (!limited.ok()) {
        allowed = i;
        break;
      }
    }
    std::vector<absl::StatusOr<ClearingOutcome>> outcomes(allowed, absl::UnknownError("not run"));
    std::vector<ClearingParams> params;
    std::vector<size_t> index;  // of each params entry in the batch
    for (size_t i = 0; i < allowed; ++i) {
      absl::StatusOr<ClearingParams> p = ToParams(batch[i], bank_, env_.pan_hmac_key);
      if (!p.ok()) {
        outcomes[i] = p.status();
        continue;
      }
      params.push_back(*std::move(p));
      index.push_back(i);
    }
    std::vector<absl::StatusOr<ClearingOutcome>> posted = env_.bank->SubmitClearings(params);
    for (size_t k = 0; k < posted.size(); ++k) outcomes[index[k]] = std::move(posted[k]);
    if (!limited.ok()) AddRetryAfterTrailer(ctx_, limited);
    const v1::ClearingResult* next = nullptr;
    {
      absl::MutexLock lock(&mu_);
      for (size_t i = 0; i < allowed; ++i) to_write_.push_back(ResultOf(bank_, batch[i], outcomes[i]));
      if (!limited.ok() && failed_.ok()) {
        failed_ = limited;
        unposted_.clear();
      }
      next = ClaimWrite();
    }
    if (next != nullptr) StartWrite(next);
  }

  // The next result to write, if no write is under way. Elements of a deque keep their
  // address while others are added at the back.
  const v1::ClearingResult* ClaimWrite() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_ || to_write_.empty()) return nullptr;
    writing_ = true;
    return &to_write_.front();
  }

  // Finishes once every result is written: after the bank closed its side, or at once
  // after a failure (a read still open is cancelled by Finish).
  void MaybeFinish() {
    grpc::Status status;
    {
      absl::MutexLock lock(&mu_);
      if (finished_ || posting_ || writing_ || !to_write_.empty()) return;
      if (failed_.ok() && !(read_closed_ && unposted_.empty())) return;
      finished_ = true;
      status = failed_.ok() ? grpc::Status::OK : ToGrpcStatus(failed_);
    }
    Finish(status);
  }

  const ServiceEnv env_;
  grpc::CallbackServerContext* const ctx_;  // valid until OnDone
  const std::string header_;
  const PeerIdentity peer_;
  PartnerId bank_ = 0;
  v1::ClearingRecord incoming_;  // the buffer of the read under way

  absl::Mutex mu_;
  std::deque<v1::ClearingRecord> unposted_ ABSL_GUARDED_BY(mu_);
  std::deque<v1::ClearingResult> to_write_ ABSL_GUARDED_BY(mu_);
  bool reading_ ABSL_GUARDED_BY(mu_) = false;
  bool read_closed_ ABSL_GUARDED_BY(mu_) = false;
  bool posting_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status failed_ ABSL_GUARDED_BY(mu_);  // ends the stream once writes drain
};

}  // namespace

absl::StatusOr<std::string> CardRefFrom(const v1::CardRef& card, const std::string& key,
                                        const char* field) {
  if (card.has_pan()) {
    // The PAN is checked and hashed here and goes no further; messages never echo it.
    if (!IsValidCardNumber(card.pan())) {
      return InvalidField(absl::StrCat(field, ".pan"),
                          "must be 12 to 19 digits with a valid check digit");
    }
    if (key.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          field, ".pan: this hub takes card tokens only (no PAN key configured)"));
    }
    return absl::StrCat("h:", HmacSha256Hex(key, card.pan()));
  }
  const std::string token = card.token();
  RETURN_IF_ERROR(ValidateIdempotencyKey(absl::StrCat(field, ".token"), token));
  if (token.rfind("h:", 0) == 0) {
    return InvalidField(absl::StrCat(field, ".token"), "must not start with h:");
  }
  return token;
}

grpc::ServerUnaryReactor* BankServiceImpl::LinkCoBrandedCard(
    grpc::CallbackServerContext* ctx, const v1::LinkCoBrandedCardRequest* req,
    v1::LinkCoBrandedCardResponse* resp) {
  return Serve(ctx, "LinkCoBrandedCard", [this, req, resp](const Principal& caller) -> absl::Status {
    ASSIGN_OR_RETURN(std::string ref, CardRefFrom(req->card(), env_.pan_hmac_key, "card"));
    ASSIGN_OR_RETURN(MemberId member,
                     env_.bank->LinkCard(caller.partner_id, req->card_number(), ref));
    resp->set_member_id(member);
    resp->set_card_ref(ref);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* BankServiceImpl::UnlinkCoBrandedCard(
    grpc::CallbackServerContext* ctx, const v1::UnlinkCoBrandedCardRequest* req,
    v1::UnlinkCoBrandedCardResponse*) {
  return Serve(ctx, "UnlinkCoBrandedCard", [this, req](const Principal& caller) -> absl::Status {
    ASSIGN_OR_RETURN(std::string ref, CardRefFrom(req->card(), env_.pan_hmac_key, "card"));
    return env_.bank->UnlinkCard(caller.partner_id, ref);
  });
}

grpc::ServerUnaryReactor* BankServiceImpl::ListCoBrandedCards(
    grpc::CallbackServerContext* ctx, const v1::ListCoBrandedCardsRequest* req,
    v1::ListCoBrandedCardsResponse* resp) {
  return Serve(ctx, "ListCoBrandedCards", [this, req, resp](const Principal&) -> absl::Status {
    ASSIGN_OR_RETURN(const int size, ResolvePageSize(req->page_size()));
    PageFilter filter;
    filter.Text(req->card_number());
    std::string after;
    if (!req->page_token().empty()) {
      ASSIGN_OR_RETURN(PageCursor c,
                       DecodePageToken(req->page_token(), PageList::kCoBrandedCards, filter, 0));
      after = std::move(c.text);
    }
    ASSIGN_OR_RETURN(std::vector<std::string> refs,
                     env_.bank->ListCards(req->card_number(), after, size + 1));
    const bool more = TrimToPage(&refs, size);
    if (more) {
      resp->set_next_page_token(
          EncodePageToken(PageList::kCoBrandedCards, filter, {{}, refs.back()}));
    }
    for (std::string& r : refs) resp->add_card_refs(std::move(r));
    return absl::OkStatus();
  });
}

grpc::ServerBidiReactor<v1::ClearingRecord, v1::ClearingResult>*
BankServiceImpl::SubmitCardTransactions(grpc::CallbackServerContext* ctx) {
  return new ClearingStream(env_, ctx);
}

grpc::ServerUnaryReactor* BankServiceImpl::GetCardStatement(
    grpc::CallbackServerContext* ctx, const v1::GetCardStatementRequest* req,
    v1::CardStatement* resp) {
  return Serve(ctx, "GetCardStatement", [this, req, resp](const Principal& caller) -> absl::Status {
    ASSIGN_OR_RETURN(std::string ref, CardRefFrom(req->card(), env_.pan_hmac_key, "card"));
    ASSIGN_OR_RETURN(CardStatementView v,
                     env_.bank->Statement(caller.partner_id, ref, req->month()));
    resp->set_card_ref(v.card_ref);
    resp->set_month(v.month);
    resp->set_currency(v.currency);
    resp->set_points_earned(v.points_earned);
    resp->set_points_reversed(v.points_reversed);
    resp->set_monthly_cap_points(v.monthly_cap_points);
    for (const StatementLineView& l : v.lines) {
      v1::StatementLine* line = resp->add_lines();
      line->set_merchant_id(l.merchant_id);
      line->set_partner_id(l.partner_id);
      line->set_partner_name(l.partner_name);
      line->set_purchases(l.purchases);
      line->set_amount_minor(l.amount_minor);
      line->set_points_earned(l.points_earned);
      line->set_points_reversed(l.points_reversed);
    }
    return absl::OkStatus();
  });
}

}  // namespace loyalty
