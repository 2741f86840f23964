// loyalty_demo_history: gives the demo coalition a past, so that the analytics reports
// (protos/loyalty/v1/analytics.proto) have something to show. Run after loyalty_demo
// (which makes the program and the partners), it opens the hub's database and posts
// about five months of members' lives through the Ledger on a FakeClock moved step by
// step from --history_days ago up to --end_hours_ago:
//   - --members members joining month by month (cohorts of different sizes), each with
//     a rhythm (weekly, fortnightly, occasional), a spend scale drawn from a skewed
//     distribution (a few big spenders), one to three merchants, and a quarter who stop
//     coming after a while (members at risk);
//   - redemptions every month at a merchant other than the one the member joined at;
//   - returns (earn reversals) and reversed redemptions;
//   - a bonus on big baskets at the grocer for four weeks ending three weeks ago, funded
//     by the grocer, with four weeks of the grocer's activity before it; during it some
//     members shop there more often and fill their baskets up to the threshold.
// The merchants are the partners with the merchant role (ListPartners); the issuer is
// left out.
//
// Deterministic: the same --seed gives the same members, visits and amounts (the times
// are relative to now). Every posting goes through the Ledger, so its invariants hold;
// nothing is written with SQL. Idempotent: the first member's second card has a fixed
// number; when that card exists the history is there and the tool exits 0 saying so.
// The history's members are its own, so it may run while the hub serves.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "hub/common/clock.h"
#include "hub/common/secure_random.h"
#include "hub/common/status_macros.h"
#include "hub/ledger/ledger.h"
#include "hub/server/db_flags.h"
#include "hub/store/mysql_store.h"

ABSL_FLAG(int, members, 400, "members the history makes up, 10..5000");
ABSL_FLAG(int, history_days, 150, "how many days ago the history starts, 90..365");
ABSL_FLAG(int, end_hours_ago, 3, "how many hours before now its last posting is, 1..72");
ABSL_FLAG(std::string, out, "", "if set, the summary of what was posted is written here too");
ABSL_FLAG(uint64_t, seed, 20240601, "seed of the made-up lives: the same seed, the same history");

namespace loyalty {
namespace {

constexpr Micros kMinute = 60'000'000;
constexpr Micros kHour = 60 * kMinute;
constexpr Micros kDay = 24 * kHour;

// The promotion: a fixed bonus on baskets from a minimum spend at the grocer, four weeks
// long, ending three weeks before now.
constexpr char kActor[] = "demo-history";
constexpr Points kPromotionBonus = 200;
constexpr int64_t kPromotionMinSpendMinor = 60'00;
constexpr Micros kPromotionLength = 28 * kDay;
constexpr Micros kPromotionEndsBeforeNow = 21 * kDay;
// Members who respond to it come this much more often and top their basket up.
constexpr double kResponderVisitFactor = 1.7;
// The partner_txn_id of the history's last posting: present = the load completed.
constexpr char kLastVisitId[] = "hist-last-visit";

void Log(const std::string& line) {
  std::fprintf(stderr, "loyalty_demo_history: %s\n", line.c_str());
  std::fflush(stderr);
}

std::string Day(Micros t) {
  return absl::FormatTime("%Y-%m-%d", absl::FromUnixMicros(t), absl::UTCTimeZone());
}

// A seeded generator whose draws are the same on every platform (the std::
// distributions do not promise that).
class Rng {
 public:
  explicit Rng(uint64_t seed) : gen_(seed) {}
  double Uniform() { return static_cast<double>(gen_() >> 11) * 0x1.0p-53; }  // [0, 1)
  double Between(double lo, double hi) { return lo + (hi - lo) * Uniform(); }
  bool Chance(double p) { return Uniform() < p; }
  int Index(int n) { return std::min(n - 1, static_cast<int>(Uniform() * n)); }
  double Exponential(double mean) { return -mean * std::log1p(-Uniform()); }
  double Normal() {  // Box-Muller
    const double r = std::sqrt(-2.0 * std::log(1.0 - Uniform()));
    return r * std::cos(2.0 * M_PI * Uniform());
  }

 private:
  std::mt19937_64 gen_;
};

// A card number of the history's own range ("7990", never made by NewCardNumber, whose
// numbers start "70"): the second card of member `index`.
std::string HistoryCardNumber(int index) {
  std::string number = absl::StrFormat("7990%011d", index + 1);
  int sum = 0;
  bool twice = true;  // the digit left of the check digit is doubled
  for (auto it = number.rbegin(); it != number.rend(); ++it, twice = !twice) {
    int d = *it - '0';
    if (twice) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  number.push_back(static_cast<char>('0' + (10 - sum % 10) % 10));
  LOYALTY_CHECK(IsValidCardNumber(number));
  return number;
}

// A merchant and how members shop there.
struct Shop {
  PartnerRecord partner;
  int64_t basket_minor = 0;  // a typical purchase
  double gap_factor = 1;     // x the member's rhythm between visits
  double weight = 1;         // how likely a member shops here
  double return_rate = 0;    // share of purchases returned
};

Shop ShopOf(const PartnerRecord& p) {
  static const std::map<std::string, std::tuple<int64_t, double, double, double>> kByCategory = {
      {"grocery", {40'00, 1.0, 4, 0.01}},
      {"fuel", {55'00, 1.5, 3, 0.0}},
      {"fitness", {35'00, 2.0, 2, 0.01}},
      {"sportswear", {85'00, 4.0, 2, 0.06}},
  };
  auto it = kByCategory.find(p.category);
  const auto [basket, gap, weight, returns] =
      it != kByCategory.end() ? it->second : std::make_tuple(int64_t{45'00}, 2.0, 2.0, 0.02);
  return Shop{p, basket, gap, weight, returns};
}

enum class Kind { kEnroll, kLinkCard, kEarn, kRedeem, kReverse };

// One posting of the history, planned ahead.
struct Event {
  Micros at = 0;
  int64_t seq = 0;  // ties in `at` keep the planned order
  Kind kind = Kind::kEarn;
  int member = 0;
  int shop = 0;
  std::string txn_id;
  int64_t amount_minor = 0;  // earn
  bool second_card = false;  // earn: on the member's second card once it is linked
  double share = 0;          // redeem: of the available points
  std::string original;      // reverse: the earn's or redemption's partner_txn_id
  bool half = false;         // reverse: half of its points, else all
};

Event MakeEvent(Micros at, Kind kind, int member, int shop, std::string txn_id) {
  Event e;
  e.at = at;
  e.kind = kind;
  e.member = member;
  e.shop = shop;
  e.txn_id = std::move(txn_id);
  return e;
}

struct HistoryWindow {
  Micros start = 0;  // the first posting
  Micros end = 0;    // the last posting
  Micros promotion_starts = 0;
  Micros promotion_ends = 0;
};

// One member's made-up habits.
struct Life {
  double join_day = 0;
  double stop_day = 0;  // comes no more from this day on
  double gap_days = 0;  // mean days between visits, before a shop's factor
  double spend_scale = 1;
  bool responder = false;  // shops more at the grocer during the promotion
  bool second_card = false;
  std::vector<std::pair<int, double>> shops;  // shop, first day there; [0] = where it joined
};

// Plans every member's postings: deterministic for a seed and a window.
class Planner {
 public:
  Planner(uint64_t seed, const HistoryWindow& w, const std::vector<Shop>& shops, int promoted,
          int64_t max_amount_minor)
      : rng_(seed),
        w_(w),
        shops_(shops),
        promoted_(promoted),
        max_amount_minor_(max_amount_minor),
        days_(static_cast<double>(w.end - w.start) / kDay) {}

  std::vector<Event> Plan(int members) {
    for (int m = 0; m < members; ++m) PlanMember(m);
    Event last = MakeEvent(w_.end, Kind::kEarn, 0, promoted_, kLastVisitId);
    last.amount_minor = shops_[promoted_].basket_minor;
    Add(last);
    std::sort(events_.begin(), events_.end(), [](const Event& a, const Event& b) {
      return std::tie(a.at, a.seq) < std::tie(b.at, b.seq);
    });
    return std::move(events_);
  }

 private:
  // Day `day` of the history (fractions: the time of day, 08:00 to 20:00 UTC).
  Micros At(double day) const {
    const Micros midnight = w_.start / kDay * kDay;
    const double whole = std::floor(day);
    return midnight + static_cast<Micros>(whole) * kDay + 8 * kHour +
           static_cast<Micros>((day - whole) * 12 * kHour);
  }

  // Joining is uneven month to month: a launch wave, a quiet month, a campaign...
  double JoinDay() {
    static constexpr double kBlockShares[] = {0.34, 0.10, 0.26, 0.12, 0.18};
    const double u = rng_.Uniform();
    double acc = 0;
    int block = 4;
    for (int b = 0; b < 5; ++b) {
      acc += kBlockShares[b];
      if (u < acc) {
        block = b;
        break;
      }
    }
    const double block_days = (days_ - 3) / 5;
    return 1 + block * block_days + rng_.Between(0, block_days);
  }

  int DrawShop(const std::vector<std::pair<int, double>>& taken) {
    double total = 0;
    for (size_t s = 0; s < shops_.size(); ++s) total += shops_[s].weight;
    for (;;) {
      double u = rng_.Between(0, total);
      size_t s = 0;
      while (s + 1 < shops_.size() && u >= shops_[s].weight) u -= shops_[s++].weight;
      bool used = false;
      for (const auto& [t, day] : taken) used = used || t == static_cast<int>(s);
      if (!used) return static_cast<int>(s);
    }
  }

  Life DrawLife(int m) {
    Life l;
    const bool marker = m == 0;  // the first member: a steady grocer customer
    l.join_day = marker ? 1.05 : JoinDay();
    const double rhythm = rng_.Uniform();
    l.gap_days = marker || rhythm < 0.2 ? 5 : rhythm < 0.5 ? 12 : 26;
    l.stop_day = !marker && rng_.Chance(0.25) ? l.join_day + rng_.Between(20, 80) : days_;
    l.spend_scale = std::exp(0.6 * rng_.Normal());
    if (rng_.Chance(0.04)) l.spend_scale *= 6;  // a big spender
    l.responder = rng_.Chance(0.6);
    l.second_card = marker || rng_.Chance(0.1);
    const double u = rng_.Uniform();
    const int count = std::min(static_cast<int>(shops_.size()), marker     ? 2
                                                                : u < 0.45 ? 1
                                                                : u < 0.8  ? 2
                                                                           : 3);
    if (marker) l.shops.push_back({promoted_, l.join_day});
    while (static_cast<int>(l.shops.size()) < count) {
      const int s = DrawShop(l.shops);
      l.shops.push_back({s, l.shops.empty() ? l.join_day : l.join_day + rng_.Between(7, 75)});
    }
    return l;
  }

  void PlanMember(int m) {
    const Life l = DrawLife(m);
    const Micros joined = At(l.join_day);
    const int home = l.shops[0].first;
    Add(MakeEvent(joined, Kind::kEnroll, m, home, absl::StrCat("hist-enroll-", m + 1)));
    if (l.second_card) {
      Add(MakeEvent(At(l.join_day + rng_.Between(1, 30)), Kind::kLinkCard, m, home,
                    absl::StrCat("hist-card-", m + 1)));
    }
    for (const auto& [shop, first_day] : l.shops) PlanVisits(m, l, shop, first_day);
    PlanRedemptions(m, l);
  }

  bool InPromotion(Micros at) const { return at >= w_.promotion_starts && at < w_.promotion_ends; }

  void PlanVisits(int m, const Life& l, int shop, double first_day) {
    const Shop& s = shops_[shop];
    // Where it joined, the first purchase comes right after the enrolment.
    double day = first_day;
    Micros at = shop == l.shops[0].first ? At(day) + 2 * kMinute : At(day);
    while (day < l.stop_day && at < w_.end) {
      const bool pushed = shop == promoted_ && l.responder && InPromotion(at);
      double amount =
          static_cast<double>(s.basket_minor) * l.spend_scale * std::exp(0.3 * rng_.Normal());
      if (pushed) {
        amount = std::max(amount, kPromotionMinSpendMinor + rng_.Between(0, 15'00));
      }
      Event e =
          MakeEvent(at, Kind::kEarn, m, shop, absl::StrCat("hist-buy-", m + 1, "-", ++last_id_));
      e.amount_minor = std::clamp<int64_t>(std::llround(amount), 1'00, max_amount_minor_);
      e.second_card = l.second_card && rng_.Chance(0.5);
      Add(e);
      if (rng_.Chance(s.return_rate)) {
        Event r = MakeEvent(at + static_cast<Micros>(rng_.Between(1, 14) * kDay), Kind::kReverse, m,
                            shop, absl::StrCat("hist-return-", m + 1, "-", ++last_id_));
        r.original = e.txn_id;
        r.half = rng_.Chance(0.5);
        Add(r);
      }
      const double gap = l.gap_days * s.gap_factor / (pushed ? kResponderVisitFactor : 1.0);
      day += std::max(0.5, rng_.Exponential(gap));
      at = At(day);
    }
  }

  // Every three to six weeks, a redemption at a merchant other than where it joined.
  void PlanRedemptions(int m, const Life& l) {
    const int home = l.shops[0].first;
    const double last = std::min(l.stop_day + 10, days_);
    for (double day = l.join_day + rng_.Between(10, 35); day < last; day += rng_.Between(20, 45)) {
      int shop = home;
      if (l.shops.size() > 1) {
        shop = l.shops[1 + rng_.Index(static_cast<int>(l.shops.size()) - 1)].first;
      } else {
        while (shop == home) shop = rng_.Index(static_cast<int>(shops_.size()));
      }
      Event e = MakeEvent(At(day), Kind::kRedeem, m, shop,
                          absl::StrCat("hist-redeem-", m + 1, "-", ++last_id_));
      e.share = rng_.Between(0.4, 1.0);
      Add(e);
      if (rng_.Chance(0.05)) {
        Event r = MakeEvent(e.at + static_cast<Micros>(rng_.Between(0.1, 3) * kDay), Kind::kReverse,
                            m, shop, absl::StrCat("hist-unredeem-", m + 1, "-", ++last_id_));
        r.original = e.txn_id;
        Add(r);
      }
    }
  }

  // Keeps the event if it falls inside the window (the last visit closes it).
  void Add(Event e) {
    if (e.at < w_.start || e.at > w_.end || (e.at == w_.end && e.txn_id != kLastVisitId)) return;
    e.seq = static_cast<int64_t>(events_.size());
    events_.push_back(std::move(e));
  }

  Rng rng_;
  const HistoryWindow w_;
  const std::vector<Shop>& shops_;
  const int promoted_;
  const int64_t max_amount_minor_;
  const double days_;
  std::vector<Event> events_;
  int64_t last_id_ = 0;  // numbers the planned postings' partner_txn_ids
};

// What the history posted.
// The program's launch month: points earned in the history's first kLaunchDays expire
// after kLaunchExpiryMonths (a launch offer), so the history has breakage to show; the
// program's own expiry applies again after it. SetProgram audits both changes.
constexpr int kLaunchDays = 30;
constexpr int kLaunchExpiryMonths = 2;

struct Counts {
  int64_t members = 0, cards = 0, earns = 0, bonuses = 0, redemptions = 0;
  int64_t redeemed_points = 0, returns = 0, reversed_redemptions = 0, refused = 0;
  int64_t expired_points = 0;  // of the launch month's lots (kLaunchExpiryMonths)
};

// Posts planned events through the Ledger, each at its own time on the clock.
class Poster {
 public:
  Poster(Ledger* ledger, FakeClock* clock, const std::vector<Shop>& shops, int members,
         std::string currency)
      : ledger_(ledger),
        clock_(clock),
        shops_(shops),
        members_(members),
        currency_(std::move(currency)) {}

  absl::Status Post(const Event& e) {
    // The clock only moves forward; postings of one member are in time order anyway.
    clock_->Set(std::max(clock_->NowMicros(), e.at));
    switch (e.kind) {
      case Kind::kEnroll:
        return Enroll(e);
      case Kind::kLinkCard:
        return Link(e);
      case Kind::kEarn:
        return Earn(e);
      case Kind::kRedeem:
        return Redeem(e);
      case Kind::kReverse:
        return Reverse(e);
    }
    return absl::InternalError("unknown event kind");
  }

  const Counts& counts() const { return counts_; }

 private:
  struct MemberState {
    std::string card;
    std::string second_card;  // once linked
    Points available = 0;     // after its latest posting
  };
  struct Posted {
    PartnerId partner = 0;
    Points points = 0;
  };

  static PartnerRequest Request(const Event& e, PartnerId partner) {
    PartnerRequest r;
    r.partner_id = partner;
    r.partner_txn_id = e.txn_id;
    return r;
  }

  // A refusal the ledger is right to give (a limit, too few points): counted, not fatal.
  absl::Status Refused(const absl::Status& s) {
    if (!absl::IsFailedPrecondition(s)) return s;
    ++counts_.refused;
    return absl::OkStatus();
  }

  absl::Status Enroll(const Event& e) {
    ASSIGN_OR_RETURN(Posting p, ledger_->EnrollMember(Request(e, shops_[e.shop].partner.id)));
    members_[e.member].card = p.card_number;
    ++counts_.members;
    return absl::OkStatus();
  }

  absl::Status Link(const Event& e) {
    MemberState& m = members_[e.member];
    const std::string number = HistoryCardNumber(e.member);
    ASSIGN_OR_RETURN(Posting p,
                     ledger_->LinkCard(Request(e, shops_[e.shop].partner.id), m.card, number));
    m.second_card = number;
    m.available = p.available_after;
    ++counts_.cards;
    return absl::OkStatus();
  }

  absl::Status Earn(const Event& e) {
    MemberState& m = members_[e.member];
    EarnParams params;
    params.req = Request(e, shops_[e.shop].partner.id);
    params.card_number = e.second_card && !m.second_card.empty() ? m.second_card : m.card;
    params.amount_minor = e.amount_minor;
    params.currency = currency_;
    absl::StatusOr<Posting> p = ledger_->Earn(params);
    if (!p.ok()) return Refused(p.status());
    m.available = p->available_after;
    posted_[e.txn_id] = {params.req.partner_id, p->points};
    ++counts_.earns;
    counts_.bonuses += static_cast<int64_t>(p->bonuses.size());
    return absl::OkStatus();
  }

  absl::Status Redeem(const Event& e) {
    MemberState& m = members_[e.member];
    const Points points = static_cast<Points>(static_cast<double>(m.available) * e.share) / 10 * 10;
    if (points < 50) return absl::OkStatus();  // not worth it yet
    RedeemParams params;
    params.req = Request(e, shops_[e.shop].partner.id);
    params.card_number = m.card;
    params.points = points;
    absl::StatusOr<Posting> p = ledger_->Redeem(params);
    if (!p.ok()) return Refused(p.status());
    m.available = p->available_after;
    posted_[e.txn_id] = {params.req.partner_id, points};
    ++counts_.redemptions;
    counts_.redeemed_points += points;
    return absl::OkStatus();
  }

  absl::Status Reverse(const Event& e) {
    auto it = posted_.find(e.original);
    if (it == posted_.end()) return absl::OkStatus();  // the original was not posted
    ReverseParams params;
    params.req = Request(e, it->second.partner);
    params.original_partner_txn_id = e.original;
    params.points = e.half ? it->second.points / 2 : 0;
    if (e.half && params.points == 0) return absl::OkStatus();
    absl::StatusOr<Posting> p = ledger_->Reverse(params);
    if (!p.ok()) return Refused(p.status());
    members_[e.member].available = p->available_after;
    ++(absl::StartsWith(e.txn_id, "hist-return") ? counts_.returns : counts_.reversed_redemptions);
    return absl::OkStatus();
  }

  Ledger* const ledger_;
  FakeClock* const clock_;
  const std::vector<Shop>& shops_;
  std::vector<MemberState> members_;
  std::string currency_;
  std::map<std::string, Posted> posted_;  // earns and redemptions by partner_txn_id
  Counts counts_;
};

absl::StatusOr<std::unique_ptr<Store>> OpenStore() {
  ASSIGN_OR_RETURN(MysqlOptions db, MysqlOptionsFromFlags());  // --mysql_*: db_flags.h
  db.max_idle_connections = 2;
  return OpenMysqlStore(db);
}

// The merchants, by id, and which of them runs the promotion (the grocer if there is
// one). FAILED_PRECONDITION when the demo coalition is not there yet.
absl::StatusOr<std::vector<Shop>> Merchants(Ledger& ledger, int* promoted) {
  ASSIGN_OR_RETURN(std::vector<PartnerRecord> partners, ledger.ListPartners());
  std::vector<Shop> shops;
  for (const PartnerRecord& p : partners) {
    if (p.role == Role::kMerchant && !p.suspended) shops.push_back(ShopOf(p));
  }
  if (shops.size() < 2) {
    return absl::FailedPreconditionError(
        "fewer than two active merchants: load the demo coalition (loyalty_demo) first");
  }
  std::sort(shops.begin(), shops.end(),
            [](const Shop& a, const Shop& b) { return a.partner.id < b.partner.id; });
  *promoted = 0;
  for (size_t i = 0; i < shops.size(); ++i) {
    if (shops[i].partner.category == "grocery") {
      *promoted = static_cast<int>(i);
      break;
    }
  }
  return shops;
}

// OK(true) when an earlier run loaded the history: its first member's second card exists.
// Warns when that run stopped before its last posting.
absl::StatusOr<bool> AlreadyLoaded(Ledger& ledger, const Shop& grocer) {
  const std::string marker = HistoryCardNumber(0);
  absl::StatusOr<BalanceView> balance = ledger.GetBalance(marker);
  if (absl::IsNotFound(balance.status())) return false;
  if (!balance.ok()) return balance.status();
  TxnListParams q;
  q.partner = grocer.partner.id;
  q.card_number = marker;
  q.limit = 5;  // the newest few: the last visit is among them
  ASSIGN_OR_RETURN(std::vector<TxnRecord> newest, ledger.ListTransactions(q));
  bool complete = false;
  for (const TxnRecord& t : newest) complete = complete || t.partner_txn_id == kLastVisitId;
  if (!complete) {
    Log("warning: an earlier load stopped part way; the history is incomplete (load it "
        "again into a fresh database: deploy/dev.sh stop, remove .run/mariadb, run)");
  }
  return true;
}

absl::StatusOr<PromotionRow> CreatePromotion(Ledger& ledger, const Shop& grocer,
                                             const HistoryWindow& w) {
  PromotionRow p;
  p.name = absl::StrCat("Big basket bonus at ", grocer.partner.name);
  p.funder_id = grocer.partner.id;
  p.scope = "partner";
  p.scope_value = absl::StrCat(grocer.partner.id);
  p.kind = promotion_kind::kFixed;
  p.bonus_points = kPromotionBonus;
  p.min_spend_minor = kPromotionMinSpendMinor;
  p.starts_at = w.promotion_starts;
  p.ends_at = w.promotion_ends;
  return ledger.CreatePromotion(kActor, p);
}

// Prints the summary, and writes it to --out if set.
absl::Status PrintSummary(const Counts& c, const PromotionRow& promotion, const HistoryWindow& w) {
  const std::string text = absl::StrCat(
      "demo history ", Day(w.start), " .. ", Day(w.end), ": ", c.members, " members (", c.cards,
      " with a second card), ", c.earns, " earns, ", c.bonuses, " promotion bonuses, ",
      c.redemptions, " redemptions (", c.redeemed_points, " points), ", c.returns, " returns, ",
      c.reversed_redemptions, " reversed redemptions, ", c.refused, " refused by the ledger, ",
      c.expired_points, " points expired (launch month's points lived ", kLaunchExpiryMonths,
      " months)\n",
      "promotion ", promotion.id, " \"", promotion.name, "\": ", kPromotionBonus,
      " points on baskets from ", absl::StrFormat("%.2f", kPromotionMinSpendMinor / 100.0), ", ",
      Day(w.promotion_starts), " .. ", Day(w.promotion_ends), " (pre window from ",
      Day(w.promotion_starts - kPromotionLength), ")\n");
  std::fputs(text.c_str(), stdout);
  const std::string path = absl::GetFlag(FLAGS_out);
  if (path.empty()) return absl::OkStatus();
  std::ofstream out(path);
  out << text;
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

// The most spend one made-up purchase carries: the program's limit, else 100,000.00.
int64_t MaxAmountMinor(const ProgramRecord& program) {
  return program.max_earn_amount_minor > 0 ? program.max_earn_amount_minor : 100'000'00;
}

absl::Status SetExpiryMonths(Ledger& ledger, const ProgramRecord& program, int months) {
  ProgramRecord p = program;
  p.expiry_policy = expiry_policy::kMonthsAfterEarn;
  p.expiry_months = months;
  return ledger.SetProgram(kActor, p).status();
}

absl::Status PostAll(Ledger& ledger, FakeClock& clock, const std::vector<Shop>& shops,
                     const std::vector<Event>& events, int members, const ProgramRecord& program,
                     Micros launch_ends, Counts* counts) {
  Poster poster(&ledger, &clock, shops, members, program.currency);
  RETURN_IF_ERROR(SetExpiryMonths(ledger, program, kLaunchExpiryMonths));
  bool launched = false;
  size_t tenths_shown = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    if (!launched && events[i].at >= launch_ends) {
      clock.Set(launch_ends);
      RETURN_IF_ERROR(ledger.SetProgram(kActor, program).status());
      launched = true;
    }
    if (absl::Status s = poster.Post(events[i]); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat(events[i].txn_id, ": ", s.message()));
    }
    const size_t tenths = (i + 1) * 10 / events.size();
    if (tenths > tenths_shown) {
      tenths_shown = tenths;
      Log(absl::StrCat(tenths * 10, "% (", i + 1, " of ", events.size(), " planned, clock at ",
                       Day(clock.NowMicros()), ")"));
    }
  }
  if (!launched) RETURN_IF_ERROR(ledger.SetProgram(kActor, program).status());
  *counts = poster.counts();
  // Sweep what the launch offer let expire (the hub's hourly run would do it too).
  ASSIGN_OR_RETURN(ExpiryOutcome expired, ledger.RunExpiry());
  counts->expired_points = expired.points_expired;
  return absl::OkStatus();
}

absl::Status Run() {
  const int members = absl::GetFlag(FLAGS_members);
  const int history_days = absl::GetFlag(FLAGS_history_days);
  const int end_hours_ago = absl::GetFlag(FLAGS_end_hours_ago);
  if (members < 10 || members > 5000) return absl::InvalidArgumentError("--members: 10..5000");
  if (history_days < 90 || history_days > 365) {
    return absl::InvalidArgumentError("--history_days: 90..365");
  }
  if (end_hours_ago < 1 || end_hours_ago > 72) {
    return absl::InvalidArgumentError("--end_hours_ago: 1..72");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Store> store, OpenStore());
  const Micros now = absl::ToUnixMicros(absl::Now());
  FakeClock clock(now);
  Ledger ledger(store.get(), &clock);
  absl::StatusOr<ProgramRecord> program = ledger.GetProgram();
  if (!program.ok()) {
    return absl::FailedPreconditionError(absl::StrCat("no program (", program.status().message(),
                                                      "): load the demo coalition first"));
  }
  int promoted = 0;
  ASSIGN_OR_RETURN(std::vector<Shop> shops, Merchants(ledger, &promoted));
  ASSIGN_OR_RETURN(bool loaded, AlreadyLoaded(ledger, shops[promoted]));
  if (loaded) {
    Log("history already loaded (its first member's card exists); nothing to do");
    return absl::OkStatus();
  }

  HistoryWindow w;
  w.end = now - end_hours_ago * kHour;
  w.start = w.end - history_days * kDay;
  w.promotion_ends = now - kPromotionEndsBeforeNow;
  w.promotion_starts = w.promotion_ends - kPromotionLength;
  const std::vector<Event> events =
      Planner(absl::GetFlag(FLAGS_seed), w, shops, promoted, MaxAmountMinor(*program))
          .Plan(members);
  Log(absl::StrCat("posting ", events.size(), " events for ", members, " members from ",
                   Day(w.start), " to ", Day(w.end), " (long work: seconds to a minute)"));
  clock.Set(w.start);
  ASSIGN_OR_RETURN(PromotionRow promotion, CreatePromotion(ledger, shops[promoted], w));
  Counts counts;
  RETURN_IF_ERROR(PostAll(ledger, clock, shops, events, members, *program,
                          w.start + kLaunchDays * kDay, &counts));
  return PrintSummary(counts, promotion, w);
}

}  // namespace
}  // namespace loyalty

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Posts five months of made-up member history into the demo coalition's database "
      "(run after loyalty_demo).");
  absl::ParseCommandLine(argc, argv);
  absl::Status s = loyalty::Run();
  if (!s.ok()) {
    loyalty::Log(absl::StrCat("failed: ", s.ToString()));
    return 1;
  }
  return 0;
}
