// How long and with which seed a reliability run goes: the short form by default (CI),
// the long form with LOYALTY_CRASH_LONG=1; LOYALTY_CRASH_SEED=N repeats a run's choices.
#ifndef LOYALTY_TESTS_RELIABILITY_RUN_MODE_H_
#define LOYALTY_TESTS_RELIABILITY_RUN_MODE_H_

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

namespace loyalty::testing {

struct RunMode {
  bool long_form = false;
  uint64_t seed = 0;
};

// Reads the environment once per call and prints the seed, so a failure can be repeated.
inline RunMode CurrentRunMode() {
  RunMode mode;
  const char* long_form = std::getenv("LOYALTY_CRASH_LONG");
  mode.long_form = long_form != nullptr && std::string(long_form) == "1";
  const char* seed = std::getenv("LOYALTY_CRASH_SEED");
  mode.seed = seed != nullptr ? std::strtoull(seed, nullptr, 10) : std::random_device()();
  std::printf("LOYALTY_CRASH_SEED=%llu LOYALTY_CRASH_LONG=%d\n",
              static_cast<unsigned long long>(mode.seed), mode.long_form ? 1 : 0);
  return mode;
}

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTS_RELIABILITY_RUN_MODE_H_
