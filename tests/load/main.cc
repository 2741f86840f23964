// loyalty-load: a load generator for the loyalty hub. Sets up (or reuses) a coalition,
// runs a mix of earn / redeem pairs / balance / reverse / ping over the gRPC callback
// API, prints progress every second and a summary to stderr, and one JSON line to stdout.
//
//   loyalty-load --target=127.0.0.1:50051 --admin_key_file=KEY --setup_file=SETUP
//       --scenario=earn --mix=earn:100 --inflight=256 --warmup_s=5 --duration_s=20
//
// `--mix=ping:100` (health checks only) needs no coalition and sets none up: it
// measures the gRPC ceiling of the hub and machine, the other scenarios' yardstick.
#include <sys/resource.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "tests/load/coalition.h"
#include "tests/load/driver.h"
#include "tests/load/stats.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051", "hub address host:port");
ABSL_FLAG(std::string, admin_key_file, "", "file holding an admin key (needed for setup)");
ABSL_FLAG(std::string, setup_file, "",
          "cache of the coalition (partner keys, cards); reused when it exists, created "
          "otherwise. Empty = a new coalition every run");
ABSL_FLAG(bool, setup_only, false, "set up the coalition and exit");
ABSL_FLAG(std::string, scenario, "custom", "scenario name for the report");
ABSL_FLAG(std::string, mix, "earn:70,redeem:10,balance:15,reverse:5",
          "operation weights; redeem = AuthorizeRedemption + CaptureRedemption, reverse = "
          "reverse an earlier earn of this run, ping = grpc.health.v1.Health/Check (no "
          "API key, no database; a mix of pings only skips the coalition setup)");
ABSL_FLAG(int, members, 1000, "members the load spreads over (enrolled if missing)");
ABSL_FLAG(int, partners, 2, "partners in the coalition (each its own category)");
ABSL_FLAG(int64_t, start_points, 100'000, "points each new member gets at setup");
ABSL_FLAG(double, hot_fraction, 0, "fraction of members that are hot (e.g. 0.01)");
ABSL_FLAG(double, hot_share, 0, "share of requests that go to the hot members (e.g. 0.5)");
ABSL_FLAG(int, inflight, 0, "closed loop: operations kept in flight");
ABSL_FLAG(double, rate, 0, "open loop: operations started per second");
ABSL_FLAG(int, max_outstanding, 20'000, "open loop: cap on operations in flight");
ABSL_FLAG(double, duration_s, 20, "measured seconds (after the warm-up)");
ABSL_FLAG(double, warmup_s, 5, "seconds of load before measuring");
ABSL_FLAG(int, channels, 4, "gRPC channels (connections) used round-robin");
ABSL_FLAG(int, deadline_ms, 5'000, "deadline of every call");
ABSL_FLAG(int64_t, redeem_points, 10, "points per redemption");
ABSL_FLAG(int, setup_inflight, 64, "setup calls in flight");

namespace loyalty::load {
namespace {

int Fail(const std::string& msg) {
  std::fprintf(stderr, "loyalty-load: %s\n", msg.c_str());
  return 2;
}

std::string ReadKey(const std::string& path) {
  if (path.empty()) return "";
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return std::string(absl::StripAsciiWhitespace(ss.str()));
}

// Short and random, so ids and categories of different runs never meet.
std::string RunNonce() {
  static const char kAlphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::random_device rd;
  std::string s;
  for (int i = 0; i < 8; ++i) s += kAlphabet[rd() % 36];
  return s;
}

double CpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

std::vector<std::shared_ptr<grpc::Channel>> MakeChannels(const std::string& target, int n) {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < n; ++i) {
    grpc::ChannelArguments args;
    args.SetInt("loyalty_load.channel", i);  // distinct args: a connection of its own
    channels.push_back(
        grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args));
  }
  return channels;
}

nlohmann::json LatencyJson(const LatencySummary& l) {
  return {{"p50", l.p50}, {"p90", l.p90}, {"p99", l.p99}, {"p999", l.p999}, {"max", l.max}};
}

std::string LatencyText(const LatencySummary& l) {
  return absl::StrFormat("p50 %d  p90 %d  p99 %d  p999 %d  max %d", l.p50, l.p90, l.p99,
                         l.p999, l.max);
}

// Prints the human summary to stderr and returns the JSON line.
nlohmann::json Summarize(const Report& r, const Mix& mix, double cpu_s) {
  const double w = r.window_s > 0 ? r.window_s : 1;
  nlohmann::json j;
  j["scenario"] = absl::GetFlag(FLAGS_scenario);
  j["loop"] = absl::GetFlag(FLAGS_rate) > 0 ? "open" : "closed";
  j["inflight"] = absl::GetFlag(FLAGS_inflight);
  j["rate_per_s"] = absl::GetFlag(FLAGS_rate);
  j["mix"] = absl::GetFlag(FLAGS_mix);
  j["members"] = absl::GetFlag(FLAGS_members);
  j["hot_fraction"] = absl::GetFlag(FLAGS_hot_fraction);
  j["hot_share"] = absl::GetFlag(FLAGS_hot_share);
  j["warmup_s"] = absl::GetFlag(FLAGS_warmup_s);
  j["duration_s"] = r.window_s;
  j["ops"] = r.ok;
  j["ops_per_s"] = r.ok / w;
  j["rpcs_per_s"] = r.rpcs / w;
  j["errors"] = r.errors;
  j["errors_by_code"] = r.errors_by_code;
  j["latency_us"] = LatencyJson(r.latency);
  j["client_cpu_s"] = cpu_s;
  std::fprintf(stderr, "\nscenario %s: %s, %.1f s measured after %.1f s warm-up\n",
               absl::GetFlag(FLAGS_scenario).c_str(),
               absl::GetFlag(FLAGS_rate) > 0
                   ? absl::StrFormat("open loop, %.0f/s", absl::GetFlag(FLAGS_rate)).c_str()
                   : absl::StrFormat("closed loop, %d in flight", absl::GetFlag(FLAGS_inflight)).c_str(),
               r.window_s, absl::GetFlag(FLAGS_warmup_s));
  std::fprintf(stderr, "  throughput   %.1f ops/s (%.1f RPCs/s), load generator CPU %.1f s\n",
               r.ok / w, r.rpcs / w, cpu_s);
  std::fprintf(stderr, "  latency us   %s\n", LatencyText(r.latency).c_str());
  for (int k = 0; k < kOpKinds; ++k) {
    const KindReport& kr = r.kinds[k];
    // A reverse with nothing to reverse yet earns instead: earns show up even at weight 0.
    if (mix.weight[k] == 0 && kr.ok == 0 && kr.errors == 0) continue;
    const char* name = OpKindName(static_cast<OpKind>(k));
    j["kinds"][name] = {{"ops", kr.ok},
                        {"ops_per_s", kr.ok / w},
                        {"errors", kr.errors},
                        {"latency_us", LatencyJson(kr.latency)}};
    std::fprintf(stderr, "  %-8s     %.1f %s/s, %lld errors; %s\n", name, kr.ok / w,
                 static_cast<OpKind>(k) == OpKind::kRedeem ? "pairs" : "ops",
                 static_cast<long long>(kr.errors), LatencyText(kr.latency).c_str());
  }
  j["redeem_pairs_per_s"] = r.kinds[static_cast<int>(OpKind::kRedeem)].ok / w;
  for (const auto& [code, n] : r.errors_by_code) {
    std::fprintf(stderr, "  error        %s x %lld\n", code.c_str(), static_cast<long long>(n));
  }
  return j;
}

// Runs the load, printing a progress line every second; returns the CPU seconds this
// process used inside the measurement window.
double RunWithProgress(Driver* driver, Stats* stats, int64_t start_us, int64_t begin_us,
                       int64_t end_us) {
  double cpu_begin = 0, cpu_end = 0;
  bool in_window = false;
  int64_t last_ops = 0, window_ops = 0;
  for (int64_t tick_us = start_us + 1'000'000;; tick_us += 1'000'000) {
    const int64_t wake_us = std::min(tick_us, in_window ? end_us : begin_us);
    std::this_thread::sleep_for(std::chrono::microseconds(std::max<int64_t>(0, wake_us - NowMicros())));
    if (!in_window && NowMicros() >= begin_us) {
      in_window = true;
      cpu_begin = CpuSeconds();
      window_ops = stats->TotalOps();
    }
    if (NowMicros() >= end_us) {
      cpu_end = CpuSeconds();
      break;
    }
    if (NowMicros() < tick_us) continue;  // woke for the window's start, not a tick
    const int64_t ops = stats->TotalOps();
    const double since_s = static_cast<double>(NowMicros() - begin_us) / 1e6;
    std::fprintf(stderr, "[%3.0fs] %-7s %8lld ops/s last second, %8.0f ops/s measured, %lld errors, %lld in flight\n",
                 static_cast<double>(NowMicros() - start_us) / 1e6,
                 in_window ? "measure" : "warm-up", static_cast<long long>(ops - last_ops),
                 in_window && since_s > 0 ? (ops - window_ops) / since_s : 0.0,
                 static_cast<long long>(stats->TotalErrors()),
                 static_cast<long long>(driver->Outstanding()));
    last_ops = ops;
  }
  return cpu_end - cpu_begin;
}

int Main() {
  const int inflight = absl::GetFlag(FLAGS_inflight);
  const double rate = absl::GetFlag(FLAGS_rate);
  const int members = absl::GetFlag(FLAGS_members);
  if (members < 1) return Fail("--members: must be at least 1");
  if (absl::GetFlag(FLAGS_partners) < 1) return Fail("--partners: must be at least 1");
  if (absl::GetFlag(FLAGS_channels) < 1) return Fail("--channels: must be at least 1");
  if (absl::GetFlag(FLAGS_hot_fraction) < 0 || absl::GetFlag(FLAGS_hot_fraction) > 1 ||
      absl::GetFlag(FLAGS_hot_share) < 0 || absl::GetFlag(FLAGS_hot_share) > 1) {
    return Fail("--hot_fraction, --hot_share: must be within 0..1");
  }
  if (!absl::GetFlag(FLAGS_setup_only) && (inflight > 0) == (rate > 0)) {
    return Fail("give exactly one of --inflight (closed loop) and --rate (open loop)");
  }
  if (inflight < 0 || rate < 0 || absl::GetFlag(FLAGS_duration_s) <= 0 ||
      absl::GetFlag(FLAGS_warmup_s) < 0) {
    return Fail("--inflight, --rate, --warmup_s: must not be negative; --duration_s: positive");
  }
  absl::StatusOr<Mix> mix = ParseMix(absl::GetFlag(FLAGS_mix));
  if (!mix.ok()) return Fail(std::string(mix.status().message()));

  const std::string nonce = RunNonce();
  const auto deadline = std::chrono::milliseconds(absl::GetFlag(FLAGS_deadline_ms));
  auto channels = MakeChannels(absl::GetFlag(FLAGS_target), absl::GetFlag(FLAGS_channels));
  SetupOptions setup;
  setup.admin_key = ReadKey(absl::GetFlag(FLAGS_admin_key_file));
  setup.setup_file = absl::GetFlag(FLAGS_setup_file);
  setup.partners = absl::GetFlag(FLAGS_partners);
  setup.members = members;
  setup.start_points = absl::GetFlag(FLAGS_start_points);
  setup.inflight = std::max(1, absl::GetFlag(FLAGS_setup_inflight));
  setup.id_prefix = nonce;
  const int64_t setup_start_us = NowMicros();
  // Pings touch no partner or member: a ping-only run needs no coalition (nor admin key).
  absl::StatusOr<Coalition> coalition = Coalition{};
  if (absl::GetFlag(FLAGS_setup_only) || !PingOnly(*mix)) {
    coalition = PrepareCoalition(channels[0], setup);
    if (!coalition.ok()) return Fail(absl::StrCat("setup: ", coalition.status().ToString()));
    std::fprintf(stderr, "loyalty-load: coalition ready (%zu partners, %zu members) in %.1f s\n",
                 coalition->partners.size(), coalition->cards.size(),
                 static_cast<double>(NowMicros() - setup_start_us) / 1e6);
  }
  if (absl::GetFlag(FLAGS_setup_only)) return 0;

  DriverOptions options;
  options.mix = *mix;
  options.members = members;
  options.hot_fraction = absl::GetFlag(FLAGS_hot_fraction);
  options.hot_share = absl::GetFlag(FLAGS_hot_share);
  options.redeem_points = absl::GetFlag(FLAGS_redeem_points);
  options.deadline = deadline;
  options.id_prefix = nonce;
  Stats stats;
  Driver driver(channels, *coalition, options, &stats);
  const int64_t start_us = NowMicros();
  const int64_t begin_us = start_us + static_cast<int64_t>(absl::GetFlag(FLAGS_warmup_s) * 1e6);
  const int64_t end_us = begin_us + static_cast<int64_t>(absl::GetFlag(FLAGS_duration_s) * 1e6);
  stats.SetWindow(begin_us, end_us);
  if (rate > 0) {
    driver.StartOpenLoop(rate, std::max(1, absl::GetFlag(FLAGS_max_outstanding)));
  } else {
    driver.StartClosedLoop(inflight);
  }
  const double cpu_s = RunWithProgress(&driver, &stats, start_us, begin_us, end_us);
  const bool drained = driver.StopAndDrain(deadline + std::chrono::seconds(2));
  nlohmann::json j = Summarize(stats.Finish(), *mix, cpu_s);
  j["drained"] = drained;
  std::printf("%s\n", j.dump().c_str());
  std::fflush(stdout);
  if (!drained) {
    // Calls still in flight would call back into a destroyed driver.
    std::fprintf(stderr, "loyalty-load: calls still in flight after their deadline\n");
    std::_Exit(1);
  }
  return j["ops"].get<int64_t>() > 0 ? 0 : 1;
}

}  // namespace
}  // namespace loyalty::load

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Load generator for the loyalty hub: sets up a coalition, runs an operation mix "
      "closed loop (--inflight) or open loop (--rate), prints a summary and a JSON line.");
  absl::ParseCommandLine(argc, argv);
  return loyalty::load::Main();
}
