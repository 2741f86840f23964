// One member's points under its row lock, for the duration of one database
// transaction: the member row, its open lots (in lot order), open debts and active
// holds, with the moves the ledger makes on them. Every move keeps
// balance = sum(lots remaining) - debt and writes the consumption rows settlement
// reads. Save() writes the member row back.
#ifndef LOYALTY_HUB_LEDGER_MEMBER_BOOK_H_
#define LOYALTY_HUB_LEDGER_MEMBER_BOOK_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "hub/common/clock.h"
#include "hub/store/store.h"

namespace loyalty {

// How a take from lots is recorded.
struct TakeRecord {
  TxnId txn_id = 0;
  std::string kind;  // consumption_kind::*
  std::optional<PartnerId> redeemer;
  Micros posted_at = 0;
  // Redemptions and debits spend only lots out of their return window; reversals and
  // expiry take any lot.
  bool spendable_only = false;
};

class MemberBook {
 public:
  // Locks the member (SELECT ... FOR UPDATE), then fixes the posting's time: `clock`
  // read after the lock, raised to the member's last posted_at (several hubs' clocks
  // differ; time never runs backwards for a member). Loads its holds active then, and
  // expires its lots due by then (lazy expiry: no operation ever sees a point past its
  // lot's expiry, whether or not the expiry sweep has run yet).
  static absl::StatusOr<MemberBook> Lock(StoreTxn* txn, MemberId id, const Clock& clock);

  // The time this book judges and posts at (see Lock); the one place a posting's `now`
  // comes from.
  Micros now() const { return now_; }
  // Moves now() forward to `t` (a posting over two members uses the later of their
  // times) and expires what falls due by then. No-op when `t` is not later.
  absl::Status AdvanceTo(Micros t);

  // Moves the remaining points of lots due by `now` to breakage in their own `expire`
  // transaction, and writes the member row. Lock calls it; call it again after putting
  // points back into lots that may be past expiry.
  absl::Status ExpireDue(Micros now);

  // What Lock (and later ExpireDue calls) expired.
  int64_t expired_lots() const { return expired_lots_; }
  Points expired_points() const { return expired_points_; }

  const MemberRecord& member() const { return member_; }
  MemberId id() const { return member_.id; }
  Points balance() const { return member_.balance; }
  Points debt() const { return member_.debt; }
  Points held() const;
  // Points in lots still inside their partner's return window (not spendable yet).
  Points pending() const;
  // The earliest time a pending lot becomes spendable, 0 when none is pending.
  Micros next_release() const;
  Points available() const { return member_.balance - held() - pending(); }
  MemberRecord& mutable_member() { return member_; }
  const std::vector<HoldRecord>& active_holds() const { return holds_; }

  // Open lots in lot order (earliest expiry, then earned_at, then id), all of them: read
  // on first use (Lock reads only those due or pending) and kept current by every move
  // (a lot emptied stays listed with remaining 0).
  absl::StatusOr<std::vector<LotRecord>*> Lots();

  // Takes up to `points` from lots in lot order, first from `first_lot` when given,
  // optionally only from lots expiring at or before `expiring_by`. Returns the points
  // taken (less than asked when the lots run out).
  absl::StatusOr<Points> TakeFromLots(Points points, const TakeRecord& how,
                                      std::optional<LotId> first_lot = std::nullopt,
                                      std::optional<Micros> expiring_by = std::nullopt);

  // Puts `points` back into `lot_id` (a redemption reversal), recorded as a negative
  // consumption that restores consumption `restores`.
  absl::Status RestoreToLot(LotId lot_id, Points points, const TakeRecord& how, int64_t restores);

  // Credits a new lot; outstanding debts are repaid from it first (oldest debt first,
  // each repayment a consumption with the debt's funder as redeemer). Returns its id.
  absl::StatusOr<LotId> AddLot(PartnerId funder, TxnId earn_txn, Points points, Micros earned_at,
                               Micros expires_at, Micros available_at = 0);

  // Records that the member owes `points` to `funder`.
  absl::Status AddDebt(PartnerId funder, TxnId txn, Points points, Micros now);

  // Shrinks active holds, newest first, until they fit in the spendable balance
  // (balance - pending) or none is left; used when expiry, an earn reversal or a moved
  // debt took points a hold had reserved.
  absl::Status FitHoldsToBalance();

  // Records a new active hold and counts it in held() from now on.
  absl::Status AddHold(const HoldRecord& hold);

  // Ends a hold (captured or voided), keeping `points` on its row for the record.
  absl::Status CloseHold(int64_t hold_id, const std::string& status, Points points);

  // Writes the member row and checks its invariants.
  absl::Status Save();

 private:
  MemberBook(StoreTxn* txn, MemberRecord m, std::vector<HoldRecord> holds, Micros now)
      : txn_(txn), member_(std::move(m)), holds_(std::move(holds)), now_(now) {}

  // The holds active at now_, newest first.
  absl::Status ReloadHolds();

  // Keeps lots_ in lot order after a lot was added or refilled.
  void SortLots();

  StoreTxn* txn_;
  MemberRecord member_;
  std::vector<HoldRecord> holds_;
  Micros now_;
  // Lot order; from Lock on, at least the lots due by lots_cover_ or pending after it,
  // all open lots once lots_complete_.
  std::optional<std::vector<LotRecord>> lots_;
  bool lots_complete_ = false;
  Micros lots_cover_ = 0;
  int64_t expired_lots_ = 0;
  Points expired_points_ = 0;
};

// The journal account names of DESIGN.md section 5.
std::string MemberAccount(MemberId id);
std::string PartnerIssuedAccount(PartnerId id);
std::string PartnerRedeemedAccount(PartnerId id);
inline constexpr char kBreakageAccount[] = "breakage";
inline constexpr char kAdjustmentsAccount[] = "adjustments";

// Appends one transfer; a zero-point move writes nothing.
absl::Status PostTransfer(PostingRows* txn, TxnId txn_id, const std::string& debit,
                          const std::string& credit, Points points, Micros now);

}  // namespace loyalty

#endif  // LOYALTY_HUB_LEDGER_MEMBER_BOOK_H_
