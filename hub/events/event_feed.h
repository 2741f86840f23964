// The hub's side of the events stream: the sequencer that numbers committed events
// (EventRows::SequenceEvents) and the waiting readers it wakes.
//
// One thread polls the database every `poll`: it numbers what has committed since, reads
// the highest cursor handed out (another hub may have numbered some) and wakes the
// readers waiting for a cursor below it. Every `tick` it wakes all waiters anyway, so a
// reader whose client went away notices within a tick. Stop wakes everyone.
#ifndef LOYALTY_HUB_EVENTS_EVENT_FEED_H_
#define LOYALTY_HUB_EVENTS_EVENT_FEED_H_

#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "hub/store/store.h"

namespace loyalty {

struct EventFeedOptions {
  // How often the sequencer looks for committed, unnumbered events. Default: 25 ms.
  absl::Duration poll = absl::Milliseconds(25);
  // How often every waiter is woken whatever happened. Default: 1 s.
  absl::Duration tick = absl::Seconds(1);
  // Events numbered per statement. Default: 5000.
  int batch = 5000;
};

// Thread-safe. REQUIRES: `store` outlives the feed.
class EventFeed {
 public:
  EventFeed(Store* store, EventFeedOptions options);
  // Stop().
  ~EventFeed();
  EventFeed(const EventFeed&) = delete;
  EventFeed& operator=(const EventFeed&) = delete;

  // Starts the sequencer thread.
  void Start();
  // Wakes every waiter and joins the thread; later waiters are woken at once.
  void Stop();

  // The highest cursor handed out, as of the last poll.
  int64_t last_seq() const;
  // Calls `wake` once, on the feed's thread or this one: when a cursor above `cursor`
  // exists and `not_before` has passed, at the next tick, or at Stop (at once if one of
  // those already holds).
  void WaitAfter(int64_t cursor, absl::Time not_before, std::function<void()> wake);

 private:
  struct Waiter {
    int64_t cursor;
    absl::Time not_before;
    std::function<void()> wake;
  };
  void Loop();
  // Numbers what is committed and refreshes last_seq_; false on a database error.
  bool PollOnce();

  Store* const store_;
  const EventFeedOptions options_;
  mutable absl::Mutex mu_;
  int64_t last_seq_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<Waiter> waiters_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace loyalty

#endif  // LOYALTY_HUB_EVENTS_EVENT_FEED_H_
