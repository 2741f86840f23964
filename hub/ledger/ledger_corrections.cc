// Corrections: reversals of earns and redemptions, operator adjustments, expiry.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "hub/ledger/ledger.h"
#include "hub/ledger/ledger_internal.h"
#include "hub/ledger/validate.h"
#include "hub/common/error_reason.h"

namespace loyalty {
namespace {

absl::Status ValidateReverse(const ReverseParams& p) {
  RETURN_IF_ERROR(ValidateIdempotencyKey("partner_txn_id", p.req.partner_txn_id));
  RETURN_IF_ERROR(ValidateOccurredAt("occurred_at_micros", p.req.occurred_at));
  RETURN_IF_ERROR(ValidateIdempotencyKey("original_partner_txn_id", p.original_partner_txn_id));
  if (p.points != 0) RETURN_IF_ERROR(ValidatePoints("points", p.points, 1));
  return absl::OkStatus();
}

absl::Status ValidateAdjust(const AdjustParams& p) {
  RETURN_IF_ERROR(ValidateIdempotencyKey("adjustment_id", p.adjustment_id));
  RETURN_IF_ERROR(ValidateCardNumber("card_number", p.card_number));
  RETURN_IF_ERROR(ValidateText("reason", p.reason, 200));
  if (p.points == 0) return InvalidField("points", "must not be 0");
  // -INT64_MIN overflows: anything below -kMaxPointsPerRequest is out of range anyway.
  const Points magnitude = p.points < -kMaxPointsPerRequest ? kMaxPointsPerRequest + 1
                                                            : (p.points > 0 ? p.points : -p.points);
  return ValidatePoints("points", magnitude, 1);
}

// An earn reversal: the earn's own lot first, then other lots in lot order (cover,
// redeemed by the earn's funder), then a debt to the funder for what is missing.
absl::Status ReverseEarn(StoreTxn* txn, MemberBook* book, const TxnRecord& earn, TxnId id,
                         Points points, Micros now, Points* debt_created) {
  const PartnerId funder = earn.partner_id;
  ASSIGN_OR_RETURN(std::optional<LotRecord> own, txn->LotOfEarn(earn.id));
  Points taken = 0;
  if (own.has_value()) {
    // Only the own lot, by restricting the take to it: ask for it first, at most its
    // remaining.
    ASSIGN_OR_RETURN(std::vector<LotRecord> * lots, book->Lots());
    Points own_remaining = 0;
    for (const LotRecord& l : *lots) {
      if (l.id == own->id) own_remaining = l.remaining;
    }
    ASSIGN_OR_RETURN(taken,
                     book->TakeFromLots(std::min(points, own_remaining),
                                        {id, consumption_kind::kReverseOwn, funder, now}, own->id));
  }
  ASSIGN_OR_RETURN(
      Points cover,
      book->TakeFromLots(points - taken, {id, consumption_kind::kReverseCover, funder, now}));
  taken += cover;
  *debt_created = points - taken;
  if (*debt_created > 0) RETURN_IF_ERROR(book->AddDebt(funder, id, *debt_created, now));
  RETURN_IF_ERROR(
      PostTransfer(txn, id, MemberAccount(book->id()), PartnerIssuedAccount(funder), points, now));
  return book->FitHoldsToBalance();
}

// A redemption reversal: points go back into the lots the redemption consumed, in
// reverse order of consumption, keeping each lot's expiry.
absl::Status ReverseRedemption(StoreTxn* txn, MemberBook* book, const TxnRecord& redemption,
                               TxnId id, Points points, Micros now) {
  ASSIGN_OR_RETURN(std::vector<ConsumptionRecord> consumed, txn->ConsumptionsOfTxn(redemption.id));
  Points left = points;
  for (auto it = consumed.rbegin(); it != consumed.rend() && left > 0; ++it) {
    if (it->points <= 0) continue;
    ASSIGN_OR_RETURN(Points restored, txn->RestoredOf(it->id));
    const Points give = std::min(left, it->points - restored);
    if (give <= 0) continue;
    RETURN_IF_ERROR(book->RestoreToLot(
        it->lot_id, give, {id, consumption_kind::kRestore, it->redeemer_id, now}, it->id));
    left -= give;
  }
  LOYALTY_CHECK(left == 0);  // reversed_points bounds what can be restored
  RETURN_IF_ERROR(PostTransfer(txn, id, PartnerRedeemedAccount(redemption.partner_id),
                               MemberAccount(book->id()), points, now));
  // Points restored into a lot already past expiry expire at once, in their own
  // `expire` transaction: no answer shows a point past its expiry.
  return book->ExpireDue(now);
}

}  // namespace

absl::StatusOr<MemberBook> LockCurrentMember(StoreTxn* txn, MemberId member, const Clock& clock) {
  for (int hops = 0; hops < 8; ++hops) {
    absl::StatusOr<MemberBook> book = MemberBook::Lock(txn, member, clock);
    if (!book.ok() || !book->member().merged_into.has_value()) return book;
    member = *book->member().merged_into;
  }
  return absl::InternalError("member merge chain too long");
}

absl::StatusOr<Posting> Ledger::Reverse(const ReverseParams& p) {
  return AwaitPosting([&](PostingDone done) { Reverse(p, std::move(done)); });
}

absl::StatusOr<Posting> Ledger::AdjustPoints(const AdjustParams& p) {
  return AwaitPosting([&](PostingDone done) { AdjustPoints(p, std::move(done)); });
}

void Ledger::Reverse(ReverseParams p, PostingDone done) {
  if (absl::Status s = ValidateReverse(p); !s.ok()) return done(s);
  const std::string points = absl::StrCat(p.points);
  RequestIdentity request =
      TimedRequest("reverse", {p.original_partner_txn_id, points}, p.req.occurred_at);
  request.kind.clear();  // the reversal's txn kind depends on what it reverses
  const std::string hash = request.hash;
  const LockPlan plan = TxnLockPlan(p.req.partner_id, p.original_partner_txn_id);
  PostPartnerRequest(
      store_, p.req, std::move(request), plan,
      [this, p, hash](StoreTxn& txn, Posting& out) -> absl::Status {
        ASSIGN_OR_RETURN(std::optional<TxnRecord> original,
                         txn.FindTxn(p.req.partner_id, p.original_partner_txn_id));
        const bool is_earn = original.has_value() && original->kind == txn_kind::kEarn;
        const bool is_redemption = original.has_value() && (original->kind == txn_kind::kRedeem ||
                                                            original->kind == txn_kind::kCapture);
        if (!is_earn && !is_redemption) {
          return WithReason(absl::NotFoundError("original_partner_txn_id: no earn, redemption or "
                                                "capture with this id"),
                            reason::kOriginalNotFound);
        }
        ASSIGN_OR_RETURN(MemberBook book, LockCurrentMember(&txn, original->member_id, *clock_));
        const Micros now = book.now();
        // Re-read under the member lock: a concurrent reversal may have moved it.
        ASSIGN_OR_RETURN(original, txn.GetTxn(original->id));
        const Points reversible = original->points - original->reversed_points;
        const Points points = p.points == 0 ? reversible : p.points;
        if (points == 0 || points > reversible) {
          return WithReason(absl::FailedPreconditionError(absl::StrCat(
                                "points: ", points, " to reverse, ", reversible,
                                " not yet reversed")),
                            reason::kNothingToReverse);
        }
        TxnRecord rec = NewTxn(p.req, is_earn ? txn_kind::kReverseEarn : txn_kind::kReverseRedeem,
                               book.id(), hash, now);
        return PostReversal(&txn, &book, *original, rec, points, now, &out);
      },
      std::move(done));
}

namespace {

// A promotion bonus of an earn and the points its reversal takes now.
struct BonusCut {
  TxnRecord bonus;
  Points points = 0;
};

// The promotion bonuses of an earn reverse in step with the earn itself: after the
// earn's reversals total `reversed_after` of its points, each bonus is reversed to
// floor(bonus x reversed_after / earn points), and in full with the earn's last point.
absl::StatusOr<std::vector<BonusCut>> BonusCuts(StoreTxn* txn, const TxnRecord& earn,
                                                Points reversed_after) {
  ASSIGN_OR_RETURN(std::vector<TxnRecord> bonuses, txn->BonusTxnsOf(earn.id));
  std::vector<BonusCut> out;
  for (TxnRecord& bonus : bonuses) {
    const Points target = reversed_after >= earn.points
                              ? bonus.points
                              : static_cast<Points>(static_cast<__int128>(bonus.points) *
                                                    reversed_after / earn.points);
    const Points delta = target - bonus.reversed_points;
    if (delta > 0) out.push_back({std::move(bonus), delta});
  }
  return out;
}

// Posts each cut as a reversal of its bonus (funded by the promotion's creator); adds
// the debts they create to `*debt_created`.
absl::Status ReverseBonuses(StoreTxn* txn, MemberBook* book, const std::vector<BonusCut>& cuts,
                            Micros now, Points* debt_created) {
  for (const BonusCut& cut : cuts) {
    TxnRecord rec;
    rec.partner_id = cut.bonus.partner_id;  // the promotion's funder
    rec.kind = txn_kind::kReverseEarn;
    rec.member_id = book->id();
    rec.request_hash = RequestHash(txn_kind::kReverseEarn, {absl::StrCat(cut.bonus.id)});
    rec.posted_at = rec.occurred_at = now;
    Posting posted;
    RETURN_IF_ERROR(PostReversal(txn, book, cut.bonus, rec, cut.points, now, &posted));
    *debt_created += posted.debt_created;
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status PostReversal(StoreTxn* txn, MemberBook* book, const TxnRecord& original, TxnRecord rec,
                          Points points, Micros now, Posting* out) {
  const bool is_earn = original.kind == txn_kind::kEarn || original.kind == txn_kind::kBonus;
  rec.original_txn_id = original.id;
  // An earn's reversal takes its promotion bonuses back in step (BonusCuts); what the
  // lots cannot cover of both becomes debt, reported in debt_created.
  std::vector<BonusCut> cuts;
  if (original.kind == txn_kind::kEarn) {
    ASSIGN_OR_RETURN(cuts, BonusCuts(txn, original, original.reversed_points + points));
  }
  Points expected_debt = 0;
  if (is_earn) {
    ASSIGN_OR_RETURN(std::vector<LotRecord> * lots, book->Lots());
    Points cover = 0;
    for (const LotRecord& l : *lots) cover += l.remaining;
    Points taken_back = points;
    for (const BonusCut& cut : cuts) taken_back += cut.points;
    expected_debt = std::max<Points>(0, taken_back - cover);
    rec.note = absl::StrCat(expected_debt);  // what a replay answers
  }
  ASSIGN_OR_RETURN(TxnId id, txn->InsertTxn(rec));
  if (is_earn) {
    RETURN_IF_ERROR(ReverseEarn(txn, book, original, id, points, now, &out->debt_created));
  } else {
    RETURN_IF_ERROR(ReverseRedemption(txn, book, original, id, points, now));
  }
  RETURN_IF_ERROR(txn->AddTxnReversed(original.id, points));
  RETURN_IF_ERROR(ReverseBonuses(txn, book, cuts, now, &out->debt_created));
  LOYALTY_CHECK(out->debt_created == expected_debt);
  RETURN_IF_ERROR(book->Save());
  return FinishPosting(txn, id, points, *book, out);
}

void Ledger::AdjustPoints(AdjustParams p, PostingDone done) {
  if (absl::Status s = ValidateAdjust(p); !s.ok()) return done(s);
  PartnerRequest req;
  req.partner_id = kOperatorId;
  req.partner_txn_id = p.adjustment_id;
  const std::string hash =
      RequestHash(txn_kind::kAdjust, {p.card_number, absl::StrCat(p.points), p.reason});
  const LockPlan plan = CardLockPlan(p.card_number);
  PostPartnerRequest(
      store_, req, hash, plan,
      [this, p, req, hash](StoreTxn& txn, Posting& out) -> absl::Status {
        ASSIGN_OR_RETURN(ProgramRecord program, RequireProgram(&txn));
        ASSIGN_OR_RETURN(MemberBook book,
                         LockMemberOfCard(&txn, "card_number", p.card_number, *clock_));
        const Micros now = book.now();
        const std::string before =
            AuditState().Int("member_id", book.id()).Int("balance", book.balance()).Json();
        TxnRecord rec = NewTxn(req, txn_kind::kAdjust, book.id(), hash, now);
        rec.note = p.reason;
        if (p.points < 0 && -p.points > book.available()) {
          return WithReason(absl::FailedPreconditionError(
              absl::StrCat("points: debit of ", -p.points, " exceeds the ",
                           std::max<Points>(0, book.available()), " available")),
                            reason::kInsufficientPoints);
        }
        ASSIGN_OR_RETURN(TxnId id, txn.InsertTxn(rec));
        if (p.points > 0) {
          ASSIGN_OR_RETURN(Micros expires_at, LotExpiry(program, now));
          RETURN_IF_ERROR(book.AddLot(kOperatorId, id, p.points, now, expires_at).status());
          RETURN_IF_ERROR(
              PostTransfer(&txn, id, kAdjustmentsAccount, MemberAccount(book.id()), p.points, now));
        } else {
          ASSIGN_OR_RETURN(
              Points taken,
              book.TakeFromLots(-p.points, {id, consumption_kind::kAdjust, kOperatorId, now,
                                            /*spendable_only=*/true}));
          LOYALTY_CHECK(taken == -p.points);
          RETURN_IF_ERROR(PostTransfer(&txn, id, MemberAccount(book.id()), kAdjustmentsAccount,
                                       -p.points, now));
        }
        RETURN_IF_ERROR(book.Save());
        RETURN_IF_ERROR(txn.InsertAudit(
            now, p.actor, "adjust_points",
            absl::StrCat("member=", book.id(), " points=", p.points, " reason=", p.reason), before,
            AuditState().Int("member_id", book.id()).Int("balance", book.balance()).Json()));
        return FinishPosting(&txn, id, p.points, book, &out);
      },
      std::move(done));
}

absl::StatusOr<ExpiryOutcome> Ledger::RunExpiry() {
  ExpiryOutcome total;
  const Micros now = clock_->NowMicros();
  for (;;) {
    std::vector<MemberId> members;
    RETURN_IF_ERROR(store_->RunInTransaction([&](StoreTxn& txn) -> absl::Status {
      ASSIGN_OR_RETURN(members, txn.MembersWithExpiredLots(now, kExpiryBatchMembers));
      return absl::OkStatus();
    }));
    if (members.empty()) break;
    const int64_t before = total.lots_expired;
    // Each member's expiry with the effect of a transaction of its own; under group commit
    // one batch, its members locked by plan.
    std::vector<ExpiryOutcome> outcomes(members.size());
    std::vector<std::function<absl::Status(StoreTxn&)>> work;
    std::vector<LockPlan> plans;
    for (size_t i = 0; i < members.size(); ++i) {
      work.push_back([this, &outcomes, member = members[i], i](StoreTxn& txn) -> absl::Status {
        // Locking a member expires its due lots (MemberBook::Lock).
        ASSIGN_OR_RETURN(MemberBook book, MemberBook::Lock(&txn, member, *clock_));
        outcomes[i].lots_expired = book.expired_lots();
        outcomes[i].points_expired = book.expired_points();
        return absl::OkStatus();
      });
      LockPlan plan;
      plan.member = members[i];
      plans.push_back(plan);
    }
    for (const absl::Status& s : store_->RunEach(work, plans)) RETURN_IF_ERROR(s);
    for (const ExpiryOutcome& one : outcomes) {
      total.lots_expired += one.lots_expired;
      total.points_expired += one.points_expired;
    }
    if (total.lots_expired == before) break;  // nothing left that this pass could expire
  }
  return total;
}

absl::StatusOr<std::vector<std::string>> Ledger::CheckInvariants() {
  std::vector<std::string> out;
  RETURN_IF_ERROR(store_->RunInTransaction([&](StoreTxn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(out, txn.FindInvariantViolations(clock_->NowMicros()));
    return absl::OkStatus();
  }));
  return out;
}

}  // namespace loyalty
