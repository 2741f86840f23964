// Events on the real database (issue 15): every posting kind writes its events in the
// posting's own transaction with the figures that commit; a transaction that does not
// commit leaves none; the sequencer numbers in commit order, never waiting for an open
// posting; the timed events come once each; a partner reads only what is its own.
// Registered twice (tests/CMakeLists.txt): plain transactions and group commit.
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "hub/common/status_macros.h"
#include "hub/ledger/bank_ledger.h"
#include "hub/store/member_rows.h"
#include "tests/rules/rules_util.h"
#include "tests/support/faulty_rows.h"
#include "tests/support/test_db.h"
#include "tests/support/test_util.h"

namespace loyalty::testing {
namespace {

constexpr Micros kDay = 86'400'000'000;

// Types that come from a txns row (one event per row).
constexpr char kTxnTypes[] =
    "'member.enrolled','member.merged','card.linked','points.earned','points.redeemed',"
    "'points.reversed','points.held','points.captured','points.voided','points.adjusted',"
    "'points.expired'";

int64_t Count(LedgerFixture& f, const std::string& type) {
  return f.Query(absl::StrCat("SELECT COUNT(*) FROM events WHERE type = '", type, "'"));
}

// Every txns row has exactly one event with its committed figures, and no event names
// a txns row that is not there.
void ExpectEventsMatchTxns(LedgerFixture& f) {
  EXPECT_EQ(f.Query(absl::StrCat("SELECT COUNT(*) FROM events WHERE type IN (", kTxnTypes, ")")),
            f.Rows("txns"));
  EXPECT_EQ(f.Query(absl::StrCat(
                "SELECT COUNT(*) FROM txns t LEFT JOIN events e ON e.txn_id = t.id AND e.type "
                "IN (",
                kTxnTypes,
                ") WHERE e.id IS NULL OR e.points <> t.points OR e.balance_after <> "
                "t.balance_after OR e.available_after <> t.available_after OR e.member_id <> "
                "t.member_id OR e.partner_id <> t.partner_id OR e.occurred_at <> t.posted_at")),
            0);
  EXPECT_EQ(f.Query(absl::StrCat("SELECT COUNT(*) FROM (SELECT txn_id FROM events WHERE type IN (",
                                 kTxnTypes, ") GROUP BY txn_id HAVING COUNT(*) > 1) d")),
            0);
}

std::vector<EventRow> Read(Store* store, EventQuery q) {
  std::vector<EventRow> out;
  absl::Status s = store->RunEventTransaction([&](EventRows& rows) -> absl::Status {
    ASSIGN_OR_RETURN(out, rows.ReadEvents(q));
    return absl::OkStatus();
  });
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

int64_t Sequence(Store* store) {
  int64_t n = 0;
  absl::Status s = store->RunEventTransaction([&](EventRows& rows) -> absl::Status {
    ASSIGN_OR_RETURN(n, rows.SequenceEvents(5000));
    return absl::OkStatus();
  });
  EXPECT_TRUE(s.ok()) << s;
  return n;
}

TimedEventsOutcome Timed(Store* store, Micros now, Micros notice = 30 * kDay) {
  TimedEventsOutcome out;
  absl::Status s = store->RunEventTransaction([&](EventRows& rows) -> absl::Status {
    ASSIGN_OR_RETURN(out, rows.EmitTimedEvents(now, notice));
    return absl::OkStatus();
  });
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

TEST(Events, EveryPostingKindWritesItsEventsWithCommittedFigures) {
  LedgerFixture f;
  const PartnerId grocer = f.AddPartner("grocery", 500);
  const PartnerId gym = f.AddPartner("fitness", 300);
  const std::string card = f.AddMember(grocer);
  const std::string other = f.AddMember(gym);
  const Posting earn = Ok(f.Earn(grocer, card, 2000, "e1"));  // 100 points
  Ok(f.Redeem(gym, card, 30, "r1"));
  Ok(f.Authorize(gym, card, 20, "a1"));
  Ok(f.Capture(gym, "a1", 15, "c1"));
  Ok(f.Authorize(gym, card, 10, "a2"));
  Ok(f.Void(gym, "a2", "v2"));
  Ok(f.Reverse(gym, "r1", 10, "rr1"));
  Ok(f.Adjust(other, 40, "adj1"));
  // A debt: spend most of an earn, then reverse the earn whole.
  Ok(f.Earn(grocer, other, 1000, "e2"));  // 50 points
  Ok(f.Redeem(gym, other, 85, "r2"));     // 90 - 85 = 5 left
  Ok(f.Reverse(grocer, "e2", 50, "re2"));  // 5 from the lot, 45 owed
  EXPECT_EQ(Count(f, "debt.created"), 1);
  Ok(f.Earn(grocer, other, 2000, "e3"));  // repays the 45
  EXPECT_EQ(Count(f, "debt.repaid"), 1);
  EXPECT_EQ(f.Query("SELECT points FROM events WHERE type = 'debt.repaid'"), 45);
  EXPECT_EQ(f.Query("SELECT points FROM events WHERE type = 'debt.created'"), 45);
  // A tier: the member crosses 100.00 EUR of spend.
  ASSERT_TRUE(f.ledger().SetTiers("test", {{"silver", 10000, 10000}}).ok());
  Ok(f.Earn(grocer, card, 9000, "e4"));
  Ok(f.ledger().RunTierReview());
  ASSERT_EQ(Count(f, "tier.changed"), 1);
  EXPECT_EQ(f.Query(absl::StrCat("SELECT COUNT(*) FROM events WHERE type = 'tier.changed' AND "
                                 "member_id = ",
                                 earn.member_id, " AND detail = '{\"from\": \"\", \"to\": "
                                                 "\"silver\"}'")),
            1);
  // Expiry: past the 12-month lifetime of the lots.
  f.clock().Advance(400 * kDay);
  Ok(f.ledger().RunExpiry());
  for (const char* type :
       {"member.enrolled", "points.earned", "points.redeemed", "points.held", "points.captured",
        "points.voided", "points.reversed", "points.adjusted", "points.expired"}) {
    EXPECT_GE(Count(f, type), 1) << type;
  }
  ExpectEventsMatchTxns(f);
  // The earn's event carries the purchase.
  EXPECT_EQ(f.Query(absl::StrCat("SELECT amount_minor FROM events WHERE txn_id = ", earn.txn_id)),
            2000);
  f.ExpectInvariants();
}

TEST(Events, CoBrandedCardLinkIsTheBanksEvent) {
  LedgerFixture f;
  const PartnerId grocer = f.AddPartner("grocery", 500);
  const PartnerId bank = f.AddPartner("bank", 100, Role::kIssuer);
  const std::string card = f.AddMember(grocer);
  BankLedger bank_ledger(f.db().store(), &f.clock());
  ASSERT_TRUE(bank_ledger.LinkCard(bank, card, "tok_123").ok());
  EXPECT_EQ(f.Query(absl::StrCat("SELECT COUNT(*) FROM events WHERE type = 'card.linked' AND "
                                 "partner_id = ",
                                 bank)),
            1);
}

TEST(Events, ATransactionThatDoesNotCommitLeavesNoEvents) {
  LedgerFixture f;
  const PartnerId grocer = f.AddPartner("grocery", 500);
  const std::string card = f.AddMember(grocer);
  Faults faults;
  MysqlOptions o = f.db().options();
  o.TEST_wrap_rows = faults.Wrapper();
  std::unique_ptr<Store> faulty = Ok(OpenMysqlStore(o));
  Ledger ledger(faulty.get(), &f.clock());
  const int64_t events = f.Rows("events");
  faults.FailCall("Commit", 1, Fault::kLostConnection);
  EXPECT_FALSE(ledger.Earn(MakeEarn(grocer, card, 1000, "lost")).ok());
  EXPECT_EQ(faults.injected(), 1);
  EXPECT_EQ(f.Rows("events"), events);
  EXPECT_EQ(f.Query("SELECT COUNT(*) FROM txns WHERE partner_txn_id = 'lost'"), 0);
  // The retry commits, with its one event.
  Ok(ledger.Earn(MakeEarn(grocer, card, 1000, "lost")));
  EXPECT_EQ(f.Rows("events"), events + 1);
  ExpectEventsMatchTxns(f);
}

TEST(Events, ARequestUndoneInsideItsTransactionLeavesNoEvents) {
  LedgerFixture f;
  const PartnerId grocer = f.AddPartner("grocery", 500);
  const std::string card = f.AddMember(grocer);
  const Posting first = Ok(f.Earn(grocer, card, 1000, "e0"));
  // Three postings in one call: under group commit one transaction with the middle one
  // undone (in memory or to its savepoint) after it wrote its txns row.
  auto adjust = [&](const std::string& id, bool fail) {
    return [&, id, fail](StoreTxn& txn) -> absl::Status {
      TxnRecord t;
      t.partner_id = kOperatorId;
      t.partner_txn_id = id;
      t.kind = txn_kind::kAdjust;
      t.member_id = first.member_id;
      t.request_hash = std::string(64, '0');
      t.posted_at = t.occurred_at = f.clock().NowMicros();
      RETURN_IF_ERROR(txn.InsertTxn(t).status());
      return fail ? absl::FailedPreconditionError("undone") : absl::OkStatus();
    };
  };
  std::vector<absl::Status> out =
      f.db().store()->RunEach({adjust("x1", false), adjust("x2", true), adjust("x3", false)});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_TRUE(out[0].ok());
  EXPECT_FALSE(out[1].ok());
  EXPECT_TRUE(out[2].ok());
  EXPECT_EQ(f.Query("SELECT COUNT(*) FROM txns WHERE partner_txn_id = 'x2'"), 0);
  EXPECT_EQ(Count(f, "points.adjusted"), 2);
  ExpectEventsMatchTxns(f);
}

TEST(Events, SequencerNumbersInCommitOrderWithoutWaitingForOpenTransactions) {
  LedgerFixture f;
  Store* store = f.db().store();
  auto row = [&](const std::string& note) {
    EventRow e;
    e.type = event_type::kPointsAdjusted;
    e.detail = absl::StrCat("{\"note\": \"", note, "\"}");
    e.occurred_at = f.clock().NowMicros();
    return e;
  };
  absl::Notification inserted, release;
  std::thread straggler([&] {
    absl::Status s = store->RunEventTransaction([&](EventRows& rows) -> absl::Status {
      RETURN_IF_ERROR(rows.InsertEvents({row("early id, late commit")}));
      inserted.Notify();
      release.WaitForNotification();
      return absl::OkStatus();
    });
    EXPECT_TRUE(s.ok()) << s;
  });
  inserted.WaitForNotification();
  ASSERT_TRUE(store->RunEventTransaction([&](EventRows& rows) {
                  return rows.InsertEvents({row("late id, early commit")});
                }).ok());
  // The open transaction's row is neither numbered nor waited for.
  EXPECT_EQ(Sequence(store), 1);
  EventQuery all;
  all.is_operator = true;
  std::vector<EventRow> seen = Read(store, all);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].seq, 1);
  const int64_t cursor = seen[0].seq;
  release.Notify();
  straggler.join();
  EXPECT_EQ(Sequence(store), 1);
  all.after_seq = cursor;
  std::vector<EventRow> next = Read(store, all);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].seq, 2);
  EXPECT_LT(next[0].id, seen[0].id) << "the straggler had the lower id";
  EXPECT_EQ(Sequence(store), 0);
  EXPECT_EQ(f.Query("SELECT COUNT(*) FROM events WHERE seq IS NULL"), 0);
}

TEST(Events, TimedEventsComeOnceEach) {
  LedgerFixture f;
  const PartnerId grocer = f.AddPartner("grocery", 500);
  const PartnerId gym = f.AddPartner("fitness", 300);
  const std::string card = f.AddMember(grocer);
  Store* store = f.db().store();
  const Micros t0 = f.clock().NowMicros();
  // The first run only marks where the jobs start (and notes what expires soon: nothing).
  EXPECT_EQ(Timed(store, t0).holds_expired, 0);
  Ok(f.Earn(grocer, card, 2000, "e1"));  // expires 12 months on
  Ok(f.Authorize(gym, card, 20, "a1"));  // a 600 s hold
  PromotionRow p = FixedPromo("Double weekend", 10, t0 + kDay, t0 + 2 * kDay);
  p.funder_id = gym;
  Ok(f.ledger().CreatePromotion("test", p));

  // Windows end two minutes behind now (transactions stamped inside them commit first).
  TimedEventsOutcome out = Timed(store, t0 + 601'000'000);
  EXPECT_EQ(out.holds_expired, 0);
  out = Timed(store, t0 + 721'000'000);
  EXPECT_EQ(out.holds_expired, 1);
  EXPECT_EQ(out.promotions_started, 0);
  out = Timed(store, t0 + kDay + kDay / 2);
  EXPECT_EQ(out.holds_expired, 0);
  EXPECT_EQ(out.promotions_started, 1);
  EXPECT_EQ(out.expiring_notices, 0);
  out = Timed(store, t0 + 3 * kDay);
  EXPECT_EQ(out.promotions_ended, 1);
  EXPECT_EQ(out.promotions_started, 0);
  // 30 days before the lot's expiry (about t0 + 365 days) the notice comes, once.
  out = Timed(store, t0 + 340 * kDay);
  EXPECT_EQ(out.expiring_notices, 1);
  out = Timed(store, t0 + 341 * kDay);
  EXPECT_EQ(out.expiring_notices, 0);
  EXPECT_EQ(Count(f, "points.expiring"), 1);
  EXPECT_EQ(f.Query("SELECT points FROM events WHERE type = 'points.expiring'"), 100);
  EXPECT_EQ(Count(f, "hold.expired"), 1);
  EXPECT_EQ(f.Query(absl::StrCat("SELECT partner_id FROM events WHERE type = 'hold.expired'")),
            gym);
  EXPECT_EQ(f.Query(absl::StrCat("SELECT partner_id FROM events WHERE type = "
                                 "'promotion.started'")),
            gym);
  // Running again at the same time adds nothing.
  out = Timed(store, t0 + 341 * kDay);
  EXPECT_EQ(out.holds_expired + out.expiring_notices + out.promotions_started +
                out.promotions_ended,
            0);
}

TEST(Events, AJobLeaseHasOneHolderAndPassesOnWhenItLapses) {
  LedgerFixture f;
  Store* store = f.db().store();
  constexpr Micros kTtl = 10'000'000;
  auto take = [&](const std::string& holder, Micros now) {
    bool held = false;
    EXPECT_TRUE(store->RunEventTransaction([&](MemberRows& rows) -> absl::Status {
                  ASSIGN_OR_RETURN(held, rows.TryLease("jobs", holder, now, kTtl));
                  return absl::OkStatus();
                }).ok());
    return held;
  };
  const Micros t0 = f.clock().NowMicros();
  EXPECT_TRUE(take("hub-a", t0));
  EXPECT_FALSE(take("hub-b", t0 + 1));
  EXPECT_TRUE(take("hub-a", t0 + 5'000'000));   // renewed until t0 + 15 s
  EXPECT_FALSE(take("hub-b", t0 + 14'000'000));
  EXPECT_TRUE(take("hub-b", t0 + 15'000'001));  // a lapsed lease passes on
  EXPECT_FALSE(take("hub-a", t0 + 15'000'002));
  EXPECT_EQ(f.Query("SELECT acquired_at FROM leases WHERE name = 'jobs'"), t0 + 15'000'001);
  // A clean stop gives it up at once.
  ASSERT_TRUE(store->RunEventTransaction([&](MemberRows& rows) {
                return rows.ReleaseLease("jobs", "hub-b");
              }).ok());
  EXPECT_TRUE(take("hub-a", t0 + 15'000'003));
}

TEST(Events, APartnerReadsItsOwnEventsAndItsMembersTierChanges) {
  LedgerFixture f;
  const PartnerId grocer = f.AddPartner("grocery", 500);
  const PartnerId gym = f.AddPartner("fitness", 300);
  const std::string at_grocer = f.AddMember(grocer);
  const std::string at_gym = f.AddMember(gym);
  ASSERT_TRUE(f.ledger().SetTiers("test", {{"silver", 10000, 10000}}).ok());
  Ok(f.Earn(grocer, at_grocer, 20000, "g1"));
  Ok(f.Earn(gym, at_gym, 20000, "y1"));
  Ok(f.ledger().RunTierReview());
  ASSERT_EQ(Count(f, "tier.changed"), 2);
  while (Sequence(f.db().store()) > 0) {
  }
  EventQuery q;
  q.partner = grocer;
  std::vector<EventRow> seen = Read(f.db().store(), q);
  std::set<std::string> types;
  for (const EventRow& e : seen) {
    types.insert(e.type);
    if (e.type == event_type::kTierChanged) {
      EXPECT_EQ(e.member_id, f.Query(absl::StrCat(
                                 "SELECT member_id FROM txns WHERE partner_txn_id = 'g1'")));
    } else {
      EXPECT_EQ(e.partner_id, grocer) << e.type;
    }
  }
  EXPECT_EQ(types, (std::set<std::string>{"member.enrolled", "points.earned", "tier.changed"}));
  EXPECT_EQ(seen.size(), 3u);
  // Types filter; a bounded scan stops where it was told.
  q.types = {event_type::kPointsEarned};
  seen = Read(f.db().store(), q);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].partner_txn_id, "g1");
  q.types.clear();
  q.until_seq = 1;
  EXPECT_LE(Read(f.db().store(), q).size(), 1u);
}

}  // namespace
}  // namespace loyalty::testing
