// loyalty_hub: the coalition hub's gRPC server.
//
// Starts: opens MySQL, applies migrations, creates the first admin key (from a file or
// LOYALTY_ADMIN_KEY) if none exists, serves AdminService, PartnerService, health and
// reflection, flips health with the database, and runs expiry on a timer. SIGINT or
// SIGTERM shut it down gracefully.
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "hub/api/admin_service.h"
#include "hub/api/analytics_service.h"
#include "hub/api/bank_service.h"
#include "hub/api/call_tracker.h"
#include "hub/api/event_service.h"
#include "hub/api/member_service.h"
#include "hub/api/partner_service.h"
#include "hub/api/rate_limiter.h"
#include "hub/api/worker_pool.h"
#include "hub/server/db_flags.h"
#include "hub/auth/authenticator.h"
#include "hub/common/clock.h"
#include "hub/common/secure_random.h"
#include "hub/ledger/ledger.h"
#include "hub/server/reflection_v1.h"
#include "hub/store/member_rows.h"
#include "hub/store/group_commit.h"
#include "hub/store/mysql_store.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051", "host:port to serve on (port 0 = any free)");
ABSL_FLAG(std::string, port_file, "", "if set, the chosen port is written here once serving");
// --mysql_*: hub/server/db_flags.h.
ABSL_FLAG(std::string, admin_key_file, "",
          "file holding the first admin key, used only while no admin key exists "
          "(or set LOYALTY_ADMIN_KEY)");
ABSL_FLAG(int, workers, 128,
          "worker threads for requests that wait for the database on a thread (reads, "
          "administration, bank streams, postings without group commit); with group commit "
          "a posting's committer answers it");
ABSL_FLAG(int, mysql_pool_size, 0,
          "database connections kept open (0 = committers + 8 with group commit, workers + 4 "
          "without)");
ABSL_FLAG(bool, group_commit, true,
          "post concurrent requests in shared transactions (one commit per batch); false = one "
          "transaction per request");
ABSL_FLAG(int, group_commit_max_batch, 128, "most requests in one group-commit transaction");
ABSL_FLAG(int, group_commit_window_us, 500,
          "how long a batch waits to fill once its first request is queued, microseconds");
ABSL_FLAG(int, group_commit_committers, 4, "group-commit batches running at once");
ABSL_FLAG(int, auth_cache_ms, 1000,
          "how long a valid API key is trusted without a database lookup; a revoked key or a "
          "suspended partner is refused at most this much later (0 = look up every request)");
ABSL_FLAG(int, max_queue, 2048, "requests waiting for a worker before RESOURCE_EXHAUSTED");
ABSL_FLAG(int, expiry_interval_seconds, 3600, "how often to expire lots; 0 = never");
ABSL_FLAG(int, tier_review_interval_seconds, 86400,
          "how often to re-evaluate members' tiers (the nightly job); 0 = never");
ABSL_FLAG(std::string, tls_cert_file, "", "PEM server certificate; required off loopback");
ABSL_FLAG(std::string, tls_key_file, "", "PEM private key of --tls_cert_file");
ABSL_FLAG(std::string, tls_client_ca_file, "",
          "PEM CA for mutual TLS: every client must present a certificate it signed, "
          "naming the API key's owner (URI SAN loyalty:partner:<id>, loyalty:admin, "
          "loyalty:finance); default none (API keys only)");
ABSL_FLAG(bool, insecure_plaintext_loopback, false,
          "allow serving without TLS (when no --tls_cert_file is given); only on a loopback "
          "--listen, for development and tests");
ABSL_FLAG(int64_t, rate_limit_per_second, 2000,
          "requests (or clearing records) per second each participant may sustain; 0 = no limit");
ABSL_FLAG(int64_t, rate_limit_burst, 4000,
          "requests a participant may make at once after being idle (>= the per-second rate)");
ABSL_FLAG(std::string, rate_limit_overrides, "",
          "per-participant limits ID:PER_SECOND/BURST,... (ID 0 = operator keys; 0/0 = no "
          "limit), e.g. 3:500/1000,7:0/0");
ABSL_FLAG(std::string, pan_hmac_key_file, "",
          "file holding the key that hashes card PANs (or env LOYALTY_PAN_HMAC_KEY); "
          "without one, BankService takes card tokens only");
ABSL_FLAG(int, shutdown_grace_seconds, 10,
          "on SIGTERM/SIGINT, how long calls in flight may run before they are cancelled");
ABSL_FLAG(int64_t, analytics_min_cell, 10,
          "analytics: the fewest members a coalition-wide figure shown to a partner may "
          "cover (smaller cells are suppressed); 1 = no suppression");
ABSL_FLAG(int, event_jobs_interval_seconds, 60,
          "how often to emit the timed events (hold expiries, points expiring, promotion "
          "starts and ends); 0 = never");
ABSL_FLAG(int, expiring_notice_days, 30,
          "points.expiring events come this many days before the points expire");
ABSL_FLAG(int, event_poll_ms, 25,
          "how often the event sequencer numbers newly committed events");
ABSL_FLAG(int64_t, member_rate_limit_per_second, 5,
          "MemberService requests per second per member (and sign-in calls per card)");
ABSL_FLAG(int64_t, member_rate_limit_burst, 30, "MemberService requests at once per member");
ABSL_FLAG(int, claim_answer_days, 14,
          "days a partner has to answer a member's claim before it goes to the operator");
ABSL_FLAG(int, max_event_streams_per_partner, 16,
          "EventService.Subscribe streams open at once per partner (the operator is one)");
ABSL_FLAG(bool, migrate_only, false, "apply schema migrations and exit");
ABSL_FLAG(bool, check_invariants, false,
          "check the ledger's invariants, print any violation, exit 0 if sound, 3 if not");

namespace loyalty {
namespace {

void Log(const std::string& line) {
  std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(stderr);
}

bool IsLoopback(const std::string& listen) {
  return absl::StartsWith(listen, "127.") || absl::StartsWith(listen, "localhost:") ||
         absl::StartsWith(listen, "[::1]:");
}

// TLS from the flags; plaintext only on loopback and only when asked for by name.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> Credentials(const std::string& listen) {
  const std::string cert = absl::GetFlag(FLAGS_tls_cert_file);
  const std::string key = absl::GetFlag(FLAGS_tls_key_file);
  const std::string client_ca = absl::GetFlag(FLAGS_tls_client_ca_file);
  const bool plaintext = absl::GetFlag(FLAGS_insecure_plaintext_loopback);
  if (cert.empty() != key.empty()) {
    return absl::InvalidArgumentError("--tls_cert_file and --tls_key_file go together");
  }
  if (cert.empty()) {
    if (!IsLoopback(listen)) {
      return absl::FailedPreconditionError(
          "--listen is not loopback: production listeners need --tls_cert_file/--tls_key_file");
    }
    if (!plaintext) {
      return absl::FailedPreconditionError(
          "no TLS: give --tls_cert_file/--tls_key_file, or --insecure_plaintext_loopback "
          "for development on loopback");
    }
    if (!client_ca.empty()) {
      return absl::InvalidArgumentError("--tls_client_ca_file needs --tls_cert_file");
    }
    return grpc::InsecureServerCredentials();
  }
  // --insecure_plaintext_loopback permits plaintext, it does not ask for it: TLS wins.
  grpc::SslServerCredentialsOptions opts;
  if (!client_ca.empty()) {
    auto ca = ReadSecretFile(client_ca);
    if (!ca.ok()) return ca.status();
    opts.pem_root_certs = *ca;
    opts.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  auto c = ReadSecretFile(cert);
  auto k = ReadSecretFile(key);
  if (!c.ok()) return c.status();
  if (!k.ok()) return k.status();
  pair.cert_chain = *c;
  pair.private_key = *k;
  opts.pem_key_cert_pairs.push_back(pair);
  return grpc::SslServerCredentials(opts);
}

absl::StatusOr<RateLimiterOptions> RateLimitsFromFlags() {
  RateLimiterOptions o;
  o.default_limit = {absl::GetFlag(FLAGS_rate_limit_per_second),
                     absl::GetFlag(FLAGS_rate_limit_burst)};
  if (absl::Status s = ValidateRateLimit(o.default_limit, "--rate_limit_per_second/burst");
      !s.ok()) {
    return s;
  }
  auto overrides = ParseRateLimitOverrides(absl::GetFlag(FLAGS_rate_limit_overrides));
  if (!overrides.ok()) return overrides.status();
  o.overrides = *std::move(overrides);
  return o;
}

absl::Status WritePortFile(const std::string& path, int port) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << port << "\n";
    if (!out) return absl::InternalError(absl::StrCat("cannot write ", tmp));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("cannot rename to ", path));
  }
  return absl::OkStatus();
}

constexpr char kJobsLease[] = "background_jobs";

// This instance's name in the leases table: host, process id and a random part (a
// restarted process is another holder).
std::string LeaseHolderName() {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  return absl::StrCat(host, ":", getpid(), ":", NewApiKey("").substr(0, 8));
}

// Watches the database (health) and, while this instance holds the background-jobs
// lease, runs the expiry sweep, the tier review and the timed events, until `stop` is
// notified.
void Housekeeping(Store* store, Ledger* ledger, Members* members,
                  grpc::HealthCheckServiceInterface* health, absl::Notification* stop) {
  const int expiry_every = absl::GetFlag(FLAGS_expiry_interval_seconds);
  absl::Time next_expiry = absl::Now() + absl::Seconds(expiry_every);
  const int review_every = absl::GetFlag(FLAGS_tier_review_interval_seconds);
  absl::Time next_review = absl::Now() + absl::Seconds(review_every);
  const int events_every = absl::GetFlag(FLAGS_event_jobs_interval_seconds);
  const Micros expiring_notice =
      absl::ToInt64Microseconds(absl::Hours(24) * std::max(0, absl::GetFlag(FLAGS_expiring_notice_days)));
  absl::Time next_events = absl::Now();  // the first run sets where the jobs start
  bool serving = true;
  // The background jobs run on one hub instance at a time: the holder of the lease
  // "background_jobs", renewed every loop; another instance takes it over within
  // kLeaseTtl of the holder's death (at once after a clean stop, which gives it up).
  constexpr absl::Duration kLeaseTtl = absl::Seconds(10);
  const std::string holder = LeaseHolderName();
  bool leader = false;
  auto renew_lease = [&]() {
    bool held = false;
    absl::Status s = store->RunEventTransaction([&](MemberRows& rows) -> absl::Status {
      ASSIGN_OR_RETURN(held, rows.TryLease(kJobsLease, holder, SystemClock::Get()->NowMicros(),
                                           absl::ToInt64Microseconds(kLeaseTtl)));
      return absl::OkStatus();
    });
    if (!s.ok()) held = false;
    if (held != leader) {
      leader = held;
      Log(absl::StrCat("event=", held ? "lease_acquired" : "lease_lost", " lease=", kJobsLease,
                       " holder=", holder));
    }
  };
  while (!stop->WaitForNotificationWithTimeout(absl::Seconds(2))) {
    const bool healthy = store->Ping().ok();
    if (healthy != serving) {
      serving = healthy;
      health->SetServingStatus(healthy);
      Log(absl::StrCat("event=health serving=", healthy ? "true" : "false"));
    }
    if (healthy) renew_lease();
    const bool up = healthy && leader;
    if (up && review_every > 0 && absl::Now() >= next_review) {
      next_review = absl::Now() + absl::Seconds(review_every);
      absl::StatusOr<Ledger::TierReview> review = ledger->RunTierReview();
      if (review.ok()) {
        Log(absl::StrCat("event=tier_review reviewed=", review->reviewed,
                         " changed=", review->changed));
      } else {
        Log(absl::StrCat("event=tier_review_failed msg=\"", review.status().message(), "\""));
      }
    }
    if (up && events_every > 0 && absl::Now() >= next_events) {
      next_events = absl::Now() + absl::Seconds(events_every);
      TimedEventsOutcome out;
      absl::Status s = store->RunEventTransaction([&](EventRows& rows) -> absl::Status {
        ASSIGN_OR_RETURN(out, rows.EmitTimedEvents(SystemClock::Get()->NowMicros(),
                                                   expiring_notice));
        return absl::OkStatus();
      });
      absl::StatusOr<int64_t> escalated = members->EscalateDueClaims();
      if (!escalated.ok()) s = escalated.status();
      if (s.ok()) {
        Log(absl::StrCat("event=timed_events claims_escalated=", *escalated,
                         " holds_expired=", out.holds_expired,
                         " expiring=", out.expiring_notices,
                         " promotions_started=", out.promotions_started,
                         " promotions_ended=", out.promotions_ended));
      } else {
        Log(absl::StrCat("event=timed_events_failed msg=\"", s.message(), "\""));
      }
    }
    if (up && expiry_every > 0 && absl::Now() >= next_expiry) {
      next_expiry = absl::Now() + absl::Seconds(expiry_every);
      absl::StatusOr<ExpiryOutcome> out = ledger->RunExpiry();
      if (out.ok()) {
        Log(absl::StrCat("event=expiry lots=", out->lots_expired, " points=", out->points_expired));
      } else {
        Log(absl::StrCat("event=expiry_failed msg=\"", out.status().message(), "\""));
      }
    }
  }
  if (leader) {
    (void)store->RunEventTransaction(
        [&](MemberRows& rows) { return rows.ReleaseLease(kJobsLease, holder); });
  }
}

// Graceful shutdown: health NOT_SERVING and new calls refused (UNAVAILABLE) at once;
// the calls in flight get up to --shutdown_grace_seconds to finish; then the server
// closes the connections, giving the last answers kFlushTime to go out (idle clients are
// not waited for), cancels what is left (a bank clearing stream: the SDK resends its
// unanswered records) and waits for its callbacks. Queued work of cancelled calls is
// skipped (ServeUnary), so the worker pool drains quickly when the pool is destroyed.
void DrainAndShutdown(grpc::Server* server, CallTracker* calls) {
  constexpr absl::Duration kFlushTime = absl::Milliseconds(500);
  server->GetHealthCheckService()->SetServingStatus(false);
  calls->StartDraining();
  const int grace_seconds = std::max(0, absl::GetFlag(FLAGS_shutdown_grace_seconds));
  const int left = calls->AwaitIdle(absl::Now() + absl::Seconds(grace_seconds));
  Log(absl::StrCat("event=drained calls_left=", left));
  server->Shutdown(absl::ToChronoTime(absl::Now() + kFlushTime));
  server->Wait();
}

int Run() {
  absl::StatusOr<MysqlOptions> options = MysqlOptionsFromFlags();
  if (!options.ok()) {
    Log(absl::StrCat("event=start_failed msg=\"", options.status().message(), "\""));
    return 1;
  }
  MysqlOptions db = *std::move(options);
  const bool group_commit = absl::GetFlag(FLAGS_group_commit);
  GroupCommitOptions batching;
  batching.max_batch = std::max(1, absl::GetFlag(FLAGS_group_commit_max_batch));
  batching.window = absl::Microseconds(std::max(0, absl::GetFlag(FLAGS_group_commit_window_us)));
  batching.committers = std::max(1, absl::GetFlag(FLAGS_group_commit_committers));
  db.max_idle_connections = absl::GetFlag(FLAGS_mysql_pool_size);
  if (db.max_idle_connections <= 0) {
    db.max_idle_connections =
        group_commit ? batching.committers + 8 : absl::GetFlag(FLAGS_workers) + 4;
  }

  auto store = OpenMysqlStore(db);
  if (!store.ok()) {
    Log(absl::StrCat("event=start_failed msg=\"", store.status().message(), "\""));
    return 1;
  }
  if (absl::Status s = (*store)->Migrate(); !s.ok()) {
    Log(absl::StrCat("event=migrate_failed msg=\"", s.message(), "\""));
    return 1;
  }
  Log("event=migrated");
  if (absl::GetFlag(FLAGS_migrate_only)) return 0;

  // Postings go through group commit when it is on; reads of keys and health do not wait
  // for batches.
  std::unique_ptr<GroupCommitStore> batched;
  if (group_commit) batched = std::make_unique<GroupCommitStore>(store->get(), batching);
  Store* posting_store = group_commit ? batched.get() : store->get();
  Ledger ledger(posting_store, SystemClock::Get());
  if (absl::GetFlag(FLAGS_check_invariants)) {
    absl::StatusOr<std::vector<std::string>> violations = ledger.CheckInvariants();
    if (!violations.ok()) {
      Log(absl::StrCat("event=check_failed msg=\"", violations.status().message(), "\""));
      return 1;
    }
    for (const std::string& v : *violations) Log(absl::StrCat("event=invariant_violation ", v));
    Log(absl::StrCat("event=invariants_checked violations=", violations->size()));
    return violations->empty() ? 0 : 3;
  }
  auto admin_key = Secret(absl::GetFlag(FLAGS_admin_key_file), "LOYALTY_ADMIN_KEY");
  if (!admin_key.ok()) {
    Log(absl::StrCat("event=start_failed msg=\"", admin_key.status().message(), "\""));
    return 1;
  }
  if (!admin_key->empty()) {
    if (absl::Status s = ledger.BootstrapAdminKey(*admin_key); !s.ok()) {
      Log(absl::StrCat("event=start_failed msg=\"", s.message(), "\""));
      return 1;
    }
  }

  const std::string listen = absl::GetFlag(FLAGS_listen);
  auto creds = Credentials(listen);
  if (!creds.ok()) {
    Log(absl::StrCat("event=start_failed msg=\"", creds.status().message(), "\""));
    return 1;
  }
  auto pan_key = Secret(absl::GetFlag(FLAGS_pan_hmac_key_file), "LOYALTY_PAN_HMAC_KEY");
  if (!pan_key.ok() || (!pan_key->empty() && pan_key->size() < 32)) {
    Log("event=start_failed msg=\"PAN key unreadable or shorter than 32 bytes\"");
    return 1;
  }
  auto limits = RateLimitsFromFlags();
  if (!limits.ok()) {
    Log(absl::StrCat("event=start_failed msg=\"", limits.status().message(), "\""));
    return 1;
  }
  RateLimiter rate_limiter(*std::move(limits), SystemClock::Get());
  AuthenticatorOptions auth_options;
  auth_options.require_client_certificate = !absl::GetFlag(FLAGS_tls_client_ca_file).empty();
  auth_options.cache_ttl = absl::Milliseconds(std::max(0, absl::GetFlag(FLAGS_auth_cache_ms)));
  Authenticator auth(store->get(), auth_options);
  BankLedger bank_ledger(posting_store, SystemClock::Get());
  WorkerPool pool(absl::GetFlag(FLAGS_workers), absl::GetFlag(FLAGS_max_queue));
  ServiceEnv env{&ledger, &auth, &pool, &bank_ledger, *pan_key, &rate_limiter};
  CallTracker calls;
  env.calls = &calls;
  AnalyticsOptions analytics_options;
  analytics_options.min_cell_members = std::max<int64_t>(1, absl::GetFlag(FLAGS_analytics_min_cell));
  // Reports read the database directly, never through a group-commit batch.
  Analytics analytics(store->get(), SystemClock::Get(), analytics_options);
  env.analytics = &analytics;
  PartnerServiceImpl partner(env);
  BankServiceImpl bank(env);
  AnalyticsServiceImpl analytics_service(env);
  // Numbers committed events (the stream's cursor) and wakes the streams waiting for them.
  EventFeedOptions feed_options;
  feed_options.poll = absl::Milliseconds(std::max(1, absl::GetFlag(FLAGS_event_poll_ms)));
  EventFeed feed(store->get(), feed_options);
  feed.Start();
  Webhooks webhooks(store->get(), SystemClock::Get());
  EventServiceOptions events_options;
  events_options.max_streams_per_partner =
      std::max(1, absl::GetFlag(FLAGS_max_event_streams_per_partner));
  EventServiceImpl events(env, store->get(), &feed, &webhooks, events_options);
  MembersOptions members_options;
  members_options.claim_answer_time =
      absl::Hours(24) * std::max(1, absl::GetFlag(FLAGS_claim_answer_days));
  Members members(store->get(), &ledger, SystemClock::Get(), members_options);
  RateLimiterOptions member_limits;
  member_limits.default_limit = {absl::GetFlag(FLAGS_member_rate_limit_per_second),
                                 absl::GetFlag(FLAGS_member_rate_limit_burst)};
  if (absl::Status s = ValidateRateLimit(member_limits.default_limit,
                                         "--member_rate_limit_per_second/burst");
      !s.ok()) {
    Log(absl::StrCat("event=start_failed msg=\"", s.message(), "\""));
    return 1;
  }
  RateLimiter member_rate_limiter(member_limits, SystemClock::Get());
  env.members = &members;
  env.member_rate_limiter = &member_rate_limiter;
  AdminServiceImpl admin(env);
  MemberServiceImpl member_service(env);
  ClaimServiceImpl claim_service(env);

  // Health answers for the whole server ("") and for each service by name; reflection
  // in both versions lists them all.
  const std::vector<std::string> services = {
      v1::AdminService::service_full_name(),
      v1::PartnerService::service_full_name(),
      v1::BankService::service_full_name(),
      v1::AnalyticsService::service_full_name(),
      v1::EventService::service_full_name(),
      v1::MemberService::service_full_name(),
      v1::ClaimService::service_full_name(),
      "grpc.health.v1.Health",
      "grpc.reflection.v1alpha.ServerReflection",
      grpc::reflection::v1::ServerReflection::service_full_name()};
  ReflectionV1Service reflection_v1(services);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen, *creds, &port);
  builder.RegisterService(&admin);
  builder.RegisterService(&partner);
  builder.RegisterService(&bank);
  builder.RegisterService(&analytics_service);
  builder.RegisterService(&events);
  builder.RegisterService(&member_service);
  builder.RegisterService(&claim_service);
  builder.RegisterService(&reflection_v1);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    Log(absl::StrCat("event=start_failed msg=\"cannot listen on ", listen, "\""));
    return 1;
  }
  for (const std::string& name : services) {
    server->GetHealthCheckService()->SetServingStatus(name, true);
  }
  server->GetHealthCheckService()->SetServingStatus(true);  // "" and every name above
  if (!absl::GetFlag(FLAGS_port_file).empty()) {
    if (absl::Status s = WritePortFile(absl::GetFlag(FLAGS_port_file), port); !s.ok()) {
      Log(absl::StrCat("event=start_failed msg=\"", s.message(), "\""));
      return 1;
    }
  }
  Log(absl::StrCat("event=serving listen=", listen, " port=", port, " group_commit=",
                   group_commit ? "true" : "false", " workers=", absl::GetFlag(FLAGS_workers)));

  absl::Notification stop;
  std::thread housekeeping(Housekeeping, store->get(), &ledger, &members,
                           server->GetHealthCheckService(), &stop);
  // Wait for SIGINT/SIGTERM (blocked in every thread, taken here).
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  int sig = 0;
  sigwait(&signals, &sig);
  Log(absl::StrCat("event=stopping signal=", sig));
  stop.Notify();
  housekeeping.join();
  DrainAndShutdown(server.get(), &calls);
  feed.Stop();  // after the server: the streams it cancelled needed its wake-ups to end
  if (batched != nullptr) {
    const GroupCommitStats gc = batched->stats();
    Log(absl::StrCat("event=group_commit_stats batches=", gc.batches, " requests=", gc.requests,
                     " batch_retries=", gc.batch_retries, " request_reruns=", gc.request_reruns,
                     " savepoints=", gc.savepoints, " load_us=", gc.load_us,
                     " apply_us=", gc.apply_us, " write_us=", gc.write_us,
                     " commit_us=", gc.commit_us, " answer_us=", gc.answer_us));
  }
  Log("event=stopped");
  return 0;
}

}  // namespace
}  // namespace loyalty

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("The coalition loyalty hub's gRPC server.");
  absl::ParseCommandLine(argc, argv);
  // Block the stop signals before any thread starts so only sigwait sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return loyalty::Run();
}
