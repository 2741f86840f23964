// The batch engine against one transaction per request (a differential test): random
// rounds of every kind of posting on a few overlapping members (earn, redeem, authorize,
// capture of holds taken in earlier rounds, void, partial reversals of earns with cover
// and debt and of redemptions, bearer-card merges) run concurrently through group
// commit, so they share batches. The order the batches applied them is the order of
// their txn ids (one committer; ids handed out as requests run). The same successful
// requests then run one per transaction, in that order, on a second database; the two
// must agree on every answer, every member's balance and debt, the lots, the
// consumptions and the journal, and both must pass the invariant check.
// LOYALTY_DIFF_SEEDS sets the number of seeds (default 6).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "hub/store/group_commit.h"
#include "tests/support/test_db.h"
#include "tests/support/test_util.h"

namespace loyalty::testing {
namespace {

enum class Kind { kEarn, kRedeem, kAuthorize, kCapture, kVoid, kReverse, kMerge };

// One request, by card index (the two databases' card numbers differ).
struct Op {
  Kind kind = Kind::kEarn;
  std::string key;
  int card = 0;
  int other_card = 0;     // merge: the bearer card
  std::string original;   // capture/void: the authorization; reverse: the earn or redemption
  Points points = 0;
  PartnerId partner = 0;
};

// A coalition on one database: two partners, members and bearer cards made in the
// same order in both databases (so their ids match), and how to run an Op there.
struct Side {
  explicit Side(bool batched) {
    grocer = f.AddPartner("grocery", 500);
    cinema = f.AddPartner("cinema", 500);
    for (int i = 0; i < 6; ++i) cards.push_back(f.AddMember(grocer));
    for (const std::string& b : Ok(f.ledger().IssueBearerCards("ops", 3))) cards.push_back(b);
    f.SetExpiryMonths(1);  // some rounds are 20 days apart: lots expire lazily
    // Tiers on net spend and a promotion the cinema funds for the first 30 days: batches
    // plan tiers after returns made earlier in the same batch, and reverse spent bonuses.
    EXPECT_TRUE(f.ledger().SetTiers("ops", {{"Silver", 1500, 12500}, {"Gold", 4000, 15000}}).ok());
    PromotionRow promo;
    promo.name = "Three more";
    promo.kind = promotion_kind::kFixed;
    promo.scope = "all";
    promo.funder_id = cinema;
    promo.bonus_points = 3;
    promo.starts_at = f.clock().NowMicros();
    promo.ends_at = promo.starts_at + 30 * kDay;
    EXPECT_TRUE(f.ledger().CreatePromotion("ops", promo).ok());
    if (batched) {
      GroupCommitOptions o;
      o.max_batch = 64;
      o.window = absl::Milliseconds(20);
      o.committers = 1;  // batches in sequence: txn ids follow the order of application
      store = std::make_unique<GroupCommitStore>(f.db().store(), o);
      ledger = std::make_unique<Ledger>(store.get(), &f.clock());
    }
  }
  Ledger& L() { return ledger != nullptr ? *ledger : f.ledger(); }

  absl::StatusOr<Posting> Run(const Op& op) {
    switch (op.kind) {
      case Kind::kEarn:
        return L().Earn(MakeEarn(op.partner, cards[op.card], op.points * 20, op.key));
      case Kind::kRedeem:
        return L().Redeem(MakeRedeem(op.partner, cards[op.card], op.points, op.key));
      case Kind::kAuthorize:
        return L().AuthorizeRedemption(MakeRedeem(op.partner, cards[op.card], op.points, op.key));
      case Kind::kCapture:
        return L().CaptureRedemption(MakeCapture(op.partner, op.original, op.points, op.key));
      case Kind::kVoid:
        return L().VoidRedemption(MakeCapture(op.partner, op.original, 0, op.key));
      case Kind::kReverse:
        return L().Reverse(MakeReverse(op.partner, op.original, op.points, op.key));
      case Kind::kMerge:
        return L().RegisterBearerCard(MakeRequest(op.partner, op.key), cards[op.card],
                                      cards[op.other_card]);
    }
    return absl::InternalError("unknown kind");
  }

  // Everything the two runs must agree on, as text.
  std::string State() {
    std::string out;
    absl::StrAppend(&out, "members:\n");
    for (size_t i = 0; i < cards.size(); ++i) {
      const BalanceView b = f.Balance(cards[i]);
      absl::StrAppend(&out, i, " balance=", b.balance, " debt=", b.debt, " held=", b.held,
                      " available=", b.available, "\n");
    }
    // Journal, lots and consumptions by the requests' keys (row ids differ).
    for (const char* sql : {
             "SELECT COUNT(*) FROM txns",
             "SELECT COALESCE(SUM(points), 0) FROM transfers",
             "SELECT COALESCE(SUM(CRC32(CONCAT_WS('|', t.partner_txn_id, t.kind, t.points, "
             "t.balance_after, t.available_after, t.reversed_points))), 0) FROM txns t",
             "SELECT COALESCE(SUM(CRC32(CONCAT_WS('|', COALESCE(o.partner_txn_id, o.kind), "
             "x.debit_account LIKE 'member:%', x.credit_account LIKE 'member:%', "
             "SUBSTRING_INDEX(x.debit_account, ':', 1), SUBSTRING_INDEX(x.credit_account, ':', "
             "1), x.points))), 0) FROM transfers x JOIN txns o ON o.id = x.txn_id",
             "SELECT COALESCE(SUM(CRC32(CONCAT_WS('|', e.partner_txn_id, l.funder_id, l.points, "
             "l.remaining, l.expires_at, l.available_at))), 0) FROM lots l JOIN txns e ON e.id "
             "= l.earn_txn_id",
             "SELECT COALESCE(SUM(CRC32(CONCAT_WS('|', COALESCE(t.partner_txn_id, t.kind), "
             "e.partner_txn_id, c.funder_id, COALESCE(c.redeemer_id, -1), c.kind, c.points, "
             "c.restores_id IS NULL))), 0) FROM consumptions c JOIN txns t ON t.id = c.txn_id "
             "JOIN lots l ON l.id = c.lot_id JOIN txns e ON e.id = l.earn_txn_id",
             "SELECT COALESCE(SUM(CRC32(CONCAT_WS('|', t.partner_txn_id, h.points, h.status))), "
             "0) FROM holds h JOIN txns t ON t.id = h.auth_txn_id",
             "SELECT COALESCE(SUM(CRC32(CONCAT_WS('|', t.partner_txn_id, d.points, "
             "d.outstanding))), 0) FROM debts d JOIN txns t ON t.id = d.txn_id",
         }) {
      absl::StrAppend(&out, sql, " = ", f.Query(sql), "\n");
    }
    return out;
  }

  LedgerFixture f;
  PartnerId grocer = 0, cinema = 0;
  std::vector<std::string> cards;
  std::unique_ptr<GroupCommitStore> store;
  std::unique_ptr<Ledger> ledger;
};

// A round of random requests that may refer to what earlier rounds posted.
std::vector<Op> RandomRound(std::mt19937_64& rng, int round, std::vector<Op>& earns,
                            std::vector<Op>& redemptions, std::vector<Op>& auths,
                            PartnerId grocer, PartnerId cinema, int* merges_left) {
  std::vector<Op> ops;
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  for (int i = 0; i < 40; ++i) {
    Op op;
    op.key = absl::StrCat("r", round, "-", i);
    op.card = pick(6);  // registered members; bearer cards only earn and merge
    op.partner = pick(2) == 0 ? grocer : cinema;
    switch (pick(10)) {
      case 0:
      case 1:
      case 2:
        op.kind = Kind::kEarn;
        op.card = pick(9);
        op.points = 1 + pick(40);
        break;
      case 3:
        op.kind = Kind::kRedeem;
        op.points = 1 + pick(30);
        break;
      case 4:
        op.kind = Kind::kAuthorize;
        op.points = 1 + pick(20);
        break;
      case 5:
        if (auths.empty()) continue;
        op.kind = Kind::kCapture;
        op.original = auths[pick(auths.size())].key;
        op.partner = 0;  // the authorization's partner, set below
        op.points = pick(3) == 0 ? 0 : 1 + pick(10);
        break;
      case 6:
        if (auths.empty()) continue;
        op.kind = Kind::kVoid;
        op.original = auths[pick(auths.size())].key;
        break;
      case 7:
      case 8: {
        const bool earn = pick(2) == 0;
        std::vector<Op>& from = earn ? earns : redemptions;
        if (from.empty()) continue;
        const Op& orig = from[pick(from.size())];
        op.kind = Kind::kReverse;
        op.original = orig.key;
        op.partner = orig.partner;
        op.points = pick(3) == 0 ? 0 : 1 + pick(15);
        break;
      }
      case 9:
        if (*merges_left == 0) continue;
        --*merges_left;
        op.kind = Kind::kMerge;
        op.other_card = 6 + *merges_left;
        break;
    }
    if (op.kind == Kind::kCapture || op.kind == Kind::kVoid) {
      for (const Op& a : auths) {
        if (a.key == op.original) op.partner = a.partner;
      }
    }
    ops.push_back(op);
  }
  return ops;
}

TEST(BatchDifferential, BatchesAgreeWithOneTransactionPerRequest) {
  const int seeds = std::getenv("LOYALTY_DIFF_SEEDS") != nullptr
                        ? std::atoi(std::getenv("LOYALTY_DIFF_SEEDS"))
                        : 6;
  std::map<Kind, int> posted;  // over all seeds: every kind must have been exercised
  int failed = 0;                // requests that failed their checks inside a batch
  for (int seed = 1; seed <= seeds; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    std::mt19937_64 rng(seed);
    Side batched(/*batched=*/true);
    Side serial(/*batched=*/false);
    ASSERT_EQ(batched.grocer, serial.grocer);
    std::vector<Op> earns, redemptions, auths;
    int merges_left = 3;
    for (int round = 0; round < 6; ++round) {
      std::vector<Op> ops = RandomRound(rng, round, earns, redemptions, auths, batched.grocer,
                                        batched.cinema, &merges_left);
      std::vector<absl::StatusOr<Posting>> got(ops.size(), absl::UnknownError("not run"));
      RunTogether(static_cast<int>(ops.size()), [&](int i, StartGate& gate) {
        gate.Wait();
        got[i] = batched.Run(ops[i]);
      });
      // The order the batches applied the successful ones: their txn ids.
      std::vector<size_t> order;
      for (size_t i = 0; i < ops.size(); ++i) {
        if (got[i].ok()) {
          order.push_back(i);
          ++posted[ops[i].kind];
        } else {
          ++failed;
        }
      }
      std::sort(order.begin(), order.end(),
                [&](size_t a, size_t b) { return got[a]->txn_id < got[b]->txn_id; });
      for (size_t i : order) {
        absl::StatusOr<Posting> again = serial.Run(ops[i]);
        ASSERT_TRUE(again.ok()) << ops[i].key << ": " << again.status();
        EXPECT_EQ(again->points, got[i]->points) << ops[i].key;
        EXPECT_EQ(again->balance_after, got[i]->balance_after) << ops[i].key;
        EXPECT_EQ(again->available_after, got[i]->available_after) << ops[i].key;
        EXPECT_EQ(again->debt_created, got[i]->debt_created) << ops[i].key;
        if (ops[i].kind == Kind::kEarn) earns.push_back(ops[i]);
        if (ops[i].kind == Kind::kRedeem) redemptions.push_back(ops[i]);
        if (ops[i].kind == Kind::kAuthorize) auths.push_back(ops[i]);
      }
      ASSERT_EQ(batched.State(), serial.State()) << "after round " << round;
      // Alternately within the holds' 600 s (captures of earlier rounds' holds) and
      // 20 days on (lots of one-month expiry run out, and lazy expiry writes).
      const Micros step = round % 2 == 0 ? 300 * kSecond : 20 * kDay;
      batched.f.clock().Advance(step);
      serial.f.clock().Advance(step);
    }
    EXPECT_LT(batched.store->stats().batches, batched.store->stats().requests)
        << "the requests never shared a batch";
    batched.f.ExpectInvariants();
    serial.f.ExpectInvariants();
    // The rules were exercised: tiers reached, bonuses paid and reversed.
    EXPECT_GT(batched.f.Query("SELECT COUNT(*) FROM members WHERE tier <> ''"), 0);
    EXPECT_GT(batched.f.Query("SELECT COUNT(*) FROM txns WHERE kind = 'bonus' AND "
                              "reversed_points > 0"),
              0);
  }
  for (Kind k : {Kind::kEarn, Kind::kRedeem, Kind::kAuthorize, Kind::kCapture, Kind::kVoid,
                 Kind::kReverse, Kind::kMerge}) {
    EXPECT_GT(posted[k], 0) << "kind " << static_cast<int>(k) << " never posted";
  }
  EXPECT_GT(failed, 0) << "no request failed inside a batch: the undo path was not exercised";
  std::printf("posted: earn %d redeem %d authorize %d capture %d void %d reverse %d merge %d; "
              "failed %d\n",
              posted[Kind::kEarn], posted[Kind::kRedeem], posted[Kind::kAuthorize],
              posted[Kind::kCapture], posted[Kind::kVoid], posted[Kind::kReverse],
              posted[Kind::kMerge], failed);
}

}  // namespace
}  // namespace loyalty::testing
