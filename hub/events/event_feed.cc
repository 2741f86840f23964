#include "hub/events/event_feed.h"

#include <utility>

#include "absl/time/clock.h"
#include "hub/common/status_macros.h"
#include "hub/store/member_rows.h"

namespace loyalty {

EventFeed::EventFeed(Store* store, EventFeedOptions options)
    : store_(store), options_(options) {}

EventFeed::~EventFeed() { Stop(); }

void EventFeed::Start() {
  PollOnce();  // readers that start at once know where the stream ends
  thread_ = std::thread([this] { Loop(); });
}

void EventFeed::Stop() {
  std::vector<Waiter> woken;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    woken.swap(waiters_);
  }
  for (Waiter& w : woken) w.wake();
  if (thread_.joinable()) thread_.join();
}

int64_t EventFeed::last_seq() const {
  absl::MutexLock lock(&mu_);
  return last_seq_;
}

void EventFeed::WaitAfter(int64_t cursor, absl::Time not_before, std::function<void()> wake) {
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_ && (cursor >= last_seq_ || absl::Now() < not_before)) {
      waiters_.push_back({cursor, not_before, std::move(wake)});
      return;
    }
  }
  wake();
}

bool EventFeed::PollOnce() {
  int64_t last = 0;
  absl::Status s = store_->RunEventTransaction([&](EventRows& rows) -> absl::Status {
    for (;;) {
      ASSIGN_OR_RETURN(int64_t n, rows.SequenceEvents(options_.batch));
      if (n < options_.batch) break;
    }
    ASSIGN_OR_RETURN(last, rows.LastSeq());
    return absl::OkStatus();
  });
  if (!s.ok()) return false;
  std::vector<Waiter> woken;
  {
    absl::MutexLock lock(&mu_);
    if (last > last_seq_) last_seq_ = last;
    std::vector<Waiter> still;
    const absl::Time now = absl::Now();
    for (Waiter& w : waiters_) {
      (w.cursor < last_seq_ && now >= w.not_before ? woken : still).push_back(std::move(w));
    }
    waiters_.swap(still);
  }
  for (Waiter& w : woken) w.wake();
  return true;
}

void EventFeed::Loop() {
  absl::Time next_tick = absl::Now() + options_.tick;
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      auto stopping = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_; };
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping), options_.poll)) return;
    }
    PollOnce();
    if (absl::Now() >= next_tick) {
      next_tick = absl::Now() + options_.tick;
      std::vector<Waiter> woken;
      {
        absl::MutexLock lock(&mu_);
        woken.swap(waiters_);
      }
      for (Waiter& w : woken) w.wake();
    }
  }
}

}  // namespace loyalty
