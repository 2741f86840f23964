#include "hub/ledger/earn_rules.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "hub/common/status_macros.h"

namespace loyalty {
namespace {

constexpr Micros kDay = int64_t{86'400} * 1'000'000;

// floor(base x (multiplier_bp - 10000) / 10000): the extra a multiplier adds.
Points ExtraOf(Points base, int64_t multiplier_bp) {
  if (multiplier_bp <= 10000 || base <= 0) return 0;
  return static_cast<Points>(static_cast<__int128>(base) * (multiplier_bp - 10000) / 10000);
}

// The bonus one promotion pays for this earn (0 when it does not apply).
absl::StatusOr<Points> BonusOf(RulesAdminRows* txn, const PromotionRow& p,
                               const PartnerRecord& partner, MemberId member, Points base,
                               Micros now) {
  if (p.kind == promotion_kind::kMultiplier) return ExtraOf(base, p.multiplier_bp);
  if (p.kind == promotion_kind::kFixed) return p.bonus_points;
  if (p.kind == promotion_kind::kStamp) {
    ASSIGN_OR_RETURN(int64_t before, txn->EarnCountSince(member, partner.id, p.starts_at));
    const int64_t nth = before + 1;  // this earn
    return p.every_n > 0 && nth % p.every_n == 0 ? p.bonus_points : 0;
  }
  if (p.kind == promotion_kind::kCrossPartner) {
    ASSIGN_OR_RETURN(int64_t awarded, txn->CountAwards(p.id, member));
    if (awarded > 0) return 0;  // once per member
    const Micros since = std::max(p.starts_at, now - p.window_days * kDay);
    ASSIGN_OR_RETURN(int64_t distinct, txn->DistinctEarnPartnersSince(member, since));
    ASSIGN_OR_RETURN(int64_t here, txn->EarnCountSince(member, partner.id, since));
    if (here == 0) ++distinct;  // this earn adds its partner
    return distinct >= p.distinct_partners ? p.bonus_points : 0;
  }
  return absl::InternalError(absl::StrCat("promotion ", p.id, ": unknown kind ", p.kind));
}

}  // namespace

bool InScope(const PromotionRow& p, const PartnerRecord& partner, const std::string& tier) {
  if (p.scope == "partner") return p.scope_value == absl::StrCat(partner.id);
  if (p.scope == "category") return p.scope_value == partner.category;
  if (p.scope == "tier") return p.scope_value == tier;
  return p.scope == "all";
}

const TierRow* TierFor(const std::vector<TierRow>& tiers, int64_t spend_minor) {
  const TierRow* best = nullptr;
  for (const TierRow& t : tiers) {
    if (spend_minor >= t.threshold_minor &&
        (best == nullptr || t.threshold_minor >= best->threshold_minor)) {
      best = &t;
    }
  }
  return best;
}

Micros RulesMoment(Micros occurred_at, Micros now) {
  if (occurred_at == 0 || occurred_at > now || occurred_at < now - kRulesBackdatingWindow) {
    return now;
  }
  return occurred_at;
}

absl::StatusOr<EarnPlan> PlanEarn(RulesAdminRows* txn, const PartnerRecord& partner,
                                  MemberId member, int64_t amount_minor, Points base, Micros at) {
  EarnPlan plan;
  ASSIGN_OR_RETURN(std::vector<TierRow> tiers, txn->ListTiers());
  if (!tiers.empty()) {
    ASSIGN_OR_RETURN(int64_t spend, txn->SpendSince(member, at - kRollingYear));
    if (const TierRow* t = TierFor(tiers, spend + amount_minor)) {
      plan.tier = t->name;
      plan.tier_bonus = ExtraOf(base, t->multiplier_bp);
    }
  }
  ASSIGN_OR_RETURN(std::vector<PromotionRow> promotions, txn->ListPromotions(at, false));
  for (const PromotionRow& p : promotions) {
    if (!InScope(p, partner, plan.tier) || amount_minor < p.min_spend_minor) continue;
    ASSIGN_OR_RETURN(Points bonus, BonusOf(txn, p, partner, member, base, at));
    if (bonus > 0) plan.promotions.push_back({p, bonus});
  }
  return plan;
}

}  // namespace loyalty
