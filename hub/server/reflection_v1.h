// gRPC server reflection v1 (grpc.reflection.v1.ServerReflection), next to the v1alpha
// service Debian's gRPC 1.51 provides (grpc::reflection::InitProtoReflectionServerBuilder
// Plugin): current grpcurl, Postman and gRPC UI ask for v1 first. Answers from the
// process's generated descriptor pool, as the v1alpha service does.
#ifndef LOYALTY_HUB_SERVER_REFLECTION_V1_H_
#define LOYALTY_HUB_SERVER_REFLECTION_V1_H_

#include <string>
#include <vector>

#include "grpc/reflection/v1/reflection.grpc.pb.h"

namespace loyalty {

class ReflectionV1Service final : public grpc::reflection::v1::ServerReflection::Service {
 public:
  // `services`: the full names list_services answers with.
  explicit ReflectionV1Service(std::vector<std::string> services)
      : services_(std::move(services)) {}

  grpc::Status ServerReflectionInfo(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<grpc::reflection::v1::ServerReflectionResponse,
                               grpc::reflection::v1::ServerReflectionRequest>* stream) override;

 private:
  const std::vector<std::string> services_;
};

}  // namespace loyalty

#endif  // LOYALTY_HUB_SERVER_REFLECTION_V1_H_
