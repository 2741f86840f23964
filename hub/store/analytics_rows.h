// What analytics reads (hub/analytics gives it meaning): set-based aggregates over the
// purchase records (txns of kind earn), promotion awards, lots and consumptions. Every
// method is one statement that groups in the database, so a report moves aggregates,
// not the journal, over the connection.
//
// Spend is net of returns as tier spend counts it (NetSpendMinor, hub/common/money.h).
// Buckets: `bucket_starts` ascending; a row's bucket is the index i of the last start
// <= its time, or -1 before the first (MariaDB's INTERVAL()).
#ifndef LOYALTY_HUB_STORE_ANALYTICS_ROWS_H_
#define LOYALTY_HUB_STORE_ANALYTICS_ROWS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "hub/store/records.h"

namespace loyalty {

// Earns (purchases) posted in [from, until), at `partner` (0: every partner).
struct ActivityQuery {
  PartnerId partner = 0;
  Micros from = 0;
  Micros until = INT64_MAX;
  std::vector<Micros> bucket_starts;  // empty: one bucket (0)
};

// One member's earns in one bucket.
struct ActivityRow {
  MemberId member = 0;
  int bucket = 0;
  int64_t visits = 0;
  int64_t spend_minor = 0;
  Micros last_at = 0;
};

// Net bonus points of a promotion one member got on earns at a partner.
struct AwardRow {
  MemberId member = 0;
  Points points = 0;  // bonus points less their reversals
};

// Earns of members whose first earn at a partner lies in a period, summed over the
// window before (after = false) or from (after = true) each member's first earn.
struct JoinerWindowRow {
  bool at_partner = false;
  bool after = false;
  int64_t members = 0;
  int64_t visits = 0;
  int64_t spend_minor = 0;
};

// Consumptions of one kind posted in a bucket, taking points from lots of `funder` for
// `redeemer` (0: none, e.g. expiry): what they took (< 0: put back) and how many rows.
struct ConsumptionSumRow {
  int bucket = 0;
  PartnerId funder = 0;
  PartnerId redeemer = 0;
  std::string kind;  // consumption_kind::*
  Points points = 0;
  int64_t rows = 0;
};

// One cell of the redemption flows: redemptions and restores posted in [from, until)
// from lots of `funder` at `redeemer`.
struct FlowCellKey {
  Micros from = 0;
  Micros until = 0;
  PartnerId funder = 0;
  PartnerId redeemer = 0;
};

// Lots of one funder earned in a period: their points and members.
struct FunderLotsRow {
  PartnerId funder = 0;
  Points issued = 0;
  int64_t members = 0;
};

// Points still in lots, by the bucket of their expiry (kNeverExpires: bucket -2).
struct OutstandingRow {
  int bucket = 0;
  PartnerId funder = 0;
  Points points = 0;
  int64_t members = 0;
};

// Read-only, inside one consistent snapshot (Store::RunAnalytics). Not thread-safe.
class AnalyticsRows {
 public:
  virtual ~AnalyticsRows() = default;

  // Per member and bucket, ordered by member then bucket.
  virtual absl::StatusOr<std::vector<ActivityRow>> MemberActivity(const ActivityQuery& q) = 0;
  // Members with a bonus of `promotion` on an earn at `partner`, by member.
  virtual absl::StatusOr<std::vector<AwardRow>> PromotionAwards(int64_t promotion,
                                                                PartnerId partner) = 0;
  // Members whose first earn ever at `partner` is in [from, until), with their earns at
  // every partner within `window` before and from that first earn: at most four rows.
  // Every such member has its first earn in the (at_partner, after) row, so that row's
  // `members` is how many there are.
  virtual absl::StatusOr<std::vector<JoinerWindowRow>> JoinerWindows(PartnerId partner,
                                                                     Micros from, Micros until,
                                                                     Micros window) = 0;
  // Consumptions posted in [from, until) summed by bucket, funder, redeemer and kind: one
  // pass over the period's rows (ix_posted), no join.
  virtual absl::StatusOr<std::vector<ConsumptionSumRow>> ConsumptionSums(
      Micros from, Micros until, const std::vector<Micros>& bucket_starts) = 0;
  // The distinct members (owners of the lots) of a flow cell, counting stops at `limit`
  // (0: no limit). Costs a join per consumption row: callers bound it.
  virtual absl::StatusOr<int64_t> FlowCellMembers(const FlowCellKey& cell, int64_t limit) = 0;
  // Lots earned in [from, until), by funder.
  virtual absl::StatusOr<std::vector<FunderLotsRow>> FunderLots(Micros from, Micros until) = 0;
  // Points left in lots, by expiry bucket and funder.
  virtual absl::StatusOr<std::vector<OutstandingRow>> Outstanding(
      const std::vector<Micros>& bucket_starts) = 0;
  // Members with a tier, and their tier.
  virtual absl::StatusOr<std::vector<std::pair<MemberId, std::string>>> MemberTiers() = 0;
  // The promotion with this id, if any.
  virtual absl::StatusOr<std::optional<PromotionRow>> GetPromotion(int64_t id) = 0;
  virtual absl::StatusOr<std::optional<ProgramRecord>> Program() = 0;
  virtual absl::StatusOr<std::vector<SettlementTermsRow>> SettlementTerms() = 0;
};

}  // namespace loyalty

#endif  // LOYALTY_HUB_STORE_ANALYTICS_ROWS_H_
