// Partner subcommands: one per PartnerService call, plus the offline queue.
#include <iostream>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "command.h"
#include "hub/common/status_macros.h"

namespace loyalty::cli {
namespace {

const FlagSpec kTxnId{"txn_id", "partner_txn_id (idempotency key); default: a new UUIDv4"};
const FlagSpec kCard{"card", "the member's card number", true};
const FlagSpec kOccurredAt{"occurred_at_micros",
                           "business time, UTC micros; default: the hub's time when it posts "
                           "(the same command sent again replays)"};

Record BalanceRecord(const sdk::Balance& b) {
  Record r;
  r.Add("member_id", b.member_id).Add("balance", b.balance).Add("available", b.available);
  r.Add("held", b.held).Add("debt", b.debt).Add("next_expiry_points", b.next_expiry_points);
  r.Add("next_expiry_at_micros", b.next_expiry_at_micros).Add("pending", b.pending);
  r.Add("tier", b.tier).Add("spend_12m_minor", b.spend_12m_minor);
  r.Add("next_tier", b.next_tier).Add("next_tier_threshold_minor", b.next_tier_threshold_minor);
  return r;
}

// The breakdown's fields after base_points (which earn and quote-earn already print).
void AddBreakdown(const sdk::EarnBreakdown& b, Record* r) {
  r->Add("tier", b.tier).Add("tier_bonus_points", b.tier_bonus_points);
  r->Add("capped", b.capped).Add("uncapped_points", b.uncapped_points);
  std::vector<Record> rows;
  for (const sdk::PromotionBonus& p : b.promotions) {
    Record row;
    row.Add("promotion_id", p.promotion_id).Add("name", p.name).Add("points", p.points);
    row.Add("funder_partner_id", p.funder_partner_id);
    rows.push_back(std::move(row));
  }
  r->Add("promotions", std::move(rows)).Add("pending_until_micros", b.pending_until_micros);
}

// --pin: the PIN itself, or "-" to read it from the first line of stdin (so it shows
// neither in `ps` nor in the shell history).
absl::StatusOr<std::string> PinArg(const Args& a) {
  std::string pin = a.Str("pin");
  if (pin != "-") return pin;
  if (!std::getline(std::cin, pin)) {
    return absl::InvalidArgumentError("--pin=-: no PIN on stdin");
  }
  return std::string(absl::StripAsciiWhitespace(pin));
}

Record TransactionRecord(const sdk::Transaction& t) {
  Record r;
  r.Add("hub_txn_id", t.hub_txn_id).Add("partner_txn_id", t.partner_txn_id).Add("kind", t.kind);
  r.Add("member_id", t.member_id).Add("points", t.points);
  r.Add("amount_minor", t.amount.amount_minor).Add("currency", t.amount.currency);
  r.Add("posted_at_micros", t.posted_at_micros).Add("occurred_at_micros", t.occurred_at_micros);
  r.Add("original_partner_txn_id", t.original_partner_txn_id);
  return r;
}

absl::StatusOr<Record> Enroll(const Args& a, Clients& c) {
  ASSIGN_OR_RETURN(sdk::PartnerClient * client, c.Partner());
  sdk::EnrollMemberParams p;
  p.partner_txn_id = a.Str("txn_id");
  ASSIGN_OR_RETURN(sdk::EnrollMemberResult r, client->EnrollMember(p));
  Record out;
  out.Add("partner_txn_id", r.partner_txn_id).Add("member_id", r.member_id);
  out.Add("card_number", r.card_number).Add("replayed", r.replayed);
  return out;
}

absl::StatusOr<Record> LinkCard(const Args& a, Clients& c) {
  if (HasCardRefFlags(a)) return LinkCoBrandedCard(a, c);
  if (!a.Has("new_card")) {
    return absl::InvalidArgumentError("link-card: --new_card (or --token / --pan) is required");
  }
  ASSIGN_OR_RETURN(sdk::PartnerClient * client, c.Partner());
  sdk::LinkCardParams p{a.Str("txn_id"), a.Str("card"), a.Str("new_card")};
  ASSIGN_OR_RETURN(sdk::LinkCardResult r, client->LinkCard(p));
  Record out;
  out.Add("partner_txn_id", r.partner_txn_id).Add("member_id", r.member_id);
  out.Add("replayed", r.replayed);
  return out;
}

absl::StatusOr<Record> RegisterBearer(const Args& a, Clients& c) {
  ASSIGN_OR_RETURN(sdk::PartnerClient * client, c.Partner());
  sdk::RegisterBearerCardParams p{a.Str("txn_id"), a.Str("card"), a.Str("bearer_card")};
  ASSIGN_OR_RETURN(sdk::PostingResult r, client->RegisterBearerCard(p));
  return PostingRecord(r);
}

absl::StatusOr<Record> GetBalance(const Args& a, Clients& c) {
  ASSIGN_OR_RETURN(sdk::PartnerClient * client, c.Partner());
  ASSIGN_OR_RETURN(sdk::Balance b, client->GetBalance({a.Str("card")}));
  return BalanceRecord(b);
}

absl::StatusOr<Record> QuoteEarn(const Args& a, Clients& c) {
  ASSIGN_OR_RETURN(sdk::PartnerClient * client, c.Partner());
  ASSIGN_OR_RETURN(const int64_t amount, a.Int("amount_minor"));
  ASSIGN_OR_RETURN(sdk::QuoteEarnResult q,
                   client->QuoteEarn({a.Str("card"), {amount, a.Str("currency")}}));
  Record out;
  out.Add("points", q.points).Add("base_points", q.base_points);
  AddBreakdown(q.breakdown, &out);
  return out;
}

absl::StatusOr<Record> Earn(const Args& a, Clients& c) {
  ASSIGN_OR_RETURN(sdk::PartnerClient * client, c.Partner());
  sdk::EarnParams p;
  p.partner_txn_id = a.Str("txn_id");
  p.card_number = a.Str("card");
  ASSIGN_OR_RETURN(p.amount.amount_minor, a.Int("amount_minor"));
  p.amount.currency = a.Str("currency");
  ASSIGN_OR_RETURN(p.points, a.Int("points"));
  ASSIGN_OR_RETURN(p.occurred_at_micros, a.Int("occurred_at_micros"));
  ASSIGN_OR_RETURN(sdk::EarnResult r, client->Earn(p));
  Record out = PostingRecord(r.posting);
  out.Add("base_points", r.base_points).Add("expires_at_micros", r.expires_at_micros);
  out.Add("queued", r.queued);
  AddBreakdown(r.breakdown, &out);
  return out;
}

absl::StatusOr<sdk::RedeemParams> RedeemArgs(const Args& a) {
  sdk::RedeemParams p;
  p.partner_txn_id = a.Str("txn_id");
  p.card_number = a.Str("card");
  ASSIGN_OR_RETURN(p.points, a.Int("points"));
  ASSIGN_OR_RETURN(p.occurred_at_micros, a.Int("occurred_at_micros"));
  ASSIGN_OR_RETURN(p.pin, PinArg(a));
  return p;
}

absl::StatusOr<Record> Redeem(const Args& a, Clients& c) {
  ASSIGN_OR_RETURN(sdk::RedeemParams p, RedeemArgs(a));
  ASSIGN_OR_RETURN(sdk::PartnerClient * client, c.Partner());
  ASSIGN_OR_RETURN(sdk::PostingResult r, client->Redeem(p));
  return PostingRecord(r);
}

absl::StatusOr<Record> Authorize(const Args& a, Clients& c) {
  ASSIGN_OR_RETURN(sdk::RedeemParams p, RedeemArgs(a));
  ASSIGN_OR_RETURN(sdk::PartnerClient * client, c.Partner());
  ASSIGN_OR_RETURN(sdk::AuthorizeRedemptionResult r, client->AuthorizeRedemption(p));
  return PostingRecord(r.posting).Add("hold_expires_at_micros", r.hold_expires_at_micros);
}

absl::StatusOr<Record> Capture(const Args& a, Clients& c) {
  ASSIGN_OR_RETURN(sdk::PartnerClient * client, c.Partner());
  sdk::CaptureRedemptionParams p;
  p.partner_txn_id = a.Str("txn_id");
  p.authorization_partner_txn_id = a.Str("authorization");
  ASSIGN_OR_RETURN(p.points, a.Int("points"));
  ASSIGN_OR_RETURN(p.occurred_at_micros, a.Int("occurred_at_micros"));
  ASSIGN_OR_RETURN(sdk::PostingResult r, client->CaptureRedemption(p));
  return PostingRecord(r);
}

absl::StatusOr<Record> Void(const Args& a, Clients& c) {
  ASSIGN_OR_RETURN(sdk::PartnerClient * client, c.Partner());
  ASSIGN_OR_RETURN(sdk::PostingResult r,
                   client->VoidRedemption({a.Str("txn_id"), a.Str("authorization")}));
  return PostingRecord(r);
}

absl::StatusOr<Record> Reverse(const Args& a, Clients& c) {
  ASSIGN_OR_RETURN(sdk::PartnerClient * client, c.Partner());
  sdk::ReverseParams p;
  p.partner_txn_id = a.Str("txn_id");
  p.original_partner_txn_id = a.Str("original");
  ASSIGN_OR_RETURN(p.points, a.Int("points"));
  ASSIGN_OR_RETURN(p.occurred_at_micros, a.Int("occurred_at_micros"));
  ASSIGN_OR_RETURN(sdk::ReverseResult r, client->Reverse(p));
  return PostingRecord(r.posting).Add("debt_created", r.debt_created);
}

absl::StatusOr<Record> Transactions(const Args& a, Clients& c) {
  ASSIGN_OR_RETURN(sdk::PartnerClient * client, c.Partner());
  sdk::ListTransactionsParams p;
  ASSIGN_OR_RETURN(p.page_size, PageSizeOf(a));
  p.page_token = a.Str("page_token");
  p.card_number = a.Str("card");
  if (a.Has("since")) {
    ASSIGN_OR_RETURN(p.since_micros, ParseTimeFlag(a, "since"));
  }
  if (a.Has("until")) {
    ASSIGN_OR_RETURN(p.until_micros, ParseTimeFlag(a, "until"));
  }
  ASSIGN_OR_RETURN(sdk::TransactionPage page, client->ListTransactions(p));
  std::vector<Record> rows;
  for (const sdk::Transaction& t : page.transactions) rows.push_back(TransactionRecord(t));
  Record out;
  out.Add("transactions", std::move(rows)).Add("next_page_token", page.next_page_token);
  return out;
}

absl::StatusOr<Record> SetPin(const Args& a, Clients& c) {
  sdk::SetMemberPinParams p;
  p.card_number = a.Str("card");
  ASSIGN_OR_RETURN(p.pin, PinArg(a));
  ASSIGN_OR_RETURN(sdk::PartnerClient * client, c.Partner());
  RETURN_IF_ERROR(client->SetMemberPin(p));
  Record out;  // never the PIN itself
  out.Add("card_number", p.card_number).Add("pin_set", true);
  return out;
}

absl::StatusOr<Record> ProgramRules(const Args& a, Clients& c) {
  ASSIGN_OR_RETURN(sdk::PartnerClient * client, c.Partner());
  ASSIGN_OR_RETURN(sdk::ProgramRules r, client->GetProgramRules({a.Bool("include_ended")}));
  Record out = ProgramRecord(r.program);  // the program's fields, then its tiers
  for (auto& field : TiersRecord(r.tiers).fields) out.fields.push_back(std::move(field));
  std::vector<Record> promotions;
  for (const sdk::Promotion& p : r.promotions) promotions.push_back(PromotionRecord(p));
  out.Add("promotions", std::move(promotions));
  return out;
}

absl::StatusOr<Record> QueueStatus(const Args& a, Clients& c) {
  ASSIGN_OR_RETURN(sdk::PartnerClient * client, c.Partner());
  ASSIGN_OR_RETURN(const int64_t queued, client->QueuedEarns());
  ASSIGN_OR_RETURN(std::vector<sdk::FailedEarn> failed, client->FailedEarns());
  std::vector<Record> rows;
  for (const sdk::FailedEarn& f : failed) {
    Record r;
    r.Add("partner_txn_id", f.earn.partner_txn_id).Add("card_number", f.earn.card_number);
    r.Add("amount_minor", f.earn.amount.amount_minor).Add("currency", f.earn.amount.currency);
    r.Add("error", absl::StatusCodeToString(f.status.code()));
    r.Add("message", std::string(f.status.message()));
    rows.push_back(std::move(r));
  }
  Record out;
  out.Add("queued", queued).Add("failed", std::move(rows));
  return out;
}

absl::StatusOr<Record> QueueDrain(const Args& a, Clients& c) {
  ASSIGN_OR_RETURN(sdk::PartnerClient * client, c.Partner());
  ASSIGN_OR_RETURN(sdk::DrainResult d, client->Drain());
  // Earns left behind mean the hub is still unreachable: say so through the exit code.
  if (!d.stopped_by.ok()) return d.stopped_by;
  Record out;
  out.Add("posted", d.posted).Add("rejected", d.rejected).Add("remaining", d.remaining);
  return out;
}

}  // namespace

std::vector<Command> PartnerCommands() {
  const FlagSpec points_required{"points", "points", true};
  const FlagSpec amount{"amount_minor", "amount in minor units (cents)", true};
  const FlagSpec currency{"currency", "ISO 4217 code, e.g. EUR", true};
  const FlagSpec auth{"authorization", "partner_txn_id of the authorization", true};
  const FlagSpec pin{"pin",
                     "the member's PIN, needed above the program's PIN threshold; - = read it "
                     "from stdin"};
  return {
      {"enroll", "enroll a new member; prints its card number", {kTxnId}, Enroll},
      {"link-card",
       "link another card number (--new_card), or a bank's co-branded card (--token / "
       "--pan, issuer key), to the member of --card",
       {kCard,
        {"new_card", "the loyalty card to link (16 digits, Luhn)"},
        TokenFlag(),
        PanFlag(),
        kTxnId},
       LinkCard},
      {"register-bearer-card",
       "move an anonymous bearer card and its points to the member of --card",
       {kCard, {"bearer_card", "the bearer card number", true}, kTxnId},
       RegisterBearer},
      {"balance",
       "a member's balance, holds, debt, pending points, tier and next expiry",
       {kCard},
       GetBalance},
      {"quote-earn",
       "the points an earn would credit (writes nothing)",
       {kCard, amount, currency},
       QuoteEarn},
      {"earn",
       "credit points for a purchase (queued offline with --queue_file if the hub is down)",
       {kCard,
        amount,
        currency,
        {"points", "stated points instead of the earn rate"},
        kOccurredAt,
        kTxnId},
       Earn},
      {"redeem",
       "spend points in one step",
       {kCard, points_required, pin, kOccurredAt, kTxnId},
       Redeem},
      {"authorize",
       "hold points for a later capture or void",
       {kCard, points_required, pin, kOccurredAt, kTxnId},
       Authorize},
      {"capture",
       "take held points (0 = all held; the rest is released)",
       {auth, {"points", "points to capture; default 0 = all"}, kOccurredAt, kTxnId},
       Capture},
      {"void", "release a hold", {auth, kTxnId}, Void},
      {"reverse",
       "reverse (return/refund) an earn, redemption or capture",
       {{"original", "partner_txn_id of the transaction to reverse", true},
        {"points", "points to reverse; default 0 = all not yet reversed"},
        kOccurredAt,
        kTxnId},
       Reverse},
      {"transactions",
       "one page of this partner's transactions, newest first",
       {{"card", "only this card"},
        {"since", "posted at or after: ISO-8601 UTC (2026-11-03T14:05:00Z) or UTC micros"},
        {"until", "posted before: ISO-8601 UTC or UTC micros"},
        {"page_size", "entries per page: default 100, at most 500"},
        {"page_token",
         "the next page: next_page_token printed with the page before, with "
         "the same --card/--since/--until"}},
       Transactions},
      {"set-pin",
       "set or replace the member's PIN (4..8 digits)",
       {kCard, {"pin", "the new PIN; - = read it from stdin", true}},
       SetPin},
      {"program",
       "the program, tiers and the promotions at this partner's tills or funded by it",
       {{"include_ended", "also promotions that ended or have not started (true/false)"}},
       ProgramRules},
      {"queue-status",
       "earns waiting in the offline queue (--queue_file) and refused ones",
       {},
       QueueStatus,
       false},
      {"queue-drain", "send the earns waiting in the offline queue (--queue_file)", {}, QueueDrain},
  };
}

Record PostingRecord(const sdk::PostingResult& p) {
  Record r;
  r.Add("partner_txn_id", p.partner_txn_id).Add("hub_txn_id", p.hub_txn_id);
  r.Add("points", p.points).Add("balance_after", p.balance_after);
  r.Add("available_after", p.available_after).Add("replayed", p.replayed);
  return r;
}

}  // namespace loyalty::cli
