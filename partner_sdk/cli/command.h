// The `loyalty` CLI's command table: each subcommand names its flags (for parsing and
// --help) and a function that runs it through the SDK.
#ifndef LOYALTY_PARTNER_SDK_CLI_COMMAND_H_
#define LOYALTY_PARTNER_SDK_CLI_COMMAND_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "loyalty/admin_client.h"
#include "loyalty/analytics_client.h"
#include "loyalty/bank_client.h"
#include "loyalty/events_client.h"
#include "loyalty/partner_client.h"
#include "output.h"

namespace loyalty::cli {

// Exit codes scripts can rely on (docs/partner-integration.md).
enum ExitCode : int {
  kExitOk = 0,
  kExitOther = 1,     // INTERNAL, UNKNOWN, a local file problem, ...
  kExitUsage = 2,     // bad command line; nothing was sent
  kExitInvalid = 3,   // INVALID_ARGUMENT, OUT_OF_RANGE
  kExitNotFound = 4,  // NOT_FOUND
  kExitState = 5,     // FAILED_PRECONDITION, ALREADY_EXISTS
  kExitDenied = 6,    // PERMISSION_DENIED, UNAUTHENTICATED
  kExitRetry = 7,     // UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED
};
int ExitCodeFor(absl::StatusCode code);

// A problem with a local file (unreadable, wrong header): exit code kExitOther whatever
// `code` says.
absl::Status LocalFileError(absl::StatusCode code, const std::string& message);
// The exit code for a command's failure: LocalFileError's, else ExitCodeFor(code).
int ExitCodeForStatus(const absl::Status& s);

struct FlagSpec {
  std::string name;
  std::string help;
  bool required = false;
  bool is_bool = false;
};

// Parsed --name=value flags of one invocation.
class Args {
 public:
  void Set(const std::string& name, const std::string& value) { values_[name] = value; }
  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  std::string Str(const std::string& name, const std::string& fallback = "") const;
  // INVALID_ARGUMENT naming the flag if it is not an integer.
  absl::StatusOr<int64_t> Int(const std::string& name, int64_t fallback = 0) const;
  bool Bool(const std::string& name) const;

 private:
  std::map<std::string, std::string> values_;
};

// Clients made on first use, so a command needs only the credentials it uses.
class Clients {
 public:
  explicit Clients(sdk::Options options) : options_(std::move(options)) {}
  // The connection options (hub, TLS, deadlines, the API key) of this invocation.
  const sdk::Options& options() const { return options_; }
  absl::StatusOr<sdk::PartnerClient*> Partner();
  absl::StatusOr<sdk::AdminClient*> Admin();
  absl::StatusOr<sdk::BankClient*> Bank();
  absl::StatusOr<sdk::AnalyticsClient*> Analytics();
  absl::StatusOr<sdk::EventsClient*> Events();

 private:
  sdk::Options options_;
  std::unique_ptr<sdk::PartnerClient> partner_;
  std::unique_ptr<sdk::AdminClient> admin_;
  std::unique_ptr<sdk::BankClient> bank_;
  std::unique_ptr<sdk::AnalyticsClient> analytics_;
  std::shared_ptr<sdk::EventsClient> events_;
};

struct Command {
  std::string name;
  std::string summary;
  std::vector<FlagSpec> flags;
  std::function<absl::StatusOr<Record>(const Args&, Clients&)> run;
  bool needs_key = true;
  // The name of the one positional argument the command takes ("" = none); it is
  // stored as the flag of that name, so --NAME=value works too.
  std::string positional = "";
};

std::vector<Command> PartnerCommands();
std::vector<Command> AdminCommands();
std::vector<Command> BankCommands();
std::vector<Command> AnalyticsCommands();
std::vector<Command> EventCommands();
std::vector<Command> MemberCommands();

// The paging flags of every list command: --page_size (0 = the hub's default 100, above
// 500 = 500) and --page_token (the next_page_token a previous page printed).
FlagSpec PageSizeFlag();
FlagSpec PageTokenFlag();
// True when either paging flag is given: the command prints one page, not the whole list.
bool HasPageFlags(const Args& a);
// --page_size as the hub takes it (0 when absent; INVALID_ARGUMENT if not an integer).
absl::StatusOr<int32_t> PageSizeOf(const Args& a);

// A time flag: UTC micros since the epoch, an ISO-8601 / RFC 3339 time
// ("2026-05-10T12:00:00Z", "2026-05-10T14:00:00+02:00") or a date (midnight UTC).
absl::StatusOr<int64_t> ParseTimeFlag(const Args& a, const std::string& name);

// Record helpers shared by the command files.
Record PostingRecord(const sdk::PostingResult& p);
Record ProgramRecord(const sdk::Program& p);
Record TiersRecord(const std::vector<sdk::Tier>& tiers);  // {"tiers": [...]}
Record PromotionRecord(const sdk::Promotion& p);

// link-card with --token / --pan links a co-branded card (BankService, issuer key)
// instead of a loyalty card number (--new_card).
FlagSpec TokenFlag();
FlagSpec PanFlag();
bool HasCardRefFlags(const Args& a);
absl::StatusOr<Record> LinkCoBrandedCard(const Args& a, Clients& c);

}  // namespace loyalty::cli

#endif  // LOYALTY_PARTNER_SDK_CLI_COMMAND_H_
