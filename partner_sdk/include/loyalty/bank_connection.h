// The interface behind BankClient: one method per BankService call (issuer keys).
// MakeBankConnection() returns the real one; loyalty/mocks/mock_bank_connection.h a mock.
//
// Contract of the real connection:
// - The unary calls have a deadline per attempt and are retried like the partner calls
//   (UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED; Options::retry). None
//   can do a second thing when repeated: linking again is a no-op, and an unlink whose
//   answer was lost is retried and may then end NOT_FOUND (the card is unlinked).
// - SubmitCardTransactions sends `records` on one bidirectional stream and returns one
//   result per record, in the records' order. A record that is rejected (malformed,
//   clearing id reused for other content) is an OK call with a kRejected result: the
//   stream goes on. A record whose card has both or neither of token and pan is rejected
//   by the SDK itself (INVALID_ARGUMENT, "card: ...") and not sent.
//   At most `max_in_flight` records are unanswered at any time, so the client holds the
//   results and that window, nothing more. Each stream must make progress: with records
//   outstanding and no result for Options::call_timeout, it is cancelled
//   (DEADLINE_EXCEEDED). When a stream breaks with a retryable code, the records not
//   answered yet are sent again on a new stream after a backoff; the hub is idempotent
//   on clearing_id, so a record it had already posted is answered with its original
//   result and `replayed = true`, and nothing posts twice. Options::retry bounds the
//   streams that in a row answer nothing (max_attempts, total_timeout); a stream that
//   made progress resets the count. On failure (UNAUTHENTICATED, retries exhausted) the
//   status says how many records had been answered; submitting all of them again is
//   safe and answers the posted ones as replayed.
//
// Thread-safety: every method may be called from many threads at once.
#ifndef LOYALTY_PARTNER_SDK_BANK_CONNECTION_H_
#define LOYALTY_PARTNER_SDK_BANK_CONNECTION_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "loyalty/bank_types.h"
#include "loyalty/options.h"

namespace loyalty::sdk {

class BankConnection {
 public:
  virtual ~BankConnection() = default;

  virtual absl::StatusOr<LinkCoBrandedCardResult> LinkCoBrandedCard(
      const LinkCoBrandedCardParams& p) = 0;
  virtual absl::Status UnlinkCoBrandedCard(const UnlinkCoBrandedCardParams& p) = 0;
  // The member's linked cards as card references (tokens, or "h:" + hash for PANs).
  virtual absl::StatusOr<std::vector<std::string>> ListCoBrandedCards(
      const ListCoBrandedCardsParams& p) = 0;
  // One page of them. INVALID_ARGUMENT naming page_size or page_token.
  virtual absl::StatusOr<CoBrandedCardPage> ListCoBrandedCardsPage(
      const ListCoBrandedCardsParams& p) = 0;
  virtual absl::StatusOr<std::vector<ClearingResult>> SubmitCardTransactions(
      absl::Span<const ClearingRecord> records, const SubmitCardTransactionsOptions& o) = 0;
  virtual absl::StatusOr<CardStatement> GetCardStatement(const GetCardStatementParams& p) = 0;
};

// Makes the gRPC connection; errors as MakePartnerConnection(). The offline queue
// options are ignored: bank calls are never queued.
absl::StatusOr<std::shared_ptr<BankConnection>> MakeBankConnection(Options options);

}  // namespace loyalty::sdk

#endif  // LOYALTY_PARTNER_SDK_BANK_CONNECTION_H_
