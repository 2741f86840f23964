// A gMock of BankConnection for unit tests of a bank's own code (see
// mock_partner_connection.h for how to use it).
//
//   auto mock = std::make_shared<loyalty::sdk::mocks::MockBankConnection>();
//   EXPECT_CALL(*mock, SubmitCardTransactions)
//       .WillOnce(::testing::Return(std::vector<loyalty::sdk::ClearingResult>{...}));
//   loyalty::sdk::BankClient bank(mock);
#ifndef LOYALTY_PARTNER_SDK_MOCKS_MOCK_BANK_CONNECTION_H_
#define LOYALTY_PARTNER_SDK_MOCKS_MOCK_BANK_CONNECTION_H_

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "loyalty/bank_connection.h"

namespace loyalty::sdk::mocks {

class MockBankConnection : public BankConnection {
 public:
  MOCK_METHOD(absl::StatusOr<LinkCoBrandedCardResult>, LinkCoBrandedCard,
              (const LinkCoBrandedCardParams&), (override));
  MOCK_METHOD(absl::Status, UnlinkCoBrandedCard, (const UnlinkCoBrandedCardParams&), (override));
  MOCK_METHOD(absl::StatusOr<std::vector<std::string>>, ListCoBrandedCards,
              (const ListCoBrandedCardsParams&), (override));
  MOCK_METHOD(absl::StatusOr<CoBrandedCardPage>, ListCoBrandedCardsPage,
              (const ListCoBrandedCardsParams&), (override));
  MOCK_METHOD(absl::StatusOr<std::vector<ClearingResult>>, SubmitCardTransactions,
              (absl::Span<const ClearingRecord>, const SubmitCardTransactionsOptions&), (override));
  MOCK_METHOD(absl::StatusOr<CardStatement>, GetCardStatement, (const GetCardStatementParams&),
              (override));
};

}  // namespace loyalty::sdk::mocks

#endif  // LOYALTY_PARTNER_SDK_MOCKS_MOCK_BANK_CONNECTION_H_
