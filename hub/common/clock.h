// Time as the hub sees it. Everything that depends on "now" (posted_at, expiry, hold
// timeouts) reads an injected Clock so tests move time instead of sleeping.
#ifndef LOYALTY_HUB_COMMON_CLOCK_H_
#define LOYALTY_HUB_COMMON_CLOCK_H_

#include <atomic>
#include <cstdint>

namespace loyalty {

// Microseconds since the Unix epoch, UTC.
using Micros = int64_t;

// Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual Micros NowMicros() const = 0;
};

// The real UTC clock.
class SystemClock final : public Clock {
 public:
  Micros NowMicros() const override;
  // A process-wide instance.
  static SystemClock* Get();
};

// A clock that only moves when told to. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(Micros start) : now_(start) {}
  Micros NowMicros() const override { return now_.load(); }
  void Set(Micros t) { now_.store(t); }
  void Advance(Micros d) { now_.fetch_add(d); }

 private:
  std::atomic<Micros> now_;
};

}  // namespace loyalty

#endif  // LOYALTY_HUB_COMMON_CLOCK_H_
