// The ledger under concurrent use (docs/ledger.md "Locking"): plain threads calling one
// shared Ledger on a real MariaDB. Redemptions racing for one member never overdraw it,
// and a mixed random workload over many members leaves every invariant intact.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_db.h"
#include "tests/support/test_util.h"

namespace loyalty::testing {
namespace {

// Net points of all member accounts in the journal.
int64_t JournalNetOfMembers(TestDb& db) {
  return db.QueryInt(
      "SELECT COALESCE(SUM(CASE WHEN credit_account LIKE 'member:%' THEN points ELSE 0 END), 0)"
      " - COALESCE(SUM(CASE WHEN debit_account LIKE 'member:%' THEN points ELSE 0 END), 0)"
      " FROM transfers");
}

// Tally of the status codes a set of calls returned.
struct Codes {
  std::mutex mu;
  std::map<absl::StatusCode, int64_t> counts;
  std::vector<std::string> unexpected;  // messages of codes outside the allowed set

  void Add(const absl::Status& s) {
    std::lock_guard<std::mutex> lock(mu);
    ++counts[s.code()];
    if (!s.ok() && s.code() != absl::StatusCode::kFailedPrecondition &&
        s.code() != absl::StatusCode::kAborted) {
      if (unexpected.size() < 20) unexpected.push_back(s.ToString());
    }
  }
  int64_t Of(absl::StatusCode c) {
    std::lock_guard<std::mutex> lock(mu);
    auto it = counts.find(c);
    return it == counts.end() ? 0 : it->second;
  }
  std::string Describe() {
    std::lock_guard<std::mutex> lock(mu);
    std::string out;
    for (const auto& [code, n] : counts) {
      absl::StrAppend(&out, absl::StatusCodeToString(code), "=", n, " ");
    }
    return out;
  }
};

TEST(Concurrency, RedemptionsNeverOverdraw) {
  LedgerFixture f;
  const PartnerId grocer = f.AddPartner("grocery", 500);
  const PartnerId gym = f.AddPartner("fitness", 300);
  const std::string card = f.AddMember(grocer);
  ASSERT_TRUE(f.EarnPoints(grocer, card, 600).ok());
  ASSERT_TRUE(f.EarnPoints(gym, card, 400).ok());
  ASSERT_EQ(f.Balance(card).balance, 1000);
  const MemberId member = f.Balance(card).member_id;

  constexpr int kThreads = 16;
  constexpr int kPerThread = 20;
  constexpr Points kPoints = 10;
  Codes codes;
  std::mutex mu;
  std::vector<Points> balances_after;  // of the successful redemptions
  const auto start = std::chrono::steady_clock::now();
  RunTogether(kThreads, [&](int t, StartGate& gate) {
    gate.Wait();
    for (int j = 0; j < kPerThread; ++j) {
      absl::StatusOr<Posting> p = f.ledger().Redeem(MakeRedeem(
          (t + j) % 2 == 0 ? grocer : gym, card, kPoints, absl::StrCat("redeem-", t, "-", j)));
      codes.Add(p.status());
      if (p.ok()) {
        EXPECT_FALSE(p->replayed);
        EXPECT_EQ(p->points, kPoints);
        std::lock_guard<std::mutex> lock(mu);
        balances_after.push_back(p->balance_after);
      }
    }
  });
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const int64_t ok = codes.Of(absl::StatusCode::kOk);
  const int64_t refused = codes.Of(absl::StatusCode::kFailedPrecondition);
  const int64_t aborted = codes.Of(absl::StatusCode::kAborted);
  std::printf("RedemptionsNeverOverdraw: %s in %.2f s (ABORTED after retries: %lld)\n",
              codes.Describe().c_str(), secs, static_cast<long long>(aborted));
  ::testing::Test::RecordProperty("aborted", static_cast<int>(aborted));
  EXPECT_TRUE(codes.unexpected.empty()) << ::testing::PrintToString(codes.unexpected);
  EXPECT_EQ(ok + refused + aborted, kThreads * kPerThread);

  EXPECT_LE(ok * kPoints, 1000);
  const BalanceView b = f.Balance(card);
  EXPECT_EQ(b.balance, 1000 - ok * kPoints);
  EXPECT_GE(b.balance, 0);
  EXPECT_EQ(b.available, b.balance);
  // A refusal means the member had fewer than 10 points then (balances move in tens and
  // only down), so once anything was refused the member was drained exactly.
  if (refused > 0) {
    EXPECT_EQ(ok, 1000 / kPoints);
    EXPECT_EQ(b.balance, 0);
  }
  // Serialized: each success saw its own balance, 990, 980, ... down to the final one.
  std::sort(balances_after.begin(), balances_after.end());
  ASSERT_EQ(static_cast<int64_t>(balances_after.size()), ok);
  for (int64_t i = 0; i < ok; ++i) {
    EXPECT_EQ(balances_after[i], b.balance + i * kPoints) << "success #" << i;
  }
  // The journal and the rows agree: one redeem txn, one transfer, 10 points of
  // consumptions per success; nothing from the refusals.
  EXPECT_EQ(f.db().QueryInt("SELECT COUNT(*) FROM txns WHERE kind = 'redeem'"), ok);
  EXPECT_EQ(f.db().QueryInt(absl::StrCat(
                "SELECT COALESCE(SUM(points), 0) FROM transfers WHERE debit_account = 'member:",
                member, "'")),
            ok * kPoints);
  EXPECT_EQ(f.db().QueryInt("SELECT COALESCE(SUM(points), 0) FROM consumptions"), ok * kPoints);
  EXPECT_EQ(f.db().QueryInt("SELECT COALESCE(SUM(remaining), 0) FROM lots"), b.balance);
  EXPECT_EQ(JournalNetOfMembers(f.db()), b.balance);
  f.ExpectInvariants();
}

// One earned/redeemed/authorized request a thread may refer to later.
struct Ref {
  PartnerId partner = 0;
  std::string id;
  Points points = 0;
  bool is_earn = false;  // for reversals: earn (true) or redemption/capture (false)
};

// Thread-safe pools of committed requests, shared by all workers so reversals,
// captures and voids of the same original race each other.
class Pools {
 public:
  void Add(std::vector<Ref>* pool, Ref r) {
    std::lock_guard<std::mutex> lock(mu_);
    pool->push_back(std::move(r));
  }
  bool Pick(std::vector<Ref>* pool, std::mt19937_64& rng, Ref* out) {
    std::lock_guard<std::mutex> lock(mu_);
    if (pool->empty()) return false;
    *out = (*pool)[std::uniform_int_distribution<size_t>(0, pool->size() - 1)(rng)];
    return true;
  }
  std::vector<Ref> originals;  // earns, redemptions and captures
  std::vector<Ref> auths;

 private:
  std::mutex mu_;
};

// The shape of one mixed run (its report is named after the running test).
struct Workload {
  int members = 20;
  int ops_per_thread = 200;
  // > 0: program expiry in months, and workers move the clock (3 days every 25th
  // operation) and run expiry, so lots and holds lapse while points move.
  int expiry_months = 0;
  int threads = 8;
};

// 8 threads of seeded random operations over `members` members and 4 partners: earn
// (amount or stated points), redeem, authorize / capture / void, reverse earns and
// redemptions (all or part), operator credits and debits, exact retries of the thread's
// previous request, and optionally clock moves and expiry runs. Afterwards every
// invariant holds, failures were only FAILED_PRECONDITION (or ABORTED after the hub's
// retries), and the balances, the journal and the callers' own tally agree.
void RunMixedWorkload(const Workload& w) {
  LedgerFixture f;
  if (w.expiry_months > 0) {
    ProgramRecord program;
    program.point_value_micros = 10'000;
    program.currency = "EUR";
    program.expiry_months = w.expiry_months;
    program.hold_timeout_seconds = 600;
    ASSERT_TRUE(f.ledger().SetProgram("test", program).ok());
  }
  const std::vector<PartnerId> partners = {f.AddPartner("grocery", 500),
                                           f.AddPartner("fitness", 300), f.AddPartner("fuel", 200),
                                           f.AddPartner("books", 1000)};
  const int kMembers = w.members;
  std::vector<std::string> cards;
  for (int m = 0; m < kMembers; ++m) {
    cards.push_back(f.AddMember(partners[m % partners.size()]));
    ASSERT_FALSE(cards.back().empty());
  }
  Pools pools;
  int64_t seeded = 0;
  for (int m = 0; m < kMembers; ++m) {
    const PartnerId p = partners[m % partners.size()];
    const std::string id = absl::StrCat("seed-", m);
    auto e = f.EarnPoints(p, cards[m], 300 + 10 * m, id);
    ASSERT_TRUE(e.ok()) << e.status();
    seeded += e->points;
    pools.Add(&pools.originals, {p, id, e->points, true});
  }
  const int64_t txns_before = f.db().QueryInt("SELECT COUNT(*) FROM txns");

  const int kThreads = w.threads;
  const int kOpsPerThread = w.ops_per_thread;
  std::atomic<int64_t> expired{0};  // points RunExpiry reports it moved to breakage
  Codes codes;
  std::atomic<int64_t> net{0};      // member points moved by fresh postings
  std::atomic<int64_t> fresh{0};    // postings that wrote a txns row
  std::atomic<int64_t> replays{0};  // exact retries answered from the stored result
  std::atomic<int64_t> bad_replays{0};
  const auto start = std::chrono::steady_clock::now();

  RunTogether(kThreads, [&](int t, StartGate& gate) {
    std::mt19937_64 rng(0x5EED0000u + t);
    auto uniform = [&](int64_t lo, int64_t hi) {
      return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
    };
    // The previous successful request of this thread, for exact retries.
    std::function<absl::StatusOr<Posting>()> last_call;
    TxnId last_txn = 0;
    gate.Wait();
    for (int i = 0; i < kOpsPerThread; ++i) {
      if (w.expiry_months > 0 && i % 25 == 24) {
        f.clock().Advance(3 * kDay);
      }
      const std::string id = absl::StrCat("w", t, "-", i);
      const PartnerId partner = partners[uniform(0, partners.size() - 1)];
      const std::string& card = cards[uniform(0, kMembers - 1)];
      const int64_t dice = uniform(0, 99);
      // What the call does to the sum of member balances when it posts, given its
      // result; and whether it yields a reference for later operations.
      std::function<absl::StatusOr<Posting>()> call;
      std::function<int64_t(const Posting&)> delta = [](const Posting&) { return 0; };
      std::function<void(const Posting&)> remember = [](const Posting&) {};

      if (dice < 25) {  // earn from an amount
        const EarnParams e = MakeEarn(partner, card, uniform(100, 20000), id);
        call = [&f, e] { return f.ledger().Earn(e); };
        delta = [](const Posting& p) { return p.points; };
        remember = [&pools, partner, id](const Posting& p) {
          if (p.points > 0) pools.Add(&pools.originals, {partner, id, p.points, true});
        };
      } else if (dice < 30) {  // earn with stated points
        EarnParams e = MakeEarn(partner, card, /*amount_minor=*/0, id);
        e.stated_points = uniform(1, 200);
        call = [&f, e] { return f.ledger().Earn(e); };
        delta = [](const Posting& p) { return p.points; };
        remember = [&pools, partner, id](const Posting& p) {
          pools.Add(&pools.originals, {partner, id, p.points, true});
        };
      } else if (dice < 50) {  // redeem
        const RedeemParams r = MakeRedeem(partner, card, uniform(1, 250), id);
        call = [&f, r] { return f.ledger().Redeem(r); };
        delta = [](const Posting& p) { return -p.points; };
        remember = [&pools, partner, id](const Posting& p) {
          pools.Add(&pools.originals, {partner, id, p.points, false});
        };
      } else if (dice < 62) {  // authorize
        const RedeemParams r = MakeRedeem(partner, card, uniform(1, 200), id);
        call = [&f, r] { return f.ledger().AuthorizeRedemption(r); };
        remember = [&pools, partner, id](const Posting& p) {
          pools.Add(&pools.auths, {partner, id, p.points, false});
        };
      } else if (dice < 72) {  // capture (all or part) of some authorization
        Ref auth;
        if (!pools.Pick(&pools.auths, rng, &auth)) continue;
        const CaptureParams c = MakeCapture(auth.partner, auth.id,
                                            uniform(0, 1) == 0 ? 0 : uniform(1, auth.points), id);
        call = [&f, c] { return f.ledger().CaptureRedemption(c); };
        delta = [](const Posting& p) { return -p.points; };
        const PartnerId ap = auth.partner;
        remember = [&pools, ap, id](const Posting& p) {
          pools.Add(&pools.originals, {ap, id, p.points, false});
        };
      } else if (dice < 77) {  // void some authorization
        Ref auth;
        if (!pools.Pick(&pools.auths, rng, &auth)) continue;
        const CaptureParams c = MakeCapture(auth.partner, auth.id, /*points=*/0, id);
        call = [&f, c] { return f.ledger().VoidRedemption(c); };
      } else if (dice < 89) {  // reverse an earn, redemption or capture (all or part)
        Ref orig;
        if (!pools.Pick(&pools.originals, rng, &orig)) continue;
        const ReverseParams r =
            MakeReverse(orig.partner, orig.id,
                        uniform(0, 2) == 0 ? 0 : uniform(1, std::max<Points>(1, orig.points)), id);
        call = [&f, r] { return f.ledger().Reverse(r); };
        const bool is_earn = orig.is_earn;
        delta = [is_earn](const Posting& p) { return is_earn ? -p.points : p.points; };
      } else if (dice < 96) {  // operator credit or debit
        const AdjustParams a = MakeAdjust(
            card, uniform(0, 1) == 0 ? uniform(1, 100) : -uniform(1, 100), id, "concurrency test");
        call = [&f, a] { return f.ledger().AdjustPoints(a); };
        delta = [](const Posting& p) { return p.points; };
      } else if (dice < 98 || w.expiry_months == 0) {  // exact retry of the previous request
        if (!last_call) continue;
        absl::StatusOr<Posting> again = last_call();
        codes.Add(again.status());
        if (again.ok()) {
          ++replays;
          if (!again->replayed || again->txn_id != last_txn) ++bad_replays;
        }
        continue;
      } else {  // expiry run
        absl::StatusOr<ExpiryOutcome> x = f.ledger().RunExpiry();
        codes.Add(x.status());
        if (x.ok()) expired += x->points_expired;
        continue;
      }

      absl::StatusOr<Posting> p = call();
      codes.Add(p.status());
      if (!p.ok()) continue;
      if (p->replayed) {
        ++bad_replays;  // every id here is new
        continue;
      }
      ++fresh;
      net += delta(*p);
      remember(*p);
      last_call = call;
      last_txn = p->txn_id;
    }
  });
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const int64_t aborted = codes.Of(absl::StatusCode::kAborted);
  const char* name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  std::printf("%s: %s| fresh=%lld replays=%lld swept=%lld in %.2f s\n", name,
              codes.Describe().c_str(), static_cast<long long>(fresh.load()),
              static_cast<long long>(replays.load()), static_cast<long long>(expired.load()), secs);
  ::testing::Test::RecordProperty("aborted", static_cast<int>(aborted));

  EXPECT_TRUE(codes.unexpected.empty()) << ::testing::PrintToString(codes.unexpected);
  EXPECT_EQ(bad_replays.load(), 0);
  EXPECT_GT(fresh.load(), kThreads * kOpsPerThread / 4);  // the run did real work
  f.ExpectInvariants();

  // Failed requests wrote nothing: one txns row per fresh posting.
  EXPECT_EQ(f.db().QueryInt("SELECT COUNT(*) FROM txns WHERE kind <> 'expire'"),
            txns_before + fresh.load());
  // The materialized balances, the journal and the callers' own tally agree.
  const int64_t balances = f.db().QueryInt("SELECT COALESCE(SUM(balance), 0) FROM members");
  EXPECT_EQ(balances, JournalNetOfMembers(f.db()));
  // Expiry happens lazily inside any operation that locks a member and in RunExpiry
  // sweeps (docs/ledger.md "Expiry"); RunExpiry reports only its own share.
  const int64_t breakage = f.db().QueryInt(
      "SELECT COALESCE(SUM(points), 0) FROM transfers WHERE credit_account = 'breakage'");
  EXPECT_EQ(balances, seeded + net.load() - breakage);
  EXPECT_LE(expired.load(), breakage);
  EXPECT_EQ(f.db().QueryInt("SELECT COALESCE(SUM(points), 0) FROM consumptions "
                            "WHERE kind = 'expire'"),
            breakage);
  if (w.expiry_months == 0) {
    EXPECT_EQ(breakage, 0);
  } else {
    // The clock moved past every lot's expiry: nothing due is left after a final sweep.
    auto sweep = f.ledger().RunExpiry();
    ASSERT_TRUE(sweep.ok()) << sweep.status();
    EXPECT_EQ(f.db().QueryInt(
                  absl::StrCat("SELECT COUNT(*) FROM lots WHERE remaining > 0 AND expires_at <= ",
                               f.clock().NowMicros())),
              0);
    f.ExpectInvariants();
  }
  for (const std::string& card : cards) {
    const BalanceView b = f.Balance(card);
    EXPECT_GE(b.held, 0) << card;
    if (b.debt == 0) {
      EXPECT_GE(b.balance, 0) << card;
      EXPECT_GE(b.available, 0) << card;
    }
    EXPECT_EQ(b.available, b.balance - b.held) << card;
  }
}

TEST(Concurrency, MixedWorkloadManyMembers) {
  RunMixedWorkload({/*members=*/20, /*ops_per_thread=*/600});
}

TEST(Concurrency, MixedWorkloadFewHotMembers) {
  RunMixedWorkload({/*members=*/3, /*ops_per_thread=*/300});
}

TEST(Concurrency, MixedWorkloadWithExpiryAndClockMoves) {
  RunMixedWorkload({/*members=*/6, /*ops_per_thread=*/400, /*expiry_months=*/1});
}

// An exclusive category admits one active partner even when registrations race: the
// losers get FAILED_PRECONDITION naming the winner (docs/api.md RegisterPartner).
// Two hub instances on one database whose clocks differ by an hour, 16 threads on one
// hot member. A posting's time is read after the member lock and never goes below the
// member's last posting, and a lot with no return window is spendable at once: no
// answer shows points as pending or available understated, time never runs backwards
// for the member, and nothing aborts.
TEST(Concurrency, HotMemberWithASecondHubWhoseClockRunsBehind) {
  LedgerFixture f;
  FakeClock behind(LedgerFixture::kStart - 3'600'000'000);
  Ledger slow(f.db().store(), &behind);
  const PartnerId grocer = f.AddPartner("grocery");
  const PartnerId cinema = f.AddPartner("cinema");
  const std::string card = f.AddMember(grocer);
  ASSERT_TRUE(f.EarnPoints(grocer, card, 1000).ok());
  const MemberId member = f.Balance(card).member_id;

  constexpr int kThreads = 16;
  constexpr int kPerThread = 15;
  std::mutex mu;
  std::vector<std::string> wrong;
  auto note = [&](const std::string& what) {
    std::lock_guard<std::mutex> lock(mu);
    if (wrong.size() < 20) wrong.push_back(what);
  };
  std::atomic<int> seq{0};
  RunTogether(kThreads, [&](int t, StartGate& gate) {
    Ledger& ledger = t % 2 == 0 ? f.ledger() : slow;
    FakeClock& clock = t % 2 == 0 ? f.clock() : behind;
    gate.Wait();
    for (int i = 0; i < kPerThread; ++i) {
      clock.Advance(1'000);
      const std::string id = absl::StrCat("hot-", seq.fetch_add(1));
      absl::StatusOr<Posting> p;
      if (i % 3 == 0) {
        p = ledger.Redeem(RedeemParams{{cinema, id, 0}, card, 5, ""});
      } else {
        EarnParams e;
        e.req = {grocer, id, 0};
        e.card_number = card;
        e.currency = "EUR";
        e.stated_points = 10;
        p = ledger.Earn(e);
      }
      if (!p.ok()) {
        note(absl::StrCat(id, ": ", p.status().ToString()));
        continue;
      }
      if (p->available_after != p->balance_after) {
        note(absl::StrCat(id, ": available_after ", p->available_after, " balance_after ",
                          p->balance_after));
      }
      absl::StatusOr<BalanceView> b = ledger.GetBalance(card);
      if (!b.ok() || b->pending != 0 || b->available != b->balance) {
        note(absl::StrCat("balance after ", id, ": ",
                          b.ok() ? absl::StrCat("pending ", b->pending, " available ",
                                                b->available, " balance ", b->balance)
                                 : b.status().ToString()));
      }
    }
  });
  EXPECT_THAT(wrong, ::testing::IsEmpty());
  // In the order the member's postings took its lock (txn ids), time never goes back.
  EXPECT_EQ(f.Query(absl::StrCat(
                "SELECT COUNT(*) FROM txns a JOIN txns b ON b.member_id = a.member_id "
                "AND b.id > a.id AND b.posted_at < a.posted_at WHERE a.member_id = ",
                member)),
            0);
  EXPECT_EQ(f.Query(absl::StrCat("SELECT last_posted_at FROM members WHERE id = ", member)),
            f.Query(absl::StrCat("SELECT MAX(posted_at) FROM txns WHERE member_id = ", member)));
  const BalanceView end = f.Balance(card);
  // Each thread: 10 earns of 10 and 5 redemptions of 5.
  EXPECT_EQ(end.balance, 1000 + kThreads * (10 * 10 - 5 * 5));
  f.ExpectInvariants();
}

TEST(Concurrency, RacingRegistrationsInOneCategory) {
  LedgerFixture f;
  constexpr int kThreads = 8;
  std::vector<absl::StatusOr<RegisteredPartner>> results(kThreads, absl::UnknownError("not run"));
  RunTogether(kThreads, [&](int t, StartGate& gate) {
    PartnerRecord p;
    p.name = absl::StrCat("Pharmacy ", t);
    p.category = "pharmacy";
    p.role = Role::kMerchant;
    p.earn_rate_bp = 100;
    gate.Wait();
    results[t] = f.ledger().RegisterPartner("test", p);
  });
  int winners = 0;
  PartnerId winner = 0;
  std::string winner_name;
  for (const auto& r : results) {
    if (r.ok()) {
      ++winners;
      winner = r->partner.id;
      winner_name = r->partner.name;
    }
  }
  ASSERT_EQ(winners, 1);
  for (int t = 0; t < kThreads; ++t) {
    if (results[t].ok()) continue;
    const absl::Status& s = results[t].status();
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << "thread " << t << ": " << s;
    EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr(absl::StrCat(winner)))
        << "thread " << t << ": " << s;
    EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr(winner_name))
        << "thread " << t << ": " << s;
  }
  EXPECT_EQ(f.db().QueryInt("SELECT COUNT(*) FROM partners WHERE category = 'pharmacy'"), 1);
  EXPECT_EQ(f.db().QueryInt("SELECT COUNT(*) FROM api_keys WHERE partner_id IS NOT NULL"), 1);
}

}  // namespace
}  // namespace loyalty::testing
