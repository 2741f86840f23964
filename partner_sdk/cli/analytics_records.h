// The analytics reports as `loyalty analytics` prints them: a Record for text and --json
// (output.h), and each report's main table as CSV for --csv. Pure functions of the hub's
// answer: no clock, no locale.
//
// Money is in integer minor units of the program's currency (fields end in `_minor`);
// times are UTC micros (`..._at_micros` fields print as ISO 8601 in text). A cell the hub
// suppressed (fewer than min_cell_members members behind it) shows its numbers as
// "suppressed" in text and CSV, never as 0; --json keeps the hub's zeros next to
// "suppressed": true, so a script reads one type per field.
#ifndef LOYALTY_PARTNER_SDK_CLI_ANALYTICS_RECORDS_H_
#define LOYALTY_PARTNER_SDK_CLI_ANALYTICS_RECORDS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "loyalty/v1/analytics.pb.h"
#include "output.h"

namespace loyalty::cli {

// What a suppressed figure says in text and CSV.
inline constexpr char kSuppressedWord[] = "suppressed";

// Who reads the record: people (text) or scripts (--json). See the file comment.
enum class Audience { kPeople, kScripts };

// One of a report's four groups of members, named by who and when: PromotionEffect's
// treated/control x pre/during, JoiningEffect's at_partner/coalition x before/after.
struct NamedGroup {
  const char* group;
  const char* window;
  const v1::GroupFigures* figures;  // points into the report
};
std::vector<NamedGroup> PromotionGroups(const v1::PromotionEffect& r);
std::vector<NamedGroup> JoiningGroups(const v1::JoiningEffect& r);

// The concentration curve's point at `top_percent`, or nullptr if the report has none.
const v1::ConcentrationPoint* ConcentrationAt(const v1::Segments& r, int32_t top_percent);

Record PromotionEffectRecord(const v1::PromotionEffect& r, Audience audience);
Record JoiningEffectRecord(const v1::JoiningEffect& r, Audience audience);
Record SegmentsRecord(const v1::Segments& r, Audience audience);
Record FlowsRecord(const v1::Flows& r, Audience audience);

// The main table of each report as CSV: a header line, then one line per row; fields
// quoted per RFC 4180 when they need it, lines ending in LF, ratios with three decimals
// (as --json prints them).
//   promotion: the four groups
//     group,window,members,visits,spend_minor,visits_per_member,spend_per_member_minor
//   joining: the monthly cohorts, active[k] and share[k] for k months after joining
//     month,members,active_0..active_N,share_0..share_N
//   segments: the RFM cells
//     recency_score,frequency_score,monetary_score,members,spend_minor
//   flows: the flow cells
//     month,earned_at,redeemed_at,points,members
std::string PromotionEffectCsv(const v1::PromotionEffect& r);
std::string JoiningEffectCsv(const v1::JoiningEffect& r);
std::string SegmentsCsv(const v1::Segments& r);
std::string FlowsCsv(const v1::Flows& r);

}  // namespace loyalty::cli

#endif  // LOYALTY_PARTNER_SDK_CLI_ANALYTICS_RECORDS_H_
