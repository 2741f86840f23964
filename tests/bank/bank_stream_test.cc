// BankService.SubmitCardTransactions, the bidirectional clearing stream, in process: the
// real AdminService, PartnerService and BankService on a real gRPC server (127.0.0.1,
// any free port) over a fresh MariaDB database (LedgerFixture: EUR, 1 point = 0.01 EUR),
// called through the generated stub.
//
// 100,000 records in one stream, every one answered in order with the exact outcome;
// duplicates inside a stream (and across concurrent streams) posted once; malformed
// records answered REJECTED with their code and field while the stream goes on; the
// stream refused to keys that are not an issuer's.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/api/admin_service.h"
#include "hub/api/bank_service.h"
#include "hub/api/partner_service.h"
#include "hub/api/worker_pool.h"
#include "hub/auth/authenticator.h"
#include "hub/ledger/bank_ledger.h"
#include "loyalty/v1/bank.grpc.pb.h"
#include "tests/support/test_db.h"
#include "tests/support/test_util.h"

namespace loyalty {
namespace {

using ::loyalty::testing::LedgerFixture;
using ::loyalty::testing::Ok;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kAdminKey[] = "bank-stream-admin-key-0123456789abcdefghijklmnop";
constexpr char kBogusKey[] = "lk_partner_this_key_was_never_issued_0123456789abcdef";
constexpr char kPanKey[] = "bank-stream-pan-hmac-key-0123456789abcdefghijkl";
constexpr char kPartnerMerchant[] = "M-PARTNER";
constexpr char kPan[] = "4556737586899855";         // Luhn-valid
constexpr char kPanBadLuhn[] = "4556737586899856";  // one off: fails the check digit

constexpr int kMccGrocery = 5411;     // 2 %
constexpr int kMccRestaurant = 5812;  // 1.5 %
constexpr int kMccCash = 6011;        // excluded
constexpr int kMccNoRule = 5999;      // default 1 %

std::string Describe(const grpc::Status& s) {
  return absl::StrCat("code ", static_cast<int>(s.error_code()), " \"", s.error_message(), "\"");
}

const char* StatusName(v1::ClearingStatus s) { return v1::ClearingStatus_Name(s).c_str(); }

// The bank's rules in every test: default 1 %, partner merchants 3 %, groceries 2 %,
// restaurants 1.5 %, cash excluded, no cap.
BankRulesRow Rules() {
  BankRulesRow r;
  r.default_rate_bp = 100;
  r.partner_merchant_rate_bp = 300;
  r.mcc_rules = {{kMccGrocery, 200, false}, {kMccRestaurant, 150, false}, {kMccCash, 0, true}};
  return r;
}

v1::ClearingRecord Purchase(const std::string& id, const std::string& token, int64_t amount,
                            int mcc, const std::string& merchant = "") {
  v1::ClearingRecord r;
  r.set_clearing_id(id);
  r.mutable_card()->set_token(token);
  r.mutable_amount()->set_amount_minor(amount);
  r.mutable_amount()->set_currency("EUR");
  r.set_mcc(mcc);
  r.set_merchant_id(merchant);
  r.set_type(v1::CLEARING_TYPE_PURCHASE);
  return r;
}

v1::ClearingRecord Refund(const std::string& id, const std::string& token,
                          const std::string& original, int64_t amount) {
  v1::ClearingRecord r = Purchase(id, token, amount, kMccNoRule);
  r.set_type(v1::CLEARING_TYPE_REFUND);
  r.set_original_clearing_id(original);
  return r;
}

// ---------------------------------------------------------------------------------------
// The 100k stream: record i, with its expected outcome computed from the rules above.
//
// Every 10,000th record (i % 10000 == 9999) repeats record i - 5000 exactly (a duplicate
// inside the stream); 1 in 50 uses a card nobody linked; 1 in 10 is cash (excluded);
// a quarter are at the partner's merchant id.
constexpr int kBigRecords = 100'000;
constexpr int kBigCards = 2'000;  // 1,000 members with two cards each

int SourceOf(int i) { return i % 10'000 == 9'999 ? i - 5'000 : i; }

std::string BigToken(int card) { return absl::StrFormat("card-%04d", card); }

v1::ClearingRecord BigRecord(int i) {
  const int k = SourceOf(i);
  const std::string token = k % 50 == 7 ? absl::StrCat("ghost-", k) : BigToken((k * 7) % kBigCards);
  int mcc = kMccNoRule;
  switch (k % 10) {
    case 0:
    case 1:
    case 2:
      mcc = kMccGrocery;
      break;
    case 3:
      mcc = kMccCash;
      break;
    case 4:
    case 5:
      mcc = kMccRestaurant;
      break;
    default:
      break;
  }
  std::string merchant;
  if (k % 4 == 1) merchant = kPartnerMerchant;
  if (k % 4 == 2) merchant = absl::StrCat("ACQ-", k % 100);
  return Purchase(absl::StrFormat("s-%06d", k), token, 1'000 + (k * 37) % 20'000, mcc, merchant);
}

struct Expected {
  v1::ClearingStatus status = v1::CLEARING_STATUS_UNSPECIFIED;
  int64_t points = 0;
  bool replayed = false;
};

Expected BigExpected(int i) {
  const int k = SourceOf(i);
  Expected e;
  e.replayed = k != i;
  if (k % 50 == 7 || k % 10 == 3) {  // not linked, or cash
    e.status = v1::CLEARING_STATUS_NO_EARN;
    return e;
  }
  const v1::ClearingRecord r = BigRecord(k);
  int64_t bp = 100;
  if (r.merchant_id() == kPartnerMerchant) {
    bp = 300;
  } else if (r.mcc() == kMccGrocery) {
    bp = 200;
  } else if (r.mcc() == kMccRestaurant) {
    bp = 150;
  }
  e.status = v1::CLEARING_STATUS_EARNED;
  e.points = r.amount().amount_minor() * bp / 10'000;  // cents x bp / 1 cent per point
  return e;
}

// ---------------------------------------------------------------------------------------

struct StreamRun {
  grpc::Status status;
  std::vector<v1::ClearingResult> results;
  int written = 0;
  double seconds = 0;
};

class BankStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(f_.ledger().BootstrapAdminKey(kAdminKey).ok());
    bank_ = Register("Hanse Bank", "bank", Role::kIssuer, &bank_key_);
    shop_ = Register("FreshMart", "grocery", Role::kMerchant, &shop_key_);
    ASSERT_GT(bank_, 0);
    ASSERT_GT(shop_, 0);
    ASSERT_TRUE(bank_ledger_.SetRules("ops", bank_, Rules()).ok());
    ASSERT_FALSE(Ok(bank_ledger_.RegisterMerchantId(shop_, kPartnerMerchant)));
    f_.clock().Set(::loyalty::testing::Utc(2026, 2, 10, 12));

    auth_ = std::make_unique<Authenticator>(f_.db().store());
    pool_ = std::make_unique<WorkerPool>(4, 256);
    const ServiceEnv env{&f_.ledger(), auth_.get(), pool_.get(), &bank_ledger_, kPanKey};
    admin_service_ = std::make_unique<AdminServiceImpl>(env);
    partner_service_ = std::make_unique<PartnerServiceImpl>(env);
    bank_service_ = std::make_unique<BankServiceImpl>(env);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(admin_service_.get());
    builder.RegisterService(partner_service_.get());
    builder.RegisterService(bank_service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port, 0);
    channel_ =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
    bank_stub_ = v1::BankService::NewStub(channel_);
  }

  void TearDown() override {
    if (server_ != nullptr) {
      server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    }
    f_.ExpectInvariants();
  }

  PartnerId Register(const std::string& name, const std::string& category, Role role,
                     std::string* key) {
    PartnerRecord p;
    p.name = name;
    p.category = category;
    p.role = role;
    p.earn_rate_bp = 100;
    absl::StatusOr<RegisteredPartner> r = f_.ledger().RegisterPartner("test", p);
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) return 0;
    *key = r->api_key;
    return r->partner.id;
  }

  // Links `tokens` to new members, `per_member` cards each; returns the members' cards.
  std::vector<std::string> LinkTokens(const std::vector<std::string>& tokens, int per_member) {
    std::vector<std::string> members;
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (i % per_member == 0) members.push_back(f_.AddMember(shop_));
      absl::StatusOr<MemberId> m = bank_ledger_.LinkCard(bank_, members.back(), tokens[i]);
      EXPECT_TRUE(m.ok()) << tokens[i] << ": " << m.status();
    }
    return members;
  }

  // One stream: a writer thread sends make(0..n-1) then closes its side, while this
  // thread reads every result; then the call's status.
  StreamRun RunStream(const std::string& key, int n,
                      const std::function<v1::ClearingRecord(int)>& make,
                      std::chrono::seconds deadline = std::chrono::seconds(120)) {
    StreamRun run;
    run.results.reserve(n);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + deadline);
    if (!key.empty()) ctx.AddMetadata("authorization", absl::StrCat("Bearer ", key));
    const auto start = std::chrono::steady_clock::now();
    std::unique_ptr<grpc::ClientReaderWriter<v1::ClearingRecord, v1::ClearingResult>> stream =
        bank_stub_->SubmitCardTransactions(&ctx);
    std::thread writer([&] {
      for (int i = 0; i < n; ++i) {
        if (!stream->Write(make(i))) break;
        ++run.written;
      }
      stream->WritesDone();
    });
    v1::ClearingResult result;
    while (stream->Read(&result)) run.results.push_back(result);
    writer.join();
    run.status = stream->Finish();
    run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return run;
  }

  StreamRun RunStream(const std::string& key, const std::vector<v1::ClearingRecord>& records) {
    return RunStream(key, static_cast<int>(records.size()),
                     [&records](int i) { return records[i]; });
  }

  grpc::Status LinkPan(const std::string& card_number, const std::string& pan,
                       v1::LinkCoBrandedCardResponse* resp) {
    v1::LinkCoBrandedCardRequest req;
    req.set_card_number(card_number);
    req.mutable_card()->set_pan(pan);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    ctx.AddMetadata("authorization", absl::StrCat("Bearer ", bank_key_));
    return bank_stub_->LinkCoBrandedCard(&ctx, req, resp);
  }

  int64_t ClearingTxns() {
    return f_.Query("SELECT COUNT(*) FROM txns WHERE partner_txn_id LIKE 'clr:%'");
  }

  LedgerFixture f_;
  BankLedger bank_ledger_{f_.db().store(), &f_.clock()};
  PartnerId bank_ = 0;
  PartnerId shop_ = 0;
  std::string bank_key_;
  std::string shop_key_;
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<WorkerPool> pool_;
  std::unique_ptr<AdminServiceImpl> admin_service_;
  std::unique_ptr<PartnerServiceImpl> partner_service_;
  std::unique_ptr<BankServiceImpl> bank_service_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::BankService::Stub> bank_stub_;
};

TEST_F(BankStreamTest, HundredThousandRecordsInOneStreamAllAnsweredInOrder) {
  std::vector<std::string> tokens;
  for (int c = 0; c < kBigCards; ++c) tokens.push_back(BigToken(c));
  const auto link_start = std::chrono::steady_clock::now();
  ASSERT_EQ(LinkTokens(tokens, 2).size(), static_cast<size_t>(kBigCards / 2));
  std::printf("[ setup    ] %d cards of %d members linked in %.1f s\n", kBigCards, kBigCards / 2,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - link_start).count());

  const StreamRun run = RunStream(bank_key_, kBigRecords, BigRecord, std::chrono::seconds(1'500));
  std::printf("[ timing   ] %d records in one stream: %.1f s, %.0f records/s\n", kBigRecords,
              run.seconds, run.seconds > 0 ? kBigRecords / run.seconds : 0.0);
  std::fflush(stdout);
  ASSERT_TRUE(run.status.ok()) << Describe(run.status);
  EXPECT_EQ(run.written, kBigRecords);
  ASSERT_EQ(run.results.size(), static_cast<size_t>(kBigRecords));

  // One by one: the same clearing id at the same position, the outcome the rules give.
  int mismatches = 0;
  int64_t earned = 0, no_earn = 0, other = 0, replayed = 0, points = 0;
  std::vector<int64_t> txn_of(kBigRecords, 0);
  for (int i = 0; i < kBigRecords; ++i) {
    const v1::ClearingResult& r = run.results[i];
    const Expected e = BigExpected(i);
    const int k = SourceOf(i);
    const bool ok = r.clearing_id() == absl::StrFormat("s-%06d", k) && r.status() == e.status &&
                    r.points() == e.points && r.replayed() == e.replayed && r.code() == 0 &&
                    (e.status != v1::CLEARING_STATUS_EARNED || r.hub_txn_id() > 0) &&
                    (!e.replayed || r.hub_txn_id() == txn_of[k]);
    if (!ok && ++mismatches <= 10) {
      ADD_FAILURE() << "record " << i << ": got " << r.clearing_id() << " "
                    << StatusName(r.status()) << " " << r.points() << " replayed=" << r.replayed()
                    << " code=" << r.code() << " \"" << r.reason() << "\"; want s-"
                    << absl::StrFormat("%06d", k) << " " << StatusName(e.status) << " " << e.points
                    << " replayed=" << e.replayed;
    }
    txn_of[i] = r.hub_txn_id();
    if (r.replayed()) ++replayed;
    if (r.status() == v1::CLEARING_STATUS_EARNED) {
      ++earned;
      if (!r.replayed()) points += r.points();
    } else if (r.status() == v1::CLEARING_STATUS_NO_EARN) {
      ++no_earn;
      const bool ghost = k % 50 == 7;
      EXPECT_EQ(r.reason(), ghost ? "card is not linked to a member" : "mcc 6011 is excluded")
          << "record " << i;
    } else {
      ++other;
    }
  }
  EXPECT_EQ(mismatches, 0);
  EXPECT_EQ(earned, 88'000);   // 87,990 posted + the 10 duplicates answered as replays
  EXPECT_EQ(no_earn, 12'000);  // 2,000 unlinked cards + 10,000 cash withdrawals
  EXPECT_EQ(other, 0);
  EXPECT_EQ(replayed, 10);

  int64_t model_points = 0;
  for (int i = 0; i < kBigRecords; ++i) {
    const Expected e = BigExpected(i);
    if (!e.replayed) model_points += e.points;
  }
  EXPECT_EQ(points, model_points);

  // What the database holds: each clearing once, each earn once, all funded by the bank.
  EXPECT_EQ(f_.Rows("card_clearings"), 99'990);
  EXPECT_EQ(f_.Query("SELECT COUNT(*) FROM card_clearings WHERE status = 'earned'"), 87'990);
  EXPECT_EQ(ClearingTxns(), 87'990);
  EXPECT_EQ(f_.Query(absl::StrCat("SELECT COUNT(*) FROM lots WHERE funder_id = ", bank_)), 87'990);
  EXPECT_EQ(f_.Query(absl::StrCat("SELECT SUM(points) FROM lots WHERE funder_id = ", bank_)),
            model_points);
  EXPECT_EQ(f_.Query("SELECT SUM(balance) FROM members"), model_points);
  EXPECT_EQ(f_.Query("SELECT COUNT(*) FROM txns WHERE partner_txn_id = 'clr:s-004999'"), 1);
}

TEST_F(BankStreamTest, DuplicateClearingIdInsideTheStreamIsAnsweredAsAReplayAndPostedOnce) {
  const std::vector<std::string> members = LinkTokens({"card-d"}, 1);
  const std::vector<v1::ClearingRecord> records = {
      Purchase("d-1", "card-d", 10'000, kMccGrocery),                       // 200
      Purchase("d-2", "card-d", 5'000, kMccNoRule),                         // 50
      Purchase("d-1", "card-d", 10'000, kMccGrocery),                       // replay
      Purchase("d-3", "card-d", 12'345, kMccRestaurant, kPartnerMerchant),  // 370
      Purchase("d-1", "card-d", 10'000, kMccGrocery),                       // replay
      Purchase("d-2", "card-d", 5'000, kMccNoRule),                         // replay
      Purchase("d-2", "card-d", 5'001, kMccNoRule),                         // conflict
  };
  const StreamRun run = RunStream(bank_key_, records);
  ASSERT_TRUE(run.status.ok()) << Describe(run.status);
  ASSERT_EQ(run.results.size(), records.size());
  const std::vector<std::string> ids = {"d-1", "d-2", "d-1", "d-3", "d-1", "d-2", "d-2"};
  const std::vector<int64_t> points = {200, 50, 200, 370, 200, 50, 0};
  const std::vector<bool> replayed = {false, false, true, false, true, true, false};
  for (size_t i = 0; i < records.size(); ++i) {
    SCOPED_TRACE(absl::StrCat("result ", i));
    const v1::ClearingResult& r = run.results[i];
    EXPECT_EQ(r.clearing_id(), ids[i]);
    EXPECT_EQ(r.points(), points[i]);
    EXPECT_EQ(r.replayed(), replayed[i]);
    if (i < 6) {
      EXPECT_EQ(r.status(), v1::CLEARING_STATUS_EARNED) << r.reason();
      EXPECT_EQ(r.code(), 0);
    }
  }
  EXPECT_EQ(run.results[2].hub_txn_id(), run.results[0].hub_txn_id());
  EXPECT_EQ(run.results[4].hub_txn_id(), run.results[0].hub_txn_id());
  EXPECT_EQ(run.results[5].hub_txn_id(), run.results[1].hub_txn_id());
  EXPECT_EQ(run.results[2].reason(), run.results[0].reason());
  // The same id with other content: rejected, ALREADY_EXISTS naming clearing_id.
  EXPECT_EQ(run.results[6].status(), v1::CLEARING_STATUS_REJECTED);
  EXPECT_EQ(run.results[6].code(), static_cast<int>(grpc::StatusCode::ALREADY_EXISTS));
  EXPECT_THAT(run.results[6].reason(), StartsWith("clearing_id:"));
  EXPECT_EQ(run.results[6].hub_txn_id(), 0);

  EXPECT_EQ(f_.Query("SELECT COUNT(*) FROM txns WHERE partner_txn_id = 'clr:d-1'"), 1);
  EXPECT_EQ(f_.Query("SELECT COUNT(*) FROM txns WHERE partner_txn_id = 'clr:d-2'"), 1);
  EXPECT_EQ(ClearingTxns(), 3);
  EXPECT_EQ(f_.Rows("card_clearings"), 3);
  EXPECT_EQ(f_.Query(absl::StrCat("SELECT COUNT(*) FROM lots WHERE funder_id = ", bank_)), 3);
  EXPECT_EQ(f_.Balance(members[0]).balance, 620);

  // A later stream resending the file is all replays.
  const StreamRun again = RunStream(bank_key_, {records[0], records[1], records[3]});
  ASSERT_TRUE(again.status.ok()) << Describe(again.status);
  ASSERT_EQ(again.results.size(), 3u);
  for (const v1::ClearingResult& r : again.results) {
    EXPECT_TRUE(r.replayed()) << r.clearing_id();
    EXPECT_EQ(r.status(), v1::CLEARING_STATUS_EARNED) << r.clearing_id();
  }
  EXPECT_EQ(ClearingTxns(), 3);
  EXPECT_EQ(f_.Balance(members[0]).balance, 620);
}

TEST_F(BankStreamTest, ConcurrentStreamsWithTheSameClearingIdsPostEachOnce) {
  std::vector<std::string> tokens;
  for (int c = 0; c < 20; ++c) tokens.push_back(absl::StrCat("card-c", c));
  LinkTokens(tokens, 1);
  constexpr int kRecords = 300;
  auto make = [](int i) {
    return Purchase(absl::StrCat("c-", i), absl::StrCat("card-c", i % 20), 1'000 + i, kMccNoRule);
  };
  StreamRun a, b;
  std::thread other([&] { b = RunStream(bank_key_, kRecords, make); });
  a = RunStream(bank_key_, kRecords, make);
  other.join();
  ASSERT_TRUE(a.status.ok()) << Describe(a.status);
  ASSERT_TRUE(b.status.ok()) << Describe(b.status);
  ASSERT_EQ(a.results.size(), static_cast<size_t>(kRecords));
  ASSERT_EQ(b.results.size(), static_cast<size_t>(kRecords));
  for (int i = 0; i < kRecords; ++i) {
    SCOPED_TRACE(absl::StrCat("record ", i));
    const v1::ClearingResult& x = a.results[i];
    const v1::ClearingResult& y = b.results[i];
    EXPECT_EQ(x.clearing_id(), absl::StrCat("c-", i));
    EXPECT_EQ(y.clearing_id(), absl::StrCat("c-", i));
    EXPECT_EQ(x.status(), v1::CLEARING_STATUS_EARNED) << x.code() << " " << x.reason();
    EXPECT_EQ(y.status(), v1::CLEARING_STATUS_EARNED) << y.code() << " " << y.reason();
    EXPECT_EQ(x.points(), (1'000 + i) / 100);
    EXPECT_EQ(y.points(), x.points());
    EXPECT_EQ(y.hub_txn_id(), x.hub_txn_id());
    EXPECT_NE(x.replayed(), y.replayed()) << "exactly one stream posts it";
  }
  EXPECT_EQ(ClearingTxns(), kRecords);
  EXPECT_EQ(f_.Rows("card_clearings"), kRecords);
}

TEST_F(BankStreamTest, ConcurrentStreamsOnOneCardKeepTheCapAndTheRefundTotals) {
  BankRulesRow capped = Rules();
  capped.monthly_cap_points = 1'000;
  ASSERT_TRUE(bank_ledger_.SetRules("ops", bank_, capped).ok());
  const std::vector<std::string> members = LinkTokens({"card-cap", "card-r"}, 2);

  // Two streams, 30 purchases of 50 points each on one card: exactly 20 fit the cap.
  auto purchases = [](const char* stream) {
    return [stream](int i) {
      return Purchase(absl::StrCat(stream, "-", i), "card-cap", 5'000, kMccNoRule);
    };
  };
  StreamRun a, b;
  std::thread other([&] { b = RunStream(bank_key_, 30, purchases("pb")); });
  a = RunStream(bank_key_, 30, purchases("pa"));
  other.join();
  ASSERT_TRUE(a.status.ok()) << Describe(a.status);
  ASSERT_TRUE(b.status.ok()) << Describe(b.status);
  ASSERT_EQ(a.results.size() + b.results.size(), 60u);
  int earned = 0, capped_out = 0;
  int64_t points = 0;
  for (const StreamRun* run : {&a, &b}) {
    for (const v1::ClearingResult& r : run->results) {
      if (r.status() == v1::CLEARING_STATUS_EARNED) {
        ++earned;
        points += r.points();
        EXPECT_EQ(r.points(), 50);
      } else {
        ++capped_out;
        EXPECT_EQ(r.status(), v1::CLEARING_STATUS_NO_EARN) << r.code() << " " << r.reason();
        EXPECT_EQ(r.reason(), "monthly cap reached");
      }
    }
  }
  EXPECT_EQ(earned, 20);
  EXPECT_EQ(capped_out, 40);
  EXPECT_EQ(points, 1'000);

  // One purchase of 100 points, then two streams of six 10.00 EUR refunds each: the
  // first ten complete the amount (10 points each, the last one what is left), the other
  // two are larger than what is left.
  const StreamRun bought = RunStream(bank_key_, {Purchase("big", "card-r", 10'000, kMccNoRule)});
  ASSERT_EQ(bought.results.size(), 1u);
  ASSERT_EQ(bought.results[0].points(), 100);
  auto refunds = [](const char* stream) {
    return [stream](int i) { return Refund(absl::StrCat(stream, "-", i), "card-r", "big", 1'000); };
  };
  StreamRun ra, rb;
  std::thread other_refunds([&] { rb = RunStream(bank_key_, 6, refunds("rb")); });
  ra = RunStream(bank_key_, 6, refunds("ra"));
  other_refunds.join();
  ASSERT_TRUE(ra.status.ok()) << Describe(ra.status);
  ASSERT_TRUE(rb.status.ok()) << Describe(rb.status);
  int reversed = 0, rejected = 0;
  int64_t reversed_points = 0;
  for (const StreamRun* run : {&ra, &rb}) {
    for (const v1::ClearingResult& r : run->results) {
      if (r.status() == v1::CLEARING_STATUS_REVERSED) {
        ++reversed;
        reversed_points += r.points();
        EXPECT_EQ(r.points(), 10);
      } else {
        ++rejected;
        EXPECT_EQ(r.status(), v1::CLEARING_STATUS_REJECTED) << r.reason();
        EXPECT_EQ(r.code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
        EXPECT_THAT(r.reason(), StartsWith("amount.amount_minor:"));
      }
    }
  }
  EXPECT_EQ(reversed, 10);
  EXPECT_EQ(rejected, 2);
  EXPECT_EQ(reversed_points, 100);
  EXPECT_EQ(f_.Query("SELECT refunded_amount_minor FROM card_clearings WHERE clearing_id = 'big'"),
            10'000);
  EXPECT_EQ(f_.Balance(members[0]).balance, 1'000);
}

TEST_F(BankStreamTest, ABankWithoutRulesGetsFailedPreconditionPerRecord) {
  std::string key;
  const PartnerId bank2 = Register("Other Bank", "bank2", Role::kIssuer, &key);
  const std::string card = f_.AddMember(shop_);
  ASSERT_TRUE(bank_ledger_.LinkCard(bank2, card, "card-b2").ok());
  const StreamRun run = RunStream(key, {Purchase("n-1", "card-b2", 10'000, kMccGrocery),
                                        Purchase("n-2", "card-b2", 10'000, kMccGrocery)});
  ASSERT_TRUE(run.status.ok()) << Describe(run.status);
  ASSERT_EQ(run.results.size(), 2u);
  for (const v1::ClearingResult& r : run.results) {
    EXPECT_EQ(r.status(), v1::CLEARING_STATUS_REJECTED);
    EXPECT_EQ(r.code(), static_cast<int>(grpc::StatusCode::FAILED_PRECONDITION));
    EXPECT_THAT(r.reason(), StartsWith("rules:"));
  }
  EXPECT_EQ(f_.Rows("card_clearings"), 0);
}

TEST_F(BankStreamTest, AfterABrokenStreamResendingEverythingPostsEachRecordOnce) {
  std::vector<std::string> tokens;
  for (int c = 0; c < 50; ++c) tokens.push_back(absl::StrCat("card-b", c));
  LinkTokens(tokens, 1);
  constexpr int kRecords = 2'000;
  auto make = [](int i) {
    return Purchase(absl::StrCat("b-", i), absl::StrCat("card-b", i % 50), 2'000 + i, kMccNoRule);
  };
  {
    // The bank's connection drops after 50 answers, with records still in flight.
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    ctx.AddMetadata("authorization", absl::StrCat("Bearer ", bank_key_));
    auto stream = bank_stub_->SubmitCardTransactions(&ctx);
    std::thread writer([&] {
      for (int i = 0; i < kRecords; ++i) {
        if (!stream->Write(make(i))) break;
      }
      stream->WritesDone();
    });
    v1::ClearingResult r;
    int answered = 0;
    while (answered < 50 && stream->Read(&r)) {
      EXPECT_EQ(r.clearing_id(), absl::StrCat("b-", answered));
      ++answered;
    }
    EXPECT_EQ(answered, 50);
    ctx.TryCancel();
    while (stream->Read(&r)) {
    }
    writer.join();
    EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  const int64_t posted = ClearingTxns();
  EXPECT_GE(posted, 50);
  EXPECT_LT(posted, kRecords);

  // Resending the whole file: what was posted is replayed, the rest posts now, once.
  const StreamRun again = RunStream(bank_key_, kRecords, make);
  ASSERT_TRUE(again.status.ok()) << Describe(again.status);
  ASSERT_EQ(again.results.size(), static_cast<size_t>(kRecords));
  int replayed = 0;
  int64_t points = 0;
  for (int i = 0; i < kRecords; ++i) {
    const v1::ClearingResult& r = again.results[i];
    EXPECT_EQ(r.clearing_id(), absl::StrCat("b-", i));
    EXPECT_EQ(r.status(), v1::CLEARING_STATUS_EARNED) << r.code() << " " << r.reason();
    EXPECT_EQ(r.points(), (2'000 + i) / 100);
    if (r.replayed()) ++replayed;
    points += r.points();
    if (i < 50) {
      EXPECT_TRUE(r.replayed()) << i;
    }
  }
  // The stream posts the records that have arrived in batches of at most 256 and stops
  // once the call is cancelled: at most the batch in flight when the call broke was still
  // committing when `posted` was counted.
  EXPECT_GE(replayed, posted);
  EXPECT_LE(replayed, posted + 256);
  EXPECT_EQ(ClearingTxns(), kRecords);
  EXPECT_EQ(f_.Rows("card_clearings"), kRecords);
  EXPECT_EQ(f_.Query("SELECT COUNT(DISTINCT partner_txn_id) FROM txns WHERE partner_txn_id LIKE "
                     "'clr:%'"),
            kRecords);
  EXPECT_EQ(f_.Query("SELECT SUM(balance) FROM members"), points);
}

TEST_F(BankStreamTest, MalformedRecordsAreRejectedWithCodeAndFieldWhileTheStreamGoesOn) {
  const std::vector<std::string> members = LinkTokens({"card-m", "card-m2"}, 2);
  v1::LinkCoBrandedCardResponse linked;
  grpc::Status s = LinkPan(members[0], kPan, &linked);
  ASSERT_TRUE(s.ok()) << Describe(s);
  ASSERT_THAT(linked.card_ref(), StartsWith("h:"));
  ASSERT_EQ(linked.card_ref().size(), 66u);

  struct Bad {
    const char* name;
    v1::ClearingRecord record;
    grpc::StatusCode code;
    const char* field;  // the reason starts with it
  };
  auto with = [](v1::ClearingRecord r, const std::function<void(v1::ClearingRecord&)>& f) {
    f(r);
    return r;
  };
  const v1::ClearingRecord base = Purchase("x", "card-m", 10'000, kMccGrocery);
  const std::vector<Bad> bad = {
      {"bad clearing id", with(base, [](auto& r) { r.set_clearing_id("bad id!"); }),
       grpc::StatusCode::INVALID_ARGUMENT, "clearing_id:"},
      {"empty clearing id", with(base, [](auto& r) { r.set_clearing_id(""); }),
       grpc::StatusCode::INVALID_ARGUMENT, "clearing_id:"},
      {"clearing id too long", with(base, [](auto& r) { r.set_clearing_id(std::string(61, 'c')); }),
       grpc::StatusCode::INVALID_ARGUMENT, "clearing_id:"},
      {"missing card", with(base, [](auto& r) { r.clear_card(); }),
       grpc::StatusCode::INVALID_ARGUMENT, "card"},
      {"empty token", with(base, [](auto& r) { r.mutable_card()->set_token(""); }),
       grpc::StatusCode::INVALID_ARGUMENT, "card.token:"},
      {"token posing as a hash",
       with(base,
            [](auto& r) { r.mutable_card()->set_token(std::string("h:") + std::string(64, 'a')); }),
       grpc::StatusCode::INVALID_ARGUMENT, "card.token:"},
      {"negative amount", with(base, [](auto& r) { r.mutable_amount()->set_amount_minor(-500); }),
       grpc::StatusCode::INVALID_ARGUMENT, "amount.amount_minor:"},
      {"no amount", with(base, [](auto& r) { r.clear_amount(); }),
       grpc::StatusCode::INVALID_ARGUMENT, "amount.amount_minor:"},
      {"wrong currency", with(base, [](auto& r) { r.mutable_amount()->set_currency("USD"); }),
       grpc::StatusCode::INVALID_ARGUMENT, "amount.currency:"},
      {"no currency code", with(base, [](auto& r) { r.mutable_amount()->set_currency("E1"); }),
       grpc::StatusCode::INVALID_ARGUMENT, "amount.currency:"},
      {"type unspecified", with(base, [](auto& r) { r.set_type(v1::CLEARING_TYPE_UNSPECIFIED); }),
       grpc::StatusCode::INVALID_ARGUMENT, "type:"},
      {"type unknown", with(base, [](auto& r) { r.set_type(static_cast<v1::ClearingType>(9)); }),
       grpc::StatusCode::INVALID_ARGUMENT, "type:"},
      {"PAN failing Luhn", with(base, [](auto& r) { r.mutable_card()->set_pan(kPanBadLuhn); }),
       grpc::StatusCode::INVALID_ARGUMENT, "card.pan:"},
      {"PAN too short", with(base, [](auto& r) { r.mutable_card()->set_pan("42424242426"); }),
       grpc::StatusCode::INVALID_ARGUMENT, "card.pan:"},
      {"mcc out of range", with(base, [](auto& r) { r.set_mcc(12'345); }),
       grpc::StatusCode::INVALID_ARGUMENT, "mcc:"},
      {"bad merchant id", with(base, [](auto& r) { r.set_merchant_id("shop\n#1"); }),
       grpc::StatusCode::INVALID_ARGUMENT, "merchant_id:"},
      {"occurred in 1990",
       with(base, [](auto& r) { r.set_occurred_at_micros(631'152'000'000'000); }),
       grpc::StatusCode::INVALID_ARGUMENT, "occurred_at_micros:"},
      {"refund without original", Refund("x", "card-m", "", 100),
       grpc::StatusCode::INVALID_ARGUMENT, "original_clearing_id:"},
      {"refund larger than the purchase", Refund("x", "card-m", "ok-0", 10'001),
       grpc::StatusCode::INVALID_ARGUMENT, "amount.amount_minor:"},
      {"refund with another card", Refund("x", "card-m2", "ok-0", 100),
       grpc::StatusCode::INVALID_ARGUMENT, "card:"},
      {"clearing id reused with other content", Purchase("ok-0", "card-m", 9'999, kMccGrocery),
       grpc::StatusCode::ALREADY_EXISTS, "clearing_id:"},
  };

  // ok-0, then each bad record followed by a good one (ok-1, ok-2, ...), then a purchase
  // by PAN and a refund of ok-0.
  std::vector<v1::ClearingRecord> records = {Purchase("ok-0", "card-m", 10'000, kMccGrocery)};
  for (size_t i = 0; i < bad.size(); ++i) {
    v1::ClearingRecord r = bad[i].record;
    if (r.clearing_id() == "x") r.set_clearing_id(absl::StrCat("bad-", i));
    records.push_back(r);
    records.push_back(Purchase(absl::StrCat("ok-", i + 1), "card-m", 1'000 * (i + 1), kMccNoRule));
  }
  v1::ClearingRecord by_pan = Purchase("pan-1", "", 20'000, kMccGrocery);
  by_pan.mutable_card()->set_pan(kPan);
  records.push_back(by_pan);
  records.push_back(Refund("refund-ok-0", "card-m", "ok-0", 10'000));

  const StreamRun run = RunStream(bank_key_, records);
  ASSERT_TRUE(run.status.ok()) << Describe(run.status);
  ASSERT_EQ(run.results.size(), records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(run.results[i].clearing_id(), records[i].clearing_id()) << "result " << i;
  }
  EXPECT_EQ(run.results[0].status(), v1::CLEARING_STATUS_EARNED);
  EXPECT_EQ(run.results[0].points(), 200);
  int64_t total = 200;
  for (size_t i = 0; i < bad.size(); ++i) {
    SCOPED_TRACE(bad[i].name);
    const v1::ClearingResult& r = run.results[1 + 2 * i];
    EXPECT_EQ(r.status(), v1::CLEARING_STATUS_REJECTED) << r.reason();
    EXPECT_EQ(r.code(), static_cast<int>(bad[i].code)) << r.reason();
    EXPECT_THAT(r.reason(), StartsWith(bad[i].field));
    EXPECT_EQ(r.points(), 0);
    EXPECT_EQ(r.hub_txn_id(), 0);
    EXPECT_FALSE(r.replayed());
    // A reason never echoes a PAN.
    EXPECT_THAT(r.reason(), Not(HasSubstr("45567375868998")));
    // The stream went on: the next record earned 1 % of (i + 1) x 10.00 EUR.
    const v1::ClearingResult& next = run.results[2 + 2 * i];
    EXPECT_EQ(next.status(), v1::CLEARING_STATUS_EARNED) << next.reason();
    EXPECT_EQ(next.points(), 10 * static_cast<int64_t>(i + 1));
    total += next.points();
  }
  const v1::ClearingResult& pan = run.results[records.size() - 2];
  EXPECT_EQ(pan.status(), v1::CLEARING_STATUS_EARNED) << pan.reason();
  EXPECT_EQ(pan.points(), 400);
  const v1::ClearingResult& refund = run.results.back();
  EXPECT_EQ(refund.status(), v1::CLEARING_STATUS_REVERSED) << refund.reason();
  EXPECT_EQ(refund.points(), 200);
  total += 400 - 200;

  // Nothing was stored for the rejected records.
  EXPECT_EQ(f_.Rows("card_clearings"), static_cast<int64_t>(1 + bad.size() + 2));
  EXPECT_EQ(f_.Query("SELECT COUNT(*) FROM card_clearings WHERE clearing_id LIKE 'bad-%'"), 0);
  EXPECT_EQ(f_.Query("SELECT amount_minor FROM card_clearings WHERE clearing_id = 'ok-0'"), 10'000);
  EXPECT_EQ(f_.Query(absl::StrCat("SELECT COUNT(*) FROM card_clearings WHERE card_ref = '",
                                  linked.card_ref(), "'")),
            1);
  EXPECT_EQ(f_.Balance(members[0]).balance, total);
}

TEST_F(BankStreamTest, TheStreamIsOnlyForIssuerKeys) {
  LinkTokens({"card-a"}, 1);
  const std::vector<v1::ClearingRecord> one = {Purchase("a-1", "card-a", 10'000, kMccGrocery)};
  struct Caller {
    const char* name;
    std::string key;
    grpc::StatusCode code;
  };
  const std::vector<Caller> callers = {
      {"merchant key", shop_key_, grpc::StatusCode::PERMISSION_DENIED},
      {"admin key", kAdminKey, grpc::StatusCode::PERMISSION_DENIED},
      {"no key", "", grpc::StatusCode::UNAUTHENTICATED},
      {"unknown key", kBogusKey, grpc::StatusCode::UNAUTHENTICATED},
  };
  for (const Caller& c : callers) {
    SCOPED_TRACE(c.name);
    const StreamRun run = RunStream(c.key, one);
    EXPECT_EQ(run.status.error_code(), c.code) << Describe(run.status);
    EXPECT_TRUE(run.results.empty());
  }
  EXPECT_EQ(f_.Rows("card_clearings"), 0);
  EXPECT_EQ(ClearingTxns(), 0);
  // The bank's own key works, and an empty stream is simply closed.
  const StreamRun ok = RunStream(bank_key_, one);
  ASSERT_TRUE(ok.status.ok()) << Describe(ok.status);
  ASSERT_EQ(ok.results.size(), 1u);
  EXPECT_EQ(ok.results[0].status(), v1::CLEARING_STATUS_EARNED);
  const StreamRun empty = RunStream(bank_key_, {});
  EXPECT_TRUE(empty.status.ok()) << Describe(empty.status);
  EXPECT_TRUE(empty.results.empty());
}

}  // namespace
}  // namespace loyalty
