// How an earn's points come about beyond the partner's base rate (DESIGN.md section 6):
// the member's tier by rolling 12-month coalition-wide spend net of returns, and the
// promotions active at the moment of the purchase (its occurred_at, within a window). Pure decisions over store reads; posting is elsewhere.
//
// Stacking order: base points first (rate or stated); the tier adds
// floor(base x (multiplier - 1)); then each matching promotion, in promotion id order,
// is evaluated on the base points alone (promotions never compound each other). The
// partner's caps bound base + tier bonus (the partner funds both); promotion bonuses
// are funded by each promotion's creator and are not capped.
#ifndef LOYALTY_HUB_LEDGER_EARN_RULES_H_
#define LOYALTY_HUB_LEDGER_EARN_RULES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "hub/store/store.h"

namespace loyalty {

inline constexpr Micros kRollingYear = int64_t{365} * 86'400 * 1'000'000;

// How far back an earn's `occurred_at` may move the moment its promotions and tier are
// judged: a sale queued offline during a promotion keeps the promotion when the till
// sends it within this window after the sale (docs/program-rules.md).
inline constexpr Micros kRulesBackdatingWindow = int64_t{7} * 86'400 * 1'000'000;

// The moment an earn posted at `now` is judged at: its `occurred_at` when stated and
// within [now - kRulesBackdatingWindow, now]; `now` otherwise (no time stated, a till
// clock ahead of the hub's, or a sale older than the window).
Micros RulesMoment(Micros occurred_at, Micros now);

struct PromotionAward {
  PromotionRow promotion;
  Points points = 0;
};

struct EarnPlan {
  std::string tier;  // the member's tier after counting this earn's amount
  Points tier_bonus = 0;
  std::vector<PromotionAward> promotions;
};

// True if promotion `p` applies to an earn at `partner` by a member of `tier` (scope
// all, this partner, its category, or that tier).
bool InScope(const PromotionRow& p, const PartnerRecord& partner, const std::string& tier);

// The highest tier whose threshold `spend_minor` reaches, or nullptr.
const TierRow* TierFor(const std::vector<TierRow>& tiers, int64_t spend_minor);

// Plans the extras of an earn of `base` points for `amount_minor` by `member` at
// `partner`, judged at `at` (RulesMoment): the tier by the net spend of the 12 months
// before `at`, the promotions running at `at`; as if this earn were already counted (its
// amount in the spend, its visit in stamp and distinct-partner counts).
absl::StatusOr<EarnPlan> PlanEarn(RulesAdminRows* txn, const PartnerRecord& partner,
                                  MemberId member, int64_t amount_minor, Points base, Micros at);

}  // namespace loyalty

#endif  // LOYALTY_HUB_LEDGER_EARN_RULES_H_
