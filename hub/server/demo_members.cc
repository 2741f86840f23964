// loyalty_demo_members: three demo members who use the coalition's app (deploy/dev.sh
// run, after loyalty_demo): Ana (English), Min-ji (Korean) and Wei (Chinese), each with
// an e-mail address at demo.example, consent to notices and promotions, no quiet hours,
// a card from the grocer, an earn dated so that its points expire in about 15 days (the
// notifier mails the notice within a minute) and a recent one at another merchant. Posted through the
// Ledger on a clock of its own; idempotent (the same request ids replay).
#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "hub/common/clock.h"
#include "hub/common/status_macros.h"
#include "hub/ledger/ledger.h"
#include "hub/members/members.h"
#include "hub/server/db_flags.h"
#include "hub/store/mysql_store.h"

ABSL_FLAG(std::string, out, "", "if set, the demo members (cards, addresses) are written here");

namespace loyalty {
namespace {

struct Person {
  const char* key;
  const char* name;
  const char* email;
  const char* language;
  const char* time_zone;
};

constexpr Person kPeople[] = {
    {"ana", "Ana", "ana@demo.example", "en", "Europe/Lisbon"},
    {"minji", "Min-ji", "minji@demo.example", "ko", "Asia/Seoul"},
    {"wei", "Wei", "wei@demo.example", "zh", "Asia/Shanghai"},
};

absl::StatusOr<std::string> Make(Store* store) {
  FakeClock clock(absl::ToUnixMicros(absl::Now()));
  Ledger ledger(store, &clock);
  Members members(store, &ledger, SystemClock::Get());
  ASSIGN_OR_RETURN(std::vector<PartnerRecord> partners, ledger.ListPartners());
  std::vector<PartnerRecord> merchants;
  for (const PartnerRecord& p : partners) {
    if (p.role == Role::kMerchant && !p.suspended) merchants.push_back(p);
  }
  if (merchants.size() < 2) {
    return absl::FailedPreconditionError("run loyalty_demo first: it makes the merchants");
  }
  ASSIGN_OR_RETURN(ProgramRecord program, ledger.GetProgram());
  const Micros now = absl::ToUnixMicros(absl::Now());
  constexpr Micros kDay = 86'400'000'000;
  // The old earn: dated so that its points expire about 15 days from now (points that
  // live N months: N months less 15 days ago), if the program's points expire that way.
  absl::TimeZone tz;
  if (!absl::LoadTimeZone(program.time_zone, &tz)) tz = absl::UTCTimeZone();
  std::optional<Micros> old_at;
  if (program.expiry_policy == expiry_policy::kMonthsAfterEarn && program.expiry_months > 0) {
    const absl::CivilSecond t = absl::ToCivilSecond(absl::FromUnixMicros(now + 15 * kDay), tz);
    const absl::CivilSecond back(t.year(), t.month() - program.expiry_months, t.day(), t.hour(),
                                 t.minute(), t.second());
    old_at = absl::ToUnixMicros(absl::FromCivil(back, tz));
  }
  std::string out = "---- demo members (MemberService, docs/members.md) ----\n";
  for (const Person& who : kPeople) {
    PartnerRequest enroll{merchants[0].id, absl::StrCat("demo-member-", who.key), 0};
    clock.Set(old_at.value_or(now - 30 * kDay));
    ASSIGN_OR_RETURN(Posting member, ledger.EnrollMember(enroll));
    EarnParams old;
    old.req = {merchants[0].id, absl::StrCat("demo-member-", who.key, "-old"), 0};
    old.card_number = member.card_number;
    old.amount_minor = 6000;
    old.currency = program.currency;
    ASSIGN_OR_RETURN(Posting first, ledger.Earn(old));
    clock.Set(now - 2 * kDay);
    EarnParams recent = old;
    recent.req = {merchants[1].id, absl::StrCat("demo-member-", who.key, "-recent"), 0};
    recent.amount_minor = 2500;
    RETURN_IF_ERROR(ledger.Earn(recent).status());
    MemberProfileRow profile;
    profile.email = who.email;
    profile.language = who.language;
    profile.time_zone = who.time_zone;
    profile.consent_notices = true;
    profile.consent_marketing = true;
    profile.quiet_start_minute = profile.quiet_end_minute = 0;  // the demo mails at once
    RETURN_IF_ERROR(members.SetProfile(member.member_id, profile).status());
    absl::StrAppend(&out, "  ", who.name, "  card ", member.card_number, "  ", who.email, "  (",
                    who.language, ")",
                    old_at.has_value()
                        ? absl::StrCat("  ", first.points, " points expire in about 15 days")
                        : std::string("  (the program's points do not expire by months)"),
                    "\n");
  }
  return out;
}

}  // namespace
}  // namespace loyalty

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("Demo members with e-mail addresses for the coalition's app.");
  absl::ParseCommandLine(argc, argv);
  absl::StatusOr<loyalty::MysqlOptions> db = loyalty::MysqlOptionsFromFlags();
  if (!db.ok()) {
    std::fprintf(stderr, "loyalty_demo_members: %s\n", std::string(db.status().message()).c_str());
    return 1;
  }
  auto store = loyalty::OpenMysqlStore(*db);
  if (!store.ok()) {
    std::fprintf(stderr, "loyalty_demo_members: %s\n",
                 std::string(store.status().message()).c_str());
    return 1;
  }
  absl::StatusOr<std::string> text = loyalty::Make(store->get());
  if (!text.ok()) {
    std::fprintf(stderr, "loyalty_demo_members: %s\n",
                 std::string(text.status().message()).c_str());
    return 1;
  }
  std::fputs(text->c_str(), stdout);
  if (!absl::GetFlag(FLAGS_out).empty()) std::ofstream(absl::GetFlag(FLAGS_out)) << *text;
  return 0;
}
