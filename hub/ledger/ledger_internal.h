// Helpers shared by the ledger's .cc files. Internal to hub/ledger.
#ifndef LOYALTY_HUB_LEDGER_LEDGER_INTERNAL_H_
#define LOYALTY_HUB_LEDGER_LEDGER_INTERNAL_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/notification.h"
#include "absl/types/span.h"
#include "hub/common/status_macros.h"
#include "hub/ledger/ledger.h"
#include "hub/ledger/member_book.h"

namespace loyalty {

// SHA-256 of the request's content in a canonical form: two requests with the same
// idempotency key are "the same" exactly when their hashes match.
std::string RequestHash(absl::string_view kind, absl::Span<const absl::string_view> parts);

// What makes a retry "the same request" as the one its idempotency key first carried,
// and what a different one is told (Stripe-style: the field, before and now).
struct RequestIdentity {
  RequestIdentity(std::string h) : hash(std::move(h)) {}  // NOLINT: a bare hash converts

  std::string hash;  // RequestHash of the request's content, occurred_at included
  // The same hash with occurred_at 0, for a request that states a time: an original sent
  // without one (the hub took its own clock) is the same request. That is the SDK queuing
  // a sale after an online attempt whose answer it never saw, or a till that resends
  // with the time it kept.
  std::string hash_without_time;
  // Compared with the stored transaction's columns to name what differs.
  std::string kind;
  std::string card_number;  // by the member it belongs to
  std::optional<int64_t> amount_minor;
  std::string currency;
  Micros occurred_at = 0;  // 0: none stated
};

// The identity of a request of `kind` whose content is `parts` and the time it states
// (0: none), with the fields a mismatch names filled by the caller.
RequestIdentity TimedRequest(absl::string_view kind, std::vector<absl::string_view> parts,
                             Micros occurred_at);

// Looks the idempotency key up. Returns the stored answer (replayed) when the same
// request was posted before, nullopt when the key is new, ALREADY_EXISTS naming the key
// and the first field that differs when it was used for a different request.
absl::StatusOr<std::optional<Posting>> CheckReplay(StoreTxn* txn, PartnerId partner,
                                                   const std::string& partner_txn_id,
                                                   const RequestIdentity& request);

// The member a card belongs to, or NOT_FOUND naming `field`.
absl::StatusOr<CardRecord> ResolveCard(PostingRows* txn, absl::string_view field,
                                       const std::string& card_number);

// Locks the member of a card and checks the card still points at it afterwards (a
// concurrent bearer-card registration may have moved it).
// The book's now() is the posting's time (MemberBook::Lock).
absl::StatusOr<MemberBook> LockMemberOfCard(StoreTxn* txn, absl::string_view field,
                                            const std::string& card_number, const Clock& clock);

// The program, or FAILED_PRECONDITION if the operator has not set one yet.
absl::StatusOr<ProgramRecord> RequireProgram(RulesAdminRows* txn);

// A txns row for a partner request, before its results are known.
TxnRecord NewTxn(const PartnerRequest& req, absl::string_view kind, MemberId member,
                 const std::string& request_hash, Micros now);

// Writes the final figures of a posting to its txns row and to `out`.
absl::Status FinishPosting(PostingRows* txn, TxnId id, Points points, const MemberBook& book,
                           Posting* out);

// Posts an earn for the locked member: the txns row `rec` (kind earn, its request hash
// and amount filled in), a lot of `credited` points funded by `funder` (none when 0), the
// transfer, and fills `out`. `base` is the points before caps, kept for the breakdown.
// `extras` runs after the earn's row exists (promotion bonuses); `available_at` ends the
// partner's return window (0 = spendable at once).
absl::Status PostEarn(StoreTxn* txn, const ProgramRecord& program, PartnerId funder,
                      MemberBook* book, TxnRecord rec, Points base, Points credited, Micros now,
                      Posting* out, const std::function<absl::Status(TxnId)>& extras = nullptr,
                      Micros available_at = 0);

// Posts a reversal of `points` of `original` (an earn, redemption or capture) for the
// locked member that now holds it, with the txns row `rec`, and fills `out`.
// REQUIRES: 0 < points <= original's points not yet reversed.
absl::Status PostReversal(StoreTxn* txn, MemberBook* book, const TxnRecord& original, TxnRecord rec,
                          Points points, Micros now, Posting* out);

// The member that holds an original transaction's lots today (follows bearer-card
// merges), locked.
absl::StatusOr<MemberBook> LockCurrentMember(StoreTxn* txn, MemberId member, const Clock& clock);

// Checks the member's PIN when `points` exceed the program's threshold, inside the
// redemption's own transaction (no transaction of its own). Returns the verdict: OK,
// or the error to answer, in which case the caller posts nothing but commits (a wrong
// PIN's failure count is saved in `book`; the third locks the PIN until the operator
// unlocks it). A non-OK StatusOr is a database error.
absl::StatusOr<absl::Status> CheckPin(const ProgramRecord& program, MemberBook* book, Points points,
                                      const std::string& pin);

// The expiry of a lot earned at `earned_at` under `program`.
absl::StatusOr<Micros> LotExpiry(const ProgramRecord& program, Micros earned_at);

// 00:00 UTC of the day containing `t`.
Micros StartOfUtcDay(Micros t);

// Lock plans (store.h) for group commit: the member of a card, the member of a partner's
// earlier transaction (an authorization a capture refers to, an earn to reverse).
LockPlan CardLockPlan(const std::string& card_number);
LockPlan TxnLockPlan(PartnerId partner, const std::string& partner_txn_id);

// Posts a partner's mutating request: `plan` (required: what it locks and reads, known
// before it runs) gets the request's idempotency key added; under the plan's locks a
// known key replays, anything else runs `body(txn, out)`, which posts and fills `out`.
// `done` hears the posting once it committed, or the error; with group commit it is
// called on the committer thread, so it must not block.
template <typename Body>
void PostPartnerRequest(Store* store, const PartnerRequest& req, RequestIdentity request,
                        LockPlan plan, Body body,
                        std::function<void(absl::StatusOr<Posting>)> done) {
  plan.key_partner = req.partner_id;
  plan.key = req.partner_txn_id;
  auto out = std::make_shared<Posting>();
  auto replay_into_out = [out, partner = req.partner_id, key = req.partner_txn_id,
                          request = std::move(request)](StoreTxn& txn) -> absl::StatusOr<bool> {
    ASSIGN_OR_RETURN(std::optional<Posting> replay, CheckReplay(&txn, partner, key, request));
    if (!replay.has_value()) return false;
    *out = std::move(*replay);
    return true;
  };
  PostingJob job(
      std::move(plan),
      [out, replay_into_out, body = std::move(body)](StoreTxn& txn) -> absl::Status {
        *out = Posting{};
        ASSIGN_OR_RETURN(bool replayed, replay_into_out(txn));
        if (replayed) return absl::OkStatus();
        return body(txn, *out);
      },
      [out, done = std::move(done)](absl::Status s) {
        if (s.ok()) {
          done(std::move(*out));
        } else {
          done(std::move(s));
        }
      });
  // A retry that queued behind its own original on the member lock fails the business
  // checks (the points are gone, the hold is captured): the original has committed by
  // then, so it answers with the original rather than with the error.
  job.recheck = [replay_into_out](StoreTxn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(bool replayed, replay_into_out(txn));
    return replayed ? absl::OkStatus() : absl::NotFoundError("no original");
  };
  store->Post(std::move(job));
}

// Waits for a posting that answers through a callback: `start(done)` starts it.
template <typename Start>
absl::StatusOr<Posting> AwaitPosting(Start&& start) {
  absl::StatusOr<Posting> result;
  absl::Notification posted;
  start([&](absl::StatusOr<Posting> r) {
    result = std::move(r);
    posted.Notify();  // this frame may return (and destroy `posted`) after this
  });
  posted.WaitForNotification();
  return result;
}

}  // namespace loyalty

#endif  // LOYALTY_HUB_LEDGER_LEDGER_INTERNAL_H_
