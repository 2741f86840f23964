// A small coalition on a running hub, set up through AdminService and PartnerService the
// way an operator and a till would, and the gRPC plumbing the reliability suites share:
// channels that reconnect fast after the hub restarts, and one call with a deadline.
#ifndef LOYALTY_TESTS_RELIABILITY_COALITION_H_
#define LOYALTY_TESTS_RELIABILITY_COALITION_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "loyalty/v1/admin.grpc.pb.h"
#include "loyalty/v1/partner.grpc.pb.h"

namespace loyalty::testing {

// A plaintext channel to `target` that retries a dropped connection every 100..500 ms
// and may re-resolve the address as often (gRPC's defaults: backoff growing to minutes,
// and at most one re-resolution per 30 s, which kept a client away from a restarted hub
// for ~5 s).
std::shared_ptr<grpc::Channel> FastReconnectChannel(const std::string& target);

std::string Describe(const grpc::Status& s);

// One unary call with `key` as bearer credentials and a deadline of `timeout`.
template <typename Stub, typename Req, typename Resp>
grpc::Status Invoke(Stub* stub,
                    grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                    const std::string& key, const Req& req, Resp* resp,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + timeout);
  ctx.AddMetadata("authorization", absl::StrCat("Bearer ", key));
  return (stub->*method)(&ctx, req, resp);
}

// Two merchants (grocery 5%, cinema 2%) and `members` members enrolled at the grocer.
// Program: EUR, 1 point = 0.01 EUR, 12-month expiry.
struct Coalition {
  std::string grocer_key;
  std::string cinema_key;
  int64_t grocer_id = 0;
  int64_t cinema_id = 0;
  std::vector<std::string> cards;
  std::vector<int64_t> member_ids;
};

// Sets the coalition up through `target` with `admin_key`; fails the test (use
// ASSERT_NO_FATAL_FAILURE) if a call fails.
void SetUpCoalition(const std::string& target, const std::string& admin_key, int members,
                    Coalition* out);

// An earn of `amount_minor` EUR cents at a partner.
v1::EarnRequest EarnOf(const std::string& txn_id, const std::string& card, int64_t amount_minor);
v1::RedeemRequest RedeemOf(const std::string& txn_id, const std::string& card, int64_t points);

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTS_RELIABILITY_COALITION_H_
