// BankClient: the card-issuing bank's calls (co-branded cards, clearing, statements).
//
//   auto conn = loyalty::sdk::MakeBankConnection(options);  // options.api_key: issuer key
//   if (!conn.ok()) ...;
//   loyalty::sdk::BankClient bank(*conn);
//   bank.LinkCoBrandedCard({member_card, loyalty::sdk::CardRef::Token("tok-4411")});
//   std::vector<loyalty::sdk::ClearingRecord> day = ...;  // the end-of-day file
//   auto results = bank.SubmitCardTransactions(day);      // one per record, same order
//
// A value type over a BankConnection, like PartnerClient; see bank_connection.h for each
// call's contract. Thread-safe.
#ifndef LOYALTY_PARTNER_SDK_BANK_CLIENT_H_
#define LOYALTY_PARTNER_SDK_BANK_CLIENT_H_

#include <memory>
#include <string>
#include <vector>

#include "loyalty/bank_connection.h"

namespace loyalty::sdk {

class BankClient {
 public:
  // REQUIRES: connection != nullptr.
  explicit BankClient(std::shared_ptr<BankConnection> connection);

  absl::StatusOr<LinkCoBrandedCardResult> LinkCoBrandedCard(const LinkCoBrandedCardParams& p) {
    return conn_->LinkCoBrandedCard(p);
  }
  absl::Status UnlinkCoBrandedCard(const UnlinkCoBrandedCardParams& p) {
    return conn_->UnlinkCoBrandedCard(p);
  }
  absl::StatusOr<std::vector<std::string>> ListCoBrandedCards(const ListCoBrandedCardsParams& p) {
    return conn_->ListCoBrandedCards(p);
  }
  absl::StatusOr<CoBrandedCardPage> ListCoBrandedCardsPage(const ListCoBrandedCardsParams& p) {
    return conn_->ListCoBrandedCardsPage(p);
  }
  // Takes a vector, an array or any contiguous range of records.
  absl::StatusOr<std::vector<ClearingResult>> SubmitCardTransactions(
      absl::Span<const ClearingRecord> records, const SubmitCardTransactionsOptions& o = {}) {
    return conn_->SubmitCardTransactions(records, o);
  }
  absl::StatusOr<CardStatement> GetCardStatement(const GetCardStatementParams& p) {
    return conn_->GetCardStatement(p);
  }

 private:
  std::shared_ptr<BankConnection> conn_;
};

}  // namespace loyalty::sdk

#endif  // LOYALTY_PARTNER_SDK_BANK_CLIENT_H_
