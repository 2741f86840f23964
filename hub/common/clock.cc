#include "hub/common/clock.h"

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace loyalty {

Micros SystemClock::NowMicros() const { return absl::ToUnixMicros(absl::Now()); }

SystemClock* SystemClock::Get() {
  static SystemClock* clock = new SystemClock();
  return clock;
}

}  // namespace loyalty
