// The arithmetic of settlement (DESIGN.md section 7, steps 1-4), free of I/O: from the
// period's flows to quantities, and from quantities, prices and the model to valued
// lines, net positions, payments and the liability roll-forward. Deterministic: the same
// inputs give the same Settlement, field for field.
#ifndef LOYALTY_SETTLEMENT_COMPUTE_H_
#define LOYALTY_SETTLEMENT_COMPUTE_H_

#include <map>
#include <vector>

#include "absl/status/statusor.h"
#include "hub/store/records.h"
#include "settlement/model.h"

namespace loyalty::settlement {

// What the store gives for a period [start, end).
struct PeriodFacts {
  std::vector<FlowRow> flows;                      // consumptions by funder/redeemer/kind
  std::map<PartnerId, Points> lots_earned;         // lots created, by funder
  std::map<PartnerId, Points> earn_reversals;      // earn reversal points, by funder
  std::map<PartnerId, Points> remaining_at_start;  // FunderRemainingAt(start)
  std::map<PartnerId, Points> remaining_at_end;    // FunderRemainingAt(end)
};

// Step 1. INTERNAL if a flow has a kind settlement does not know.
absl::StatusOr<Quantities> ComputeQuantities(const PeriodFacts& facts);

struct ProgramFacts {
  std::string currency;
  int64_t point_value_micros = 0;
};

// Steps 2-4 plus totals and the checksum. INTERNAL when an invariant fails (positions
// not summing to zero, a roll-forward that does not close on the lots): the numbers
// would be wrong, so no run is produced.
absl::StatusOr<Settlement> ComputeSettlement(const SettlementConfig& config,
                                             const ProgramFacts& program,
                                             const std::vector<Participant>& participants,
                                             const Period& period, const Quantities& q);

// SHA-256 of the lines in a canonical CSV form.
std::string LinesChecksum(const std::vector<Line>& lines);

}  // namespace loyalty::settlement

#endif  // LOYALTY_SETTLEMENT_COMPUTE_H_
