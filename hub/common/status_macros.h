// The project's one pair of Status propagation macros (Abseil 20220623 has none).
#ifndef LOYALTY_HUB_COMMON_STATUS_MACROS_H_
#define LOYALTY_HUB_COMMON_STATUS_MACROS_H_

#include <cstdio>
#include <cstdlib>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define LOYALTY_CONCAT_INNER_(a, b) a##b
#define LOYALTY_CONCAT_(a, b) LOYALTY_CONCAT_INNER_(a, b)

// Returns the status of `expr` from the enclosing function unless it is OK.
#define RETURN_IF_ERROR(expr)                          \
  do {                                                 \
    ::absl::Status loyalty_status_ = (expr);           \
    if (!loyalty_status_.ok()) return loyalty_status_; \
  } while (0)

// `lhs` = value of the StatusOr `rexpr`, or returns its error status.
#define ASSIGN_OR_RETURN(lhs, rexpr) \
  ASSIGN_OR_RETURN_IMPL_(LOYALTY_CONCAT_(loyalty_statusor_, __LINE__), lhs, rexpr)
#define ASSIGN_OR_RETURN_IMPL_(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                           \
  if (!tmp.ok()) return tmp.status();           \
  lhs = std::move(tmp).value()

// An invariant that stays checked in release builds: money code must not go on after
// its own bookkeeping disagrees with itself (TigerBeetle's assertions, kept on).
#define LOYALTY_CHECK(cond)                                                           \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::fprintf(stderr, "CHECK failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                   \
    }                                                                                 \
  } while (0)

#endif  // LOYALTY_HUB_COMMON_STATUS_MACROS_H_
