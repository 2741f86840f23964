// A gMock of AnalyticsConnection for unit tests of reporting code (see
// mock_partner_connection.h for how to use it): script the reports as protos.
//
//   auto mock = std::make_shared<loyalty::sdk::mocks::MockAnalyticsConnection>();
//   loyalty::v1::Segments segments;
//   segments.set_members(120);
//   EXPECT_CALL(*mock, GetSegments).WillOnce(::testing::Return(segments));
//   loyalty::sdk::AnalyticsClient analytics(mock);
#ifndef LOYALTY_PARTNER_SDK_MOCKS_MOCK_ANALYTICS_CONNECTION_H_
#define LOYALTY_PARTNER_SDK_MOCKS_MOCK_ANALYTICS_CONNECTION_H_

#include "gmock/gmock.h"
#include "loyalty/analytics_connection.h"

namespace loyalty::sdk::mocks {

class MockAnalyticsConnection : public AnalyticsConnection {
 public:
  MOCK_METHOD(absl::StatusOr<v1::PromotionEffect>, GetPromotionEffect,
              (const v1::GetPromotionEffectRequest&), (override));
  MOCK_METHOD(absl::StatusOr<v1::JoiningEffect>, GetJoiningEffect,
              (const v1::GetJoiningEffectRequest&), (override));
  MOCK_METHOD(absl::StatusOr<v1::Segments>, GetSegments, (const v1::GetSegmentsRequest&),
              (override));
  MOCK_METHOD(absl::StatusOr<v1::Flows>, GetFlows, (const v1::GetFlowsRequest&), (override));
};

}  // namespace loyalty::sdk::mocks

#endif  // LOYALTY_PARTNER_SDK_MOCKS_MOCK_ANALYTICS_CONNECTION_H_
