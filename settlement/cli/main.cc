// settlement: the finance team's command line. Talks to the hub's database through the
// hub's store library (it needs database credentials, not an API key).
//
//   settlement config [--model operator|funder_pays] [--period_unit day|week|month]
//                     [--time_zone Europe/Berlin]
//   settlement terms [--partner P --issue_price_micros N --redeem_value_micros N
//                     --fee_per_point_micros N]
//   settlement close (--period 2026-11 | --from 2026-11-01 --to 2026-12-01) [--out DIR]
//   settlement finalize RUN [--out DIR]
//   settlement show RUN [--out DIR]
//   settlement reconcile --partner P (--period ... | --from --to) --file F [--out DIR]
//
// Exit codes: 0 ok, 2 usage or invalid input, 3 failed precondition (period open, run
// final), 4 not found, 5 data loss or internal error, 1 anything else.
#include <pwd.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "hub/common/status_macros.h"
#include "hub/store/mysql_store.h"
#include "settlement/json.h"
#include "settlement/period.h"
#include "settlement/reconcile.h"
#include "settlement/report.h"
#include "settlement/run.h"

ABSL_FLAG(std::string, mysql_socket, "",
          "MySQL/MariaDB unix socket (default: env LOYALTY_MYSQL_SOCKET; empty = TCP)");
ABSL_FLAG(std::string, mysql_host, "127.0.0.1", "MySQL host for TCP");
ABSL_FLAG(int, mysql_port, 3306, "MySQL port for TCP");
ABSL_FLAG(std::string, mysql_user, "root", "MySQL user");
ABSL_FLAG(std::string, mysql_password_file, "",
          "file holding the MySQL password (or env LOYALTY_MYSQL_PASSWORD)");
ABSL_FLAG(std::string, mysql_database, "loyalty", "database name");
ABSL_FLAG(std::string, model, "", "config: operator or funder_pays");
ABSL_FLAG(std::string, period_unit, "", "config: day, week or month");
ABSL_FLAG(std::string, time_zone, "", "config: IANA time zone that cuts periods");
// Unset (not given) is told apart from every value, so a negative one is rejected, not
// mistaken for "keep the old price".
ABSL_FLAG(std::optional<int64_t>, partner, std::nullopt,
          "partner id (0 = the operator, for terms)");
ABSL_FLAG(std::optional<int64_t>, issue_price_micros, std::nullopt,
          "operator model: what the funder pays the operator per point issued, in "
          "micro-units of the currency (>= 0)");
ABSL_FLAG(std::optional<int64_t>, redeem_value_micros, std::nullopt,
          "what the partner is paid per point redeemed at its tills, micro-units (>= 0)");
ABSL_FLAG(std::optional<int64_t>, fee_per_point_micros, std::nullopt,
          "funder_pays model: the operator's fee per point issued, micro-units (>= 0)");
ABSL_FLAG(std::string, period, "", "period label: 2026-11, 2026-W48 or 2026-11-26");
ABSL_FLAG(std::string, from, "", "first day of a custom period, YYYY-MM-DD");
ABSL_FLAG(std::string, to, "",
          "day after the last of a custom period, YYYY-MM-DD, or now (period to date)");
ABSL_FLAG(std::string, file, "", "reconcile: the partner's CSV file");
ABSL_FLAG(std::string, out, "", "write the reports (CSV, JSON, HTML) to this folder");

namespace loyalty::settlement {
namespace {

// The audit log's actor for finance actions run from this CLI: the OS user running it.
std::string FinanceActor() {
  const struct passwd* pw = getpwuid(geteuid());
  return absl::StrCat("finance-cli:", pw != nullptr ? pw->pw_name : std::to_string(geteuid()));
}

int ExitCode(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kOk:
      return 0;
    case absl::StatusCode::kInvalidArgument:
      return 2;
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAlreadyExists:
      return 3;
    case absl::StatusCode::kNotFound:
      return 4;
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kInternal:
      return 5;
    default:
      return 1;
  }
}

// The subcommands, for `settlement --help` and `settlement COMMAND --help`.
struct Command {
  const char* name;
  const char* synopsis;
  const char* what;
  std::vector<const char*> flags;
};

const std::vector<Command>& Commands() {
  static const auto* commands = new std::vector<Command>{
      {"config",
       "settlement config [--model=operator|funder_pays] [--period_unit=day|week|month] "
       "[--time_zone=ZONE]",
       "Shows the settlement model, period unit and time zone; with flags, changes them.",
       {"model", "period_unit", "time_zone"}},
      {"terms",
       "settlement terms [--partner=P [--issue_price_micros=N] [--redeem_value_micros=N] "
       "[--fee_per_point_micros=N]]",
       "Lists every partner's prices; with --partner, first sets the prices given for that "
       "partner (0 = the operator) and keeps the others.",
       {"partner", "issue_price_micros", "redeem_value_micros", "fee_per_point_micros"}},
      {"close",
       "settlement close (--period=LABEL | --from=YYYY-MM-DD --to=YYYY-MM-DD) [--out=DIR]",
       "Computes a draft settlement of a closed period and prints its totals; with --out, "
       "writes its reports (CSV, JSON, HTML).",
       {"period", "from", "to", "out"}},
      {"finalize",
       "settlement finalize RUN [--out=DIR]",
       "Makes draft run RUN final: its numbers can no longer change.",
       {"out"}},
      {"show",
       "settlement show RUN [--out=DIR]",
       "Prints run RUN and, with --out, writes its reports.",
       {"out"}},
      {"reconcile",
       "settlement reconcile --partner=P (--period=LABEL | --from=... --to=...) --file=F "
       "[--out=DIR]",
       "Matches a partner's own transaction file against the hub's journal for the period.",
       {"partner", "period", "from", "to", "file", "out"}},
  };
  return *commands;
}

const Command* FindCommand(absl::string_view name) {
  for (const Command& c : Commands()) {
    if (name == c.name) return &c;
  }
  return nullptr;
}

std::string FlagLine(const char* name) {
  const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
  if (flag == nullptr) return absl::StrCat("  --", name, "\n");
  const std::string def = flag->DefaultValue();
  return absl::StrCat("  --", name, "  ", flag->Help(),
                      def.empty() ? "" : absl::StrCat(" (default ", def, ")"), "\n");
}

constexpr const char* kDatabaseFlags[] = {"mysql_socket", "mysql_host",          "mysql_port",
                                          "mysql_user",   "mysql_password_file", "mysql_database"};

std::string Usage(const Command* command) {
  std::string out;
  if (command == nullptr) {
    out = "usage: settlement COMMAND [flags]   (settlement COMMAND --help)\n\ncommands:\n";
    for (const Command& c : Commands()) {
      absl::StrAppend(&out, "  ", absl::string_view(c.name), std::string(11 - strlen(c.name), ' '),
                      c.what, "\n");
    }
  } else {
    absl::StrAppend(&out, "usage: ", command->synopsis, "\n\n", command->what, "\n\nflags:\n");
    for (const char* f : command->flags) out += FlagLine(f);
  }
  out += "\ndatabase (every command; env LOYALTY_MYSQL_SOCKET, LOYALTY_MYSQL_PASSWORD):\n";
  for (const char* f : kDatabaseFlags) out += FlagLine(f);
  out +=
      "\nexit codes: 0 ok, 2 bad input, 3 not allowed now, 4 not found, 5 a check failed, "
      "1 other.\nGuide: docs/finance.md\n";
  return out;
}

// `settlement --help`, `settlement help [COMMAND]`, `settlement COMMAND --help`: prints
// the usage and returns the exit code; nullopt when no help was asked for.
std::optional<int> MaybeHelp(int argc, char** argv) {
  bool asked = false;
  const char* command = nullptr;
  for (int i = 1; i < argc; ++i) {
    const absl::string_view a = argv[i];
    if (a == "--help" || a == "-help" || a == "-h" || a == "--helpfull" || a == "--helpshort") {
      asked = true;
    } else if (a == "help" && command == nullptr) {
      asked = true;
    } else if (!absl::StartsWith(a, "-") && command == nullptr) {
      command = argv[i];
    }
  }
  if (!asked) return std::nullopt;
  if (command != nullptr && FindCommand(command) == nullptr) {
    std::fprintf(stderr, "settlement: unknown command '%s'\n\n%s", command, Usage(nullptr).c_str());
    return 2;
  }
  std::fputs(Usage(command != nullptr ? FindCommand(command) : nullptr).c_str(), stdout);
  return 0;
}

void Say(const std::string& line) {
  std::fprintf(stderr, "settlement: %s\n", line.c_str());
  std::fflush(stderr);
}

absl::StatusOr<std::unique_ptr<Store>> OpenStore() {
  MysqlOptions o;
  o.socket = absl::GetFlag(FLAGS_mysql_socket);
  if (o.socket.empty() && std::getenv("LOYALTY_MYSQL_SOCKET") != nullptr) {
    o.socket = std::getenv("LOYALTY_MYSQL_SOCKET");
  }
  o.host = absl::GetFlag(FLAGS_mysql_host);
  o.port = absl::GetFlag(FLAGS_mysql_port);
  o.user = absl::GetFlag(FLAGS_mysql_user);
  o.database = absl::GetFlag(FLAGS_mysql_database);
  const std::string pw_file = absl::GetFlag(FLAGS_mysql_password_file);
  if (!pw_file.empty()) {
    std::ifstream in(pw_file);
    if (!in) return absl::NotFoundError(absl::StrCat("mysql_password_file: cannot read ", pw_file));
    std::stringstream ss;
    ss << in.rdbuf();
    o.password = std::string(absl::StripAsciiWhitespace(ss.str()));
  } else if (std::getenv("LOYALTY_MYSQL_PASSWORD") != nullptr) {
    o.password = std::getenv("LOYALTY_MYSQL_PASSWORD");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Store> store, OpenMysqlStore(o));
  RETURN_IF_ERROR(store->Migrate());
  return store;
}

absl::StatusOr<Period> PeriodFromFlags(Store* store) {
  ASSIGN_OR_RETURN(SettlementConfig config, LoadConfig(store));
  const std::string label = absl::GetFlag(FLAGS_period);
  if (!label.empty()) return ParsePeriod(label, config.period_unit, config.time_zone);
  if (!absl::GetFlag(FLAGS_from).empty() || !absl::GetFlag(FLAGS_to).empty()) {
    return ParseRange(absl::GetFlag(FLAGS_from), absl::GetFlag(FLAGS_to), config.time_zone,
                      SystemClock::Get()->NowMicros() / 1'000'000 * 1'000'000);
  }
  return absl::InvalidArgumentError("period: give --period or --from and --to");
}

absl::Status MaybeWriteReports(const Settlement& s, const Reconciliation* recon) {
  const std::string out = absl::GetFlag(FLAGS_out);
  if (out.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::vector<std::string> paths, WriteReports(s, recon, out));
  for (const std::string& p : paths) std::printf("%s\n", p.c_str());
  return absl::OkStatus();
}

absl::Status WriteText(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
  if (!f) return absl::InternalError(absl::StrCat("cannot write ", path));
  std::printf("%s\n", path.c_str());
  return absl::OkStatus();
}

// Reconciliation of a period with no settlement run yet: its CSV and JSON alone.
absl::Status WriteReconciliationOnly(const Reconciliation& r) {
  const std::string out = absl::GetFlag(FLAGS_out);
  if (out.empty()) return absl::OkStatus();
  if (std::system(absl::StrCat("mkdir -p '", out, "'").c_str()) != 0) {
    return absl::InternalError(absl::StrCat("cannot create ", out));
  }
  RETURN_IF_ERROR(WriteText(out + "/reconciliation.csv", ReconciliationCsv(r)));
  RETURN_IF_ERROR(WriteText(out + "/reconciliation_bad_rows.csv", ReconciliationBadRowsCsv(r)));
  return WriteText(out + "/reconciliation.json", ReconciliationToJson(r));
}

void PrintSummary(const Settlement& s) {
  std::printf(
      "run %lld %s period %s [%s, %s) model %s: %zu lines, gross %s %s, net %s %s, "
      "checksum %s\n",
      static_cast<long long>(s.run_id), s.status.c_str(), s.period.label.c_str(),
      FormatUtc(s.period.start).c_str(), FormatUtc(s.period.end).c_str(), ModelName(s.model),
      s.lines.size(), FormatMinor(s.gross_total_minor, s.currency_exponent).c_str(),
      s.currency.c_str(), FormatMinor(s.net_total_minor, s.currency_exponent).c_str(),
      s.currency.c_str(), s.checksum.c_str());
}

absl::Status Config(Store* store) {
  ASSIGN_OR_RETURN(SettlementConfig c, LoadConfig(store));
  const std::string model = absl::GetFlag(FLAGS_model);
  const std::string unit = absl::GetFlag(FLAGS_period_unit);
  const std::string zone = absl::GetFlag(FLAGS_time_zone);
  if (!model.empty() || !unit.empty() || !zone.empty()) {
    if (model == "operator")
      c.model = Model::kOperator;
    else if (model == "funder_pays")
      c.model = Model::kFunderPays;
    else if (!model.empty())
      return absl::InvalidArgumentError("model: operator or funder_pays");
    if (!unit.empty()) {
      ASSIGN_OR_RETURN(c.period_unit, ParsePeriodUnit(unit));
    }
    if (!zone.empty()) c.time_zone = zone;
    RETURN_IF_ERROR(SaveConfig(store, *SystemClock::Get(), c.model, c.period_unit, c.time_zone,
                               FinanceActor()));
  }
  std::printf("model %s, period %s, time zone %s\n", ModelName(c.model),
              PeriodUnitName(c.period_unit), c.time_zone.c_str());
  return absl::OkStatus();
}

// The terms flags given, checked before anything is read or written.
struct TermsFlags {
  std::optional<int64_t> partner, issue_price, redeem_value, fee_per_point;
};

absl::StatusOr<TermsFlags> ReadTermsFlags() {
  TermsFlags f{absl::GetFlag(FLAGS_partner), absl::GetFlag(FLAGS_issue_price_micros),
               absl::GetFlag(FLAGS_redeem_value_micros), absl::GetFlag(FLAGS_fee_per_point_micros)};
  if (f.partner.has_value() && *f.partner < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("partner: a partner id, or 0 for the operator; got ", *f.partner));
  }
  for (auto [name, value] : {std::pair{"issue_price_micros", f.issue_price},
                             std::pair{"redeem_value_micros", f.redeem_value},
                             std::pair{"fee_per_point_micros", f.fee_per_point}}) {
    if (!value.has_value()) continue;
    if (*value < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": a price is 0 or more micro-units; got ", *value));
    }
    if (!f.partner.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("partner: --", name, " sets a partner's price: give --partner"));
    }
  }
  return f;
}

absl::Status Terms(Store* store, const TermsFlags& f) {
  if (f.partner.has_value()) {
    const int64_t partner = *f.partner;
    ASSIGN_OR_RETURN(SettlementConfig c, LoadConfig(store));
    PartnerTerms t = c.terms.count(partner) ? c.terms[partner] : PartnerTerms{};
    t.issue_price_micros = f.issue_price.value_or(t.issue_price_micros);
    t.redeem_value_micros = f.redeem_value.value_or(t.redeem_value_micros);
    t.fee_per_point_micros = f.fee_per_point.value_or(t.fee_per_point_micros);
    RETURN_IF_ERROR(SaveTerms(store, *SystemClock::Get(), partner, t, FinanceActor()));
  }
  ASSIGN_OR_RETURN(SettlementConfig c, LoadConfig(store));
  std::printf("partner,issue_price_micros,redeem_value_micros,fee_per_point_micros\n");
  for (const auto& [id, t] : c.terms) {
    std::printf("%lld,%lld,%lld,%lld\n", static_cast<long long>(id),
                static_cast<long long>(t.issue_price_micros),
                static_cast<long long>(t.redeem_value_micros),
                static_cast<long long>(t.fee_per_point_micros));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> RunIdArg(const std::vector<char*>& args) {
  int64_t id = 0;
  if (args.size() < 3 || !absl::SimpleAtoi(args[2], &id) || id <= 0) {
    return absl::InvalidArgumentError("run: give the run id, e.g. settlement finalize 12");
  }
  return id;
}

absl::Status Dispatch(const std::string& cmd, const std::vector<char*>& args) {
  if (FindCommand(cmd) == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown command '", cmd, "' (see settlement --help)"));
  }
  std::optional<TermsFlags> terms;
  if (cmd == "terms") {
    ASSIGN_OR_RETURN(terms, ReadTermsFlags());
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Store> store, OpenStore());
  if (cmd == "config") return Config(store.get());
  if (cmd == "terms") return Terms(store.get(), *terms);
  if (cmd == "close") {
    ASSIGN_OR_RETURN(Period period, PeriodFromFlags(store.get()));
    ASSIGN_OR_RETURN(Settlement s,
                     ClosePeriod(store.get(), *SystemClock::Get(), period, Say, FinanceActor()));
    PrintSummary(s);
    return MaybeWriteReports(s, nullptr);
  }
  if (cmd == "finalize" || cmd == "show") {
    ASSIGN_OR_RETURN(int64_t id, RunIdArg(args));
    ASSIGN_OR_RETURN(Settlement s, cmd == "finalize" ? FinalizeRun(store.get(), *SystemClock::Get(),
                                                                   id, FinanceActor())
                                                     : LoadRun(store.get(), id));
    PrintSummary(s);
    return MaybeWriteReports(s, nullptr);
  }
  if (cmd == "reconcile") {
    const int64_t partner = absl::GetFlag(FLAGS_partner).value_or(0);
    if (partner <= 0) return absl::InvalidArgumentError("partner: give --partner ID");
    if (absl::GetFlag(FLAGS_file).empty()) return absl::InvalidArgumentError("file: give --file");
    ASSIGN_OR_RETURN(Period period, PeriodFromFlags(store.get()));
    ASSIGN_OR_RETURN(Reconciliation r,
                     Reconcile(store.get(), partner, period, absl::GetFlag(FLAGS_file)));
    std::printf(
        "partner %lld period %s: %lld matched, %lld missing at hub, %lld missing at "
        "partner, %lld mismatched, %zu bad rows\n",
        static_cast<long long>(partner), period.label.c_str(), static_cast<long long>(r.matched),
        static_cast<long long>(r.missing_at_hub), static_cast<long long>(r.missing_at_partner),
        static_cast<long long>(r.mismatched), r.bad_rows.size());
    // With the period's settlement run, the reconciliation joins its full report.
    ASSIGN_OR_RETURN(std::optional<Settlement> run, LoadRunOfPeriod(store.get(), period));
    if (run.has_value()) return MaybeWriteReports(*run, &r);
    return WriteReconciliationOnly(r);
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown command '", cmd, "'"));
}

}  // namespace
}  // namespace loyalty::settlement

int main(int argc, char** argv) {
  if (std::optional<int> code = loyalty::settlement::MaybeHelp(argc, argv)) return *code;
  absl::SetProgramUsageMessage("settlement COMMAND [flags]; settlement --help");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() < 2) {
    std::fputs(loyalty::settlement::Usage(nullptr).c_str(), stderr);
    return 2;
  }
  absl::Status s = loyalty::settlement::Dispatch(args[1], args);
  if (!s.ok()) {
    std::fprintf(stderr, "settlement: %s: %s\n", absl::StatusCodeToString(s.code()).c_str(),
                 std::string(s.message()).c_str());
  }
  return loyalty::settlement::ExitCode(s);
}
