// One unary PartnerService call (or health check) through the gRPC callback API: no
// thread waits for it; `done` runs on a gRPC callback thread when it finishes.
#ifndef LOYALTY_TESTS_LOAD_RPC_H_
#define LOYALTY_TESTS_LOAD_RPC_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <string>
#include <utility>

#include "grpc/health/v1/health.grpc.pb.h"
#include "loyalty/v1/partner.grpc.pb.h"

namespace loyalty::load {

using PartnerAsync = v1::PartnerService::StubInterface::async_interface;

template <typename Req, typename Resp>
using PartnerMethod = void (PartnerAsync::*)(grpc::ClientContext*, const Req*, Resp*,
                                             std::function<void(grpc::Status)>);

// Starts `method` with `req`, authenticated by `api_key`, failing DEADLINE_EXCEEDED after
// `deadline`. `done` must be copyable; it is called exactly once.
template <typename Req, typename Resp, typename Done>
void CallAsync(v1::PartnerService::Stub* stub, PartnerMethod<Req, Resp> method,
               const std::string& api_key, std::chrono::milliseconds deadline, Req req,
               Done done) {
  struct Call {
    grpc::ClientContext ctx;
    Req req;
    Resp resp;
  };
  auto* call = new Call;
  call->req = std::move(req);
  call->ctx.set_deadline(std::chrono::system_clock::now() + deadline);
  call->ctx.AddMetadata("authorization", "Bearer " + api_key);
  (stub->async()->*method)(&call->ctx, &call->req, &call->resp,
                           [call, done = std::move(done)](grpc::Status status) mutable {
                             // The call is gone before `done` runs: `done` may be what
                             // lets the caller tear everything down.
                             Resp resp = std::move(call->resp);
                             delete call;
                             done(status, resp);
                           });
}

// Calls grpc.health.v1.Health/Check for the whole server (service "") through `stub`,
// failing DEADLINE_EXCEEDED after `deadline`. No API key: the hub's health service (the
// default one of gRPC) takes none, so the call measures gRPC alone. An answer other
// than SERVING comes back as UNAVAILABLE. `done(status)` is called exactly once.
template <typename Done>
void PingAsync(grpc::health::v1::Health::Stub* stub, std::chrono::milliseconds deadline,
               Done done) {
  struct Call {
    grpc::ClientContext ctx;
    grpc::health::v1::HealthCheckRequest req;
    grpc::health::v1::HealthCheckResponse resp;
  };
  auto* call = new Call;
  call->ctx.set_deadline(std::chrono::system_clock::now() + deadline);
  stub->async()->Check(
      &call->ctx, &call->req, &call->resp,
      [call, done = std::move(done)](grpc::Status status) mutable {
        if (status.ok() &&
            call->resp.status() != grpc::health::v1::HealthCheckResponse::SERVING) {
          status = grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                "health: " + grpc::health::v1::HealthCheckResponse::
                                                 ServingStatus_Name(call->resp.status()));
        }
        delete call;  // before `done`, as in CallAsync
        done(status);
      });
}

inline bool Retryable(grpc::StatusCode code) {
  return code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::ABORTED ||
         code == grpc::StatusCode::RESOURCE_EXHAUSTED ||
         code == grpc::StatusCode::DEADLINE_EXCEEDED;
}

// CallAsync, repeated with the same request (so the same partner_txn_id) up to
// `attempts` times in all while it fails with a retryable code. For setup, not for
// measured operations.
template <typename Req, typename Resp, typename Done>
void CallWithRetry(v1::PartnerService::Stub* stub, PartnerMethod<Req, Resp> method,
                   const std::string& api_key, std::chrono::milliseconds deadline, Req req,
                   int attempts, Done done) {
  Req copy = req;
  CallAsync(stub, method, api_key, deadline, std::move(copy),
            [=](const grpc::Status& status, const Resp& resp) {
              if (!status.ok() && attempts > 1 && Retryable(status.error_code())) {
                CallWithRetry(stub, method, api_key, deadline, req, attempts - 1, done);
              } else {
                done(status, resp);
              }
            });
}

}  // namespace loyalty::load

#endif  // LOYALTY_TESTS_LOAD_RPC_H_
