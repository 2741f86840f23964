// loyalty: the hub's command-line client for partners and operators. Every
// PartnerService, AdminService and BankService call is a subcommand, and `analytics`
// prints AnalyticsService's reports; `loyalty <command> --help` describes one. The key
// comes from --key_file or LOYALTY_API_KEY (never a flag, which would show in `ps`); the
// hub from --hub or LOYALTY_HUB. Exit codes: command.h.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "command.h"
#include "loyalty/error_details.h"

namespace loyalty::cli {
namespace {

constexpr char kDefaultHub[] = "127.0.0.1:50051";

const std::vector<FlagSpec>& GlobalFlags() {
  static const auto* flags = new std::vector<FlagSpec>{
      {"hub", "hub host:port, several as 1.2.3.4:50051,1.2.3.5:50051 or dns:///name:port; "
              "default $LOYALTY_HUB or 127.0.0.1:50051"},
      {"key_file", "file holding the API key; default $LOYALTY_API_KEY"},
      {"json", "print one JSON object instead of text", false, true},
      {"timeout_ms", "deadline of each attempt; default 5000"},
      {"attempts", "attempts per call for retryable errors; default 5"},
      {"tls", "use TLS (required off loopback)", false, true},
      {"tls_ca_file", "PEM CA of the hub's certificate; default system roots"},
      {"tls_cert_file", "PEM client certificate for mTLS"},
      {"tls_key_file", "PEM private key of --tls_cert_file"},
      {"tls_server_name", "name checked against the hub's certificate; default the --hub host"},
      {"queue_file", "SQLite offline queue for earns (earn, queue-status, queue-drain)"},
  };
  return *flags;
}

struct Invocation {
  const Command* command = nullptr;
  Args args;
  bool help = false;
};

void PrintUsage(const std::vector<Command>& commands) {
  std::string out =
      "usage: loyalty [global flags] <command> [flags]   (loyalty <command> --help)\n\n"
      "commands:\n";
  for (const Command& c : commands) absl::StrAppend(&out, "  ", c.name, "  ", c.summary, "\n");
  out += "\nglobal flags:\n";
  for (const FlagSpec& f : GlobalFlags()) absl::StrAppend(&out, "  --", f.name, "  ", f.help, "\n");
  out +=
      "\nexit codes: 0 ok, 1 other error, 2 usage, 3 invalid argument, 4 not found,\n"
      "  5 failed precondition / already exists, 6 permission denied / unauthenticated,\n"
      "  7 unavailable / deadline / resource exhausted / aborted (safe to retry)\n";
  std::fputs(out.c_str(), stdout);
}

void PrintCommandHelp(const Command& c) {
  std::string out =
      absl::StrCat("usage: loyalty ", c.name, " [flags]",
                   c.positional.empty() ? "" : " " + absl::AsciiStrToUpper(c.positional), "\n  ",
                   c.summary, "\n\n");
  out += "flags:\n";
  for (const FlagSpec& f : c.flags) {
    absl::StrAppend(&out, "  --", f.name, f.required ? " (required)" : "", "  ", f.help, "\n");
  }
  if (c.flags.empty()) out += "  (none)\n";
  out += "global flags: see `loyalty --help`\n";
  std::fputs(out.c_str(), stdout);
}

const FlagSpec* FindFlag(const std::vector<FlagSpec>& flags, const std::string& name) {
  for (const FlagSpec& f : flags) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

// Reads one --name[=value] token (and its value token); INVALID_ARGUMENT on errors.
absl::Status ParseFlag(const std::vector<std::string>& argv, size_t* i, const Command* command,
                       Invocation* inv) {
  std::string name(absl::StripPrefix(argv[*i], "--"));
  std::string value;
  const size_t eq = name.find('=');
  const bool has_value = eq != std::string::npos;
  if (has_value) {
    value = name.substr(eq + 1);
    name = name.substr(0, eq);
  }
  // --since-cursor and --since_cursor are the same flag.
  std::replace(name.begin(), name.end(), '-', '_');
  if (name == "help") {
    inv->help = true;
    return absl::OkStatus();
  }
  const FlagSpec* spec = FindFlag(GlobalFlags(), name);
  if (spec == nullptr && command != nullptr) spec = FindFlag(command->flags, name);
  if (spec == nullptr) return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
  if (!has_value && spec->is_bool) {
    value = "true";
  } else if (!has_value) {
    if (*i + 1 >= argv.size()) {
      return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
    }
    value = argv[++*i];
  }
  inv->args.Set(name, value);
  return absl::OkStatus();
}

absl::StatusOr<Invocation> Parse(const std::vector<std::string>& argv,
                                 const std::vector<Command>& commands) {
  Invocation inv;
  for (size_t i = 0; i < argv.size(); ++i) {
    if (argv[i] == "-h") {
      inv.help = true;
      continue;
    }
    if (absl::StartsWith(argv[i], "--")) {
      if (absl::Status s = ParseFlag(argv, &i, inv.command, &inv); !s.ok()) return s;
      continue;
    }
    if (inv.command != nullptr) {
      if (!inv.command->positional.empty() && !inv.args.Has(inv.command->positional)) {
        inv.args.Set(inv.command->positional, argv[i]);
        continue;
      }
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument \"", argv[i], "\""));
    }
    for (const Command& c : commands) {
      if (c.name == argv[i]) inv.command = &c;
    }
    if (inv.command == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown command \"", argv[i], "\""));
    }
  }
  if (inv.command == nullptr || inv.help) return inv;
  for (const FlagSpec& f : inv.command->flags) {
    if (f.required && !inv.args.Has(f.name)) {
      return absl::InvalidArgumentError(
          absl::StrCat(inv.command->name, ": --", f.name, " is required"));
    }
  }
  return inv;
}

absl::StatusOr<std::string> ReadKey(const Args& args) {
  const std::string file = args.Str("key_file");
  if (file.empty()) {
    const char* env = std::getenv("LOYALTY_API_KEY");
    return std::string(env == nullptr ? "" : env);
  }
  std::ifstream in(file);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("--key_file: cannot read ", file));
  std::stringstream ss;
  ss << in.rdbuf();
  return std::string(absl::StripAsciiWhitespace(ss.str()));
}

absl::StatusOr<sdk::Options> MakeOptions(const Args& args, const std::string& key) {
  sdk::Options o;
  const char* env_hub = std::getenv("LOYALTY_HUB");
  o.target = args.Str("hub", env_hub != nullptr && *env_hub ? env_hub : kDefaultHub);
  o.api_key = key;
  absl::StatusOr<int64_t> timeout_ms = args.Int("timeout_ms", 5000);
  absl::StatusOr<int64_t> attempts = args.Int("attempts", 5);
  if (!timeout_ms.ok()) return timeout_ms.status();
  if (!attempts.ok()) return attempts.status();
  o.call_timeout = absl::Milliseconds(*timeout_ms);
  o.retry.max_attempts = static_cast<int>(*attempts);
  o.tls.enabled = args.Bool("tls");
  o.tls.ca_file = args.Str("tls_ca_file");
  o.tls.cert_file = args.Str("tls_cert_file");
  o.tls.key_file = args.Str("tls_key_file");
  o.tls.server_name_override = args.Str("tls_server_name");
  o.offline_queue_path = args.Str("queue_file");
  return o;
}

int Fail(const absl::Status& s, bool json, const std::string& what, int code) {
  if (json) {
    std::fputs(ToJson(ErrorRecord(s)).c_str(), stdout);
  } else {
    // The stable reason next to the code when the hub sent one: what scripts match on.
    std::string code = absl::StatusCodeToString(s.code());
    const std::string reason = sdk::ErrorReason(s);
    if (!reason.empty() && reason != code) absl::StrAppend(&code, " (", reason, ")");
    std::fprintf(stderr, "loyalty: %s: %s: %s\n", what.c_str(), code.c_str(),
                 std::string(s.message()).c_str());
  }
  return code;
}

int Main(const std::vector<std::string>& argv) {
  std::vector<Command> commands = PartnerCommands();
  for (Command& c : AdminCommands()) commands.push_back(std::move(c));
  for (Command& c : BankCommands()) commands.push_back(std::move(c));
  for (Command& c : AnalyticsCommands()) commands.push_back(std::move(c));
  for (Command& c : EventCommands()) commands.push_back(std::move(c));
  for (Command& c : MemberCommands()) commands.push_back(std::move(c));
  absl::StatusOr<Invocation> inv = Parse(argv, commands);
  const bool json = inv.ok() ? inv->args.Bool("json") : absl::c_linear_search(argv, "--json");
  if (!inv.ok()) {
    if (!json) std::fputs("(see `loyalty --help`)\n", stderr);
    return Fail(inv.status(), json, "usage", kExitUsage);
  }
  if (inv->command == nullptr) {
    PrintUsage(commands);
    return inv->help ? kExitOk : kExitUsage;
  }
  if (inv->help) {
    PrintCommandHelp(*inv->command);
    return kExitOk;
  }
  const Command& cmd = *inv->command;
  absl::StatusOr<std::string> key = ReadKey(inv->args);
  if (key.ok() && key->empty() && cmd.needs_key) {
    key = absl::InvalidArgumentError("no API key: set LOYALTY_API_KEY or --key_file");
  }
  absl::StatusOr<sdk::Options> options =
      key.ok() ? MakeOptions(inv->args, *key) : absl::StatusOr<sdk::Options>(key.status());
  if (!options.ok()) return Fail(options.status(), json, cmd.name, kExitUsage);
  Clients clients(*std::move(options));
  absl::StatusOr<Record> result = cmd.run(inv->args, clients);
  if (!result.ok())
    return Fail(result.status(), json, cmd.name, ExitCodeForStatus(result.status()));
  std::fputs((json ? ToJson(*result) : ToText(*result)).c_str(), stdout);
  return kExitOk;
}

}  // namespace
}  // namespace loyalty::cli

int main(int argc, char** argv) {
  return loyalty::cli::Main(std::vector<std::string>(argv + 1, argv + argc));
}
