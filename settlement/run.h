// Settlement runs against the hub's database: configuration, closing a period (expiry
// sweep up to its end, gathering, computing, storing), finalizing, loading. Reads and
// writes only through the hub's store library.
#ifndef LOYALTY_SETTLEMENT_RUN_H_
#define LOYALTY_SETTLEMENT_RUN_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "hub/common/clock.h"
#include "hub/store/store.h"
#include "settlement/model.h"

namespace loyalty::settlement {

// One line per phase of a long run ("gathering flows: 1234 rows").
using Progress = std::function<void(const std::string& line)>;

// The stored configuration with every partner's terms; defaults (operator model,
// monthly, UTC, zero prices) when none was saved.
absl::StatusOr<SettlementConfig> LoadConfig(Store* store);
// The changes below are finance actions: each is written to the audit log with `actor`
// (the CLI passes "finance-cli:<os user>") and the state before and after.
inline constexpr char kDefaultFinanceActor[] = "settlement";
absl::Status SaveConfig(Store* store, const Clock& clock, Model model, PeriodUnit unit,
                        const std::string& time_zone,
                        const std::string& actor = kDefaultFinanceActor);
// Prices must be >= 0; NOT_FOUND for an unknown partner (0 = the operator).
absl::Status SaveTerms(Store* store, const Clock& clock, PartnerId partner,
                       const PartnerTerms& terms, const std::string& actor = kDefaultFinanceActor);

// Closes `period`: FAILED_PRECONDITION while it is still open (its end is after now).
// A final run of the period is returned as stored. Otherwise expires every lot due
// before the period's end (posted at end - 1 microsecond, so it belongs to the period),
// computes the settlement and stores it as the period's draft, replacing an earlier
// draft; recomputing unchanged data gives byte-identical output.
absl::StatusOr<Settlement> ClosePeriod(Store* store, const Clock& clock, const Period& period,
                                       const Progress& progress,
                                       const std::string& actor = kDefaultFinanceActor);

// Makes a draft run final (immutable). FAILED_PRECONDITION if already final, NOT_FOUND
// if there is no such run.
absl::StatusOr<Settlement> FinalizeRun(Store* store, const Clock& clock, int64_t run_id,
                                       const std::string& actor = kDefaultFinanceActor);

absl::StatusOr<Settlement> LoadRun(Store* store, int64_t run_id);

// The stored run (draft or final) of exactly `period`, or nullopt.
absl::StatusOr<std::optional<Settlement>> LoadRunOfPeriod(Store* store, const Period& period);

}  // namespace loyalty::settlement

#endif  // LOYALTY_SETTLEMENT_RUN_H_
