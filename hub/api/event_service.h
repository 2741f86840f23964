// EventService: the events stream (loyalty/v1/events.proto) over the events table. Every
// key may subscribe; what a partner key sees is limited by EventQuery.
#ifndef LOYALTY_HUB_API_EVENT_SERVICE_H_
#define LOYALTY_HUB_API_EVENT_SERVICE_H_

#include <map>

#include "absl/synchronization/mutex.h"
#include "hub/api/serve.h"
#include "hub/events/event_feed.h"
#include "hub/webhooks/webhooks.h"
#include "loyalty/v1/events.grpc.pb.h"

namespace loyalty {

struct EventServiceOptions {
  // Events sent per message at most. Default: 500.
  int max_batch = 500;
  // Events examined per database read at most (a partner's read skips the others' events
  // in steps of this). Default: 20000.
  int max_scan = 20000;
  // Subscribe streams open at once per partner (the operator counts as one); past it
  // RESOURCE_EXHAUSTED. Each follower costs reads on the shared worker pool. Default: 16.
  int max_streams_per_partner = 16;
};

// Counts the open streams of each partner against the limit. Thread-safe.
class StreamSlots {
 public:
  explicit StreamSlots(int max_per_partner) : max_(max_per_partner) {}
  // True (and one slot taken) if `partner` has fewer than the limit open.
  bool Acquire(PartnerId partner);
  void Release(PartnerId partner);

 private:
  const int max_;
  absl::Mutex mu_;
  std::map<PartnerId, int> open_ ABSL_GUARDED_BY(mu_);
};

// REQUIRES: `store`, `feed` and `webhooks` outlive the service and its calls.
class EventServiceImpl final : public v1::EventService::CallbackService {
 public:
  EventServiceImpl(ServiceEnv env, Store* store, EventFeed* feed, Webhooks* webhooks,
                   EventServiceOptions options = {})
      : env_(std::move(env)),
        store_(store),
        feed_(feed),
        webhooks_(webhooks),
        options_(options),
        slots_(options.max_streams_per_partner) {}

  grpc::ServerWriteReactor<v1::EventBatch>* Subscribe(grpc::CallbackServerContext* ctx,
                                                      const v1::SubscribeRequest* req) override;
  grpc::ServerUnaryReactor* CreateWebhook(grpc::CallbackServerContext* ctx,
                                          const v1::CreateWebhookRequest* req,
                                          v1::Webhook* resp) override;
  grpc::ServerUnaryReactor* ListWebhooks(grpc::CallbackServerContext* ctx,
                                         const v1::ListWebhooksRequest* req,
                                         v1::ListWebhooksResponse* resp) override;
  grpc::ServerUnaryReactor* DeleteWebhook(grpc::CallbackServerContext* ctx,
                                          const v1::DeleteWebhookRequest* req,
                                          v1::DeleteWebhookResponse* resp) override;
  grpc::ServerUnaryReactor* ListDeadLetters(grpc::CallbackServerContext* ctx,
                                            const v1::ListDeadLettersRequest* req,
                                            v1::ListDeadLettersResponse* resp) override;
  grpc::ServerUnaryReactor* ReplayDeadLetters(grpc::CallbackServerContext* ctx,
                                              const v1::ReplayDeadLettersRequest* req,
                                              v1::ReplayDeadLettersResponse* resp) override;

 private:
  ServiceEnv env_;
  Store* const store_;
  EventFeed* const feed_;
  Webhooks* const webhooks_;
  const EventServiceOptions options_;
  StreamSlots slots_;
};

}  // namespace loyalty

#endif  // LOYALTY_HUB_API_EVENT_SERVICE_H_
