// Members' own side on the real database (issue 15): sign-in codes, claims (accept posts
// exactly once, reject posts nothing, escalation after N days on a fake clock, a partner
// answers only its own), and erasure (personal data gone; the journal and the
// settlement of the period unchanged).
#include "hub/members/members.h"

#include <atomic>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "hub/common/status_macros.h"
#include "settlement/json.h"
#include "settlement/period.h"
#include "settlement/run.h"
#include "tests/support/test_db.h"
#include "tests/support/test_util.h"

namespace loyalty::testing {
namespace {

constexpr Micros kDay = 86'400'000'000;

class MembersTest : public ::testing::Test {
 protected:
  MembersTest() : members_(f.db().store(), &f.ledger(), &f.clock()) {
    grocer_ = f.AddPartner("grocery", 500);
    gym_ = f.AddPartner("fitness", 300);
    card_ = f.AddMember(grocer_);
    other_card_ = f.AddMember(gym_);
    member_ = Ok(f.Earn(grocer_, card_, 1000)).member_id;
    other_ = Ok(f.Earn(gym_, other_card_, 1000)).member_id;
  }

  ClaimActor Partner(PartnerId p) { return {false, p, absl::StrCat("partner:", p)}; }
  ClaimActor Operator() { return {true, 0, "admin:test"}; }

  ClaimRow Open(const std::string& receipt, int64_t amount = 4000) {
    return Ok(members_.OpenClaim(member_, grocer_, f.clock().NowMicros() - kDay, amount, "EUR",
                                 receipt));
  }

  std::vector<NotificationRow> Mail(MemberId m) {
    std::vector<NotificationRow> out;
    EXPECT_TRUE(f.db().store()->RunEventTransaction([&](MemberRows& rows) -> absl::Status {
                  ASSIGN_OR_RETURN(out, rows.NotificationsOf(m));
                  return absl::OkStatus();
                }).ok());
    return out;
  }

  LedgerFixture f;
  Members members_;
  PartnerId grocer_ = 0, gym_ = 0;
  std::string card_, other_card_;
  MemberId member_ = 0, other_ = 0;
};

TEST_F(MembersTest, AcceptPostsTheEarnExactlyOnce) {
  const ClaimRow c = Open("R-1001");
  EXPECT_EQ(c.status, claim_status::kOpen);
  EXPECT_EQ(f.Query("SELECT COUNT(*) FROM events WHERE type = 'claim.opened'"), 1);
  const Points before = f.Balance(card_).balance;
  // Four answers at once, then one more: one earn.
  std::atomic<int> ok{0};
  RunTogether(4, [&](int, StartGate& gate) {
    gate.Wait();
    if (members_.AcceptClaim(Partner(grocer_), c.id).ok()) ++ok;
  });
  EXPECT_EQ(ok.load(), 4);
  const ClaimRow again = Ok(members_.AcceptClaim(Partner(grocer_), c.id));
  EXPECT_EQ(again.status, claim_status::kAccepted);
  ASSERT_TRUE(again.earn_txn_id.has_value());
  EXPECT_EQ(f.Query(absl::StrCat("SELECT COUNT(*) FROM txns WHERE partner_txn_id LIKE 'claim-",
                                 c.id, "-%'")),
            1);
  EXPECT_EQ(f.Balance(card_).balance, before + 200);  // 40.00 EUR at 5%
  EXPECT_EQ(f.Query("SELECT COUNT(*) FROM events WHERE type = 'claim.resolved'"), 1);
  EXPECT_EQ(f.Query("SELECT points FROM events WHERE type = 'claim.resolved'"), 200);
  // Once accepted it cannot be rejected.
  EXPECT_EQ(members_.RejectClaim(Partner(grocer_), c.id, "no").status().code(),
            absl::StatusCode::kFailedPrecondition);
  f.ExpectInvariants();
}

TEST_F(MembersTest, RejectPostsNothingAndAnotherPartnerSeesNothing) {
  const ClaimRow c = Open("R-2002");
  const int64_t txns = f.Rows("txns");
  // The gym neither sees nor answers the grocer's claim.
  EXPECT_TRUE(Ok(members_.ListClaims(Partner(gym_), {}, 0, 100)).empty());
  EXPECT_EQ(members_.AcceptClaim(Partner(gym_), c.id).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(members_.RejectClaim(Partner(gym_), c.id, "not ours").status().code(),
            absl::StatusCode::kNotFound);
  const ClaimRow r = Ok(members_.RejectClaim(Partner(grocer_), c.id, "no such receipt"));
  EXPECT_EQ(r.status, claim_status::kRejected);
  EXPECT_EQ(r.reason, "no such receipt");
  EXPECT_EQ(f.Rows("txns"), txns);
  EXPECT_EQ(members_.AcceptClaim(Partner(grocer_), c.id).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(f.Rows("txns"), txns);
  // The same receipt cannot be claimed twice.
  EXPECT_EQ(members_.OpenClaim(member_, grocer_, f.clock().NowMicros() - kDay, 4000, "EUR",
                               "R-2002")
                .status()
                .code(),
            absl::StatusCode::kAlreadyExists);
  ASSERT_EQ(Ok(members_.ListClaims(Partner(grocer_), {"rejected"}, 0, 100)).size(), 1u);
  EXPECT_TRUE(Ok(members_.ListClaims(Partner(grocer_), {"open"}, 0, 100)).empty());
}

TEST_F(MembersTest, UnansweredClaimsEscalateAfterTheAnswerTime) {
  const ClaimRow c = Open("R-3003");
  f.clock().Advance(13 * kDay);
  EXPECT_EQ(Ok(members_.EscalateDueClaims()), 0);
  f.clock().Advance(1 * kDay + 1);
  EXPECT_EQ(Ok(members_.EscalateDueClaims()), 1);
  EXPECT_EQ(Ok(members_.EscalateDueClaims()), 0);
  const std::vector<ClaimRow> escalated =
      Ok(members_.ListClaims(Operator(), {"escalated"}, 0, 100));
  ASSERT_EQ(escalated.size(), 1u);
  EXPECT_EQ(escalated[0].id, c.id);
  EXPECT_EQ(f.Query("SELECT COUNT(*) FROM events WHERE type = 'claim.escalated'"), 1);
  // The operator answers it; the partner still could.
  EXPECT_EQ(Ok(members_.AcceptClaim(Operator(), c.id)).status, claim_status::kAccepted);
}

TEST_F(MembersTest, AClaimBeingAcceptedCannotBeRejected) {
  const ClaimRow c = Open("R-4004");
  // As an accept that marked it and is posting its earn would leave it.
  f.db().Execute(absl::StrCat("UPDATE claims SET status = 'accepting' WHERE id = ", c.id));
  EXPECT_EQ(members_.RejectClaim(Partner(grocer_), c.id, "too late").status().code(),
            absl::StatusCode::kFailedPrecondition);
  // The accept (or its retry) goes on from there, once.
  EXPECT_EQ(Ok(members_.AcceptClaim(Partner(grocer_), c.id)).status, claim_status::kAccepted);
  EXPECT_EQ(Ok(members_.AcceptClaim(Partner(grocer_), c.id)).status, claim_status::kAccepted);
  EXPECT_EQ(f.Query(absl::StrCat("SELECT COUNT(*) FROM txns WHERE partner_txn_id LIKE 'claim-",
                                 c.id, "-%'")),
            1);
}

TEST_F(MembersTest, ProfilesAreValidatedByField) {
  MemberProfileRow p;
  for (const char* zone : {"../../etc/passwd", "/etc/localtime", "Mars/Olympus", "", "Asia//Seoul"}) {
    p.time_zone = zone;
    absl::Status s = members_.SetProfile(member_, p).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << zone;
    EXPECT_NE(s.message().find("time_zone"), std::string::npos) << zone;
  }
  p.time_zone = "America/Argentina/Buenos_Aires";
  EXPECT_TRUE(members_.SetProfile(member_, p).ok());
  p.email = "two@@example.org";
  EXPECT_EQ(members_.SetProfile(member_, p).status().code(), absl::StatusCode::kInvalidArgument);
  p.email = "";
  p.quiet_end_minute = 1440;
  EXPECT_EQ(members_.SetProfile(member_, p).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(MembersTest, BadClaimsAreRefusedByField) {
  const Micros now = f.clock().NowMicros();
  EXPECT_EQ(members_.OpenClaim(member_, grocer_, now + kDay, 100, "EUR", "R1").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(members_.OpenClaim(member_, grocer_, now - kDay, 0, "EUR", "R1").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(members_.OpenClaim(member_, grocer_, now - kDay, 100, "USD", "R1").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(members_.OpenClaim(member_, grocer_, now - kDay, 100, "EUR", "a b").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(members_.OpenClaim(member_, 9999, now - kDay, 100, "EUR", "R1").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(f.Rows("claims"), 0);
}

TEST_F(MembersTest, SignInWithTheMailedCode) {
  MemberProfileRow p;
  p.email = "ana@example.org";
  p.consent_notices = true;
  Ok(members_.SetProfile(member_, p));
  ASSERT_TRUE(members_.RequestSignInCode(card_).ok());
  ASSERT_TRUE(members_.RequestSignInCode(card_).ok());  // within 30 s: no second code
  ASSERT_TRUE(members_.RequestSignInCode("4111111111111111").ok());  // unknown: still OK
  std::vector<NotificationRow> mail = Mail(member_);
  ASSERT_EQ(mail.size(), 1u);
  EXPECT_EQ(mail[0].recipient, "ana@example.org");
  const size_t at = mail[0].subject.find(": ");
  ASSERT_NE(at, std::string::npos);
  const std::string code = mail[0].subject.substr(at + 2);
  ASSERT_EQ(code.size(), 6u);
  const std::string wrong = code == "000000" ? "111111" : "000000";
  EXPECT_EQ(members_.SignIn(card_, wrong).status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(members_.SignIn(other_card_, code).status().code(),
            absl::StatusCode::kUnauthenticated);
  const std::string token = Ok(members_.SignIn(card_, code));
  EXPECT_EQ(Ok(members_.Authenticate(token)), member_);
  // The code is spent.
  EXPECT_EQ(members_.SignIn(card_, code).status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(members_.Authenticate("mbr_nope").status().code(), absl::StatusCode::kUnauthenticated);
  // Five wrong guesses spend a code.
  f.clock().Advance(31'000'000);
  ASSERT_TRUE(members_.RequestSignInCode(card_).ok());
  mail = Mail(member_);
  ASSERT_EQ(mail.size(), 2u);
  const std::string code2 = mail[1].subject.substr(mail[1].subject.find(": ") + 2);
  const std::string wrong2 = code2 == "000000" ? "111111" : "000000";
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(members_.SignIn(card_, wrong2).ok());
  EXPECT_EQ(members_.SignIn(card_, code2).status().code(), absl::StatusCode::kUnauthenticated);
  // A new code does not buy new guesses within the hour ...
  f.clock().Advance(31'000'000);
  ASSERT_TRUE(members_.RequestSignInCode(card_).ok());
  mail = Mail(member_);
  ASSERT_EQ(mail.size(), 3u);
  const std::string code3 = mail[2].subject.substr(mail[2].subject.find(": ") + 2);
  EXPECT_EQ(members_.SignIn(card_, code3).status().code(), absl::StatusCode::kUnauthenticated);
  // ... after it, it does.
  f.clock().Advance(3600'000'000);
  ASSERT_TRUE(members_.RequestSignInCode(card_).ok());
  mail = Mail(member_);
  ASSERT_EQ(mail.size(), 4u);
  const std::string code4 = mail[3].subject.substr(mail[3].subject.find(": ") + 2);
  EXPECT_TRUE(members_.SignIn(card_, code4).ok());
  // Sessions expire.
  f.clock().Advance(31 * kDay);
  EXPECT_EQ(members_.Authenticate(token).status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(MembersTest, ErasureKeepsTheJournalAndTheSettlement) {
  MemberProfileRow p;
  p.email = "ana@example.org";
  Ok(members_.SetProfile(member_, p));
  Ok(f.Redeem(gym_, card_, 20));
  const std::string token = Ok(members_.IssueToken("admin:test", card_));
  f.clock().Set(LedgerFixture::kStart + 40 * kDay);  // January is over
  const settlement::Period january =
      Ok(settlement::ParsePeriod("2026-01", settlement::PeriodUnit::kMonth, "UTC"));
  auto close = [&] {
    return settlement::SettlementToJson(
        Ok(settlement::ClosePeriod(f.db().store(), f.clock(), january,
                                   [](const std::string&) {})));
  };
  const std::string before = close();
  auto journal = [&] {
    return absl::StrCat(
        f.Query("SELECT COUNT(*) FROM txns"), "/", f.Query("SELECT SUM(points) FROM txns"), "/",
        f.Query("SELECT SUM(points) FROM transfers"), "/", f.Query("SELECT SUM(remaining) FROM lots"),
        "/", f.Query(absl::StrCat("SELECT COUNT(*) FROM txns WHERE member_id = ", member_)));
  };
  const std::string journal_before = journal();
  ASSERT_TRUE(members_.Erase(member_).ok());
  EXPECT_EQ(journal(), journal_before);
  EXPECT_EQ(close(), before);
  EXPECT_EQ(f.Query(absl::StrCat("SELECT COUNT(*) FROM member_profiles WHERE member_id = ",
                                 member_)),
            0);
  EXPECT_EQ(f.Query(absl::StrCat("SELECT COUNT(*) FROM cards WHERE member_id = ", member_)), 0);
  EXPECT_EQ(members_.Authenticate(token).status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(members_.IssueToken("admin:test", card_).status().code(), absl::StatusCode::kNotFound);
  // The other member is untouched.
  EXPECT_EQ(f.Query(absl::StrCat("SELECT COUNT(*) FROM cards WHERE member_id = ", other_)), 1);
  f.ExpectInvariants();
}

TEST_F(MembersTest, ExpiringByMonthAndHistoryWithPartnerNames) {
  f.clock().Advance(40 * kDay);
  Ok(f.Earn(gym_, card_, 2000));
  const std::vector<ExpiringMonth> months = Ok(members_.ExpiringByMonth(member_));
  ASSERT_EQ(months.size(), 2u);
  EXPECT_EQ(months[0].month, "2027-01");
  EXPECT_EQ(months[0].points, 50);
  EXPECT_EQ(months[1].month, "2027-02");
  EXPECT_EQ(months[1].points, 60);
  const std::vector<HistoryRow> history = Ok(members_.History(member_, 0, 10));
  ASSERT_GE(history.size(), 2u);
  EXPECT_EQ(history[0].partner_name, "Partner fitness");
  for (const HistoryRow& h : history) EXPECT_EQ(h.txn.member_id, member_);
}

}  // namespace
}  // namespace loyalty::testing
