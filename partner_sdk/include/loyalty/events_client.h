// EventsClient: the hub's events (loyalty/v1/events.proto, docs/events.md) as a stream
// that survives disconnects. Follow() reads from a cursor and hands each message to your
// handler; when the connection drops or the hub restarts it reconnects from the cursor
// of the last message handled, so a handler sees every event once, in commit order.
// Keep the cursor (cursor() or EventBatch::cursor) durably after handling a message, and
// a process restart resumes from it too.
//
//   auto events = loyalty::sdk::MakeEventsClient(options);
//   loyalty::v1::SubscribeRequest req;
//   req.set_since_cursor(LoadCursor());
//   req.set_follow(true);
//   absl::Status s = (*events)->Follow(req, [](const loyalty::v1::EventBatch& batch) {
//     for (const auto& e : batch.events()) Handle(e);
//     SaveCursor(batch.cursor());
//     return true;  // false stops Follow
//   });
//
// Errors: INVALID_ARGUMENT naming the field (an unknown type), PERMISSION_DENIED
// partner_id (a partner key naming another partner), UNAUTHENTICATED. UNAVAILABLE only
// when the hub stayed unreachable for Options::retry's attempts in a row (each message
// received starts the count again).
//
// Thread-safety: one Follow at a time per client.
#ifndef LOYALTY_PARTNER_SDK_EVENTS_CLIENT_H_
#define LOYALTY_PARTNER_SDK_EVENTS_CLIENT_H_

#include <atomic>
#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "loyalty/options.h"
#include "loyalty/v1/events.pb.h"

namespace loyalty::sdk {

class EventsClient {
 public:
  virtual ~EventsClient() = default;

  // Called once per message received (events, or a cursor that moved past events the
  // caller may not see). Return false to stop.
  using Handler = std::function<bool(const v1::EventBatch& batch)>;

  // Streams from request.since_cursor (see the header comment). Returns OK when the
  // handler returned false or, without request.follow, once the stream is caught up.
  virtual absl::Status Follow(v1::SubscribeRequest request, const Handler& handler) = 0;
  // Ends a Follow running on another thread (it returns CANCELLED), and any later one:
  // a stopped client stays stopped (make another to follow again). Thread-safe.
  virtual void Stop() = 0;
  // The cursor of the last message handled (request.since_cursor before the first).
  virtual int64_t cursor() const = 0;

  // Webhooks (docs/events.md): an HTTPS endpoint receiving the caller's events as signed
  // POSTs; check each with VerifyWebhookSignature (loyalty/webhook.h). Create is sent
  // once (each call registers another endpoint); the rest are retried like reads.
  virtual absl::StatusOr<v1::Webhook> CreateWebhook(const v1::CreateWebhookRequest& request) = 0;
  virtual absl::StatusOr<v1::ListWebhooksResponse> ListWebhooks() = 0;
  virtual absl::Status DeleteWebhook(int64_t webhook_id) = 0;
  virtual absl::StatusOr<v1::ListDeadLettersResponse> ListDeadLetters(
      const v1::ListDeadLettersRequest& request) = 0;
  virtual absl::StatusOr<v1::ReplayDeadLettersResponse> ReplayDeadLetters(
      const v1::ReplayDeadLettersRequest& request) = 0;
};

// Makes the gRPC connection; errors as MakePartnerConnection().
absl::StatusOr<std::shared_ptr<EventsClient>> MakeEventsClient(Options options);

}  // namespace loyalty::sdk

#endif  // LOYALTY_PARTNER_SDK_EVENTS_CLIENT_H_
