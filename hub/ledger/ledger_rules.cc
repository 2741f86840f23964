// Earn rules administration: tiers, promotions, PINs, expiring points, tier review.
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "hub/common/error_reason.h"
#include "hub/common/secure_random.h"
#include "hub/ledger/earn_rules.h"
#include "hub/ledger/ledger.h"
#include "hub/ledger/ledger_internal.h"
#include "hub/ledger/validate.h"

namespace loyalty {
namespace {

constexpr int kMaxTiers = 20;
constexpr int kMaxPinFailures = 3;
constexpr int64_t kMaxMultiplierBp = 100'000;  // x10
constexpr int kTierReviewBatch = 500;

std::string PinHash(MemberId member, const std::string& pin) {
  return Sha256Hex(absl::StrCat("pin:", member, ":", pin));
}

absl::Status ValidatePromotion(const PromotionRow& p) {
  RETURN_IF_ERROR(ValidateText("promotion.name", p.name, 100));
  static const std::set<std::string> kScopes = {"all", "partner", "category", "tier"};
  if (kScopes.count(p.scope) == 0) return InvalidField("promotion.scope", "unknown scope");
  if (p.scope != "all" && p.scope_value.empty()) {
    return InvalidField("promotion.scope_value", "required for this scope");
  }
  if (p.ends_at <= p.starts_at)
    return InvalidField("promotion.ends_at_micros", "must be after starts_at");
  if (p.min_spend_minor < 0) return InvalidField("promotion.min_spend_minor", "must be >= 0");
  if (p.kind == promotion_kind::kMultiplier) {
    if (p.multiplier_bp <= 10000 || p.multiplier_bp > kMaxMultiplierBp) {
      return InvalidField("promotion.multiplier_bp", "must be 10001..100000 (x1..x10)");
    }
    return absl::OkStatus();
  }
  RETURN_IF_ERROR(ValidatePoints("promotion.bonus_points", p.bonus_points, 1));
  if (p.kind == promotion_kind::kStamp && (p.every_n < 2 || p.every_n > 1000)) {
    return InvalidField("promotion.every_n", "must be 2..1000");
  }
  if (p.kind == promotion_kind::kStamp && p.scope != "partner") {
    return InvalidField("promotion.scope", "a stamp card belongs to one partner");
  }
  if (p.kind == promotion_kind::kCrossPartner &&
      (p.distinct_partners < 2 || p.distinct_partners > 100 || p.window_days < 1 ||
       p.window_days > 366)) {
    return InvalidField("promotion.distinct_partners", "K must be 2..100 and window_days 1..366");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status Ledger::SetTiers(const std::string& actor, std::vector<TierRow> tiers) {
  if (tiers.size() > static_cast<size_t>(kMaxTiers)) return InvalidField("tiers", "at most 20");
  std::set<std::string> names;
  std::set<int64_t> thresholds;
  for (const TierRow& t : tiers) {
    RETURN_IF_ERROR(ValidateText("tiers.name", t.name, 40));
    if (!names.insert(t.name).second) return InvalidField("tiers.name", "appears twice");
    if (t.threshold_minor < 0 || !thresholds.insert(t.threshold_minor).second) {
      return InvalidField("tiers.threshold_minor", "must be >= 0 and distinct");
    }
    if (t.multiplier_bp < 10000 || t.multiplier_bp > kMaxMultiplierBp) {
      return InvalidField("tiers.multiplier_bp", "must be 10000..100000 (x1..x10)");
    }
  }
  return store_->RunInTransaction([&](StoreTxn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<TierRow> old, txn.ListTiers());
    RETURN_IF_ERROR(txn.ReplaceTiers(tiers));
    return txn.InsertAudit(clock_->NowMicros(), actor, "set_tiers",
                           absl::StrCat("tiers=", tiers.size()), AuditJson(old), AuditJson(tiers));
  });
}

absl::StatusOr<std::vector<TierRow>> Ledger::ListTiers() {
  std::vector<TierRow> out;
  RETURN_IF_ERROR(store_->RunInTransaction([&](StoreTxn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(out, txn.ListTiers());
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<Ledger::TierReview> Ledger::RunTierReview() {
  TierReview review;
  const Micros now = clock_->NowMicros();
  MemberId after = 0;
  for (;;) {
    std::vector<MemberId> members;
    RETURN_IF_ERROR(store_->RunInTransaction([&](StoreTxn& txn) -> absl::Status {
      ASSIGN_OR_RETURN(members,
                       txn.MembersForTierReview(now - kRollingYear, after, kTierReviewBatch));
      return absl::OkStatus();
    }));
    if (members.empty()) break;
    for (MemberId m : members) {
      bool changed = false;
      RETURN_IF_ERROR(store_->RunInTransaction([&](StoreTxn& txn) -> absl::Status {
        ASSIGN_OR_RETURN(MemberBook book, MemberBook::Lock(&txn, m, *clock_));
        ASSIGN_OR_RETURN(std::vector<TierRow> tiers, txn.ListTiers());
        ASSIGN_OR_RETURN(int64_t spend, txn.SpendSince(m, book.now() - kRollingYear));
        const TierRow* t = TierFor(tiers, spend);
        const std::string tier = t == nullptr ? "" : t->name;
        changed = tier != book.member().tier;
        if (!changed) return absl::OkStatus();
        book.mutable_member().tier = tier;
        return book.Save();
      }));
      ++review.reviewed;
      if (changed) ++review.changed;
      after = m;
    }
  }
  return review;
}

absl::StatusOr<PromotionRow> Ledger::CreatePromotion(const std::string& actor, PromotionRow p) {
  RETURN_IF_ERROR(ValidatePromotion(p));
  RETURN_IF_ERROR(store_->RunInTransaction([&](StoreTxn& txn) -> absl::Status {
    if (p.funder_id != kOperatorId) {
      ASSIGN_OR_RETURN(std::optional<PartnerRecord> funder, txn.GetPartner(p.funder_id));
      if (!funder.has_value()) {
        return WithReason(absl::NotFoundError("promotion.funder_partner_id: no such partner"),
                          reason::kPartnerNotFound);
      }
    }
    p.created_at = clock_->NowMicros();
    ASSIGN_OR_RETURN(p.id, txn.InsertPromotion(p));
    return txn.InsertAudit(
        p.created_at, actor, "create_promotion",
        absl::StrCat("id=", p.id, " name=", p.name, " kind=", p.kind, " funder=", p.funder_id), "",
        AuditJson(p));
  }));
  return p;
}

absl::StatusOr<std::vector<PromotionRow>> Ledger::ListPromotions(bool include_inactive) {
  std::vector<PromotionRow> out;
  RETURN_IF_ERROR(store_->RunInTransaction([&](StoreTxn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(out, txn.ListPromotions(clock_->NowMicros(), include_inactive));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::vector<PromotionRow>> Ledger::ListPromotions(bool include_inactive,
                                                                 int64_t after_id, int limit) {
  if (limit < 1 || limit > kMaxListRows) {
    return InvalidField("page_size", absl::StrCat("must be 1..", kMaxPageSize));
  }
  std::vector<PromotionRow> out;
  RETURN_IF_ERROR(store_->RunInTransaction([&](StoreTxn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(
        out, txn.ListPromotionsAfter(clock_->NowMicros(), include_inactive, after_id, limit));
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<ProgramRulesView> Ledger::ProgramRulesFor(PartnerId partner, bool include_ended) {
  ProgramRulesView out;
  RETURN_IF_ERROR(store_->RunInTransaction([&](StoreTxn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(out.program, RequireProgram(&txn));
    ASSIGN_OR_RETURN(std::optional<PartnerRecord> me, txn.GetPartner(partner));
    if (!me.has_value()) {
      return WithReason(absl::NotFoundError("partner: no such partner"), reason::kPartnerNotFound);
    }
    ASSIGN_OR_RETURN(out.tiers, txn.ListTiers());
    ASSIGN_OR_RETURN(std::vector<PromotionRow> all,
                     txn.ListPromotions(clock_->NowMicros(), include_ended));
    for (PromotionRow& p : all) {
      // A tier's promotion applies at every till, for that tier's members.
      const bool at_my_tills = p.scope == "tier" || InScope(p, *me, "");
      if (at_my_tills || p.funder_id == partner) out.promotions.push_back(std::move(p));
    }
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<PromotionRow> Ledger::EndPromotion(const std::string& actor, int64_t id) {
  PromotionRow out;
  RETURN_IF_ERROR(store_->RunInTransaction([&](StoreTxn& txn) -> absl::Status {
    const Micros now = clock_->NowMicros();
    ASSIGN_OR_RETURN(std::vector<PromotionRow> old, txn.ListPromotions(now, true));
    RETURN_IF_ERROR(txn.EndPromotion(id, now));
    ASSIGN_OR_RETURN(std::vector<PromotionRow> all, txn.ListPromotions(now, true));
    std::string before;
    for (const PromotionRow& p : old) {
      if (p.id == id) before = AuditJson(p);
    }
    for (const PromotionRow& p : all) {
      if (p.id == id) out = p;
    }
    return txn.InsertAudit(now, actor, "end_promotion", absl::StrCat("id=", id), before,
                           AuditJson(out));
  }));
  return out;
}

absl::StatusOr<std::vector<ExpiringRow>> Ledger::ListExpiring(int within_days, int limit) {
  if (limit < 0 || limit > 1000) return InvalidField("limit", "must be 0..1000");
  ExpiringQuery q;
  q.within_days = within_days;
  q.limit = limit == 0 ? 100 : limit;
  ASSIGN_OR_RETURN(ExpiringList list, ListExpiring(q));
  return std::move(list.rows);
}

absl::StatusOr<ExpiringList> Ledger::ListExpiring(const ExpiringQuery& q) {
  if (q.within_days < 1 || q.within_days > 366) {
    return InvalidField("within_days", "must be 1..366");
  }
  // The legacy `limit` of ListExpiring(within_days, limit) allows up to 1000 rows.
  if (q.limit < 1 || q.limit > 1000) {
    return InvalidField("page_size", absl::StrCat("must be 1..", kMaxPageSize));
  }
  if (q.window_start < 0) return InvalidField("page_token", "not a page token of this hub");
  ExpiringList out;
  RETURN_IF_ERROR(store_->RunInTransaction([&](StoreTxn& txn) -> absl::Status {
    out.window_start = q.window_start == 0 ? clock_->NowMicros() : q.window_start;
    const Micros end = out.window_start + q.within_days * int64_t{86'400'000'000};
    ASSIGN_OR_RETURN(out.rows, txn.ExpiringBetween(out.window_start, end, q.after, q.limit));
    return absl::OkStatus();
  }));
  return out;
}

absl::Status Ledger::SetMemberPin(const std::string& card_number, const std::string& pin) {
  RETURN_IF_ERROR(ValidateCardNumber("card_number", card_number));
  RETURN_IF_ERROR(ValidatePin("pin", pin));
  return store_->RunInTransaction([&](StoreTxn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(MemberBook book, LockMemberOfCard(&txn, "card_number", card_number, *clock_));
    // A new PIN clears the failure count, but a locked PIN stays locked until the
    // operator unlocks it: a partner cannot lift the lock by setting another PIN.
    book.mutable_member().pin_hash = PinHash(book.id(), pin);
    if (book.member().pin_failures < kMaxPinFailures) book.mutable_member().pin_failures = 0;
    return book.Save();
  });
}

absl::Status Ledger::UnlockMemberPin(const std::string& actor, const std::string& card_number) {
  RETURN_IF_ERROR(ValidateCardNumber("card_number", card_number));
  return store_->RunInTransaction([&](StoreTxn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(MemberBook book, LockMemberOfCard(&txn, "card_number", card_number, *clock_));
    const Micros now = book.now();
    const auto state = [&book] {
      return AuditState()
          .Int("member_id", book.id())
          .Int("pin_failures", book.member().pin_failures)
          .Json();
    };
    const std::string before = state();
    book.mutable_member().pin_failures = 0;
    RETURN_IF_ERROR(book.Save());
    return txn.InsertAudit(now, actor, "unlock_member_pin", absl::StrCat("member=", book.id()),
                           before, state());
  });
}

absl::StatusOr<absl::Status> CheckPin(const ProgramRecord& program, MemberBook* book, Points points,
                                      const std::string& pin) {
  if (program.pin_threshold_points == 0 || points <= program.pin_threshold_points) {
    return absl::OkStatus();
  }
  MemberRecord& m = book->mutable_member();
  if (m.pin_failures >= kMaxPinFailures) {
    return WithReason(
        absl::FailedPreconditionError(
            "pin: locked after 3 wrong PINs; the operator can unlock it (UnlockMemberPin)"),
        reason::kPinLocked);
  }
  if (!m.pin_hash.has_value()) {
    return WithReason(
        absl::FailedPreconditionError(
            absl::StrCat("pin: redemptions above ", program.pin_threshold_points,
                         " points need a PIN and the member has none (SetMemberPin)")),
        reason::kPinRequired);
  }
  if (pin.empty()) {
    return InvalidField("pin", absl::StrCat("required for redemptions above ",
                                            program.pin_threshold_points, " points"));
  }
  if (*m.pin_hash != PinHash(m.id, pin)) {
    ++m.pin_failures;
    RETURN_IF_ERROR(book->Save());  // the failure counts even though the redemption fails
    return WithReason(absl::PermissionDeniedError(absl::StrCat(
                          "pin: wrong PIN, ", kMaxPinFailures - m.pin_failures, " attempts left")),
                      reason::kPinIncorrect);
  }
  if (m.pin_failures > 0) m.pin_failures = 0;  // saved with the redemption
  return absl::OkStatus();
}

}  // namespace loyalty
