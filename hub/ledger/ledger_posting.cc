// Earn and burn: Earn, Redeem, and the two-phase Authorize -> Capture | Void.
#include <algorithm>
#include <memory>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "hub/ledger/earn_rules.h"
#include "hub/ledger/ledger.h"
#include "hub/ledger/ledger_internal.h"
#include "hub/ledger/validate.h"
#include "hub/common/error_reason.h"

namespace loyalty {
namespace {

absl::Status ValidateRequest(const PartnerRequest& req) {
  RETURN_IF_ERROR(ValidateIdempotencyKey("partner_txn_id", req.partner_txn_id));
  return ValidateOccurredAt("occurred_at_micros", req.occurred_at);
}

absl::Status ValidateEarn(const EarnParams& p) {
  RETURN_IF_ERROR(ValidateCardNumber("card_number", p.card_number));
  if (p.amount_minor < 0 || p.amount_minor > kMaxAmountMinor) {
    return InvalidField("amount.amount_minor", absl::StrCat("must be 0..", kMaxAmountMinor));
  }
  if (!CurrencyExponent(p.currency).has_value()) {
    return InvalidField("amount.currency", "not a supported ISO 4217 code");
  }
  if (p.stated_points != 0) RETURN_IF_ERROR(ValidatePoints("points", p.stated_points, 1));
  return absl::OkStatus();
}

absl::Status ValidateEarnRequest(const EarnParams& p) {
  RETURN_IF_ERROR(ValidateRequest(p.req));
  return ValidateEarn(p);
}

absl::Status ValidateRedeemRequest(const RedeemParams& p) {
  RETURN_IF_ERROR(ValidateRequest(p.req));
  RETURN_IF_ERROR(ValidateCardNumber("card_number", p.card_number));
  RETURN_IF_ERROR(ValidatePoints("points", p.points, 1));
  // A malformed PIN is rejected even when none is needed, and never counts as a wrong one.
  if (!p.pin.empty()) RETURN_IF_ERROR(ValidatePin("pin", p.pin));
  return absl::OkStatus();
}

absl::Status ValidateCaptureRequest(const CaptureParams& p) {
  RETURN_IF_ERROR(ValidateRequest(p.req));
  RETURN_IF_ERROR(
      ValidateIdempotencyKey("authorization_partner_txn_id", p.authorization_partner_txn_id));
  if (p.points != 0) RETURN_IF_ERROR(ValidatePoints("points", p.points, 1));
  return absl::OkStatus();
}

// The points an earn credits. The partner's caps bound base + tier bonus: the base is
// cut first, then the tier bonus; the tier bonus and the promotions are computed on the
// base as credited, so an amount typed wrong at a till cannot mint a promotion's
// multiple of it (docs/program-rules.md).
struct EarnFigures {
  Points base = 0;      // credited
  Points credited = 0;  // base + tier bonus within the partner's caps
  bool capped = false;
  Points uncapped = 0;  // base + tier bonus as the rate gives them
  EarnPlan plan;        // plan.tier_bonus: as credited
};

// Computes the points of an earn for `partner` within its per-transaction and daily
// limits. Rate-computed points are capped at the limits; points the partner states
// itself must fit them (FAILED_PRECONDITION otherwise).
absl::StatusOr<EarnFigures> ComputeEarn(StoreTxn* txn, const EarnParams& p,
                                        const ProgramRecord& program, const PartnerRecord& partner,
                                        MemberId member, Micros now) {
  if (p.currency != program.currency) {
    return InvalidField("amount.currency",
                        absl::StrCat("the program's currency is ", program.currency));
  }
  if (program.max_earn_amount_minor > 0 && p.amount_minor > program.max_earn_amount_minor) {
    return WithReason(absl::FailedPreconditionError(absl::StrCat(
                          "amount.amount_minor: ", p.amount_minor,
                          " is more than the program's limit of ", program.max_earn_amount_minor,
                          " per earn (max_earn_amount_minor)")),
                      reason::kEarnLimitExceeded, {{"limit", "max_earn_amount_minor"}});
  }
  if (program.max_earns_per_card_hour > 0 && member != 0) {
    ASSIGN_OR_RETURN(int64_t recent,
                     txn->EarnCountSince(member, /*any partner*/ 0, now - 3'600'000'000));
    if (recent >= program.max_earns_per_card_hour) {
      return WithReason(absl::FailedPreconditionError(absl::StrCat(
                            "card_number: ", recent,
                            " earns in the last hour reach the program's limit of ",
                            program.max_earns_per_card_hour, " (max_earns_per_card_hour)")),
                        reason::kEarnLimitExceeded, {{"limit", "max_earns_per_card_hour"}});
    }
  }
  EarnFigures f;
  Points base = 0;
  if (p.stated_points > 0) {
    base = p.stated_points;
  } else {
    ASSIGN_OR_RETURN(base, EarnPointsFloor(p.amount_minor, *CurrencyExponent(p.currency),
                                           partner.earn_rate_bp, program.point_value_micros));
  }
  Points room = kMaxPointsPerRequest;
  if (partner.max_points_per_txn > 0) room = std::min(room, partner.max_points_per_txn);
  if (partner.max_points_per_member_day > 0 && member != 0) {
    ASSIGN_OR_RETURN(Points today, txn->SumEarnedSince(partner.id, member, StartOfUtcDay(now)));
    room = std::min(room, std::max<Points>(0, partner.max_points_per_member_day - today));
  }
  if (p.stated_points > room) {
    return WithReason(absl::FailedPreconditionError(absl::StrCat(
                          "points: ", p.stated_points, " exceeds the partner's limit (", room,
                          " left for this transaction and member today)")),
                      reason::kPointsAboveLimit);
  }
  f.base = std::min(base, room);
  if (member != 0) {
    ASSIGN_OR_RETURN(f.plan, PlanEarn(txn, partner, member, p.amount_minor, f.base,
                                      RulesMoment(p.req.occurred_at, now)));
  }
  ASSIGN_OR_RETURN(f.uncapped, CheckedAdd(base, f.plan.tier_bonus, "points"));
  f.plan.tier_bonus = std::min(f.plan.tier_bonus, room - f.base);
  f.credited = f.base + f.plan.tier_bonus;
  f.capped = f.credited < f.uncapped;
  return f;
}

absl::Status CheckMinimumRedemption(const ProgramRecord& program, Points points) {
  if (points < program.min_redemption_points) {
    return WithReason(absl::FailedPreconditionError(
                          absl::StrCat("points: below the program's minimum redemption of ",
                                       program.min_redemption_points)),
                      reason::kBelowMinimumRedemption);
  }
  return absl::OkStatus();
}

void FillBreakdown(const EarnFigures& f, Posting* out) {
  out->base_points = f.base;
  out->tier = f.plan.tier;
  out->tier_bonus = f.plan.tier_bonus;
  out->capped = f.capped;
  out->uncapped_points = f.uncapped;
  for (const PromotionAward& a : f.plan.promotions) {
    out->bonuses.push_back({a.promotion.id, a.promotion.name, a.points, a.promotion.funder_id});
  }
}

// One promotion's bonus: its own txns row (kind bonus, partner = the funder, linked to
// the earn), a lot funded by the promotion's creator, the transfer, the award row.
absl::Status PostBonus(StoreTxn* txn, const ProgramRecord& program, const PromotionAward& a,
                       MemberBook* book, TxnId earn_id, Micros available_at, Micros now) {
  TxnRecord rec;
  rec.partner_id = a.promotion.funder_id;
  rec.kind = txn_kind::kBonus;
  rec.member_id = book->id();
  rec.points = a.points;
  rec.request_hash = RequestHash(txn_kind::kBonus, {absl::StrCat(a.promotion.id)});
  rec.original_txn_id = earn_id;
  rec.posted_at = rec.occurred_at = now;
  rec.note = a.promotion.name.substr(0, 200);
  ASSIGN_OR_RETURN(TxnId id, txn->InsertTxn(rec));
  ASSIGN_OR_RETURN(Micros expires_at, LotExpiry(program, now));
  RETURN_IF_ERROR(
      book->AddLot(a.promotion.funder_id, id, a.points, now, expires_at, available_at).status());
  RETURN_IF_ERROR(PostTransfer(txn, id, PartnerIssuedAccount(a.promotion.funder_id),
                               MemberAccount(book->id()), a.points, now));
  RETURN_IF_ERROR(txn->UpdateTxnResult(id, a.points, book->balance(), book->available()));
  return txn->InsertPromotionAward({a.promotion.id, book->id(), earn_id, id, a.points, now});
}

absl::StatusOr<PartnerRecord> RequirePartner(StoreTxn* txn, PartnerId id) {
  ASSIGN_OR_RETURN(std::optional<PartnerRecord> partner, txn->GetPartner(id));
  if (!partner.has_value()) {
    return WithReason(absl::PermissionDeniedError("unknown partner"), reason::kPartnerNotFound);
  }
  if (partner->suspended) {
    return WithReason(absl::PermissionDeniedError("partner is suspended"),
                      reason::kPartnerSuspended);
  }
  return *partner;
}

// Finds the authorization a capture or void refers to and its hold.
struct HeldAuthorization {
  TxnRecord auth;
  HoldRecord hold;
};

absl::StatusOr<HeldAuthorization> FindAuthorization(StoreTxn* txn, const CaptureParams& p) {
  ASSIGN_OR_RETURN(std::optional<TxnRecord> auth,
                   txn->FindTxn(p.req.partner_id, p.authorization_partner_txn_id));
  if (!auth.has_value() || auth->kind != txn_kind::kAuthorize) {
    return WithReason(
        absl::NotFoundError("authorization_partner_txn_id: no such authorization"),
        reason::kOriginalNotFound);
  }
  ASSIGN_OR_RETURN(std::optional<HoldRecord> hold, txn->HoldOfAuthorization(auth->id));
  LOYALTY_CHECK(hold.has_value());
  return HeldAuthorization{*auth, *hold};
}

}  // namespace

absl::StatusOr<Posting> Ledger::QuoteEarn(const EarnParams& p) {
  RETURN_IF_ERROR(ValidateEarn(p));
  Posting out;
  RETURN_IF_ERROR(store_->RunInTransaction([&](StoreTxn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(ProgramRecord program, RequireProgram(&txn));
    ASSIGN_OR_RETURN(PartnerRecord partner, RequirePartner(&txn, p.req.partner_id));
    ASSIGN_OR_RETURN(CardRecord card, ResolveCard(&txn, "card_number", p.card_number));
    ASSIGN_OR_RETURN(EarnFigures f,
                     ComputeEarn(&txn, p, program, partner, card.member_id, clock_->NowMicros()));
    out.member_id = card.member_id;
    FillBreakdown(f, &out);
    out.points = f.credited;
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<Posting> Ledger::Earn(const EarnParams& p) {
  return AwaitPosting([&](PostingDone done) { Earn(p, std::move(done)); });
}

void Ledger::Earn(EarnParams p, PostingDone done) {
  if (absl::Status s = ValidateEarnRequest(p); !s.ok()) return done(s);
  const std::string amount = absl::StrCat(p.amount_minor);
  const std::string stated = absl::StrCat(p.stated_points);
  RequestIdentity request =
      TimedRequest(txn_kind::kEarn, {p.card_number, amount, p.currency, stated}, p.req.occurred_at);
  request.card_number = p.card_number;
  request.amount_minor = p.amount_minor;
  request.currency = p.currency;
  const std::string hash = request.hash;
  LockPlan plan = CardLockPlan(p.card_number);
  plan.takes_from_lots = false;  // it adds a lot
  PostPartnerRequest(
      store_, p.req, std::move(request), plan,
      [this, p, hash](StoreTxn& txn, Posting& out) -> absl::Status {
        ASSIGN_OR_RETURN(ProgramRecord program, RequireProgram(&txn));
        ASSIGN_OR_RETURN(PartnerRecord partner, RequirePartner(&txn, p.req.partner_id));
        ASSIGN_OR_RETURN(MemberBook book,
                         LockMemberOfCard(&txn, "card_number", p.card_number, *clock_));
        const Micros now = book.now();
        ASSIGN_OR_RETURN(EarnFigures f, ComputeEarn(&txn, p, program, partner, book.id(), now));
        TxnRecord rec = NewTxn(p.req, txn_kind::kEarn, book.id(), hash, now);
        rec.amount_minor = p.amount_minor;
        rec.currency = p.currency;
        // No return window: spendable at once, whatever the clock of the hub that reads it.
        const Micros available_at = partner.return_window_days > 0
                                        ? now + int64_t{partner.return_window_days} * 86'400'000'000
                                        : 0;
        FillBreakdown(f, &out);
        book.mutable_member().tier = f.plan.tier;  // re-evaluated on every earn, down too
        return PostEarn(
            &txn, program, partner.id, &book, rec, f.base, f.credited, now, &out,
            [&](TxnId earn_id) -> absl::Status {
              for (const PromotionAward& a : f.plan.promotions) {
                RETURN_IF_ERROR(PostBonus(&txn, program, a, &book, earn_id, available_at, now));
              }
              return absl::OkStatus();
            },
            available_at);
      },
      std::move(done));
}

absl::Status PostEarn(StoreTxn* txn, const ProgramRecord& program, PartnerId funder,
                      MemberBook* book, TxnRecord rec, Points base, Points credited, Micros now,
                      Posting* out, const std::function<absl::Status(TxnId)>& extras,
                      Micros available_at) {
  // "base|tier bonus|tier|points before the caps" (the last only when capped): what a
  // replay needs to explain the points again.
  rec.note = absl::StrCat(base, "|", out->tier_bonus, "|", out->tier);
  if (out->capped) absl::StrAppend(&rec.note, "|", out->uncapped_points);
  ASSIGN_OR_RETURN(TxnId id, txn->InsertTxn(rec));
  if (extras) RETURN_IF_ERROR(extras(id));
  out->pending_until = available_at > now ? available_at : 0;
  if (credited > 0) {
    ASSIGN_OR_RETURN(Micros expires_at, LotExpiry(program, now));
    RETURN_IF_ERROR(book->AddLot(funder, id, credited, now, expires_at, available_at).status());
    RETURN_IF_ERROR(PostTransfer(txn, id, PartnerIssuedAccount(funder), MemberAccount(book->id()),
                                 credited, now));
    out->expires_at = expires_at == kNeverExpires ? 0 : expires_at;
  }
  RETURN_IF_ERROR(book->Save());
  out->base_points = base;
  return FinishPosting(txn, id, credited, *book, out);
}

absl::StatusOr<Posting> Ledger::Redeem(const RedeemParams& p) {
  return AwaitPosting([&](PostingDone done) { Redeem(p, std::move(done)); });
}

absl::StatusOr<Posting> Ledger::AuthorizeRedemption(const RedeemParams& p) {
  return AwaitPosting([&](PostingDone done) { AuthorizeRedemption(p, std::move(done)); });
}

void Ledger::Redeem(RedeemParams p, PostingDone done) {
  PostRedemption(txn_kind::kRedeem, std::move(p), std::move(done));
}

void Ledger::AuthorizeRedemption(RedeemParams p, PostingDone done) {
  PostRedemption(txn_kind::kAuthorize, std::move(p), std::move(done));
}

// A redemption (`kind` redeem) or a hold for one (authorize): the same checks, then the
// points leave the lots or are held.
void Ledger::PostRedemption(const char* kind, RedeemParams p, PostingDone done) {
  if (absl::Status s = ValidateRedeemRequest(p); !s.ok()) return done(s);
  const bool hold_only = std::string_view(kind) == txn_kind::kAuthorize;
  const std::string points = absl::StrCat(p.points);
  RequestIdentity request = TimedRequest(kind, {p.card_number, points}, p.req.occurred_at);
  request.card_number = p.card_number;
  const std::string hash = request.hash;
  // A wrong PIN commits its failure count but answers the error.
  auto pin_verdict = std::make_shared<absl::Status>();
  LockPlan plan = CardLockPlan(p.card_number);
  plan.takes_from_lots = !hold_only;  // a hold only needs what is available
  PostPartnerRequest(
      store_, p.req, std::move(request), plan,
      [this, p, hash, kind, hold_only, pin_verdict](StoreTxn& txn, Posting& out) -> absl::Status {
        *pin_verdict = absl::OkStatus();
        ASSIGN_OR_RETURN(ProgramRecord program, RequireProgram(&txn));
        RETURN_IF_ERROR(CheckMinimumRedemption(program, p.points));
        ASSIGN_OR_RETURN(PartnerRecord partner, RequirePartner(&txn, p.req.partner_id));
        ASSIGN_OR_RETURN(MemberBook book,
                         LockMemberOfCard(&txn, "card_number", p.card_number, *clock_));
        const Micros now = book.now();
        ASSIGN_OR_RETURN(*pin_verdict, CheckPin(program, &book, p.points, p.pin));
        if (!pin_verdict->ok())
          return absl::OkStatus();  // commits the failure count, posts nothing
        if (p.points > book.available()) {
          return WithReason(absl::FailedPreconditionError(absl::StrCat(
                                "points: ", p.points, " requested, ",
                                std::max<Points>(0, book.available()), " available")),
                            reason::kInsufficientPoints);
        }
        ASSIGN_OR_RETURN(TxnId id, txn.InsertTxn(NewTxn(p.req, kind, book.id(), hash, now)));
        if (hold_only) {
          HoldRecord hold;
          hold.auth_txn_id = id;
          hold.member_id = book.id();
          hold.partner_id = partner.id;
          hold.points = p.points;
          hold.status = hold_status::kActive;
          hold.expires_at = now + program.hold_timeout_seconds * 1'000'000;
          RETURN_IF_ERROR(book.AddHold(hold));
          out.hold_expires_at = hold.expires_at;
        } else {
          ASSIGN_OR_RETURN(Points taken,
                           book.TakeFromLots(p.points, {id, consumption_kind::kRedeem, partner.id,
                                                        now, /*spendable_only=*/true}));
          LOYALTY_CHECK(taken == p.points);
          RETURN_IF_ERROR(PostTransfer(&txn, id, MemberAccount(book.id()),
                                       PartnerRedeemedAccount(partner.id), p.points, now));
        }
        RETURN_IF_ERROR(book.Save());
        return FinishPosting(&txn, id, p.points, book, &out);
      },
      [pin_verdict, done = std::move(done)](absl::StatusOr<Posting> posted) {
        if (posted.ok() && !pin_verdict->ok()) return done(*pin_verdict);
        done(std::move(posted));
      });
}

absl::StatusOr<Posting> Ledger::CaptureRedemption(const CaptureParams& p) {
  return AwaitPosting([&](PostingDone done) { CaptureRedemption(p, std::move(done)); });
}

void Ledger::CaptureRedemption(CaptureParams p, PostingDone done) {
  if (absl::Status s = ValidateCaptureRequest(p); !s.ok()) return done(s);
  const std::string points = absl::StrCat(p.points);
  RequestIdentity request =
      TimedRequest(txn_kind::kCapture, {p.authorization_partner_txn_id, points}, p.req.occurred_at);
  const std::string hash = request.hash;
  const LockPlan plan = TxnLockPlan(p.req.partner_id, p.authorization_partner_txn_id);
  PostPartnerRequest(
      store_, p.req, std::move(request), plan,
      [this, p, hash](StoreTxn& txn, Posting& out) -> absl::Status {
        ASSIGN_OR_RETURN(PartnerRecord partner, RequirePartner(&txn, p.req.partner_id));
        ASSIGN_OR_RETURN(HeldAuthorization found, FindAuthorization(&txn, p));
        ASSIGN_OR_RETURN(MemberBook book, MemberBook::Lock(&txn, found.hold.member_id, *clock_));
        const Micros now = book.now();
        ASSIGN_OR_RETURN(std::optional<HoldRecord> hold, txn.HoldOfAuthorization(found.auth.id));
        if (hold->status != hold_status::kActive) {
          return WithReason(
              absl::FailedPreconditionError(absl::StrCat(
                  "authorization_partner_txn_id: the authorization is already ", hold->status)),
              reason::kHoldNotActive);
        }
        if (hold->expires_at <= now) {
          return WithReason(absl::FailedPreconditionError("authorization_partner_txn_id: the "
                                                          "authorization timed out and is void"),
                            reason::kHoldNotActive);
        }
        const Points points = p.points == 0 ? hold->points : p.points;
        if (points > hold->points) {
          return WithReason(absl::FailedPreconditionError(absl::StrCat(
                                "points: ", points, " exceeds the ", hold->points, " held")),
                            reason::kCaptureExceedsHold);
        }
        TxnRecord rec = NewTxn(p.req, txn_kind::kCapture, book.id(), hash, now);
        rec.original_txn_id = found.auth.id;
        ASSIGN_OR_RETURN(TxnId id, txn.InsertTxn(rec));
        RETURN_IF_ERROR(book.CloseHold(hold->id, hold_status::kCaptured, points));
        ASSIGN_OR_RETURN(Points taken,
                         book.TakeFromLots(points, {id, consumption_kind::kRedeem, partner.id, now,
                                                    /*spendable_only=*/true}));
        LOYALTY_CHECK(taken == points);  // holds never exceed lots (FitHoldsToBalance)
        RETURN_IF_ERROR(PostTransfer(&txn, id, MemberAccount(book.id()),
                                     PartnerRedeemedAccount(partner.id), points, now));
        RETURN_IF_ERROR(book.Save());
        return FinishPosting(&txn, id, points, book, &out);
      },
      std::move(done));
}

absl::StatusOr<Posting> Ledger::VoidRedemption(const CaptureParams& p) {
  return AwaitPosting([&](PostingDone done) { VoidRedemption(p, std::move(done)); });
}

void Ledger::VoidRedemption(CaptureParams p, PostingDone done) {
  p.points = 0;  // a void releases the whole hold
  if (absl::Status s = ValidateCaptureRequest(p); !s.ok()) return done(s);
  const std::string hash = RequestHash(txn_kind::kVoid, {p.authorization_partner_txn_id});
  LockPlan plan = TxnLockPlan(p.req.partner_id, p.authorization_partner_txn_id);
  plan.takes_from_lots = false;  // it releases a hold
  PostPartnerRequest(
      store_, p.req, hash, plan,
      [this, p, hash](StoreTxn& txn, Posting& out) -> absl::Status {
        RETURN_IF_ERROR(RequirePartner(&txn, p.req.partner_id).status());
        ASSIGN_OR_RETURN(HeldAuthorization found, FindAuthorization(&txn, p));
        ASSIGN_OR_RETURN(MemberBook book, MemberBook::Lock(&txn, found.hold.member_id, *clock_));
        const Micros now = book.now();
        ASSIGN_OR_RETURN(std::optional<HoldRecord> hold, txn.HoldOfAuthorization(found.auth.id));
        if (hold->status == hold_status::kCaptured) {
          return WithReason(absl::FailedPreconditionError(
                                "authorization_partner_txn_id: the authorization is already "
                                "captured"),
                            reason::kHoldNotActive);
        }
        // Voiding a timed-out or voided hold is allowed: the till's intent holds either way.
        const Points released =
            hold->expires_at > now && hold->status == hold_status::kActive ? hold->points : 0;
        TxnRecord rec = NewTxn(p.req, txn_kind::kVoid, book.id(), hash, now);
        rec.original_txn_id = found.auth.id;
        ASSIGN_OR_RETURN(TxnId id, txn.InsertTxn(rec));
        RETURN_IF_ERROR(book.CloseHold(hold->id, hold_status::kVoided, hold->points));
        RETURN_IF_ERROR(book.Save());
        return FinishPosting(&txn, id, released, book, &out);
      },
      std::move(done));
}

}  // namespace loyalty
