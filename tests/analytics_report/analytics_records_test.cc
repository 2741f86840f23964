// What `loyalty analytics` prints for each report (partner_sdk/cli/analytics_records.h):
// the CSV of the main table, byte for byte, and the text and JSON records, with
// suppressed cells shown as the word in text and CSV and as zeros plus a flag in JSON.
#include "analytics_records.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "output.h"
#include "tests/analytics_report/sample_reports.h"

namespace loyalty::cli {
namespace {

using ::loyalty::testing::SampleFlows;
using ::loyalty::testing::SampleJoining;
using ::loyalty::testing::SamplePromotion;
using ::loyalty::testing::SampleSegments;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(AnalyticsCsvTest, PromotionIsTheFourGroups) {
  EXPECT_EQ(PromotionEffectCsv(SamplePromotion()),
            "group,window,members,visits,spend_minor,visits_per_member,spend_per_member_minor\n"
            "treated,pre,40,80,200000,2.000,5000.000\n"
            "treated,during,40,120,300000,3.000,7500.000\n"
            "control,pre,60,90,240000,1.500,4000.000\n"
            "control,during,suppressed,suppressed,suppressed,suppressed,suppressed\n");
}

TEST(AnalyticsCsvTest, JoiningIsTheCohortsPaddedToTheLongest) {
  EXPECT_EQ(JoiningEffectCsv(SampleJoining()),
            "month,members,active_0,active_1,active_2,share_0,share_1,share_2\n"
            "2026-01,120,120,80,60,1.000,0.667,0.500\n"
            "2026-02,30,30,12,,1.000,0.400,\n"
            "2026-03,suppressed,suppressed,,,suppressed,,\n");
}

TEST(AnalyticsCsvTest, SegmentsIsTheRfmCells) {
  EXPECT_EQ(SegmentsCsv(SampleSegments()),
            "recency_score,frequency_score,monetary_score,members,spend_minor\n"
            "5,5,5,40,2000000\n"
            "4,3,2,25,350000\n"
            "1,1,5,suppressed,suppressed\n");
}

TEST(AnalyticsCsvTest, FlowsIsTheFlowCells) {
  EXPECT_EQ(FlowsCsv(SampleFlows()),
            "month,earned_at,redeemed_at,points,members\n"
            "2026-03,2,3,1200,15\n"
            "2026-03,3,2,800,12\n"
            "2026-04,2,3,1300,16\n"
            "2026-04,0,2,suppressed,suppressed\n");
}

TEST(AnalyticsCsvTest, FieldsAreQuotedPerRfc4180) {
  v1::Flows f;
  v1::FlowCell* c = f.add_cells();
  c->set_month("2026-05,\"x\"");
  c->set_points(5);
  EXPECT_EQ(FlowsCsv(f),
            "month,earned_at,redeemed_at,points,members\n"
            "\"2026-05,\"\"x\"\"\",0,0,5,0\n");
}

TEST(AnalyticsRecordTest, SegmentsTextSaysSuppressedInsteadOfZero) {
  const std::string text = ToText(SegmentsRecord(SampleSegments(), Audience::kPeople));
  EXPECT_THAT(text, HasSubstr("computed_at: 2026-05-01T00:00:00Z\n"));
  EXPECT_THAT(text, HasSubstr("members: 250\n"));
  EXPECT_THAT(text, HasSubstr("top20_spend_share: 0.634\n"));
  EXPECT_THAT(text, HasSubstr("at_risk_members: 35\n"));
  EXPECT_THAT(text, HasSubstr("  - recency_score=5 frequency_score=5 monetary_score=5 "
                              "members=40 spend_minor=2000000\n"));
  EXPECT_THAT(text, HasSubstr("  - recency_score=1 frequency_score=1 monetary_score=5 "
                              "members=suppressed spend_minor=suppressed\n"));
  EXPECT_THAT(text, HasSubstr("  - top_percent=1 members=suppressed spend_minor=suppressed "
                              "spend_share=suppressed\n"));
  EXPECT_THAT(text, HasSubstr("  - tier=(none) members=220\n"));
  EXPECT_THAT(text, Not(HasSubstr("suppressed=")));  // the flag is for scripts
}

TEST(AnalyticsRecordTest, SegmentsJsonKeepsZerosAndTheFlag) {
  const std::string json = ToJson(SegmentsRecord(SampleSegments(), Audience::kScripts));
  EXPECT_THAT(json, HasSubstr("\"computed_at_micros\":1777593600000000"));
  EXPECT_THAT(json, HasSubstr("{\"recency_score\":1,\"frequency_score\":1,\"monetary_score\":5,"
                              "\"members\":0,\"spend_minor\":0,\"suppressed\":true}"));
  EXPECT_THAT(json, HasSubstr("{\"tier\":\"\",\"members\":220,\"suppressed\":false}"));
  EXPECT_THAT(json, Not(HasSubstr("\"suppressed\":\"")));
  EXPECT_THAT(json, Not(HasSubstr(":\"suppressed\"")));
}

TEST(AnalyticsRecordTest, PromotionTextNamesGroupsWindowsAndTheInterval) {
  const std::string text = ToText(PromotionEffectRecord(SamplePromotion(), Audience::kPeople));
  EXPECT_THAT(text, HasSubstr("promotion_name: Double <b>points</b> & \"more\"\n"));
  EXPECT_THAT(text, HasSubstr("pre_starts_at: 2026-03-01T00:00:00Z\n"
                              "starts_at: 2026-04-01T00:00:00Z\n"
                              "ends_at: 2026-05-01T00:00:00Z\n"));
  EXPECT_THAT(text, HasSubstr("  - group=treated window=during members=40 visits=120 "
                              "spend_minor=300000 visits_per_member=3.000 "
                              "spend_per_member_minor=7500.000\n"));
  EXPECT_THAT(text, HasSubstr("  - group=control window=during members=suppressed "
                              "visits=suppressed spend_minor=suppressed "
                              "visits_per_member=suppressed spend_per_member_minor=suppressed\n"));
  EXPECT_THAT(text, HasSubstr("spend_uplift_per_member_minor: 1500.000\n"
                              "spend_uplift_per_member_low_minor: -200.000\n"
                              "spend_uplift_per_member_high_minor: 3100.000\n"));
  EXPECT_THAT(text, HasSubstr("incremental_spend_minor: 12345\n"));
  EXPECT_THAT(text, HasSubstr("return_on_cost: 2.469\n"));
}

TEST(AnalyticsRecordTest, JoiningCohortsReadAsActiveAndShareByMonth) {
  const v1::JoiningEffect j = SampleJoining();
  const std::string text = ToText(JoiningEffectRecord(j, Audience::kPeople));
  EXPECT_THAT(text, HasSubstr("joiners: 150\njoiners_known_before: 90\n"));
  EXPECT_THAT(text, HasSubstr("  - month=2026-01 members=120 m0=120/100.0% m1=80/66.7% "
                              "m2=60/50.0%\n"));
  EXPECT_THAT(text, HasSubstr("  - month=2026-03 members=suppressed m0=suppressed\n"));
  const std::string json = ToJson(JoiningEffectRecord(j, Audience::kScripts));
  EXPECT_THAT(json, HasSubstr("{\"month\":\"2026-02\",\"members\":30,\"retention\":["
                              "{\"months_after\":0,\"active\":30,\"share\":1.000},"
                              "{\"months_after\":1,\"active\":12,\"share\":0.400}],"
                              "\"suppressed\":false}"));
}

TEST(AnalyticsRecordTest, FlowsTextSuppressesWholeFunderRows) {
  const std::string text = ToText(FlowsRecord(SampleFlows(), Audience::kPeople));
  EXPECT_THAT(text, HasSubstr("redeemed_points: 3400\noutstanding_points: 9000\n"));
  EXPECT_THAT(text, HasSubstr("  - month=2026-04 earned_at=0 redeemed_at=2 points=suppressed "
                              "members=suppressed\n"));
  EXPECT_THAT(text, HasSubstr("  - funder_id=2 issued_points=10000 redeemed_points=2500 "
                              "expired_points=500 reversed_points=100 outstanding_points=6900 "
                              "redemption_rate=0.250 breakage_rate=0.050 members=80\n"));
  EXPECT_THAT(text, HasSubstr("  - funder_id=0 issued_points=suppressed"));
  EXPECT_THAT(text, HasSubstr("  - month=never funder_id=3 points=2100 members=12\n"));
}

}  // namespace
}  // namespace loyalty::cli
