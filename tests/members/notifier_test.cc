// The notifier against a real SMTP server the test starts (Debian's python3-aiosmtpd,
// writing a Maildir): the right mail in the member's language, none without consent,
// none in quiet hours (it goes when they end), expiring points announced, mail kept and
// retried while the server is down.
#include "hub/notifier/notifier.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "hub/common/status_macros.h"
#include "hub/members/members.h"
#include "tests/support/hub_process.h"
#include "tests/support/test_db.h"
#include "tests/support/test_util.h"

namespace loyalty::testing {
namespace {

constexpr Micros kDay = 86'400'000'000;

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

bool Accepts(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  close(fd);
  return ok;
}

// aiosmtpd writing every mail it takes into a Maildir.
class SmtpSink {
 public:
  SmtpSink() : dir_(std::filesystem::temp_directory_path() /
                    absl::StrCat("loyalty-mail-", getpid(), "-", FreePort())) {
    for (const char* sub : {"tmp", "new", "cur"}) std::filesystem::create_directories(dir_ / sub);
    port_ = FreePort();
  }
  ~SmtpSink() {
    Stop();
    std::filesystem::remove_all(dir_);
  }
  void Start() {
    pid_ = fork();
    if (pid_ == 0) {
      const std::string listen = absl::StrCat("127.0.0.1:", port_);
      execl("/usr/bin/python3", "python3", "-m", "aiosmtpd", "-n", "-l", listen.c_str(), "-c",
            "aiosmtpd.handlers.Mailbox", dir_.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    ASSERT_TRUE(PollUntil([&] { return Accepts(port_); })) << "aiosmtpd did not start";
  }
  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  std::string url() const { return absl::StrCat("smtp://127.0.0.1:", port_); }

  struct Mail {
    std::string to, subject, body;
  };
  // Every mail received, decoded.
  std::vector<Mail> Received() const {
    std::vector<Mail> out;
    const auto dir = dir_ / "new";
    if (!std::filesystem::exists(dir)) return out;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      std::ifstream in(entry.path());
      std::stringstream ss;
      ss << in.rdbuf();
      const std::string text = ss.str();
      Mail m;
      const size_t split = text.find("\n\n");
      for (absl::string_view line : absl::StrSplit(text.substr(0, split), '\n')) {
        line = absl::StripTrailingAsciiWhitespace(line);
        if (absl::ConsumePrefix(&line, "To: ")) m.to = std::string(line);
        if (absl::ConsumePrefix(&line, "Subject: =?UTF-8?B?") &&
            absl::ConsumeSuffix(&line, "?=")) {
          absl::Base64Unescape(line, &m.subject);
        }
      }
      std::string b64;
      for (char c : text.substr(split + 2)) {
        if (c != '\n' && c != '\r') b64 += c;
      }
      absl::Base64Unescape(b64, &m.body);
      out.push_back(std::move(m));
    }
    return out;
  }
  std::vector<Mail> To(const std::string& address) const {
    std::vector<Mail> out;
    for (Mail& m : Received()) {
      if (m.to == address) out.push_back(std::move(m));
    }
    return out;
  }

 private:
  std::filesystem::path dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

class NotifierTest : public ::testing::Test {
 protected:
  NotifierTest() : members_(f.db().store(), &f.ledger(), &f.clock()) {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(sink_.Start());
    grocer_ = f.AddPartner("grocery", 500);
    ASSERT_TRUE(f.ledger().SetTiers("test", {{"silver", 10000, 10000}}).ok());
  }

  // A member who spent 200.00 EUR at the grocer, with `profile`.
  MemberId Member(MemberProfileRow profile) {
    const std::string card = f.AddMember(grocer_);
    const MemberId m = Ok(f.Earn(grocer_, card, 20000)).member_id;
    Ok(members_.SetProfile(m, profile));
    return m;
  }

  static MemberProfileRow Profile(const std::string& email, const std::string& language,
                                  bool consent) {
    MemberProfileRow p;
    p.email = email;
    p.language = language;
    p.consent_notices = consent;
    return p;
  }

  void SequenceAll() {
    int64_t n = 0;
    do {
      ASSERT_TRUE(f.db().store()->RunEventTransaction([&](MemberRows& rows) -> absl::Status {
                    ASSIGN_OR_RETURN(n, rows.SequenceEvents(5000));
                    return absl::OkStatus();
                  }).ok());
    } while (n > 0);
  }

  NotifierOptions Options() {
    NotifierOptions o;
    o.smtp.url = sink_.url();
    o.smtp.from = "club@coalition.example";
    return o;
  }

  LedgerFixture f;
  Members members_;
  SmtpSink sink_;
  PartnerId grocer_ = 0;
};

TEST_F(NotifierTest, RightLanguageConsentAndQuietHours) {
  // The fixture's clock says 10:00 UTC: this member's quiet hours run 10:00-12:00.
  MemberProfileRow quiet = Profile("quiet@example.org", "en", true);
  quiet.quiet_start_minute = 10 * 60;
  quiet.quiet_end_minute = 12 * 60;
  Member(Profile("ana@example.org", "en", true));
  Member(Profile("minji@example.org", "ko", true));
  Member(Profile("wei@example.org", "zh", true));
  Member(Profile("no@example.org", "en", false));
  Member(quiet);
  ASSERT_TRUE(f.ledger().RunTierReview().ok());
  SequenceAll();

  Notifier notifier(f.db().store(), &f.clock(), Options());
  NotifierRun run = Ok(notifier.QueueFromEvents());
  EXPECT_EQ(run.queued, 4);  // not the member without consent
  run = Ok(notifier.SendDue());
  EXPECT_EQ(run.sent, 3);    // not the one in quiet hours
  ASSERT_TRUE(PollUntil([&] { return sink_.Received().size() == 3; }));
  auto one = [&](const std::string& to) {
    std::vector<SmtpSink::Mail> m = sink_.To(to);
    EXPECT_EQ(m.size(), 1u) << to;
    return m.empty() ? SmtpSink::Mail{} : m[0];
  };
  EXPECT_EQ(one("ana@example.org").subject, "Your tier is now silver");
  EXPECT_EQ(one("minji@example.org").subject, "회원 등급이 silver(으)로 변경되었습니다");
  EXPECT_EQ(one("wei@example.org").subject, "您的会员等级已变为 silver");
  EXPECT_NE(one("ana@example.org").body.find("from - to silver"), std::string::npos);
  EXPECT_TRUE(sink_.To("no@example.org").empty());
  EXPECT_TRUE(sink_.To("quiet@example.org").empty());
  // Reading again queues nothing twice.
  EXPECT_EQ(Ok(notifier.QueueFromEvents()).queued, 0);
  EXPECT_EQ(Ok(notifier.SendDue()).sent, 0);
  // At 12:00 the quiet hours end.
  f.clock().Advance(2 * 3600 * int64_t{1'000'000});
  EXPECT_EQ(Ok(notifier.SendDue()).sent, 1);
  ASSERT_TRUE(PollUntil([&] { return sink_.To("quiet@example.org").size() == 1; }));
  EXPECT_EQ(sink_.Received().size(), 4u);
}

TEST_F(NotifierTest, ExpiringPointsAreAnnounced) {
  Member(Profile("ana@example.org", "en", true));
  Member(Profile("minji@example.org", "ko", true));
  // The lots expire in 12 months; a 400-day notice covers them.
  ASSERT_TRUE(f.db().store()->RunEventTransaction([&](MemberRows& rows) -> absl::Status {
                return rows.EmitTimedEvents(f.clock().NowMicros(), 400 * kDay).status();
              }).ok());
  SequenceAll();
  Notifier notifier(f.db().store(), &f.clock(), Options());
  ASSERT_TRUE(notifier.QueueFromEvents().ok());
  ASSERT_TRUE(notifier.SendDue().ok());
  // (Their tier mail may come too: the earn crossed the silver threshold.)
  auto subjects = [&](const std::string& to) {
    std::vector<std::string> out;
    for (const SmtpSink::Mail& m : sink_.To(to)) out.push_back(m.subject);
    return out;
  };
  ASSERT_TRUE(PollUntil([&] {
    return absl::c_linear_search(subjects("ana@example.org"), "1000 points expire on 2027-01-15") &&
           absl::c_linear_search(subjects("minji@example.org"),
                                 "2027-01-15에 1000 포인트가 소멸됩니다");
  })) << absl::StrJoin(subjects("ana@example.org"), " | ");
}

TEST_F(NotifierTest, MailWaitsWhileTheServerIsDown) {
  const std::string card = f.AddMember(grocer_);
  const MemberId m = Ok(f.Earn(grocer_, card, 1000)).member_id;
  Ok(members_.SetProfile(m, Profile("ana@example.org", "en", false)));
  sink_.Stop();
  // A sign-in code goes whatever the consent (the member asked for it).
  ASSERT_TRUE(members_.RequestSignInCode(card).ok());
  Notifier notifier(f.db().store(), &f.clock(), Options());
  NotifierRun run = Ok(notifier.SendDue());
  EXPECT_EQ(run.sent, 0);
  EXPECT_EQ(run.retried, 1);
  sink_.Start();
  EXPECT_EQ(Ok(notifier.SendDue()).sent, 0);  // not yet due again
  f.clock().Advance(31'000'000);
  EXPECT_EQ(Ok(notifier.SendDue()).sent, 1);
  ASSERT_TRUE(PollUntil([&] { return sink_.To("ana@example.org").size() == 1; }));
  EXPECT_TRUE(absl::StartsWith(sink_.To("ana@example.org")[0].subject, "Your sign-in code: "));
  // The code is not kept once sent.
  EXPECT_EQ(f.Query("SELECT COUNT(*) FROM notifications WHERE body <> ''"), 0);
}

TEST(NotBefore, QuietHoursWrapMidnightInTheMembersZone) {
  // 2026-01-15 23:30 in Seoul (UTC+9) = 14:30 UTC.
  const Micros t = 1768487400'000000;
  const Micros seoul_8am = 1768518000'000000;  // 2026-01-16 08:00 +09:00
  EXPECT_EQ(NotBefore(t, "Asia/Seoul", 22 * 60, 8 * 60), seoul_8am);
  EXPECT_EQ(NotBefore(t, "UTC", 22 * 60, 8 * 60), t);  // 14:30 UTC is not quiet
  EXPECT_EQ(NotBefore(t, "Asia/Seoul", 0, 0), t);      // no quiet hours
}

}  // namespace
}  // namespace loyalty::testing
