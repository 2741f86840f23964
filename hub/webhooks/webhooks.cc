#include "hub/webhooks/webhooks.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <utility>

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "hub/common/secure_random.h"
#include "hub/common/status_macros.h"
#include "hub/ledger/validate.h"

namespace loyalty {
namespace {

absl::Status ValidateUrl(const std::string& url) {
  if (!absl::StartsWith(url, "https://") || url.size() <= 8) {
    return InvalidField("url", "must be an https:// URL");
  }
  if (url.size() > 500) return InvalidField("url", "at most 500 characters");
  for (unsigned char c : url) {
    if (c <= 0x20 || c >= 0x7f) return InvalidField("url", "no spaces or control characters");
  }
  return absl::OkStatus();
}

absl::Status ValidateSecret(const std::string& secret) {
  if (secret.size() < 32 || secret.size() > 128) {
    return InvalidField("secret", "32..128 characters (or empty to have one made)");
  }
  for (unsigned char c : secret) {
    if (c <= 0x20 || c >= 0x7f) return InvalidField("secret", "printable ASCII, no spaces");
  }
  return absl::OkStatus();
}

size_t Discard(char*, size_t size, size_t n, void*) { return size * n; }

// True for addresses a partner's endpoint must not resolve to: loopback, private,
// link-local (cloud metadata), carrier-grade NAT, unspecified, multicast.
bool IsInternal(const curl_sockaddr* a) {
  if (a->family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&a->addr);
    const uint32_t ip = ntohl(in->sin_addr.s_addr);
    const auto in_net = [ip](uint32_t net, int bits) {
      return (ip >> (32 - bits)) == (net >> (32 - bits));
    };
    return in_net(0x00000000, 8) || in_net(0x0A000000, 8) || in_net(0x7F000000, 8) ||
           in_net(0xA9FE0000, 16) || in_net(0xAC100000, 12) || in_net(0xC0A80000, 16) ||
           in_net(0x64400000, 10) || in_net(0xE0000000, 4);
  }
  if (a->family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&a->addr);
    const in6_addr& x = in6->sin6_addr;
    return IN6_IS_ADDR_LOOPBACK(&x) || IN6_IS_ADDR_UNSPECIFIED(&x) || IN6_IS_ADDR_LINKLOCAL(&x) ||
           IN6_IS_ADDR_SITELOCAL(&x) || IN6_IS_ADDR_MULTICAST(&x) || IN6_IS_ADDR_V4MAPPED(&x) ||
           (x.s6_addr[0] & 0xfe) == 0xfc;  // unique local fc00::/7
  }
  return true;
}

// libcurl's socket opener: refuses internal addresses (after DNS, so a name that
// resolves to one is refused too) unless they are allowed.
curl_socket_t OpenSocket(void* allow_internal, curlsocktype purpose, curl_sockaddr* a) {
  if (purpose != CURLSOCKTYPE_IPCXN) return CURL_SOCKET_BAD;
  if (*static_cast<const bool*>(allow_internal) == false && IsInternal(a)) return CURL_SOCKET_BAD;
  return socket(a->family, a->socktype, a->protocol);
}

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct PostResult {
  long code = 0;       // the HTTP status; 0 when none came
  std::string error;   // "" on a 2xx
};

// `now`: the time of signing, read right before the post (not when the batch began).
PostResult Post(const DelivererOptions& o, const WebhookRow& w, const DeliveryRow& d,
                absl::Time now) {
  GlobalInit();
  PostResult out;
  CURL* curl = curl_easy_init();
  if (curl == nullptr) {
    out.error = "curl_easy_init failed";
    return out;
  }
  curl_slist* headers = nullptr;
  const std::string lines[] = {
      "Content-Type: application/json",
      absl::StrCat("Loyalty-Signature: ", WebhookSignature(w.secret, d.payload, now)),
      absl::StrCat("Loyalty-Event-Id: ", d.event_id),
      absl::StrCat("Loyalty-Delivery-Id: ", d.id),
      absl::StrCat("Loyalty-Attempt: ", d.attempts + 1),
      "User-Agent: loyalty-hub-webhooks/1",
      "Expect:",  // no 100-continue round trip
  };
  for (const std::string& h : lines) headers = curl_slist_append(headers, h.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, w.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, d.payload.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(d.payload.size()));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Discard);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(absl::ToInt64Milliseconds(o.timeout)));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  if (!o.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, o.ca_file.c_str());
  curl_easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, OpenSocket);
  curl_easy_setopt(curl, CURLOPT_OPENSOCKETDATA, const_cast<bool*>(&o.allow_internal_addresses));
  const CURLcode rc = curl_easy_perform(curl);
  if (rc == CURLE_COULDNT_CONNECT && !o.allow_internal_addresses) {
    out.error = "could not connect (internal addresses are refused)";
  } else if (rc != CURLE_OK) {
    out.error = curl_easy_strerror(rc);
  } else {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out.code);
    if (out.code < 200 || out.code > 299) out.error = absl::StrCat("HTTP ", out.code);
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return out;
}

}  // namespace

std::string WebhookPayload(const EventRow& e) {
  nlohmann::json j = {{"id", e.id},
                      {"cursor", e.seq},
                      {"type", e.type},
                      {"member_id", e.member_id},
                      {"partner_id", e.partner_id},
                      {"points", e.points},
                      {"occurred_at_micros", e.occurred_at}};
  if (e.txn_id.has_value()) j["hub_txn_id"] = *e.txn_id;
  if (!e.partner_txn_id.empty()) j["partner_txn_id"] = e.partner_txn_id;
  if (e.balance_after.has_value()) j["balance_after"] = *e.balance_after;
  if (e.available_after.has_value()) j["available_after"] = *e.available_after;
  if (!e.currency.empty()) {
    j["amount"] = {{"amount_minor", e.amount_minor}, {"currency", e.currency}};
  }
  j["detail"] = nlohmann::json::parse(e.detail, nullptr, /*allow_exceptions=*/false);
  if (j["detail"].is_discarded()) j["detail"] = nlohmann::json::object();
  return j.dump();
}

std::string WebhookSignature(const std::string& secret, const std::string& body, absl::Time at) {
  const int64_t t = absl::ToUnixSeconds(at);
  return absl::StrCat("t=", t, ",v1=", HmacSha256Hex(secret, absl::StrCat(t, ".", body)));
}

absl::StatusOr<WebhookRow> Webhooks::Owned(MemberRows& rows, const WebhookOwner& owner,
                                           int64_t id) {
  ASSIGN_OR_RETURN(std::optional<WebhookRow> w, rows.LockWebhook(id));
  if (!w.has_value() || (!owner.is_operator && w->partner_id != owner.partner)) {
    return absl::NotFoundError("webhook_id: no such webhook of this partner");
  }
  return *w;
}

absl::StatusOr<WebhookRow> Webhooks::Create(const WebhookOwner& owner, const std::string& url,
                                            const std::string& secret,
                                            const std::vector<std::string>& types,
                                            std::optional<int64_t> since_cursor) {
  RETURN_IF_ERROR(ValidateUrl(url));
  if (!secret.empty()) RETURN_IF_ERROR(ValidateSecret(secret));
  for (const std::string& t : types) {
    if (!IsEventType(t)) {
      return InvalidField("types", absl::StrCat("unknown event type \"", t.substr(0, 40), "\""));
    }
  }
  if (since_cursor.has_value() && *since_cursor < 0) {
    return InvalidField("since_cursor", "must not be negative");
  }
  WebhookRow w;
  w.partner_id = owner.is_operator ? kOperatorId : owner.partner;
  w.url = url;
  w.secret = secret.empty() ? NewApiKey("whsec_") : secret;
  w.types = types;
  w.created_at = clock_->NowMicros();
  RETURN_IF_ERROR(store_->RunEventTransaction([&](MemberRows& rows) -> absl::Status {
    if (since_cursor.has_value()) {
      w.cursor_seq = *since_cursor;
    } else {
      ASSIGN_OR_RETURN(w.cursor_seq, rows.LastSeq());
    }
    ASSIGN_OR_RETURN(w.id, rows.InsertWebhook(w));
    return rows.InsertAudit(w.created_at, owner.actor, "webhook.create",
                            absl::StrCat("webhook=", w.id, " url=", w.url), "", "");
  }));
  return w;
}

absl::StatusOr<std::vector<WebhookRow>> Webhooks::List(const WebhookOwner& owner) {
  std::vector<WebhookRow> out;
  RETURN_IF_ERROR(store_->RunEventTransaction([&](MemberRows& rows) -> absl::Status {
    ASSIGN_OR_RETURN(out, rows.ListWebhooks(owner.is_operator ? std::nullopt
                                                              : std::optional(owner.partner),
                                            false));
    return absl::OkStatus();
  }));
  for (WebhookRow& w : out) w.secret.clear();
  return out;
}

absl::Status Webhooks::Delete(const WebhookOwner& owner, int64_t webhook) {
  return store_->RunEventTransaction([&](MemberRows& rows) -> absl::Status {
    ASSIGN_OR_RETURN(WebhookRow w, Owned(rows, owner, webhook));
    RETURN_IF_ERROR(rows.SetWebhookActive(w.id, false));
    return rows.InsertAudit(clock_->NowMicros(), owner.actor, "webhook.delete",
                            absl::StrCat("webhook=", w.id), "", "");
  });
}

absl::StatusOr<std::vector<DeliveryRow>> Webhooks::DeadLetters(const WebhookOwner& owner,
                                                               int64_t webhook, int64_t before_id,
                                                               int limit) {
  std::vector<DeliveryRow> out;
  RETURN_IF_ERROR(store_->RunEventTransaction([&](MemberRows& rows) -> absl::Status {
    RETURN_IF_ERROR(Owned(rows, owner, webhook).status());
    ASSIGN_OR_RETURN(out, rows.ListDeliveries(webhook, delivery_status::kDead,
                                              before_id == 0 ? INT64_MAX : before_id, limit));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<int64_t> Webhooks::Replay(const WebhookOwner& owner, int64_t webhook,
                                         const std::vector<int64_t>& ids) {
  int64_t n = 0;
  RETURN_IF_ERROR(store_->RunEventTransaction([&](MemberRows& rows) -> absl::Status {
    ASSIGN_OR_RETURN(WebhookRow w, Owned(rows, owner, webhook));
    if (!w.active) return absl::FailedPreconditionError("webhook_id: the webhook was deleted");
    ASSIGN_OR_RETURN(n, rows.RequeueDeliveries(webhook, ids, clock_->NowMicros()));
    return rows.InsertAudit(clock_->NowMicros(), owner.actor, "webhook.replay",
                            absl::StrCat("webhook=", webhook, " deliveries=", n), "", "");
  }));
  return n;
}

absl::StatusOr<DelivererRun> Deliverer::Queue() {
  DelivererRun run;
  std::vector<WebhookRow> hooks;
  RETURN_IF_ERROR(store_->RunEventTransaction([&](MemberRows& rows) -> absl::Status {
    ASSIGN_OR_RETURN(hooks, rows.ListWebhooks(std::nullopt, /*active_only=*/true));
    return absl::OkStatus();
  }));
  for (const WebhookRow& listed : hooks) {
    for (bool more = true; more;) {
      more = false;
      int64_t queued = 0;
      RETURN_IF_ERROR(store_->RunEventTransaction([&](MemberRows& rows) -> absl::Status {
        queued = 0;
        ASSIGN_OR_RETURN(std::optional<WebhookRow> w, rows.LockWebhook(listed.id));
        if (!w.has_value() || !w->active) return absl::OkStatus();
        ASSIGN_OR_RETURN(int64_t last, rows.LastSeq());
        if (w->cursor_seq >= last) return absl::OkStatus();
        EventQuery q;
        q.is_operator = w->partner_id == kOperatorId;
        q.partner = w->partner_id;
        q.types = w->types;
        q.after_seq = w->cursor_seq;
        q.until_seq = std::min(last, w->cursor_seq + 20000);
        q.limit = options_.batch;
        ASSIGN_OR_RETURN(std::vector<EventRow> events, rows.ReadEvents(q));
        const Micros now = clock_->NowMicros();
        std::vector<DeliveryRow> deliveries;
        for (const EventRow& e : events) {
          DeliveryRow d;
          d.webhook_id = w->id;
          d.event_id = e.id;
          d.event_seq = e.seq;
          d.payload = WebhookPayload(e);
          d.next_attempt_at = now;
          d.created_at = now;
          deliveries.push_back(std::move(d));
        }
        RETURN_IF_ERROR(rows.InsertDeliveries(deliveries));
        queued = static_cast<int64_t>(deliveries.size());
        const int64_t next =
            static_cast<int>(events.size()) >= q.limit ? events.back().seq : *q.until_seq;
        more = next < last;
        return rows.SetWebhookCursor(w->id, next);
      }));
      run.queued += queued;
    }
  }
  return run;
}

absl::StatusOr<DelivererRun> Deliverer::DeliverDue() {
  DelivererRun run;
  std::map<int64_t, WebhookRow> hooks;
  RETURN_IF_ERROR(store_->RunEventTransaction([&](MemberRows& rows) -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<WebhookRow> all, rows.ListWebhooks(std::nullopt, false));
    for (WebhookRow& w : all) hooks[w.id] = std::move(w);
    return absl::OkStatus();
  }));
  for (;;) {
    int64_t taken = 0;
    RETURN_IF_ERROR(store_->RunEventTransaction([&](MemberRows& rows) -> absl::Status {
      const Micros now = clock_->NowMicros();
      ASSIGN_OR_RETURN(std::vector<DeliveryRow> due, rows.LockDueDeliveries(now, 20));
      taken = static_cast<int64_t>(due.size());
      for (DeliveryRow& d : due) {
        auto w = hooks.find(d.webhook_id);
        if (w == hooks.end()) {
          // Made after this run read the list (another deliverer queued it): read again.
          ASSIGN_OR_RETURN(std::vector<WebhookRow> all, rows.ListWebhooks(std::nullopt, false));
          for (WebhookRow& h : all) hooks[h.id] = std::move(h);
          w = hooks.find(d.webhook_id);
        }
        PostResult r;
        if (w == hooks.end() || !w->second.active) {
          r.error = "the webhook was deleted";
        } else {
          r = Post(options_, w->second, d, absl::FromUnixMicros(clock_->NowMicros()));
        }
        ++d.attempts;
        d.last_status_code = static_cast<int>(r.code);
        d.last_error = r.error;
        if (r.error.empty()) {
          d.status = delivery_status::kDelivered;
          d.delivered_at = clock_->NowMicros();
          ++run.delivered;
        } else {
          const absl::Duration wait = std::min(
              options_.initial_backoff * (int64_t{1} << std::min(d.attempts - 1, 30)),
              options_.max_backoff);
          d.next_attempt_at = now + absl::ToInt64Microseconds(wait);
          if (w == hooks.end() || !w->second.active ||
              d.next_attempt_at > d.created_at + absl::ToInt64Microseconds(options_.retry_for)) {
            d.status = delivery_status::kDead;
            ++run.dead;
          } else {
            ++run.retried;
          }
        }
        RETURN_IF_ERROR(rows.UpdateDelivery(d));
      }
      return absl::OkStatus();
    }));
    if (taken < 20) return run;
  }
}

}  // namespace loyalty
