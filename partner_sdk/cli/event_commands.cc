// The `events` subcommand: EventService.Subscribe through the SDK's EventsClient. Prints
// one line per event as it arrives (one JSON object per line with --json), so a script
// can pipe it; without --follow it stops once caught up and prints the cursor to resume
// from (--since_cursor, also spelt --since-cursor).
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "command.h"
#include "hub/common/status_macros.h"

namespace loyalty::cli {
namespace {

Record EventRecord(const v1::Event& e) {
  Record r;
  r.Add("cursor", e.cursor()).Add("event_id", e.event_id()).Add("type", e.type());
  r.Add("member_id", e.member_id()).Add("partner_id", e.partner_id());
  if (e.hub_txn_id() != 0) r.Add("hub_txn_id", e.hub_txn_id());
  if (!e.partner_txn_id().empty()) r.Add("partner_txn_id", e.partner_txn_id());
  r.Add("points", e.points());
  if (e.has_balance_after()) r.Add("balance_after", e.balance_after());
  if (e.has_available_after()) r.Add("available_after", e.available_after());
  if (e.has_amount()) {
    r.Add("amount_minor", e.amount().amount_minor()).Add("currency", e.amount().currency());
  }
  r.Add("occurred_at_micros", e.occurred_at_micros()).Add("detail", e.detail_json());
  return r;
}

// One line: `cursor=12 type=points.earned member_id=3 ...` (text) or a JSON object.
std::string EventLine(const v1::Event& e, bool json) {
  const Record r = EventRecord(e);
  if (json) return ToJson(r);
  std::string line;
  for (const auto& [key, value] : r.fields) {
    std::string v;
    if (const auto* i = std::get_if<int64_t>(&value)) v = absl::StrCat(*i);
    if (const auto* s = std::get_if<std::string>(&value)) v = *s;
    absl::StrAppend(&line, line.empty() ? "" : " ", key, "=", v);
  }
  return line + "\n";
}

absl::StatusOr<Record> Events(const Args& args, Clients& clients) {
  ASSIGN_OR_RETURN(sdk::EventsClient * events, clients.Events());
  v1::SubscribeRequest req;
  ASSIGN_OR_RETURN(int64_t since, args.Int("since_cursor", 0));
  ASSIGN_OR_RETURN(int64_t partner, args.Int("partner_id", 0));
  ASSIGN_OR_RETURN(int64_t member, args.Int("member_id", 0));
  ASSIGN_OR_RETURN(int64_t max_events, args.Int("max_events", 0));
  if (max_events < 0) return absl::InvalidArgumentError("--max_events: must be >= 0");
  req.set_since_cursor(since);
  req.set_partner_id(partner);
  req.set_member_id(member);
  req.set_follow(args.Bool("follow"));
  for (absl::string_view t : absl::StrSplit(args.Str("types"), ',', absl::SkipWhitespace())) {
    req.add_types(std::string(t));
  }
  const bool json = args.Bool("json");
  int64_t printed = 0;
  int64_t cursor = since;
  RETURN_IF_ERROR(events->Follow(req, [&](const v1::EventBatch& batch) {
    for (const v1::Event& e : batch.events()) {
      std::fputs(EventLine(e, json).c_str(), stdout);
      cursor = e.cursor();
      if (max_events > 0 && ++printed >= max_events) {
        std::fflush(stdout);
        return false;
      }
    }
    cursor = batch.cursor();
    std::fflush(stdout);
    return true;
  }));
  Record r;
  r.Add("next_cursor", cursor);
  return r;
}

Record WebhookRecord(const v1::Webhook& w) {
  Record r;
  r.Add("webhook_id", w.webhook_id()).Add("partner_id", w.partner_id()).Add("url", w.url());
  r.Add("types", std::vector<std::string>(w.types().begin(), w.types().end()));
  r.Add("active", w.active()).Add("cursor", w.cursor());
  if (!w.secret().empty()) r.Add("secret", w.secret());
  return r;
}

absl::StatusOr<Record> AddWebhook(const Args& args, Clients& clients) {
  ASSIGN_OR_RETURN(sdk::EventsClient * events, clients.Events());
  v1::CreateWebhookRequest req;
  req.set_url(args.Str("url"));
  ASSIGN_OR_RETURN(int64_t since, args.Int("since_cursor", 0));
  req.set_since_cursor(since);
  for (absl::string_view t : absl::StrSplit(args.Str("types"), ',', absl::SkipWhitespace())) {
    req.add_types(std::string(t));
  }
  const std::string secret_file = args.Str("secret_file");
  if (!secret_file.empty()) {
    std::ifstream in(secret_file);
    if (!in) return LocalFileError(absl::StatusCode::kNotFound, "--secret_file: cannot read it");
    std::string secret;
    std::getline(in, secret);
    req.set_secret(secret);
  }
  ASSIGN_OR_RETURN(v1::Webhook w, events->CreateWebhook(req));
  return WebhookRecord(w);
}

absl::StatusOr<Record> ListWebhooks(const Args&, Clients& clients) {
  ASSIGN_OR_RETURN(sdk::EventsClient * events, clients.Events());
  ASSIGN_OR_RETURN(v1::ListWebhooksResponse list, events->ListWebhooks());
  std::vector<Record> rows;
  for (const v1::Webhook& w : list.webhooks()) rows.push_back(WebhookRecord(w));
  Record r;
  r.Add("webhooks", rows);
  return r;
}

absl::StatusOr<Record> DeleteWebhook(const Args& args, Clients& clients) {
  ASSIGN_OR_RETURN(sdk::EventsClient * events, clients.Events());
  ASSIGN_OR_RETURN(int64_t id, args.Int("webhook_id"));
  RETURN_IF_ERROR(events->DeleteWebhook(id));
  Record r;
  r.Add("deleted", id);
  return r;
}

absl::StatusOr<Record> DeadLetters(const Args& args, Clients& clients) {
  ASSIGN_OR_RETURN(sdk::EventsClient * events, clients.Events());
  v1::ListDeadLettersRequest req;
  ASSIGN_OR_RETURN(int64_t id, args.Int("webhook_id"));
  ASSIGN_OR_RETURN(int64_t size, args.Int("page_size", 0));
  req.set_webhook_id(id);
  req.set_page_size(static_cast<int32_t>(size));
  req.set_page_token(args.Str("page_token"));
  ASSIGN_OR_RETURN(v1::ListDeadLettersResponse list, events->ListDeadLetters(req));
  std::vector<Record> rows;
  for (const v1::DeadLetter& d : list.dead_letters()) {
    Record row;
    row.Add("delivery_id", d.delivery_id()).Add("event_id", d.event_id());
    row.Add("attempts", static_cast<int64_t>(d.attempts()));
    row.Add("last_status_code", static_cast<int64_t>(d.last_status_code()));
    row.Add("last_error", d.last_error());
    rows.push_back(std::move(row));
  }
  Record r;
  r.Add("dead_letters", rows);
  if (!list.next_page_token().empty()) r.Add("next_page_token", list.next_page_token());
  return r;
}

absl::StatusOr<Record> Replay(const Args& args, Clients& clients) {
  ASSIGN_OR_RETURN(sdk::EventsClient * events, clients.Events());
  v1::ReplayDeadLettersRequest req;
  ASSIGN_OR_RETURN(int64_t id, args.Int("webhook_id"));
  req.set_webhook_id(id);
  for (absl::string_view d : absl::StrSplit(args.Str("delivery_ids"), ',', absl::SkipWhitespace())) {
    int64_t v = 0;
    if (!absl::SimpleAtoi(d, &v)) return absl::InvalidArgumentError("--delivery_ids: numbers");
    req.add_delivery_ids(v);
  }
  ASSIGN_OR_RETURN(v1::ReplayDeadLettersResponse resp, events->ReplayDeadLetters(req));
  Record r;
  r.Add("replayed", resp.replayed());
  return r;
}

}  // namespace

std::vector<Command> EventCommands() {
  return {
      {"events",
       "print the events this key may see, one line each (--json: one JSON object per line), "
       "from --since_cursor; --follow keeps waiting for new ones (Ctrl-C ends); ends with "
       "next_cursor, the cursor to resume from",
       {{"since_cursor", "resume after this cursor (a next_cursor or an event's cursor); default 0"},
        {"follow", "keep the stream open and print events as they commit", false, true},
        {"types", "comma-separated event types (docs/events.md); default all"},
        {"partner_id", "operator keys: one partner's events only"},
        {"member_id", "one member's events only"},
        {"max_events", "stop after this many events; default no limit"}},
       Events},
      {"webhook-add",
       "register an https:// endpoint for this key's events (signed POSTs, docs/events.md); "
       "without --secret_file the hub makes the secret and prints it once",
       {{"url", "https://...", true},
        {"secret_file", "file whose first line is the signing secret (32..128 characters)"},
        {"types", "comma-separated event types; default all"},
        {"since_cursor", "also deliver the events after this cursor; default from now on"}},
       AddWebhook},
      {"webhooks", "this key's webhooks", {}, ListWebhooks},
      {"webhook-delete", "stop deliveries to a webhook", {{"webhook_id", "the webhook", true}},
       DeleteWebhook, true, "webhook_id"},
      {"webhook-dead-letters", "deliveries that failed for 24 h",
       {{"webhook_id", "the webhook", true}, {"page_size", "default 100"},
        {"page_token", "from the last page"}},
       DeadLetters, true, "webhook_id"},
      {"webhook-replay", "send dead letters again (all, or --delivery_ids)",
       {{"webhook_id", "the webhook", true}, {"delivery_ids", "comma-separated; default all"}},
       Replay, true, "webhook_id"},
  };
}

}  // namespace loyalty::cli
