// Whole-list calls of the SDK (AdminClient::ListPartners, ...) read a paged List call
// to its end.
#ifndef LOYALTY_PARTNER_SDK_SRC_PAGES_H_
#define LOYALTY_PARTNER_SDK_SRC_PAGES_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace loyalty::sdk::internal {

// The page size whole-list calls ask for: the hub's maximum.
inline constexpr int32_t kWholeListPageSize = 500;
// The most pages one whole-list call reads (a bound, far above any coalition's lists).
inline constexpr int kMaxPagesPerList = 2000;

// Reads every page from `token` on ("" = the first): `fetch(token, &items)` appends one
// page's items and returns its next_page_token. OUT_OF_RANGE past kMaxPagesPerList pages.
template <typename T, typename Fetch>
absl::StatusOr<std::vector<T>> AllPages(std::string token, Fetch fetch) {
  std::vector<T> out;
  for (int pages = 0; pages < kMaxPagesPerList; ++pages) {
    absl::StatusOr<std::string> next = fetch(token, &out);
    if (!next.ok()) return next.status();
    if (next->empty()) return out;
    token = *std::move(next);
  }
  return absl::OutOfRangeError("list longer than one call reads; use the ...Page call");
}

}  // namespace loyalty::sdk::internal

#endif  // LOYALTY_PARTNER_SDK_SRC_PAGES_H_
