#include "hub/api/event_service.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "hub/common/error_reason.h"
#include "hub/common/status_macros.h"
#include "hub/ledger/validate.h"
#include "hub/store/member_rows.h"

namespace loyalty {
namespace {

constexpr char kMethod[] = "Subscribe";

void ToProto(const EventRow& e, v1::Event* out) {
  out->set_event_id(e.id);
  out->set_cursor(e.seq);
  out->set_type(e.type);
  out->set_member_id(e.member_id);
  out->set_partner_id(e.partner_id);
  out->set_hub_txn_id(e.txn_id.value_or(0));
  out->set_partner_txn_id(e.partner_txn_id);
  out->set_points(e.points);
  if (e.balance_after.has_value()) out->set_balance_after(*e.balance_after);
  if (e.available_after.has_value()) out->set_available_after(*e.available_after);
  if (!e.currency.empty()) {
    out->mutable_amount()->set_amount_minor(e.amount_minor);
    out->mutable_amount()->set_currency(e.currency);
  }
  out->set_occurred_at_micros(e.occurred_at);
  out->set_detail_json(e.detail);
}

// The request checked against the caller: the query it asks for, or the field at fault.
absl::StatusOr<EventQuery> QueryOf(const v1::SubscribeRequest& req, const Principal& caller) {
  EventQuery q;
  if (req.since_cursor() < 0) return InvalidField("since_cursor", "must not be negative");
  if (req.member_id() < 0) return InvalidField("member_id", "must not be negative");
  if (req.partner_id() < 0) return InvalidField("partner_id", "must not be negative");
  if (req.types_size() > 64) return InvalidField("types", "at most 64 types");
  for (const std::string& t : req.types()) {
    if (!IsEventType(t)) {
      return InvalidField("types", absl::StrCat("unknown event type \"", t.substr(0, 40),
                                                "\" (docs/events.md lists them)"));
    }
    q.types.push_back(t);
  }
  q.after_seq = req.since_cursor();
  q.is_operator = caller.role == Role::kAdmin || caller.role == Role::kFinance;
  if (q.is_operator) {
    if (req.partner_id() != 0) q.only_partner = req.partner_id();
  } else {
    if (req.partner_id() != 0 && req.partner_id() != caller.partner_id) {
      return WithField(WithReason(absl::PermissionDeniedError(
                                      "partner_id: a partner key reads its own events only"),
                                  reason::kOtherPartnersData),
                       "partner_id");
    }
    q.partner = caller.partner_id;
  }
  if (req.member_id() != 0) q.member = req.member_id();
  return q;
}

// One Subscribe call. Never blocks a gRPC thread: reads run on the worker pool, and a
// caught-up stream waits in the feed (EventFeed::WaitAfter), not on a thread. One write
// at a time; the next read starts when it is done, so a slow client slows only itself.
//
// Lifetime: gRPC holds one reference until OnDone, and each read queued on the pool or
// waiting in the feed holds one; the last to let go deletes the reactor.
class SubscribeReactor final : public grpc::ServerWriteReactor<v1::EventBatch> {
 public:
  SubscribeReactor(ServiceEnv env, Store* store, EventFeed* feed, EventServiceOptions options,
                   grpc::CallbackServerContext* ctx, const v1::SubscribeRequest& req)
      : env_(std::move(env)),
        store_(store),
        feed_(feed),
        options_(options),
        ctx_(ctx),
        req_(req),
        header_(AuthorizationHeader(ctx)),
        peer_(PeerIdentityOf(*ctx)) {
    ScheduleRead();
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      End(absl::CancelledError("the client went away"));
    } else {
      ScheduleRead();
    }
    Unref();  // the write's
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
  }

  void OnDone() override { Unref(); }

 private:
  void Ref() {
    absl::MutexLock lock(&mu_);
    ++refs_;
  }
  void Unref() {
    bool last = false;
    {
      absl::MutexLock lock(&mu_);
      last = --refs_ == 0;
    }
    if (last) delete this;
  }

  // Queues Read on the pool (RESOURCE_EXHAUSTED when it is full).
  void ScheduleRead() {
    Ref();
    if (!env_.pool->Submit([this] {
          Read();
          Unref();
        })) {
      End(HubAtCapacity());
      Unref();
    }
  }

  // Ends the call once; logs a failure.
  void End(const absl::Status& s) {
    {
      absl::MutexLock lock(&mu_);
      if (finished_) return;
      finished_ = true;
    }
    if (!s.ok() && !absl::IsCancelled(s)) LogCallFailure(kMethod, actor_, s);
    Finish(ToGrpcStatus(s));
  }

  // On the pool: the first time authenticates; then reads what follows the cursor and
  // writes it, or waits for more (follow), or ends the call (caught up, not following).
  void Read() {
    {
      absl::MutexLock lock(&mu_);
      if (finished_) return;
      if (cancelled_) {
        finished_ = true;
        Finish(grpc::Status::CANCELLED);
        return;
      }
    }
    if (!query_.has_value()) {
      absl::StatusOr<Principal> caller =
          Admit(env_, env_.auth->Authenticate(header_, peer_),
                {Role::kAdmin, Role::kFinance, Role::kMerchant, Role::kIssuer}, kMethod, &actor_);
      absl::StatusOr<EventQuery> q =
          caller.ok() ? QueryOf(req_, *caller) : absl::StatusOr<EventQuery>(caller.status());
      if (!q.ok()) {
        End(q.status());
        return;
      }
      q->limit = options_.max_batch;
      query_ = *std::move(q);
    }
    const int64_t last = feed_->last_seq();
    if (query_->after_seq >= last) {
      if (!req_.follow()) {
        End(absl::OkStatus());
        return;
      }
      Ref();
      feed_->WaitAfter(query_->after_seq, [this] {
        ScheduleRead();
        Unref();
      });
      return;
    }
    query_->until_seq = std::min(last, query_->after_seq + options_.max_scan);
    std::vector<EventRow> rows;
    absl::Status s = store_->RunEventTransaction([&](EventRows& events) -> absl::Status {
      ASSIGN_OR_RETURN(rows, events.ReadEvents(*query_));
      return absl::OkStatus();
    });
    if (!s.ok()) {
      End(s);
      return;
    }
    // A full batch stops at its last event; otherwise everything up to until_seq has
    // been looked at.
    const int64_t cursor = static_cast<int>(rows.size()) >= query_->limit ? rows.back().seq
                                                                         : *query_->until_seq;
    query_->after_seq = cursor;
    batch_.Clear();
    for (const EventRow& e : rows) ToProto(e, batch_.add_events());
    batch_.set_cursor(cursor);
    Ref();  // released in OnWriteDone
    StartWrite(&batch_);
  }

  ServiceEnv env_;
  Store* const store_;
  EventFeed* const feed_;
  const EventServiceOptions options_;
  grpc::CallbackServerContext* const ctx_;
  const v1::SubscribeRequest req_;
  const std::string header_;
  const PeerIdentity peer_;
  std::string actor_ = "anonymous";
  std::optional<EventQuery> query_;  // set once the caller is admitted
  v1::EventBatch batch_;             // the message being written

  absl::Mutex mu_;
  int refs_ ABSL_GUARDED_BY(mu_) = 1;  // gRPC's, until OnDone
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

grpc::ServerWriteReactor<v1::EventBatch>* EventServiceImpl::Subscribe(
    grpc::CallbackServerContext* ctx, const v1::SubscribeRequest* req) {
  return new SubscribeReactor(env_, store_, feed_, options_, ctx, *req);
}

}  // namespace loyalty
