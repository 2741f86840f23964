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
  absl::StatusOr<sdk::PartnerClient*> Partner();
  absl::StatusOr<sdk::AdminClient*> Admin();

 private:
  sdk::Options options_;
  std::unique_ptr<sdk::PartnerClient> partner_;
  std::unique_ptr<sdk::AdminClient> admin_;
};

struct Command {
  std::string name;
  std::string summary;
  std::vector<FlagSpec> flags;
  std::function<absl::StatusOr<Record>(const Args&, Clients&)> run;
  bool needs_key = true;
};

std::vector<Command> PartnerCommands();
std::vector<Command> AdminCommands();

// Record helpers shared by the command files.
Record PostingRecord(const sdk::PostingResult& p);

}  // namespace loyalty::cli

#endif  // LOYALTY_PARTNER_SDK_CLI_COMMAND_H_
