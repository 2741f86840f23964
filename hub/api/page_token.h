// Page tokens of the List calls (AIP-158). A token is opaque to clients: web-safe
// base64 of a versioned, length-checked binary record that names the list it belongs
// to, a fingerprint of the request's filter fields and the cursor (the last key the
// page held: keyset pagination, never an offset). A token that does not decode, that
// belongs to another list, or that was issued for other filters is refused with
// INVALID_ARGUMENT naming page_token. Tokens are not encrypted or signed; a checksum
// catches damage, and the filter fingerprint keeps a token bound to its query.
//
// Thread-safe: free functions and values.
#ifndef LOYALTY_HUB_API_PAGE_TOKEN_H_
#define LOYALTY_HUB_API_PAGE_TOKEN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hub/ledger/ledger.h"

namespace loyalty {

// AIP-158 page sizes: 0 asks for the default, more than the maximum (kMaxPageSize,
// ledger.h) is coerced down to it, a negative size is INVALID_ARGUMENT naming page_size.
inline constexpr int kDefaultPageSize = 100;

// OK: the number of items the page holds at most (1..kMaxPageSize).
absl::StatusOr<int> ResolvePageSize(int32_t page_size);

// Which List call a token belongs to. Values are part of the token format: never reuse
// or renumber one.
enum class PageList : uint8_t {
  kTransactions = 1,
  kAuditLog = 2,
  kPartners = 3,
  kTiers = 4,
  kPromotions = 5,
  kExpiringPoints = 6,
  kCoBrandedCards = 7,
  kMemberHistory = 8,
  kClaims = 9,
  kDeadLetters = 10,
};

// The filter fields of a request, in a fixed order per list: what a token is bound to.
// Not thread-safe (a value).
class PageFilter {
 public:
  PageFilter& Int(int64_t value);
  PageFilter& Text(absl::string_view value);
  // A 64-bit digest of the fields added (first 8 bytes of their SHA-256).
  uint64_t Fingerprint() const;

 private:
  std::string bytes_;  // each field tagged and length-prefixed, so no two lists collide
};

// The last key a page held. Limits: at most kMaxCursorInts integers and a text key of at
// most kMaxCursorText bytes.
struct PageCursor {
  static constexpr size_t kMaxCursorInts = 4;
  static constexpr size_t kMaxCursorText = 128;
  std::vector<int64_t> ints;
  std::string text;
};

// The token for the page after the one that ended at `cursor`.
// REQUIRES: cursor within the limits above.
std::string EncodePageToken(PageList list, const PageFilter& filter, const PageCursor& cursor);

// The cursor of `token`. REQUIRES: token is not empty (the first page has no cursor).
// INVALID_ARGUMENT naming page_token when the token is malformed, damaged, from another
// list, carries other than `ints` integers, or was issued for other filters.
absl::StatusOr<PageCursor> DecodePageToken(absl::string_view token, PageList list,
                                           const PageFilter& filter, size_t ints);

// Cuts `rows`, read with a limit of page_size + 1, to the page; true when another page
// follows (the extra row exists).
template <typename T>
bool TrimToPage(std::vector<T>* rows, int page_size) {
  if (static_cast<int>(rows->size()) <= page_size) return false;
  rows->resize(page_size);
  return true;
}

}  // namespace loyalty

#endif  // LOYALTY_HUB_API_PAGE_TOKEN_H_
