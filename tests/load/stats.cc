#include "tests/load/stats.h"

#include <algorithm>
#include <chrono>

namespace loyalty::load {

const char* OpKindName(OpKind kind) {
  switch (kind) {
    case OpKind::kEarn: return "earn";
    case OpKind::kRedeem: return "redeem";
    case OpKind::kBalance: return "balance";
    case OpKind::kReverse: return "reverse";
    case OpKind::kPing: return "ping";
  }
  return "?";
}

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

LatencySummary Summarize(std::vector<int64_t>* samples) {
  LatencySummary s;
  s.count = static_cast<int64_t>(samples->size());
  if (samples->empty()) return s;
  std::sort(samples->begin(), samples->end());
  // Nearest rank: the smallest sample with at least q of all samples at or below it.
  auto rank = [&](double q) {
    auto r = static_cast<int64_t>(q * static_cast<double>(s.count) + 0.999999);
    return (*samples)[static_cast<size_t>(std::clamp<int64_t>(r, 1, s.count) - 1)];
  };
  s.p50 = rank(0.50);
  s.p90 = rank(0.90);
  s.p99 = rank(0.99);
  s.p999 = rank(0.999);
  s.max = samples->back();
  return s;
}

const char* StatusCodeName(grpc::StatusCode code) {
  static const char* const kNames[] = {
      "OK",        "CANCELLED",           "UNKNOWN",           "INVALID_ARGUMENT",
      "DEADLINE_EXCEEDED", "NOT_FOUND",   "ALREADY_EXISTS",    "PERMISSION_DENIED",
      "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",  "OUT_OF_RANGE",
      "UNIMPLEMENTED", "INTERNAL",        "UNAVAILABLE",       "DATA_LOSS",
      "UNAUTHENTICATED"};
  const int i = static_cast<int>(code);
  return i >= 0 && i < 17 ? kNames[i] : "UNKNOWN_CODE";
}

void Stats::SetWindow(int64_t begin_us, int64_t end_us) {
  window_end_us_.store(end_us);
  window_begin_us_.store(begin_us);
}

bool Stats::InWindow(int64_t now_us) const {
  return now_us >= window_begin_us_.load(std::memory_order_relaxed) &&
         now_us < window_end_us_.load(std::memory_order_relaxed);
}

void Stats::RecordRpc() {
  if (InWindow(NowMicros())) window_rpcs_.fetch_add(1, std::memory_order_relaxed);
}

void Stats::RecordOp(OpKind kind, int64_t latency_us, const grpc::Status& status) {
  total_ops_.fetch_add(1, std::memory_order_relaxed);
  if (!status.ok()) total_errors_.fetch_add(1, std::memory_order_relaxed);
  if (!InWindow(NowMicros())) return;
  const auto k = static_cast<size_t>(kind);
  absl::MutexLock lock(&mu_);
  if (status.ok()) {
    latencies_[k].push_back(latency_us);
  } else {
    ++errors_[k];
    ++errors_by_code_[StatusCodeName(status.error_code())];
  }
}

Report Stats::Finish() {
  Report r;
  r.window_s = static_cast<double>(window_end_us_.load() - window_begin_us_.load()) / 1e6;
  r.rpcs = window_rpcs_.load();
  std::vector<int64_t> all;
  absl::MutexLock lock(&mu_);
  for (int k = 0; k < kOpKinds; ++k) {
    all.insert(all.end(), latencies_[k].begin(), latencies_[k].end());
    r.kinds[k].ok = static_cast<int64_t>(latencies_[k].size());
    r.kinds[k].errors = errors_[k];
    r.kinds[k].latency = Summarize(&latencies_[k]);
    r.ok += r.kinds[k].ok;
    r.errors += r.kinds[k].errors;
  }
  r.latency = Summarize(&all);
  r.errors_by_code = errors_by_code_;
  return r;
}

}  // namespace loyalty::load
