#include "hub/server/reflection_v1.h"

#include <set>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"

namespace loyalty {

namespace {

using google::protobuf::DescriptorPool;
using google::protobuf::FileDescriptor;
using grpc::reflection::v1::ServerReflectionRequest;
using grpc::reflection::v1::ServerReflectionResponse;

void SetError(grpc::StatusCode code, const std::string& message, ServerReflectionResponse* resp) {
  resp->mutable_error_response()->set_error_code(code);
  resp->mutable_error_response()->set_error_message(message);
}

// The file and, before it, every file it depends on that this stream has not sent yet
// (`sent`), each a serialized FileDescriptorProto.
void AddFile(const FileDescriptor* file, std::set<std::string>* sent,
             ServerReflectionResponse* resp) {
  std::vector<const FileDescriptor*> order;
  std::vector<const FileDescriptor*> todo = {file};
  std::set<std::string> seen;
  while (!todo.empty()) {
    const FileDescriptor* f = todo.back();
    todo.pop_back();
    if (!seen.insert(f->name()).second) continue;
    order.push_back(f);
    for (int i = 0; i < f->dependency_count(); ++i) todo.push_back(f->dependency(i));
  }
  auto* out = resp->mutable_file_descriptor_response();
  for (const FileDescriptor* f : order) {
    if (f != file && sent->count(f->name()) > 0) continue;
    sent->insert(f->name());
    google::protobuf::FileDescriptorProto proto;
    f->CopyTo(&proto);
    proto.SerializeToString(out->add_file_descriptor_proto());
  }
}

}  // namespace

grpc::Status ReflectionV1Service::ServerReflectionInfo(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<ServerReflectionResponse, ServerReflectionRequest>* stream) {
  (void)context;
  const DescriptorPool* pool = DescriptorPool::generated_pool();
  std::set<std::string> sent;
  ServerReflectionRequest req;
  while (stream->Read(&req)) {
    ServerReflectionResponse resp;
    resp.set_valid_host(req.host());
    *resp.mutable_original_request() = req;
    switch (req.message_request_case()) {
      case ServerReflectionRequest::kFileByFilename:
        if (const FileDescriptor* f = pool->FindFileByName(req.file_by_filename())) {
          AddFile(f, &sent, &resp);
        } else {
          SetError(grpc::StatusCode::NOT_FOUND, "file not found", &resp);
        }
        break;
      case ServerReflectionRequest::kFileContainingSymbol:
        if (const FileDescriptor* f =
                pool->FindFileContainingSymbol(req.file_containing_symbol())) {
          AddFile(f, &sent, &resp);
        } else {
          SetError(grpc::StatusCode::NOT_FOUND, "symbol not found", &resp);
        }
        break;
      case ServerReflectionRequest::kFileContainingExtension: {
        const auto& ext = req.file_containing_extension();
        const auto* type = pool->FindMessageTypeByName(ext.containing_type());
        const auto* field =
            type != nullptr ? pool->FindExtensionByNumber(type, ext.extension_number()) : nullptr;
        if (field != nullptr) {
          AddFile(field->file(), &sent, &resp);
        } else {
          SetError(grpc::StatusCode::NOT_FOUND, "extension not found", &resp);
        }
        break;
      }
      case ServerReflectionRequest::kAllExtensionNumbersOfType: {
        const auto* type = pool->FindMessageTypeByName(req.all_extension_numbers_of_type());
        if (type == nullptr) {
          SetError(grpc::StatusCode::NOT_FOUND, "type not found", &resp);
          break;
        }
        std::vector<const google::protobuf::FieldDescriptor*> extensions;
        pool->FindAllExtensions(type, &extensions);
        auto* out = resp.mutable_all_extension_numbers_response();
        out->set_base_type_name(type->full_name());
        for (const auto* e : extensions) out->add_extension_number(e->number());
        break;
      }
      case ServerReflectionRequest::kListServices:
        for (const std::string& name : services_) {
          resp.mutable_list_services_response()->add_service()->set_name(name);
        }
        break;
      default:
        SetError(grpc::StatusCode::UNIMPLEMENTED, "unknown request", &resp);
    }
    if (!stream->Write(resp)) break;
  }
  return grpc::Status::OK;
}

}  // namespace loyalty
