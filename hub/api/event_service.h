// EventService: the events stream (loyalty/v1/events.proto) over the events table. Every
// key may subscribe; what a partner key sees is limited by EventQuery.
#ifndef LOYALTY_HUB_API_EVENT_SERVICE_H_
#define LOYALTY_HUB_API_EVENT_SERVICE_H_

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
};

// REQUIRES: `store`, `feed` and `webhooks` outlive the service and its calls.
class EventServiceImpl final : public v1::EventService::CallbackService {
 public:
  EventServiceImpl(ServiceEnv env, Store* store, EventFeed* feed, Webhooks* webhooks,
                   EventServiceOptions options = {})
      : env_(std::move(env)), store_(store), feed_(feed), webhooks_(webhooks), options_(options) {}

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
};

}  // namespace loyalty

#endif  // LOYALTY_HUB_API_EVENT_SERVICE_H_
