// The real EventsClient: EventService.Subscribe with reconnects from the last cursor.
#include <memory>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "call_runner.h"
#include "hub/common/status_macros.h"
#include "loyalty/events_client.h"
#include "loyalty/v1/events.grpc.pb.h"

namespace loyalty::sdk::internal {
namespace {

class EventsClientImpl : public EventsClient {
 public:
  EventsClientImpl(Options options, const std::shared_ptr<grpc::Channel>& channel)
      : runner_(std::move(options), channel), stub_(v1::EventService::NewStub(channel)) {}

  absl::Status Follow(v1::SubscribeRequest request, const Handler& handler) override {
    cursor_ = request.since_cursor();
    int failures = 0;  // in a row, without a message in between
    for (;;) {
      request.set_since_cursor(cursor_);
      grpc::ClientContext ctx;
      runner_.PrepareStream(&ctx);
      {
        absl::MutexLock lock(&mu_);
        if (stopped_) return absl::CancelledError("stopped");
        ctx_ = &ctx;
      }
      std::unique_ptr<grpc::ClientReader<v1::EventBatch>> reader = stub_->Subscribe(&ctx, request);
      v1::EventBatch batch;
      bool handler_stopped = false;
      while (reader->Read(&batch)) {
        failures = 0;
        const bool go_on = handler(batch);
        cursor_ = batch.cursor();
        if (!go_on) {
          handler_stopped = true;
          ctx.TryCancel();
          break;
        }
      }
      const absl::Status status = FromGrpc(reader->Finish());
      bool stopped = false;
      {
        absl::MutexLock lock(&mu_);
        ctx_ = nullptr;
        stopped = stopped_;
      }
      if (handler_stopped) return absl::OkStatus();
      if (stopped) return absl::CancelledError("stopped");
      if (status.ok()) return status;  // not following: caught up
      if (!IsRetryable(status.code())) return status;
      ++failures;
      if (failures >= runner_.options().retry.max_attempts) {
        return WithMessage(status, absl::StrCat(status.message(), " (after ", failures,
                                                " attempts to reconnect)"));
      }
      std::this_thread::sleep_for(
          absl::ToChronoMicroseconds(RetryWait(runner_.options().retry, failures, status)));
    }
  }

  void Stop() override {
    absl::MutexLock lock(&mu_);
    stopped_ = true;
    if (ctx_ != nullptr) ctx_->TryCancel();
  }

  int64_t cursor() const override { return cursor_.load(); }

  absl::StatusOr<v1::Webhook> CreateWebhook(const v1::CreateWebhookRequest& r) override {
    return runner_.Unary(CallSpec{"CreateWebhook", "", false}, stub_.get(), &Stub::CreateWebhook,
                         r);
  }
  absl::StatusOr<v1::ListWebhooksResponse> ListWebhooks() override {
    return runner_.Unary(CallSpec{"ListWebhooks", "", true}, stub_.get(), &Stub::ListWebhooks,
                         v1::ListWebhooksRequest());
  }
  absl::Status DeleteWebhook(int64_t webhook_id) override {
    v1::DeleteWebhookRequest r;
    r.set_webhook_id(webhook_id);
    return runner_
        .Unary(CallSpec{"DeleteWebhook", "", true}, stub_.get(), &Stub::DeleteWebhook, r)
        .status();
  }
  absl::StatusOr<v1::ListDeadLettersResponse> ListDeadLetters(
      const v1::ListDeadLettersRequest& r) override {
    return runner_.Unary(CallSpec{"ListDeadLetters", "", true}, stub_.get(),
                         &Stub::ListDeadLetters, r);
  }
  absl::StatusOr<v1::ReplayDeadLettersResponse> ReplayDeadLetters(
      const v1::ReplayDeadLettersRequest& r) override {
    return runner_.Unary(CallSpec{"ReplayDeadLetters", "", true}, stub_.get(),
                         &Stub::ReplayDeadLetters, r);
  }

 private:
  using Stub = v1::EventService::Stub;
  const CallRunner runner_;
  const std::unique_ptr<Stub> stub_;
  std::atomic<int64_t> cursor_{0};
  absl::Mutex mu_;
  grpc::ClientContext* ctx_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace
}  // namespace loyalty::sdk::internal

namespace loyalty::sdk {

absl::StatusOr<std::shared_ptr<EventsClient>> MakeEventsClient(Options options) {
  RETURN_IF_ERROR(internal::ValidateOptions(options));
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel, internal::MakeChannel(options));
  return std::shared_ptr<EventsClient>(
      new internal::EventsClientImpl(std::move(options), channel));
}

}  // namespace loyalty::sdk
