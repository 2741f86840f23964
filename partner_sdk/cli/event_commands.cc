// The `events` subcommand: EventService.Subscribe through the SDK's EventsClient. Prints
// one line per event as it arrives (one JSON object per line with --json), so a script
// can pipe it; without --follow it stops once caught up and prints the cursor to resume
// from (--since_cursor, also spelt --since-cursor).
#include <cstdio>
#include <string>
#include <vector>

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
  };
}

}  // namespace loyalty::cli
