// Webhooks (issue 15): partners register HTTPS endpoints (Webhooks, behind
// EventService), and the deliverer (loyalty_webhooks) posts each endpoint's events to
// it, signed like Stripe's: header Loyalty-Signature "t=<unix seconds>,v1=<hex
// HMAC-SHA256(secret, "<t>.<body>")>" (the SDK's VerifyWebhookSignature checks it).
//
// Delivery is at least once: the deliverer copies events after the endpoint's cursor
// into webhook_deliveries in one transaction with the cursor (so none is skipped or
// queued twice), then posts each; a 2xx answer marks it delivered. Anything else is
// retried with exponential backoff (initial_backoff, doubling, at most max_backoff)
// until retry_for has passed since it was queued; then it is a dead letter, which the
// partner lists and replays. Receivers deduplicate by the event id (Loyalty-Event-Id).
// Order is by cursor on the first attempt; a retried delivery may arrive after later
// events.
#ifndef LOYALTY_HUB_WEBHOOKS_WEBHOOKS_H_
#define LOYALTY_HUB_WEBHOOKS_WEBHOOKS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "hub/common/clock.h"
#include "hub/store/member_rows.h"
#include "hub/store/store.h"

namespace loyalty {

// Who manages webhooks: a partner its own, the operator any (and its own with partner 0,
// which receive every event).
struct WebhookOwner {
  bool is_operator = false;
  PartnerId partner = 0;
  std::string actor;  // for the audit log
};

class Webhooks {
 public:
  // REQUIRES: store and clock outlive this object.
  Webhooks(Store* store, const Clock* clock) : store_(store), clock_(clock) {}

  // Registers `url` (https://, at most 500 characters) for the owner's events of
  // `types` (empty: all) after `since_cursor` (nullopt: from now on). `secret`: 32..128
  // printable characters, or "" to have one made (returned in the row, the only time
  // it is shown). INVALID_ARGUMENT naming the field.
  absl::StatusOr<WebhookRow> Create(const WebhookOwner& owner, const std::string& url,
                                    const std::string& secret,
                                    const std::vector<std::string>& types,
                                    std::optional<int64_t> since_cursor);
  // The owner's webhooks (the operator: all), secrets blanked.
  absl::StatusOr<std::vector<WebhookRow>> List(const WebhookOwner& owner);
  // Stops deliveries to it (its pending ones become dead letters when next due).
  absl::Status Delete(const WebhookOwner& owner, int64_t webhook);
  absl::StatusOr<std::vector<DeliveryRow>> DeadLetters(const WebhookOwner& owner, int64_t webhook,
                                                       int64_t before_id, int limit);
  // Queues dead letters again (those in `ids`, or all); returns how many.
  absl::StatusOr<int64_t> Replay(const WebhookOwner& owner, int64_t webhook,
                                 const std::vector<int64_t>& ids);

 private:
  // The webhook if the owner may manage it; NOT_FOUND otherwise.
  absl::StatusOr<WebhookRow> Owned(MemberRows& rows, const WebhookOwner& owner, int64_t id);

  Store* const store_;
  const Clock* const clock_;
};

struct DelivererOptions {
  // How long a delivery is retried after it was queued. Default: 24 h.
  absl::Duration retry_for = absl::Hours(24);
  // The wait after the first failure, doubling, at most max_backoff. Default: 10 s, 1 h.
  absl::Duration initial_backoff = absl::Seconds(10);
  absl::Duration max_backoff = absl::Hours(1);
  // PEM CA bundle to check receivers' certificates with; "" = the system's.
  std::string ca_file;
  // Endpoints resolving to loopback, private, link-local (cloud metadata) or other
  // internal addresses are refused unless this is set (tests, a private deployment).
  // Default: false.
  bool allow_internal_addresses = false;
  // Per request. Default: 10 s.
  absl::Duration timeout = absl::Seconds(10);
  // Events copied per transaction. Default: 500.
  int batch = 500;
};

struct DelivererRun {
  int64_t queued = 0;     // deliveries made from new events
  int64_t delivered = 0;
  int64_t retried = 0;    // failed attempts that will be tried again
  int64_t dead = 0;       // given up: dead letters
};

// The JSON body of an event's delivery.
std::string WebhookPayload(const EventRow& e);
// The Loyalty-Signature header for `body` signed with `secret` at `at` (whole seconds).
std::string WebhookSignature(const std::string& secret, const std::string& body, absl::Time at);

class Deliverer {
 public:
  // REQUIRES: store and clock outlive this object.
  Deliverer(Store* store, const Clock* clock, DelivererOptions options)
      : store_(store), clock_(clock), options_(std::move(options)) {}

  // Copies every active webhook's new events into deliveries.
  absl::StatusOr<DelivererRun> Queue();
  // Posts the deliveries that are due.
  absl::StatusOr<DelivererRun> DeliverDue();

 private:
  Store* const store_;
  const Clock* const clock_;
  const DelivererOptions options_;
};

}  // namespace loyalty

#endif  // LOYALTY_HUB_WEBHOOKS_WEBHOOKS_H_
