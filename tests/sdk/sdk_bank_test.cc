// The bank's SDK calls against the real hub: BankClient, AdminClient's bank earn rules,
// PartnerClient::RegisterMerchantId, each with exact figures and an error; the clearing
// stream with every kind of outcome; and a stream broken by a SIGKILLed hub that resumes
// on a new stream without posting anything twice.
// Program: EUR, 1 point = 0.01 EUR. Bank rules: sdk_fixture.h BankRules().
#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/sdk/sdk_fixture.h"

namespace loyalty::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

constexpr char kPan[] = "4111111111111111";  // the Visa test PAN (Luhn-valid)

// 2026-11-03 10:00 UTC: the clearing records' business time.
int64_t Nov3() {
  return absl::ToUnixMicros(absl::FromCivil(absl::CivilHour(2026, 11, 3, 10), absl::UTCTimeZone()));
}

sdk::ClearingRecord Purchase(std::string id, sdk::CardRef card, int64_t amount_minor, int mcc,
                             std::string merchant = "") {
  sdk::ClearingRecord r;
  r.clearing_id = std::move(id);
  r.card = std::move(card);
  r.amount = {amount_minor, "EUR"};
  r.mcc = mcc;
  r.merchant_id = std::move(merchant);
  r.type = sdk::ClearingType::kPurchase;
  r.occurred_at_micros = Nov3();
  return r;
}

sdk::ClearingRecord Refund(std::string id, const sdk::ClearingRecord& of, int64_t amount_minor) {
  sdk::ClearingRecord r = of;
  r.clearing_id = std::move(id);
  r.amount.amount_minor = amount_minor;
  r.type = sdk::ClearingType::kRefund;
  r.original_clearing_id = of.clearing_id;
  return r;
}

template <typename T>
void ExpectError(const T& r, absl::StatusCode code, const std::string& field) {
  absl::Status s;
  if constexpr (std::is_same_v<T, absl::Status>) {
    s = r;
  } else {
    s = r.status();
  }
  EXPECT_EQ(s.code(), code) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr(field)) << s;
}

class SdkBankTest : public SdkHubTest {
 protected:
  void SetUp() override {
    SdkHubTest::SetUp();
    ASSERT_NO_FATAL_FAILURE(AddBank());
  }

  int64_t BalanceOf(const std::string& card) {
    sdk::PartnerClient grocer = Partner();
    auto b = grocer.GetBalance({card});
    EXPECT_TRUE(b.ok()) << b.status();
    return b.ok() ? b->balance : -1;
  }

  // Every transaction of the bank (all pages).
  std::vector<sdk::Transaction> BankTransactions() {
    sdk::PartnerClient bank_as_partner = Partner(OptionsFor(bank_key_));
    std::vector<sdk::Transaction> all;
    std::string token;
    do {
      auto page = bank_as_partner.ListTransactions({500, token, ""});
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      all.insert(all.end(), page->transactions.begin(), page->transactions.end());
      token = page->next_page_token;
    } while (!token.empty());
    return all;
  }
};

TEST_F(SdkBankTest, AdminBankEarnRules) {
  auto got = admin_->GetBankEarnRules({bank_id_});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->default_rate_bp, 100);
  EXPECT_EQ(got->partner_merchant_rate_bp, 300);
  EXPECT_EQ(got->monthly_cap_points, 0);
  ASSERT_EQ(got->mcc_rules.size(), 2u);

  sdk::BankEarnRules rules = BankRules();
  rules.monthly_cap_points = 5000;
  rules.mcc_rules.push_back({4900, 0, true});
  auto set = admin_->SetBankEarnRules({bank_id_, rules});
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->monthly_cap_points, 5000);
  got = admin_->GetBankEarnRules({bank_id_});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->monthly_cap_points, 5000);
  std::vector<std::string> mcc;
  for (const sdk::MccRule& m : got->mcc_rules) {
    mcc.push_back(absl::StrCat(m.mcc, ":", m.excluded ? "x" : absl::StrCat(m.rate_bp)));
  }
  EXPECT_THAT(mcc, UnorderedElementsAre("5411:200", "6011:x", "4900:x"));

  rules.default_rate_bp = 10'001;
  ExpectError(admin_->SetBankEarnRules({bank_id_, rules}), absl::StatusCode::kInvalidArgument,
              "rules.default_rate_bp");
  ExpectError(admin_->GetBankEarnRules({partner_id_}), absl::StatusCode::kFailedPrecondition,
              "bank_partner_id");
  ExpectError(admin_->SetBankEarnRules({999'999, BankRules()}), absl::StatusCode::kNotFound,
              "bank_partner_id");
}

TEST_F(SdkBankTest, PartnerRegistersMerchantId) {
  sdk::PartnerClient grocer = Partner();
  auto r = grocer.RegisterMerchantId({"GROCER-001"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->replayed);
  r = grocer.RegisterMerchantId({"GROCER-001"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->replayed);
  sdk::PartnerClient bank_as_partner = Partner(OptionsFor(bank_key_));
  ExpectError(bank_as_partner.RegisterMerchantId({"GROCER-001"}), absl::StatusCode::kAlreadyExists,
              "merchant_id");
  ExpectError(grocer.RegisterMerchantId({"bad\tid"}), absl::StatusCode::kInvalidArgument,
              "merchant_id");
}

TEST_F(SdkBankTest, LinkListUnlinkAndStatement) {
  sdk::PartnerClient grocer = Partner();
  auto member = grocer.EnrollMember();
  ASSERT_TRUE(member.ok()) << member.status();
  ASSERT_TRUE(grocer.RegisterMerchantId({"GROCER-001"}).ok());
  sdk::BankClient bank = Bank();

  auto linked = bank.LinkCoBrandedCard({member->card_number, sdk::CardRef::Token("tok-1")});
  ASSERT_TRUE(linked.ok()) << linked.status();
  EXPECT_EQ(linked->member_id, member->member_id);
  EXPECT_EQ(linked->card_ref, "tok-1");
  auto by_pan = bank.LinkCoBrandedCard({member->card_number, sdk::CardRef::Pan(kPan)});
  ASSERT_TRUE(by_pan.ok()) << by_pan.status();
  EXPECT_EQ(by_pan->member_id, member->member_id);
  EXPECT_THAT(by_pan->card_ref, ::testing::MatchesRegex("h:[0-9a-f]{64}"));
  const std::string pan_ref = by_pan->card_ref;
  // Linking again is a no-op with the same answer.
  auto again = bank.LinkCoBrandedCard({member->card_number, sdk::CardRef::Pan(kPan)});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->card_ref, pan_ref);

  auto cards = bank.ListCoBrandedCards({member->card_number});
  ASSERT_TRUE(cards.ok()) << cards.status();
  EXPECT_THAT(*cards, UnorderedElementsAre("tok-1", pan_ref));

  EXPECT_TRUE(bank.UnlinkCoBrandedCard({sdk::CardRef::Token("tok-1")}).ok());
  ExpectError(bank.UnlinkCoBrandedCard({sdk::CardRef::Token("tok-1")}), absl::StatusCode::kNotFound,
              "card");
  cards = bank.ListCoBrandedCards({member->card_number});
  ASSERT_TRUE(cards.ok()) << cards.status();
  EXPECT_THAT(*cards, ElementsAre(pan_ref));

  // Errors: the SDK's own check, the hub's, and a merchant key on the bank's API.
  ExpectError(bank.LinkCoBrandedCard({member->card_number, sdk::CardRef{"tok-2", kPan}}),
              absl::StatusCode::kInvalidArgument, "card: set exactly one of token and pan");
  ExpectError(bank.LinkCoBrandedCard({member->card_number, sdk::CardRef::Pan("4111111111111112")}),
              absl::StatusCode::kInvalidArgument, "card.pan");
  ExpectError(bank.LinkCoBrandedCard({"4000000000000002", sdk::CardRef::Token("tok-3")}),
              absl::StatusCode::kNotFound, "card_number");
  ExpectError(bank.ListCoBrandedCards({"12"}), absl::StatusCode::kInvalidArgument, "card_number");
  sdk::BankClient not_a_bank = Bank(OptionsFor(partner_key_));
  ExpectError(not_a_bank.ListCoBrandedCards({member->card_number}),
              absl::StatusCode::kPermissionDenied, "");

  // Spend on the PAN card in November: 100.00 EUR at the partner's merchant id (3%),
  // 50.00 EUR at another supermarket (5411: 2%), a quarter of the first refunded.
  const sdk::CardRef card = sdk::CardRef::Pan(kPan);
  const sdk::ClearingRecord at_partner = Purchase("st-1", card, 100'00, 5411, "GROCER-001");
  const sdk::ClearingRecord elsewhere = Purchase("st-2", card, 50'00, 5411, "SHOP-9");
  auto results =
      bank.SubmitCardTransactions({at_partner, elsewhere, Refund("st-3", at_partner, 25'00)});
  ASSERT_TRUE(results.ok()) << results.status();
  ASSERT_EQ(results->size(), 3u);
  EXPECT_EQ((*results)[0].points, 300);
  EXPECT_EQ((*results)[1].points, 100);
  EXPECT_EQ((*results)[2].status, sdk::ClearingStatus::kReversed);
  EXPECT_EQ((*results)[2].points, 75);
  EXPECT_EQ(BalanceOf(member->card_number), 300 + 100 - 75);

  auto statement = bank.GetCardStatement({card, "2026-11"});
  ASSERT_TRUE(statement.ok()) << statement.status();
  EXPECT_EQ(statement->card_ref, pan_ref);
  EXPECT_EQ(statement->month, "2026-11");
  EXPECT_EQ(statement->currency, "EUR");
  EXPECT_EQ(statement->points_earned, 400);
  EXPECT_EQ(statement->points_reversed, 75);
  EXPECT_EQ(statement->monthly_cap_points, 0);
  ASSERT_EQ(statement->lines.size(), 2u);
  const sdk::StatementLine& l0 = statement->lines[0];
  EXPECT_EQ(l0.merchant_id, "GROCER-001");
  EXPECT_EQ(l0.partner_id, partner_id_);
  EXPECT_EQ(l0.partner_name, "Grocer");  // the statement names the partner, not only its id
  EXPECT_EQ(l0.purchases, 1);
  EXPECT_EQ(l0.amount_minor, 75'00);
  EXPECT_EQ(l0.points_earned, 300);
  EXPECT_EQ(l0.points_reversed, 75);
  const sdk::StatementLine& l1 = statement->lines[1];
  EXPECT_EQ(l1.merchant_id, "SHOP-9");
  EXPECT_EQ(l1.partner_id, 0);
  EXPECT_EQ(l1.partner_name, "");
  EXPECT_EQ(l1.purchases, 1);
  EXPECT_EQ(l1.amount_minor, 50'00);
  EXPECT_EQ(l1.points_earned, 100);
  EXPECT_EQ(l1.points_reversed, 0);

  auto october = bank.GetCardStatement({card, "2026-10"});
  ASSERT_TRUE(october.ok()) << october.status();
  EXPECT_TRUE(october->lines.empty());
  ExpectError(bank.GetCardStatement({card, "Nov 2026"}), absl::StatusCode::kInvalidArgument,
              "month");
}

TEST_F(SdkBankTest, StreamAnswersEveryRecordInOrder) {
  sdk::PartnerClient grocer = Partner();
  const std::string member = NewCard(grocer);
  ASSERT_TRUE(grocer.RegisterMerchantId({"GROCER-001"}).ok());
  sdk::BankClient bank = Bank();
  ASSERT_TRUE(bank.LinkCoBrandedCard({member, sdk::CardRef::Token("tok-a")}).ok());
  ASSERT_TRUE(bank.LinkCoBrandedCard({member, sdk::CardRef::Pan(kPan)}).ok());
  const sdk::CardRef tok = sdk::CardRef::Token("tok-a");
  const sdk::CardRef pan = sdk::CardRef::Pan(kPan);

  const sdk::ClearingRecord p1 = Purchase("c-1", tok, 100'00, 5999);                // 1%
  const sdk::ClearingRecord p2 = Purchase("c-2", pan, 100'00, 5411);                // 2%
  const sdk::ClearingRecord p3 = Purchase("c-3", tok, 100'00, 5999, "GROCER-001");  // 3%
  sdk::ClearingRecord conflict = p2;
  conflict.amount.amount_minor = 99'00;
  sdk::ClearingRecord zero = Purchase("c-zero", tok, 0, 5999);
  sdk::ClearingRecord usd = Purchase("c-usd", tok, 10'00, 5999);
  usd.amount.currency = "USD";
  sdk::ClearingRecord unmatched = Refund("c-r3", p1, 10'00);
  unmatched.original_clearing_id = "no-such-purchase";
  const std::vector<sdk::ClearingRecord> records = {
      p1,
      p2,
      p3,
      Purchase("c-4", tok, 100'00, 6011),                           // cash: excluded
      Purchase("c-5", sdk::CardRef::Token("tok-x"), 100'00, 5999),  // not linked
      Refund("c-r1", p1, 100'00),                                   // full refund
      Refund("c-r2", p2, 25'00),                                    // a quarter
      unmatched,
      p1,        // duplicate: its original answer
      conflict,  // the id of c-2 with other content
      zero,
      usd,
      Purchase("c-both", sdk::CardRef{"tok-a", kPan}, 10'00, 5999),  // rejected by the SDK
      Purchase("c-last", tok, 20'00, 5999),                          // the stream went on
  };
  std::vector<sdk::ClearingProgress> progress;
  sdk::SubmitCardTransactionsOptions options;
  options.on_progress = [&](const sdk::ClearingProgress& p) { progress.push_back(p); };
  options.max_in_flight = 3;
  auto results = bank.SubmitCardTransactions(records, options);
  ASSERT_TRUE(results.ok()) << results.status();
  ASSERT_EQ(results->size(), records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ((*results)[i].clearing_id, records[i].clearing_id) << i;
  }
  using S = sdk::ClearingStatus;
  const auto& r = *results;
  EXPECT_EQ(r[0].status, S::kEarned);
  EXPECT_EQ(r[0].points, 100);
  EXPECT_GT(r[0].hub_txn_id, 0);
  EXPECT_FALSE(r[0].replayed);
  EXPECT_EQ(r[1].status, S::kEarned);
  EXPECT_EQ(r[1].points, 200);
  EXPECT_EQ(r[2].status, S::kEarned);
  EXPECT_EQ(r[2].points, 300);
  EXPECT_EQ(r[3].status, S::kNoEarn);
  EXPECT_EQ(r[3].reason, "mcc 6011 is excluded");
  EXPECT_EQ(r[4].status, S::kNoEarn);
  EXPECT_EQ(r[4].reason, "card is not linked to a member");
  EXPECT_EQ(r[5].status, S::kReversed);
  EXPECT_EQ(r[5].points, 100);
  EXPECT_EQ(r[6].status, S::kReversed);
  EXPECT_EQ(r[6].points, 50);
  EXPECT_EQ(r[7].status, S::kUnmatchedRefund);
  EXPECT_THAT(r[7].reason, HasSubstr("held for review"));
  EXPECT_EQ(r[8].status, S::kEarned);
  EXPECT_EQ(r[8].points, 100);
  EXPECT_TRUE(r[8].replayed);
  EXPECT_EQ(r[8].hub_txn_id, r[0].hub_txn_id);
  EXPECT_EQ(r[9].status, S::kRejected);
  EXPECT_EQ(r[9].code, absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(r[9].reason, HasSubstr("clearing_id"));
  EXPECT_EQ(r[9].error_reason, "IDEMPOTENCY_MISMATCH");
  EXPECT_EQ(r[9].field, "clearing_id");
  EXPECT_EQ(r[10].status, S::kRejected);
  EXPECT_EQ(r[10].code, absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r[10].reason, HasSubstr("amount.amount_minor"));
  EXPECT_EQ(r[10].error_reason, "INVALID_ARGUMENT");
  EXPECT_EQ(r[10].field, "amount.amount_minor");
  EXPECT_EQ(r[11].status, S::kRejected);
  EXPECT_THAT(r[11].reason, HasSubstr("amount.currency"));
  EXPECT_EQ(r[12].status, S::kRejected);
  EXPECT_EQ(r[12].code, absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r[12].reason, "card: set exactly one of token and pan");
  EXPECT_EQ(r[12].field, "card");
  EXPECT_EQ(r[13].error_reason, "");  // answered, not rejected
  EXPECT_EQ(r[13].status, S::kEarned);
  EXPECT_EQ(r[13].points, 20);
  EXPECT_EQ(BalanceOf(member), 100 + 200 + 300 - 100 - 50 + 20);

  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back().total, 14);
  EXPECT_EQ(progress.back().answered, 14);
  EXPECT_EQ(progress.back().streams, 1);
  for (size_t i = 1; i < progress.size(); ++i) {
    EXPECT_GE(progress[i].answered, progress[i - 1].answered);
  }
  // Six postings: four earns and two reversals; nothing for the rest.
  EXPECT_EQ(BankTransactions().size(), 6u);

  // The whole batch again: every record answered as before, nothing posted.
  auto replay = bank.SubmitCardTransactions(records);
  ASSERT_TRUE(replay.ok()) << replay.status();
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ((*replay)[i].status, r[i].status) << i;
    EXPECT_EQ((*replay)[i].points, r[i].points) << i;
  }
  EXPECT_TRUE((*replay)[0].replayed);
  EXPECT_EQ(BankTransactions().size(), 6u);
  EXPECT_EQ(BalanceOf(member), 470);

  auto empty = bank.SubmitCardTransactions({});
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_TRUE(empty->empty());
  ExpectError(Bank(OptionsFor("wrong-key-0123456789")).SubmitCardTransactions({p1}),
              absl::StatusCode::kUnauthenticated, "0 of 1 records answered");
  options.max_in_flight = 0;
  ExpectError(bank.SubmitCardTransactions({p1}, options), absl::StatusCode::kInvalidArgument,
              "max_in_flight");
}

TEST_F(SdkBankTest, BrokenStreamResumesWithoutPostingTwice) {
  constexpr int kRecords = 3000;
  sdk::PartnerClient grocer = Partner();
  const std::string member = NewCard(grocer);
  std::atomic<int> retries{0};
  sdk::Options o = OptionsFor(bank_key_);
  o.retry.max_attempts = 100;
  o.retry.initial_backoff = absl::Milliseconds(20);
  o.retry.max_backoff = absl::Milliseconds(200);
  o.retry.total_timeout = absl::Seconds(60);
  o.on_retry = [&](const sdk::RetryEvent& e) {
    EXPECT_EQ(e.method, "SubmitCardTransactions");
    ++retries;
  };
  sdk::BankClient bank = Bank(o);
  for (int c = 0; c < 4; ++c) {
    ASSERT_TRUE(
        bank.LinkCoBrandedCard({member, sdk::CardRef::Token(absl::StrCat("tok-", c))}).ok());
  }
  std::vector<sdk::ClearingRecord> records;
  for (int i = 0; i < kRecords; ++i) {  // 1.00 EUR at 1%: one point each
    records.push_back(Purchase(absl::StrCat("k-", i),
                               sdk::CardRef::Token(absl::StrCat("tok-", i % 4)), 1'00, 5999));
  }

  std::atomic<int64_t> answered{0};
  std::atomic<int> streams{0};
  sdk::SubmitCardTransactionsOptions options;
  options.progress_interval = absl::ZeroDuration();
  options.max_in_flight = 64;
  options.on_progress = [&](const sdk::ClearingProgress& p) {
    answered = p.answered;
    streams = p.streams;
  };
  std::thread killer([&] {
    // SIGKILL the hub a third of the way in, then bring it back on the same port.
    if (!PollUntil([&] { return answered.load() >= kRecords / 3; }, std::chrono::seconds(120))) {
      return;
    }
    hub_.Kill();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    hub_.Restart();
  });
  auto results = bank.SubmitCardTransactions(records, options);
  killer.join();
  ASSERT_TRUE(hub_.running());
  ASSERT_TRUE(results.ok()) << results.status();
  EXPECT_GE(streams.load(), 2);
  EXPECT_GE(retries.load(), 1);
  ASSERT_EQ(results->size(), static_cast<size_t>(kRecords));
  int replayed = 0;
  for (int i = 0; i < kRecords; ++i) {
    const sdk::ClearingResult& r = (*results)[i];
    ASSERT_EQ(r.clearing_id, records[i].clearing_id);
    ASSERT_EQ(r.status, sdk::ClearingStatus::kEarned) << i << " " << r.reason;
    ASSERT_EQ(r.points, 1) << i;
    if (r.replayed) ++replayed;
  }
  // At most the records in flight when the hub died were posted and then sent again.
  EXPECT_LE(replayed, options.max_in_flight);
  const std::vector<sdk::Transaction> txns = BankTransactions();
  EXPECT_EQ(txns.size(), static_cast<size_t>(kRecords));
  std::set<std::string> ids;
  for (const sdk::Transaction& t : txns) ids.insert(t.partner_txn_id);
  EXPECT_EQ(ids.size(), static_cast<size_t>(kRecords));
  EXPECT_EQ(BalanceOf(member), kRecords);
}

TEST_F(SdkBankTest, HubDownForGoodFailsWithWhatWasAnswered) {
  sdk::Options o = OptionsFor(bank_key_);
  o.retry.max_attempts = 2;
  o.retry.total_timeout = absl::Seconds(2);
  sdk::BankClient bank = Bank(o);
  ASSERT_NO_FATAL_FAILURE(hub_.Kill());
  auto r = bank.SubmitCardTransactions({Purchase("d-1", sdk::CardRef::Token("t"), 1'00, 5999)});
  ExpectError(r, absl::StatusCode::kUnavailable, "0 of 1 records answered, 2 streams");
  ExpectError(bank.ListCoBrandedCards({"4000000000000002"}), absl::StatusCode::kUnavailable, "");
}

}  // namespace
}  // namespace loyalty::testing
