#include "hub/api/event_service.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "hub/common/error_reason.h"
#include "hub/common/status_macros.h"
#include "hub/api/page_token.h"
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
  SubscribeReactor(ServiceEnv env, Store* store, EventFeed* feed, StreamSlots* slots,
                   EventServiceOptions options, grpc::CallbackServerContext* ctx,
                   const v1::SubscribeRequest& req)
      : env_(std::move(env)),
        store_(store),
        feed_(feed),
        slots_(slots),
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
    if (last) {
      if (slot_.has_value()) slots_->Release(*slot_);
      delete this;
    }
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
    bool cancel = false;
    {
      absl::MutexLock lock(&mu_);
      if (finished_) return;
      cancel = cancelled_;
      finished_ = cancelled_;
    }
    if (cancel) {
      Finish(grpc::Status::CANCELLED);
      return;
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
      const PartnerId owner = q->is_operator ? kOperatorId : q->partner;
      if (!slots_->Acquire(owner)) {
        End(absl::ResourceExhaustedError(
            "too many event streams open for this partner; close one or resume later"));
        return;
      }
      slot_ = owner;
      q->limit = options_.max_batch;
      query_ = *std::move(q);
    }
    const int64_t last = feed_->last_seq();
    if (query_->after_seq >= last) {
      if (!req_.follow()) {
        End(absl::OkStatus());
        return;
      }
      Wait();
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
    last_read_ = absl::Now();
    // Nothing of the caller's: the moved cursor goes out at most once a second (a quiet
    // partner on a busy hub would otherwise get a message per poll).
    if (rows.empty() && req_.follow() && last_read_ - last_empty_write_ < absl::Seconds(1)) {
      Wait();
      return;
    }
    if (rows.empty()) last_empty_write_ = last_read_;
    batch_.Clear();
    for (const EventRow& e : rows) ToProto(e, batch_.add_events());
    batch_.set_cursor(cursor);
    Ref();  // released in OnWriteDone
    StartWrite(&batch_);
  }

  // Waits in the feed for events after the cursor, reading again no sooner than
  // kMinReadInterval after the last read (one read per burst of commits).
  void Wait() {
    Ref();
    feed_->WaitAfter(query_->after_seq, last_read_ + kMinReadInterval, [this] {
      ScheduleRead();
      Unref();
    });
  }

  static constexpr absl::Duration kMinReadInterval = absl::Milliseconds(100);

  ServiceEnv env_;
  Store* const store_;
  EventFeed* const feed_;
  StreamSlots* const slots_;
  const EventServiceOptions options_;
  grpc::CallbackServerContext* const ctx_;
  const v1::SubscribeRequest req_;
  const std::string header_;
  const PeerIdentity peer_;
  std::string actor_ = "anonymous";
  std::optional<EventQuery> query_;  // set once the caller is admitted
  std::optional<PartnerId> slot_;    // the stream slot taken, released at deletion
  absl::Time last_read_ = absl::InfinitePast();
  absl::Time last_empty_write_ = absl::InfinitePast();
  v1::EventBatch batch_;             // the message being written

  absl::Mutex mu_;
  int refs_ ABSL_GUARDED_BY(mu_) = 1;  // gRPC's, until OnDone
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
};

const std::vector<Role> kWebhookRoles = {Role::kAdmin, Role::kMerchant, Role::kIssuer};

WebhookOwner OwnerOf(const Principal& caller) {
  return {caller.role == Role::kAdmin, caller.partner_id, ActorName(caller)};
}

void ToProto(const WebhookRow& w, v1::Webhook* out) {
  out->set_webhook_id(w.id);
  out->set_partner_id(w.partner_id);
  out->set_url(w.url);
  for (const std::string& t : w.types) out->add_types(t);
  out->set_active(w.active);
  out->set_cursor(w.cursor_seq);
  out->set_created_at_micros(w.created_at);
}

}  // namespace

bool StreamSlots::Acquire(PartnerId partner) {
  absl::MutexLock lock(&mu_);
  int& n = open_[partner];
  if (n >= max_) return false;
  ++n;
  return true;
}

void StreamSlots::Release(PartnerId partner) {
  absl::MutexLock lock(&mu_);
  if (--open_[partner] <= 0) open_.erase(partner);
}

grpc::ServerUnaryReactor* EventServiceImpl::CreateWebhook(grpc::CallbackServerContext* ctx,
                                                          const v1::CreateWebhookRequest* req,
                                                          v1::Webhook* resp) {
  return ServeUnary(ctx, env_, "CreateWebhook", kWebhookRoles,
                    [this, req, resp](const Principal& caller) -> absl::Status {
                      ASSIGN_OR_RETURN(
                          WebhookRow w,
                          webhooks_->Create(OwnerOf(caller), req->url(), req->secret(),
                                            {req->types().begin(), req->types().end()},
                                            req->since_cursor() == 0
                                                ? std::nullopt
                                                : std::optional<int64_t>(req->since_cursor())));
                      ToProto(w, resp);
                      if (req->secret().empty()) resp->set_secret(w.secret);
                      return absl::OkStatus();
                    });
}

grpc::ServerUnaryReactor* EventServiceImpl::ListWebhooks(grpc::CallbackServerContext* ctx,
                                                         const v1::ListWebhooksRequest*,
                                                         v1::ListWebhooksResponse* resp) {
  return ServeUnary(ctx, env_, "ListWebhooks", kWebhookRoles,
                    [this, resp](const Principal& caller) -> absl::Status {
                      ASSIGN_OR_RETURN(std::vector<WebhookRow> rows,
                                       webhooks_->List(OwnerOf(caller)));
                      for (const WebhookRow& w : rows) ToProto(w, resp->add_webhooks());
                      return absl::OkStatus();
                    });
}

grpc::ServerUnaryReactor* EventServiceImpl::DeleteWebhook(grpc::CallbackServerContext* ctx,
                                                          const v1::DeleteWebhookRequest* req,
                                                          v1::DeleteWebhookResponse*) {
  return ServeUnary(ctx, env_, "DeleteWebhook", kWebhookRoles,
                    [this, req](const Principal& caller) -> absl::Status {
                      return webhooks_->Delete(OwnerOf(caller), req->webhook_id());
                    });
}

grpc::ServerUnaryReactor* EventServiceImpl::ListDeadLetters(grpc::CallbackServerContext* ctx,
                                                            const v1::ListDeadLettersRequest* req,
                                                            v1::ListDeadLettersResponse* resp) {
  return ServeUnary(
      ctx, env_, "ListDeadLetters", kWebhookRoles,
      [this, req, resp](const Principal& caller) -> absl::Status {
        ASSIGN_OR_RETURN(const int size, ResolvePageSize(req->page_size()));
        PageFilter filter;
        filter.Int(caller.partner_id).Int(req->webhook_id());
        int64_t before = 0;
        if (!req->page_token().empty()) {
          ASSIGN_OR_RETURN(PageCursor c, DecodePageToken(req->page_token(),
                                                         PageList::kDeadLetters, filter, 1));
          before = c.ints[0];
        }
        ASSIGN_OR_RETURN(std::vector<DeliveryRow> rows,
                         webhooks_->DeadLetters(OwnerOf(caller), req->webhook_id(), before,
                                                size + 1));
        const bool more = TrimToPage(&rows, size);
        for (const DeliveryRow& d : rows) {
          v1::DeadLetter* out = resp->add_dead_letters();
          out->set_delivery_id(d.id);
          out->set_event_id(d.event_id);
          out->set_cursor(d.event_seq);
          out->set_attempts(d.attempts);
          out->set_last_status_code(d.last_status_code);
          out->set_last_error(d.last_error);
          out->set_payload_json(d.payload);
        }
        if (more) {
          resp->set_next_page_token(
              EncodePageToken(PageList::kDeadLetters, filter, {{rows.back().id}, ""}));
        }
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* EventServiceImpl::ReplayDeadLetters(
    grpc::CallbackServerContext* ctx, const v1::ReplayDeadLettersRequest* req,
    v1::ReplayDeadLettersResponse* resp) {
  return ServeUnary(ctx, env_, "ReplayDeadLetters", kWebhookRoles,
                    [this, req, resp](const Principal& caller) -> absl::Status {
                      if (req->delivery_ids_size() > 1000) {
                        return InvalidField("delivery_ids", "at most 1000 (empty = all)");
                      }
                      ASSIGN_OR_RETURN(
                          int64_t n,
                          webhooks_->Replay(OwnerOf(caller), req->webhook_id(),
                                            {req->delivery_ids().begin(), req->delivery_ids().end()}));
                      resp->set_replayed(n);
                      return absl::OkStatus();
                    });
}

grpc::ServerWriteReactor<v1::EventBatch>* EventServiceImpl::Subscribe(
    grpc::CallbackServerContext* ctx, const v1::SubscribeRequest* req) {
  return new SubscribeReactor(env_, store_, feed_, &slots_, options_, ctx, *req);
}

}  // namespace loyalty
