// Who may see what, through the real hub binary over gRPC: a partner key cannot read
// another partner's member-level data through any AnalyticsService call or parameter,
// sees coalition-wide figures only over >= k members, and every call is audited.
#include <cstdint>
#include <limits>
#include <set>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "loyalty/v1/analytics.grpc.pb.h"
#include "tests/rules/rules_util.h"
#include "tests/support/grpc_call.h"
#include "tests/support/hub_process.h"
#include "tests/support/test_db.h"
#include "tests/support/test_util.h"

namespace loyalty::testing {
namespace {

using Stub = v1::AnalyticsService::Stub;
constexpr Micros kDay = 86'400'000'000;
constexpr int64_t kMinCell = 4;

class AnalyticsAccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Two merchants with 12 members each and one member shared; earns over 40 days; a
    // promotion at B; redemptions across.
    a_ = Register("grocery", &key_a_);
    b_ = Register("fuel", &key_b_);
    finance_key_ = Ok(f.ledger().CreateOperatorKey("test", Role::kFinance));
    PromotionRow p = FixedPromo("Fuel bonus", 20, LedgerFixture::kStart + 10 * kDay,
                                LedgerFixture::kStart + 20 * kDay);
    p.funder_id = b_;
    p.scope = "partner";
    p.scope_value = absl::StrCat(b_);
    promotion_ = Ok(f.ledger().CreatePromotion("test", p)).id;
    std::vector<std::string> cards;
    for (int i = 0; i < 24; ++i) cards.push_back(f.AddMember(i < 12 ? a_ : b_));
    for (int day = 0; day < 40; day += 3) {
      f.clock().Set(LedgerFixture::kStart + day * kDay);
      for (int i = 0; i < 24; ++i) {
        if ((i + day) % 4 == 0) continue;
        Ok(f.Earn(i < 12 ? a_ : b_, cards[i], 1000 + 250 * (i % 5)));
      }
      // Member 0 also shops at B; members 12.. redeem at A now and then.
      if (day % 6 == 0) Ok(f.Earn(b_, cards[0], 2000));
      if (day > 20) Ok(f.Redeem(a_, cards[12 + day % 12], 10));
    }
    f.ExpectInvariants();
    HubOptions o;
    o.db = f.db().options();
    o.extra_args = {absl::StrCat("--analytics_min_cell=", kMinCell)};
    hub_ = std::make_unique<HubProcess>(o);
    ASSERT_NO_FATAL_FAILURE(hub_->Start());
    stub_ = v1::AnalyticsService::NewStub(
        grpc::CreateChannel(hub_->target(), grpc::InsecureChannelCredentials()));
  }

  PartnerId Register(const std::string& category, std::string* key) {
    PartnerRecord p;
    p.name = category;
    p.category = category;
    p.role = Role::kMerchant;
    p.earn_rate_bp = 500;
    RegisteredPartner r = Ok(f.ledger().RegisterPartner("test", p));
    *key = r.api_key;
    return r.partner.id;
  }

  // Members who earned at `partner`.
  std::set<int64_t> MembersAt(PartnerId partner) {
    std::set<int64_t> out;
    const int64_t n = f.Query(absl::StrCat(
        "SELECT COUNT(DISTINCT member_id) FROM txns WHERE kind = 'earn' AND partner_id = ",
        partner));
    for (int64_t i = 0; i < n; ++i) {
      out.insert(f.Query(absl::StrCat(
          "SELECT DISTINCT member_id FROM txns WHERE kind = 'earn' AND partner_id = ", partner,
          " ORDER BY member_id LIMIT 1 OFFSET ", i)));
    }
    return out;
  }

  template <typename Req, typename Resp>
  grpc::Status Call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                    const std::string& key, const Req& req, Resp* resp) {
    ++calls_;
    return Invoke(stub_.get(), method, key, req, resp);
  }

  void ExpectDenied(const grpc::Status& s, const std::string& what) {
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << what << ": " << Describe(s);
    EXPECT_NE(s.error_message().find("partner_id"), std::string::npos) << what;
  }

  LedgerFixture f;
  PartnerId a_ = 0, b_ = 0;
  std::string key_a_, key_b_, finance_key_;
  int64_t promotion_ = 0;
  std::unique_ptr<HubProcess> hub_;
  std::unique_ptr<Stub> stub_;
  int calls_ = 0;
};

TEST_F(AnalyticsAccessTest, APartnerCannotReadAnotherPartnersMembers) {
  // Every call that names the other partner is refused, whatever else it asks.
  for (int lookback : {0, 30, 3660}) {
    v1::GetSegmentsRequest req;
    req.set_partner_id(b_);
    req.set_lookback_days(lookback);
    req.set_top_members(1000);
    v1::Segments resp;
    ExpectDenied(Call(&Stub::GetSegments, key_a_, req, &resp), "segments");
    EXPECT_EQ(resp.top_members_size(), 0);
  }
  {
    v1::GetJoiningEffectRequest req;
    req.set_partner_id(b_);
    v1::JoiningEffect resp;
    ExpectDenied(Call(&Stub::GetJoiningEffect, key_a_, req, &resp), "joining");
  }
  {
    v1::GetPromotionEffectRequest req;
    req.set_promotion_id(promotion_);
    req.set_partner_id(b_);
    v1::PromotionEffect resp;
    ExpectDenied(Call(&Stub::GetPromotionEffect, key_a_, req, &resp), "promotion");
    // B's own promotion does not exist for A's key, whatever partner it names.
    req.set_partner_id(0);
    grpc::Status s = Call(&Stub::GetPromotionEffect, key_a_, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << Describe(s);
    EXPECT_EQ(resp.promotion_name(), "");
    // B's key sees it, with its own issue price.
    s = Call(&Stub::GetPromotionEffect, key_b_, req, &resp);
    ASSERT_TRUE(s.ok()) << Describe(s);
    EXPECT_EQ(resp.partner_id(), b_);
    EXPECT_GT(resp.treated_during().members(), 0);
  }
  {
    v1::GetSegmentsRequest req;
    req.set_partner_id(-1);
    v1::Segments resp;
    EXPECT_EQ(Call(&Stub::GetSegments, key_a_, req, &resp).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }

  // Its own tills: member-level, and only members who earned there.
  v1::GetSegmentsRequest own;
  own.set_partner_id(a_);
  own.set_lookback_days(3660);
  own.set_top_members(1000);
  v1::Segments mine;
  grpc::Status s = Call(&Stub::GetSegments, key_a_, own, &mine);
  ASSERT_TRUE(s.ok()) << Describe(s);
  const std::set<int64_t> at_a = MembersAt(a_);
  ASSERT_GT(mine.top_members_size(), 0);
  for (const v1::MemberScore& m : mine.top_members()) EXPECT_EQ(at_a.count(m.member_id()), 1u);
  EXPECT_EQ(mine.members(), static_cast<int64_t>(at_a.size()));
  // Member 0's earns at B are not in A's view of member 0.
  const int64_t spend_at_a = f.Query(absl::StrCat(
      "SELECT SUM(amount_minor) FROM txns WHERE kind = 'earn' AND partner_id = ", a_));
  EXPECT_EQ(mine.spend_minor(), spend_at_a);

  // The coalition as a partner sees it: aggregates over >= k members only.
  v1::GetSegmentsRequest coalition;
  coalition.set_lookback_days(3660);
  coalition.set_top_members(1000);
  v1::Segments seg;
  s = Call(&Stub::GetSegments, key_a_, coalition, &seg);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(seg.min_cell_members(), kMinCell);
  EXPECT_EQ(seg.top_members_size(), 0);
  for (const v1::RfmCell& c : seg.rfm()) {
    EXPECT_TRUE(c.suppressed() ? c.members() == 0 : c.members() >= kMinCell);
  }
  for (const v1::ConcentrationPoint& c : seg.concentration()) {
    EXPECT_TRUE(c.suppressed() || c.members() >= kMinCell);
  }
  v1::Flows flows;
  s = Call(&Stub::GetFlows, key_a_, v1::GetFlowsRequest(), &flows);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(flows.min_cell_members(), kMinCell);
  int64_t shown = 0;
  for (const v1::FlowCell& c : flows.cells()) {
    EXPECT_TRUE(c.suppressed() ? c.points() == 0 : c.members() >= kMinCell);
    shown += c.points();
  }
  // Totals add up what is shown; of the funder rows, only A's own.
  EXPECT_EQ(flows.redeemed_points(), shown);
  bool own_row = false;
  for (const v1::FunderRates& r : flows.funders()) {
    if (r.funder_id() == a_) own_row = !r.suppressed();
    if (r.funder_id() != a_) EXPECT_TRUE(r.suppressed()) << r.funder_id();
  }
  EXPECT_TRUE(own_row);
  for (const v1::ExpiryBucket& e : flows.outstanding()) {
    if (e.funder_id() != a_) EXPECT_TRUE(e.suppressed());
  }

  // The operator (a finance key) sees the same figures unsuppressed.
  v1::Segments all;
  s = Call(&Stub::GetSegments, finance_key_, coalition, &all);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(all.min_cell_members(), 0);
  EXPECT_EQ(all.members(), 24);
  EXPECT_EQ(all.top_members_size(), 24);
  bool any_small = false;
  for (const v1::RfmCell& c : all.rfm()) any_small |= c.members() < kMinCell;
  EXPECT_TRUE(any_small);  // so the partner's view above really hid something

  // No key: refused before anything is read.
  EXPECT_EQ(Invoke(stub_.get(), &Stub::GetSegments, std::string(), coalition, &seg).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  // Every call that reached the reports is in the audit log, refused ones included.
  EXPECT_EQ(f.Query("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'analytics\\_%'"), calls_);
  EXPECT_GT(f.Query(absl::StrCat("SELECT COUNT(*) FROM audit_log WHERE action = "
                                 "'analytics_segments' AND detail LIKE '%partner_id=", b_,
                                 "%PERMISSION_DENIED%'")),
            0);
}

// Every numeric field of every request at its extremes: a documented answer (OK, or
// INVALID_ARGUMENT / PERMISSION_DENIED / NOT_FOUND / FAILED_PRECONDITION naming the
// field), never a crash or an INTERNAL; the hub still answers afterwards.
TEST_F(AnalyticsAccessTest, ExtremeValuesGetADocumentedAnswer) {
  const std::vector<int64_t> values = {-1,
                                       std::numeric_limits<int64_t>::max(),
                                       std::numeric_limits<int64_t>::min(),
                                       std::numeric_limits<int32_t>::max(),
                                       std::numeric_limits<int32_t>::min()};
  auto expect_documented = [&](const grpc::Status& s, const std::string& what) {
    const grpc::StatusCode c = s.error_code();
    EXPECT_TRUE(c == grpc::StatusCode::OK || c == grpc::StatusCode::INVALID_ARGUMENT ||
                c == grpc::StatusCode::PERMISSION_DENIED || c == grpc::StatusCode::NOT_FOUND ||
                c == grpc::StatusCode::FAILED_PRECONDITION)
        << what << ": " << Describe(s);
  };
  int invalid = 0;
  for (const std::string& key : {finance_key_, key_a_}) {
    for (int64_t v : values) {
      const std::string n = absl::StrCat(v);
      const int32_t v32 = static_cast<int32_t>(v);
      {
        v1::GetPromotionEffectRequest r;
        r.set_promotion_id(v);
        v1::PromotionEffect resp;
        expect_documented(Call(&Stub::GetPromotionEffect, key, r, &resp), "promotion_id " + n);
        r.set_promotion_id(promotion_);
        r.set_partner_id(v);
        expect_documented(Call(&Stub::GetPromotionEffect, key, r, &resp), "partner_id " + n);
        r.set_partner_id(0);
        r.set_bootstrap_samples(v32);
        grpc::Status s = Call(&Stub::GetPromotionEffect, key, r, &resp);
        expect_documented(s, "bootstrap_samples " + n);
        invalid += s.error_code() == grpc::StatusCode::INVALID_ARGUMENT;
        r.set_bootstrap_samples(0);
        r.set_seed(static_cast<uint64_t>(v));
        expect_documented(Call(&Stub::GetPromotionEffect, key, r, &resp), "seed " + n);
      }
      for (int field = 0; field < 4; ++field) {
        v1::GetJoiningEffectRequest r;
        r.set_partner_id(field == 0 ? v : a_);
        if (field == 1) r.set_period_start(v);
        if (field == 2) r.set_period_end(v);
        if (field == 3) r.set_weeks(v32);
        v1::JoiningEffect resp;
        grpc::Status s = Call(&Stub::GetJoiningEffect, key, r, &resp);
        expect_documented(s, absl::StrCat("joining field ", field, " = ", n));
        invalid += s.error_code() == grpc::StatusCode::INVALID_ARGUMENT;
      }
      for (int field = 0; field < 4; ++field) {
        v1::GetSegmentsRequest r;
        if (field == 0) r.set_partner_id(v);
        if (field == 1) r.set_lookback_days(v32);
        if (field == 2) r.set_at_risk_days(v32);
        if (field == 3) r.set_top_members(v32);
        v1::Segments resp;
        grpc::Status s = Call(&Stub::GetSegments, key, r, &resp);
        expect_documented(s, absl::StrCat("segments field ", field, " = ", n));
        invalid += s.error_code() == grpc::StatusCode::INVALID_ARGUMENT;
      }
      for (int field = 0; field < 3; ++field) {
        v1::GetFlowsRequest r;
        if (field == 0) r.set_period_start(v);
        if (field == 1) r.set_period_end(v);
        if (field == 2) r.set_expiry_months(v32);
        v1::Flows resp;
        grpc::Status s = Call(&Stub::GetFlows, key, r, &resp);
        expect_documented(s, absl::StrCat("flows field ", field, " = ", n));
        invalid += s.error_code() == grpc::StatusCode::INVALID_ARGUMENT;
      }
    }
  }
  EXPECT_GT(invalid, 40);  // most extremes are refused by name
  // Still serving.
  v1::Segments after;
  grpc::Status s = Call(&Stub::GetSegments, finance_key_, v1::GetSegmentsRequest(), &after);
  EXPECT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(after.members(), 24);
}

}  // namespace
}  // namespace loyalty::testing
