// `loyalty analytics` against the real hub (a fresh database, tests/sdk/sdk_fixture.h):
// twelve members earn at the grocer, then the CLI prints their segments as CSV and JSON
// with the partner's key, and writes the HTML page with the partner's and the admin's
// keys, each leaving out what that key cannot get, with a note saying why.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "analytics_html.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/sdk/sdk_fixture.h"

namespace loyalty::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr int kMembers = 12;

struct CliRun {
  int exit_code = -1;
  std::string out;  // stdout
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class AnalyticsCliTest : public SdkHubTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(SdkHubTest::SetUp());
    sdk::PartnerClient grocer = Partner();
    for (int i = 0; i < kMembers; ++i) {
      sdk::EarnParams sale;
      sale.card_number = NewCard(grocer);
      sale.amount = {1000 + 100 * i, "EUR"};
      auto earned = grocer.Earn(sale);
      ASSERT_TRUE(earned.ok()) << earned.status();
      spend_minor_ += sale.amount.amount_minor;
    }
    dir_ = ::testing::TempDir() + "analytics_cli_" + std::to_string(getpid()) + "/";
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // `loyalty --hub=<hub> analytics <args>` with `key`; stdout captured. The arguments are
  // plain words: no quoting needed.
  CliRun Analytics(const std::string& key, const std::string& args) {
    const std::string command = absl::StrCat("LOYALTY_API_KEY=", key, " ", LOYALTY_CLI_BINARY,
                                             " --hub=", hub_.target(), " analytics ", args);
    CliRun run;
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) {
      ADD_FAILURE() << "popen " << command;
      return run;
    }
    char buf[4096];
    for (size_t n; (n = fread(buf, 1, sizeof(buf), pipe)) > 0;) run.out.append(buf, n);
    const int status = pclose(pipe);
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return run;
  }

  int64_t spend_minor_ = 0;
  std::string dir_;
};

TEST_F(AnalyticsCliTest, SegmentsCsvAddsUpToTheEarns) {
  const CliRun r =
      Analytics(partner_key_, absl::StrCat("segments --csv --partner_id=", partner_id_));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  std::vector<std::string> lines = absl::StrSplit(r.out, '\n', absl::SkipEmpty());
  ASSERT_GE(lines.size(), 2u) << r.out;
  EXPECT_EQ(lines[0], "recency_score,frequency_score,monetary_score,members,spend_minor");
  int64_t members = 0, spend = 0;
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> f = absl::StrSplit(lines[i], ',');
    ASSERT_EQ(f.size(), 5u) << lines[i];
    int64_t m = 0, s = 0;
    ASSERT_TRUE(absl::SimpleAtoi(f[3], &m) && absl::SimpleAtoi(f[4], &s)) << lines[i];
    members += m;
    spend += s;
  }
  // Its own tills: member-level, nothing suppressed.
  EXPECT_EQ(members, kMembers);
  EXPECT_EQ(spend, spend_minor_);
}

TEST_F(AnalyticsCliTest, CoalitionWideCellsAreSuppressedForAPartner) {
  CliRun r = Analytics(partner_key_, "segments --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("\"min_cell_members\":10"));
  EXPECT_THAT(r.out, HasSubstr("\"members\":0,\"spend_minor\":0,\"suppressed\":true}"));
  r = Analytics(partner_key_, "segments");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("members=suppressed spend_minor=suppressed"));
  EXPECT_THAT(r.out, HasSubstr(absl::StrCat("members: ", kMembers, "\n")));
}

TEST_F(AnalyticsCliTest, HtmlLeavesOutWhatTheKeyCannotGet) {
  const std::string partner_page = dir_ + "partner.html";
  CliRun r = Analytics(partner_key_, "html --json --out=" + partner_page);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  // A partner key looks for its own promotions in its program rules: there are none.
  EXPECT_THAT(r.out, HasSubstr("\"left_out\":[\"Promotion effect: No promotion at a partner"));
  std::string html = ReadFile(partner_page);
  for (const char* heading : cli::kAnalyticsHeadings) {
    EXPECT_THAT(html, HasSubstr(absl::StrCat("<h2>", heading, "</h2>")));
  }
  EXPECT_THAT(html, HasSubstr(absl::StrCat("<th>Joiners</th><td>", kMembers, "</td>")));

  const std::string admin_page = dir_ + "admin.html";
  r = Analytics(kHubAdminKey, "html --out=" + admin_page);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("Promotion effect: No promotion at a partner"));
  EXPECT_THAT(r.out, HasSubstr("Effect of joining: An operator key must name the partner"));
  html = ReadFile(admin_page);
  EXPECT_THAT(html, HasSubstr("<h2>Effect of joining</h2>\n<p class=\"note\">An operator key "
                              "must name the partner"));
  EXPECT_THAT(html, Not(HasSubstr("<th>Joiners</th>")));
}

TEST_F(AnalyticsCliTest, ExitCodesForBadRequests) {
  EXPECT_EQ(Analytics(kHubAdminKey, "promotion").exit_code, 3);  // --promotion_id required
  EXPECT_EQ(Analytics(kHubAdminKey, "flows --promotion_id=1").exit_code, 3);
  EXPECT_EQ(Analytics(kHubAdminKey, "segments --csv --json").exit_code, 3);
  EXPECT_EQ(Analytics(kHubAdminKey, "charts").exit_code, 3);
  EXPECT_EQ(Analytics(kHubAdminKey, "promotion --promotion_id=999").exit_code, 4);
  EXPECT_EQ(Analytics(partner_key_, "segments --partner_id=999").exit_code, 6);
}

}  // namespace
}  // namespace loyalty::testing
