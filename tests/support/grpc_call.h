// Raw gRPC calls for the tests that talk to the hub without the SDK: one unary call with
// a deadline and an API key, and a status in one line for failure messages.
#ifndef LOYALTY_TESTS_SUPPORT_GRPC_CALL_H_
#define LOYALTY_TESTS_SUPPORT_GRPC_CALL_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <string>

#include "absl/strings/str_cat.h"

namespace loyalty::testing {

inline constexpr auto kGrpcCallTimeout = std::chrono::seconds(10);

// "code 5 \"card_number: no such card\"".
inline std::string Describe(const grpc::Status& s) {
  return absl::StrCat("code ", static_cast<int>(s.error_code()), " \"", s.error_message(), "\"");
}

// One call of `method` with a kGrpcCallTimeout deadline; `key` empty = no authorization
// metadata at all.
template <typename Stub, typename Req, typename Resp>
grpc::Status Invoke(Stub* stub,
                    grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                    const std::string& key, const Req& req, Resp* resp) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + kGrpcCallTimeout);
  if (!key.empty()) ctx.AddMetadata("authorization", absl::StrCat("Bearer ", key));
  return (stub->*method)(&ctx, req, resp);
}

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTS_SUPPORT_GRPC_CALL_H_
