#include "tests/load/driver.h"

#include <cassert>
#include <cmath>
#include <optional>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/load/rpc.h"

namespace loyalty::load {
namespace {

// Earns kept for later reversal; the oldest are dropped beyond this.
constexpr size_t kMaxReversible = 1'000'000;
constexpr int kMaxWeight = 1'000'000;

}  // namespace

absl::StatusOr<Mix> ParseMix(absl::string_view text) {
  Mix mix;
  int total = 0;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(part, ':');
    int kind = -1;
    for (int k = 0; k < kOpKinds; ++k) {
      if (kv.first == OpKindName(static_cast<OpKind>(k))) kind = k;
    }
    int weight = 0;
    if (kind < 0 || !absl::SimpleAtoi(kv.second, &weight) || weight < 0 || weight > kMaxWeight) {
      std::string kinds;
      for (int k = 0; k < kOpKinds; ++k) {
        absl::StrAppend(&kinds, k > 0 ? " " : "", OpKindName(static_cast<OpKind>(k)));
      }
      return absl::InvalidArgumentError(
          absl::StrCat("mix: bad part '", part, "' (want kind:weight, kinds ", kinds, ")"));
    }
    mix.weight[kind] = weight;
  }
  for (int w : mix.weight) total += w;
  if (total == 0) return absl::InvalidArgumentError("mix: no positive weight");
  return mix;
}

bool PingOnly(const Mix& mix) {
  for (int k = 0; k < kOpKinds; ++k) {
    if (static_cast<OpKind>(k) != OpKind::kPing && mix.weight[k] > 0) return false;
  }
  return mix.weight[static_cast<int>(OpKind::kPing)] > 0;
}

Driver::Driver(std::vector<std::shared_ptr<grpc::Channel>> channels, const Coalition& coalition,
               DriverOptions options, Stats* stats)
    : coalition_(coalition), options_(std::move(options)), stats_(stats) {
  for (const auto& ch : channels) {
    stubs_.push_back(v1::PartnerService::NewStub(ch));
    health_stubs_.push_back(grpc::health::v1::Health::NewStub(ch));
  }
  // Every other kind picks partners and cards.
  assert(PingOnly(options_.mix) ||
         (!coalition_.partners.empty() &&
          coalition_.cards.size() >= static_cast<size_t>(options_.members)));
  for (int w : options_.mix.weight) total_weight_ += w;
  if (options_.hot_fraction > 0 && options_.hot_share > 0) {
    hot_members_ = std::max(1, static_cast<int>(std::lround(options_.members * options_.hot_fraction)));
    hot_members_ = std::min(hot_members_, options_.members);
  }
}

Driver::~Driver() {
  stopping_ = true;
  if (scheduler_.joinable()) scheduler_.join();
}

void Driver::StartClosedLoop(int inflight) {
  for (int i = 0; i < inflight; ++i) Chain();
}

void Driver::Chain() {
  outstanding_.fetch_add(1);
  StartOp(NowMicros(), [this] {
    if (!stopping_.load()) {
      outstanding_.fetch_sub(1);
      return Chain();
    }
    outstanding_.fetch_sub(1);  // the last touch: StopAndDrain may return now
  });
}

void Driver::StartOpenLoop(double rate_per_s, int max_outstanding) {
  scheduler_ = std::thread([this, rate_per_s, max_outstanding] {
    Schedule(rate_per_s, max_outstanding);
  });
}

// Arrival i is due at start + i / rate. A late scheduler (or a full window) sends it
// late, but its latency still counts from when it was due (no coordinated omission).
void Driver::Schedule(double rate_per_s, int max_outstanding) {
  const int64_t start_us = NowMicros();
  const double interval_us = 1e6 / rate_per_s;
  for (int64_t i = 0; !stopping_.load();) {
    const int64_t due_us = start_us + static_cast<int64_t>(static_cast<double>(i) * interval_us);
    const int64_t now_us = NowMicros();
    if (due_us > now_us) {
      std::this_thread::sleep_for(std::chrono::microseconds(std::min<int64_t>(due_us - now_us, 1000)));
      continue;
    }
    if (outstanding_.load() >= max_outstanding) {
      std::this_thread::sleep_for(std::chrono::microseconds(100));
      continue;
    }
    outstanding_.fetch_add(1);
    StartOp(due_us, [this] { outstanding_.fetch_sub(1); });
    ++i;
  }
}

bool Driver::StopAndDrain(std::chrono::milliseconds timeout) {
  stopping_ = true;
  if (scheduler_.joinable()) scheduler_.join();
  const int64_t deadline_us = NowMicros() + timeout.count() * 1000;
  while (outstanding_.load() > 0 && NowMicros() < deadline_us) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return outstanding_.load() == 0;
}

std::mt19937_64& Driver::Rng() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng;
}

size_t Driver::PickPartner() {
  return std::uniform_int_distribution<size_t>(0, coalition_.partners.size() - 1)(Rng());
}

// With a hot set, `hot_share` of the picks fall on the first `hot_members_` members and
// the rest on the others; otherwise every member is equally likely.
const std::string& Driver::PickCard() {
  const int n = options_.members;
  int lo = 0, hi = n - 1;
  if (hot_members_ > 0) {
    if (std::uniform_real_distribution<double>(0, 1)(Rng()) < options_.hot_share) {
      hi = hot_members_ - 1;
    } else if (hot_members_ < n) {
      lo = hot_members_;
    }
  }
  return coalition_.cards[static_cast<size_t>(std::uniform_int_distribution<int>(lo, hi)(Rng()))];
}

v1::PartnerService::Stub* Driver::NextStub() {
  return stubs_[next_stub_.fetch_add(1, std::memory_order_relaxed) % stubs_.size()].get();
}

grpc::health::v1::Health::Stub* Driver::NextHealthStub() {
  return health_stubs_[next_stub_.fetch_add(1, std::memory_order_relaxed) % health_stubs_.size()]
      .get();
}

std::string Driver::NextTxnId() {
  return absl::StrCat("ld-", options_.id_prefix, "-", next_txn_.fetch_add(1));
}

void Driver::StartOp(int64_t intended_us, Done done) {
  int pick = std::uniform_int_distribution<int>(0, total_weight_ - 1)(Rng());
  int kind = 0;
  while (pick >= options_.mix.weight[kind]) pick -= options_.mix.weight[kind++];
  switch (static_cast<OpKind>(kind)) {
    case OpKind::kEarn: return Earn(intended_us, std::move(done));
    case OpKind::kRedeem: return Redeem(intended_us, std::move(done));
    case OpKind::kBalance: return Balance(intended_us, std::move(done));
    case OpKind::kReverse: return Reverse(intended_us, std::move(done));
    case OpKind::kPing: return Ping(intended_us, std::move(done));
  }
}

void Driver::Finish(OpKind kind, int64_t intended_us, const grpc::Status& status,
                    const Done& done) {
  stats_->RecordOp(kind, NowMicros() - intended_us, status);
  done();
}

void Driver::Earn(int64_t intended_us, Done done) {
  const size_t partner = PickPartner();
  v1::EarnRequest req;
  req.set_partner_txn_id(NextTxnId());
  req.set_card_number(PickCard());
  req.mutable_amount()->set_amount_minor(
      std::uniform_int_distribution<int64_t>(100, std::max<int64_t>(100, options_.max_earn_amount_minor))(Rng()));
  req.mutable_amount()->set_currency(coalition_.currency);
  const std::string id = req.partner_txn_id();
  CallAsync(NextStub(), &PartnerAsync::Earn, coalition_.partners[partner].api_key,
            options_.deadline, std::move(req),
            [this, intended_us, done, partner, id](const grpc::Status& s, const v1::EarnResponse&) {
              stats_->RecordRpc();
              if (s.ok()) {
                absl::MutexLock lock(&pool_mu_);
                reversible_.push_back({partner, id});
                if (reversible_.size() > kMaxReversible) reversible_.pop_front();
              }
              Finish(OpKind::kEarn, intended_us, s, done);
            });
}

// AuthorizeRedemption, then CaptureRedemption of all of it at the same partner.
void Driver::Redeem(int64_t intended_us, Done done) {
  const size_t partner = PickPartner();
  const std::string& key = coalition_.partners[partner].api_key;
  v1::AuthorizeRedemptionRequest auth;
  auth.set_partner_txn_id(NextTxnId());
  auth.set_card_number(PickCard());
  auth.set_points(options_.redeem_points);
  const std::string auth_id = auth.partner_txn_id();
  v1::PartnerService::Stub* stub = NextStub();
  CallAsync(stub, &PartnerAsync::AuthorizeRedemption, key, options_.deadline, std::move(auth),
            [this, intended_us, done, stub, &key, auth_id](
                const grpc::Status& s, const v1::AuthorizeRedemptionResponse&) {
              stats_->RecordRpc();
              if (!s.ok()) return Finish(OpKind::kRedeem, intended_us, s, done);
              v1::CaptureRedemptionRequest cap;
              cap.set_partner_txn_id(auth_id + "-c");
              cap.set_authorization_partner_txn_id(auth_id);
              CallAsync(stub, &PartnerAsync::CaptureRedemption, key, options_.deadline,
                        std::move(cap),
                        [this, intended_us, done](const grpc::Status& s2,
                                                  const v1::CaptureRedemptionResponse&) {
                          stats_->RecordRpc();
                          Finish(OpKind::kRedeem, intended_us, s2, done);
                        });
            });
}

void Driver::Balance(int64_t intended_us, Done done) {
  v1::GetBalanceRequest req;
  req.set_card_number(PickCard());
  CallAsync(NextStub(), &PartnerAsync::GetBalance, coalition_.partners[PickPartner()].api_key,
            options_.deadline, std::move(req),
            [this, intended_us, done](const grpc::Status& s, const v1::Balance&) {
              stats_->RecordRpc();
              Finish(OpKind::kBalance, intended_us, s, done);
            });
}

std::optional<Driver::EarnRef> Driver::TakeReversible() {
  absl::MutexLock lock(&pool_mu_);
  if (reversible_.empty()) return std::nullopt;
  EarnRef earn = std::move(reversible_.front());
  reversible_.pop_front();
  return earn;
}

// Reverses (in full) the oldest earn of this run not reversed yet, at the partner that
// made it. Before any earn has finished there is nothing to reverse: it earns instead.
void Driver::Reverse(int64_t intended_us, Done done) {
  std::optional<EarnRef> earn = TakeReversible();
  if (!earn) return Earn(intended_us, std::move(done));
  v1::ReverseRequest req;
  req.set_partner_txn_id(NextTxnId());
  req.set_original_partner_txn_id(earn->partner_txn_id);
  CallAsync(NextStub(), &PartnerAsync::Reverse, coalition_.partners[earn->partner].api_key,
            options_.deadline, std::move(req),
            [this, intended_us, done](const grpc::Status& s, const v1::ReverseResponse&) {
              stats_->RecordRpc();
              Finish(OpKind::kReverse, intended_us, s, done);
            });
}

// The gRPC ceiling: a health check costs the hub a round trip and nothing else.
void Driver::Ping(int64_t intended_us, Done done) {
  PingAsync(NextHealthStub(), options_.deadline, [this, intended_us, done](const grpc::Status& s) {
    stats_->RecordRpc();
    Finish(OpKind::kPing, intended_us, s, done);
  });
}

}  // namespace loyalty::load
