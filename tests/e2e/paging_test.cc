// End to end: every List call of the real loyalty_hub binary pages per AIP-158. Small
// pages add up to the whole list, each item once and in order, the last page has no
// token; tokens are opaque (not a bare number), refused when damaged, reused with other
// filters, taken to another list or by another partner; page_size is checked (negative
// refused, above the maximum coerced); ListTransactions filters by since/until.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/v1/admin.grpc.pb.h"
#include "loyalty/v1/bank.grpc.pb.h"
#include "loyalty/v1/partner.grpc.pb.h"
#include "tests/support/hub_process.h"
#include "tests/support/grpc_call.h"
#include "tests/support/test_db.h"

namespace loyalty {
namespace {

using testing::Describe;
using testing::Invoke;

using ::testing::HasSubstr;

constexpr const char* kAdminKey = testing::kHubAdminKey;

// One page as the test sees any list: the items' keys and the next token.
struct Page {
  grpc::Status status;
  std::vector<std::string> keys;
  std::string next_page_token;
};
using FetchPage = std::function<Page(int32_t page_size, const std::string& token)>;

// Reads the list in pages of `page_size`, checking each page's shape; returns the keys.
std::vector<std::string> ReadInPages(const FetchPage& fetch, int32_t page_size) {
  std::vector<std::string> keys;
  std::string token;
  for (int pages = 0;; ++pages) {
    if (pages > 100) {
      ADD_FAILURE() << "paging does not end";
      return keys;
    }
    Page page = fetch(page_size, token);
    if (!page.status.ok()) {
      ADD_FAILURE() << Describe(page.status);
      return keys;
    }
    EXPECT_LE(page.keys.size(), static_cast<size_t>(page_size));
    keys.insert(keys.end(), page.keys.begin(), page.keys.end());
    if (page.next_page_token.empty()) return keys;
    // Not the last page: it is full, and its token is opaque.
    EXPECT_EQ(page.keys.size(), static_cast<size_t>(page_size));
    int64_t as_number = 0;
    EXPECT_FALSE(absl::SimpleAtoi(page.next_page_token, &as_number)) << page.next_page_token;
    token = page.next_page_token;
  }
}

// Pages of 1 and of 2 hold exactly the items of one big page, in its order; the big page
// is the last one (no token). Returns the whole list.
std::vector<std::string> ExpectPagesAddUp(const std::string& list, const FetchPage& fetch,
                                          size_t expected_items) {
  SCOPED_TRACE(list);
  Page whole = fetch(500, "");
  EXPECT_TRUE(whole.status.ok()) << Describe(whole.status);
  EXPECT_TRUE(whole.next_page_token.empty());
  EXPECT_EQ(whole.keys.size(), expected_items);
  EXPECT_EQ(std::set<std::string>(whole.keys.begin(), whole.keys.end()).size(), whole.keys.size())
      << "an item twice";
  EXPECT_EQ(ReadInPages(fetch, 1), whole.keys);
  EXPECT_EQ(ReadInPages(fetch, 2), whole.keys);
  return whole.keys;
}

void ExpectInvalid(const grpc::Status& s, const std::string& field) {
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(s);
  EXPECT_THAT(s.error_message(), HasSubstr(field));
}

// `token` with one character in its middle replaced by another base64 character.
std::string Tampered(std::string token) {
  char& c = token[token.size() / 2];
  c = c == 'A' ? 'B' : 'A';
  return token;
}

class PagingTest : public ::testing::Test {
 protected:
  using AdminStub = v1::AdminService::Stub;
  using PartnerStub = v1::PartnerService::Stub;
  using BankStub = v1::BankService::Stub;

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(hub_.Start());
    channel_ = grpc::CreateChannel(hub_.target(), grpc::InsecureChannelCredentials());
    admin_ = v1::AdminService::NewStub(channel_);
    partner_ = v1::PartnerService::NewStub(channel_);
    bank_ = v1::BankService::NewStub(channel_);
    ASSERT_NO_FATAL_FAILURE(MakeCoalition());
  }

  std::string Register(const std::string& name, const std::string& category, v1::Role role) {
    v1::RegisterPartnerRequest req;
    req.set_name(name);
    req.set_category(category);
    req.set_role(role);
    req.set_earn_rate_bp(500);
    v1::RegisterPartnerResponse resp;
    grpc::Status s = Invoke(admin_.get(), &AdminStub::RegisterPartner, admin_key_, req, &resp);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return resp.api_key();
  }

  // A program, three merchants and a bank, three tiers, three promotions, three members
  // who earned at the grocer (lots that expire in 12 months), three co-branded cards.
  void MakeCoalition() {
    v1::SetProgramRequest program;
    program.mutable_program()->set_point_value_micros(10'000);
    program.mutable_program()->set_currency("EUR");
    program.mutable_program()->set_expiry_months(12);
    program.mutable_program()->set_hold_timeout_seconds(600);
    v1::SetProgramResponse set;
    grpc::Status s = Invoke(admin_.get(), &AdminStub::SetProgram, admin_key_, program, &set);
    ASSERT_TRUE(s.ok()) << Describe(s);
    grocer_ = Register("Grocer", "grocery", v1::ROLE_MERCHANT);
    cinema_ = Register("Cinema", "cinema", v1::ROLE_MERCHANT);
    Register("Fuel", "fuel", v1::ROLE_MERCHANT);
    bank_key_ = Register("Bank", "bank", v1::ROLE_ISSUER);
    ASSERT_FALSE(bank_key_.empty());

    v1::SetTiersRequest tiers;
    for (int i = 0; i < 3; ++i) {
      v1::Tier* t = tiers.add_tiers();
      t->set_name(absl::StrCat("Tier", i));
      t->set_threshold_minor(10'000 * (i + 1));
      t->set_multiplier_bp(11'000 + 1'000 * i);
    }
    v1::SetTiersResponse stored;
    s = Invoke(admin_.get(), &AdminStub::SetTiers, admin_key_, tiers, &stored);
    ASSERT_TRUE(s.ok()) << Describe(s);

    const int64_t now_micros = absl::ToUnixMicros(absl::Now());
    for (int i = 0; i < 3; ++i) {
      v1::CreatePromotionRequest create;
      v1::Promotion* p = create.mutable_promotion();
      p->set_name(absl::StrCat("Bonus", i));
      p->set_kind(v1::PROMOTION_KIND_FIXED);
      p->set_bonus_points(10 + i);
      // At the cinema's category: the grocer's earns below get no bonus lots.
      p->set_scope(v1::PROMOTION_SCOPE_CATEGORY);
      p->set_scope_value("cinema");
      p->set_starts_at_micros(now_micros - 86'400'000'000);
      p->set_ends_at_micros(now_micros + 86'400'000'000);
      v1::Promotion created;
      s = Invoke(admin_.get(), &AdminStub::CreatePromotion, admin_key_, create, &created);
      ASSERT_TRUE(s.ok()) << Describe(s);
    }

    for (int i = 0; i < 3; ++i) {
      v1::EnrollMemberRequest enroll;
      enroll.set_partner_txn_id(absl::StrCat("enroll-", i));
      v1::EnrollMemberResponse member;
      s = Invoke(partner_.get(), &PartnerStub::EnrollMember, grocer_, enroll, &member);
      ASSERT_TRUE(s.ok()) << Describe(s);
      cards_.push_back(member.card_number());
      v1::EarnRequest earn;
      earn.set_partner_txn_id(absl::StrCat("earn-", i));
      earn.set_card_number(member.card_number());
      earn.mutable_amount()->set_amount_minor(1'000 * (i + 1));
      earn.mutable_amount()->set_currency("EUR");
      v1::EarnResponse earned;
      s = Invoke(partner_.get(), &PartnerStub::Earn, grocer_, earn, &earned);
      ASSERT_TRUE(s.ok()) << Describe(s);
    }
    for (const char* token : {"tok-c", "tok-a", "tok-b"}) {
      v1::LinkCoBrandedCardRequest link;
      link.set_card_number(cards_[0]);
      link.mutable_card()->set_token(token);
      v1::LinkCoBrandedCardResponse linked;
      s = Invoke(bank_.get(), &BankStub::LinkCoBrandedCard, bank_key_, link, &linked);
      ASSERT_TRUE(s.ok()) << Describe(s);
    }
  }

  // The lists as FetchPage functions, keyed by what identifies each item.
  FetchPage Partners() {
    return [this](int32_t size, const std::string& token) {
      v1::ListPartnersRequest req;
      req.set_page_size(size);
      req.set_page_token(token);
      v1::ListPartnersResponse resp;
      Page page{Invoke(admin_.get(), &AdminStub::ListPartners, admin_key_, req, &resp)};
      for (const v1::Partner& p : resp.partners())
        page.keys.push_back(absl::StrCat(p.partner_id()));
      page.next_page_token = resp.next_page_token();
      return page;
    };
  }
  FetchPage Tiers() {
    return [this](int32_t size, const std::string& token) {
      v1::ListTiersRequest req;
      req.set_page_size(size);
      req.set_page_token(token);
      v1::ListTiersResponse resp;
      Page page{Invoke(admin_.get(), &AdminStub::ListTiers, admin_key_, req, &resp)};
      for (const v1::Tier& t : resp.tiers()) page.keys.push_back(t.name());
      page.next_page_token = resp.next_page_token();
      return page;
    };
  }
  FetchPage Promotions(bool include_inactive) {
    return [this, include_inactive](int32_t size, const std::string& token) {
      v1::ListPromotionsRequest req;
      req.set_include_inactive(include_inactive);
      req.set_page_size(size);
      req.set_page_token(token);
      v1::ListPromotionsResponse resp;
      Page page{Invoke(admin_.get(), &AdminStub::ListPromotions, admin_key_, req, &resp)};
      for (const v1::Promotion& p : resp.promotions()) {
        page.keys.push_back(absl::StrCat(p.promotion_id()));
      }
      page.next_page_token = resp.next_page_token();
      return page;
    };
  }
  FetchPage Expiring(int32_t within_days) {
    return [this, within_days](int32_t size, const std::string& token) {
      v1::ListExpiringPointsRequest req;
      req.set_within_days(within_days);
      req.set_page_size(size);
      req.set_page_token(token);
      v1::ListExpiringPointsResponse resp;
      Page page{Invoke(admin_.get(), &AdminStub::ListExpiringPoints, admin_key_, req, &resp)};
      for (const v1::ExpiringPoints& e : resp.members()) {
        page.keys.push_back(absl::StrCat(e.member_id()));
      }
      page.next_page_token = resp.next_page_token();
      return page;
    };
  }
  FetchPage Audit(const std::string& action) {
    return [this, action](int32_t size, const std::string& token) {
      v1::ListAuditLogRequest req;
      req.set_action(action);
      req.set_page_size(size);
      req.set_page_token(token);
      v1::ListAuditLogResponse resp;
      Page page{Invoke(admin_.get(), &AdminStub::ListAuditLog, admin_key_, req, &resp)};
      for (const v1::AuditEntry& e : resp.entries()) page.keys.push_back(absl::StrCat(e.id()));
      page.next_page_token = resp.next_page_token();
      return page;
    };
  }
  FetchPage Cards(const std::string& card_number) {
    return [this, card_number](int32_t size, const std::string& token) {
      v1::ListCoBrandedCardsRequest req;
      req.set_card_number(card_number);
      req.set_page_size(size);
      req.set_page_token(token);
      v1::ListCoBrandedCardsResponse resp;
      Page page{Invoke(bank_.get(), &BankStub::ListCoBrandedCards, bank_key_, req, &resp)};
      page.keys.assign(resp.card_refs().begin(), resp.card_refs().end());
      page.next_page_token = resp.next_page_token();
      return page;
    };
  }
  FetchPage Transactions(const std::string& key, const std::string& card, int64_t since,
                         int64_t until, std::vector<int64_t>* posted_at = nullptr) {
    return [this, key, card, since, until, posted_at](int32_t size, const std::string& token) {
      v1::ListTransactionsRequest req;
      req.set_card_number(card);
      req.set_since_micros(since);
      req.set_until_micros(until);
      req.set_page_size(size);
      req.set_page_token(token);
      v1::ListTransactionsResponse resp;
      Page page{Invoke(partner_.get(), &PartnerStub::ListTransactions, key, req, &resp)};
      for (const v1::Transaction& t : resp.transactions()) {
        page.keys.push_back(t.partner_txn_id());
        if (posted_at != nullptr) posted_at->push_back(t.posted_at_micros());
      }
      page.next_page_token = resp.next_page_token();
      return page;
    };
  }

  // The first page's token of a list read one item at a time.
  static std::string FirstToken(const FetchPage& fetch) {
    Page page = fetch(1, "");
    EXPECT_TRUE(page.status.ok()) << Describe(page.status);
    EXPECT_FALSE(page.next_page_token.empty());
    return page.next_page_token;
  }

  testing::TestDb db_;
  testing::HubProcess hub_{db_.options()};
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<AdminStub> admin_;
  std::unique_ptr<PartnerStub> partner_;
  std::unique_ptr<BankStub> bank_;
  const std::string admin_key_ = kAdminKey;
  std::string grocer_;
  std::string cinema_;
  std::string bank_key_;
  std::vector<std::string> cards_;
};

TEST_F(PagingTest, EveryListPagesToItsEndInOrder) {
  std::vector<std::string> partners = ExpectPagesAddUp("partners", Partners(), 4);
  EXPECT_TRUE(std::is_sorted(partners.begin(), partners.end(), [](const auto& a, const auto& b) {
    return std::stoll(a) < std::stoll(b);
  }));
  EXPECT_EQ(ExpectPagesAddUp("tiers", Tiers(), 3),
            (std::vector<std::string>{"Tier0", "Tier1", "Tier2"}));
  std::vector<std::string> promotions = ExpectPagesAddUp("promotions", Promotions(false), 3);
  EXPECT_EQ(ExpectPagesAddUp("all promotions", Promotions(true), 3), promotions);
  // Members by first expiry: the order they earned in, which is the order they enrolled.
  std::vector<std::string> expiring = ExpectPagesAddUp("expiring", Expiring(366), 3);
  EXPECT_TRUE(std::is_sorted(expiring.begin(), expiring.end(), [](const auto& a, const auto& b) {
    return std::stoll(a) < std::stoll(b);
  }));
  ExpectPagesAddUp("expiring soon", Expiring(30), 0);
  EXPECT_EQ(ExpectPagesAddUp("cards", Cards(cards_[1]), 0), std::vector<std::string>{});
  EXPECT_EQ(ExpectPagesAddUp("cards", Cards(cards_[0]), 3),
            (std::vector<std::string>{"tok-a", "tok-b", "tok-c"}));
  // set_program, 4 registrations, set_tiers, 3 promotions (and what the hub's start
  // wrote): newest first.
  const size_t audit_size = Audit("")(500, "").keys.size();
  EXPECT_GE(audit_size, 9u);
  std::vector<std::string> audit = ExpectPagesAddUp("audit", Audit(""), audit_size);
  EXPECT_TRUE(std::is_sorted(audit.begin(), audit.end(), [](const auto& a, const auto& b) {
    return std::stoll(a) > std::stoll(b);
  }));
  ExpectPagesAddUp("audit of promotions", Audit("create_promotion"), 3);
  // The grocer's own entries, newest first; the cinema has none.
  EXPECT_EQ(
      ExpectPagesAddUp("transactions", Transactions(grocer_, "", 0, 0), 6),
      (std::vector<std::string>{"earn-2", "enroll-2", "earn-1", "enroll-1", "earn-0", "enroll-0"}));
  EXPECT_EQ(ExpectPagesAddUp("a card's transactions", Transactions(grocer_, cards_[1], 0, 0), 2),
            (std::vector<std::string>{"earn-1", "enroll-1"}));
  ExpectPagesAddUp("cinema", Transactions(cinema_, "", 0, 0), 0);
}

TEST_F(PagingTest, SinceAndUntilFilterTransactionsAndBindTheToken) {
  std::vector<int64_t> posted_at;
  Page all = Transactions(grocer_, "", 0, 0, &posted_at)(500, "");
  ASSERT_TRUE(all.status.ok()) << Describe(all.status);
  ASSERT_EQ(all.keys.size(), 6u);
  // [posted_at of the 2nd oldest, posted_at of the newest): what falls inside, by the
  // figures the hub reported.
  const int64_t since = posted_at[4];
  const int64_t until = posted_at[0];
  ASSERT_LT(since, until);
  std::vector<std::string> inside;
  for (size_t i = 0; i < posted_at.size(); ++i) {
    if (posted_at[i] >= since && posted_at[i] < until) inside.push_back(all.keys[i]);
  }
  ASSERT_GE(inside.size(), 1u);
  EXPECT_LT(inside.size(), 6u);
  EXPECT_EQ(ExpectPagesAddUp("window", Transactions(grocer_, "", since, until), inside.size()),
            inside);
  // One bound only.
  Page from = Transactions(grocer_, "", until, 0)(500, "");
  ASSERT_TRUE(from.status.ok());
  EXPECT_EQ(from.keys, std::vector<std::string>({all.keys[0]}));
  Page before = Transactions(grocer_, "", 0, since)(500, "");
  ASSERT_TRUE(before.status.ok());
  EXPECT_EQ(before.keys.size(), 6u - inside.size() - 1);
  // An empty or reversed window, negative bounds.
  ExpectInvalid(Transactions(grocer_, "", until, until)(10, "").status, "until_micros");
  ExpectInvalid(Transactions(grocer_, "", until, since)(10, "").status, "until_micros");
  ExpectInvalid(Transactions(grocer_, "", -1, 0)(10, "").status, "since_micros");
  // The token is bound to the window: another window (or none) refuses it.
  const std::string token = FirstToken(Transactions(grocer_, "", since, until));
  ExpectInvalid(Transactions(grocer_, "", 0, 0)(10, token).status, "page_token");
  ExpectInvalid(Transactions(grocer_, "", since, until + 1)(10, token).status, "page_token");
  ExpectInvalid(Transactions(grocer_, "", since + 1, until)(10, token).status, "page_token");
  EXPECT_TRUE(Transactions(grocer_, "", since, until)(10, token).status.ok());
}

TEST_F(PagingTest, TokensAreOpaqueAndBoundToTheirQuery) {
  const std::string txn_token = FirstToken(Transactions(grocer_, "", 0, 0));
  int64_t number = 0;
  EXPECT_FALSE(absl::SimpleAtoi(txn_token, &number));
  // A bare id, as the hub once issued, is no token now.
  ExpectInvalid(Transactions(grocer_, "", 0, 0)(10, "1000000").status, "page_token");
  // Damaged, cut, or garbage.
  ExpectInvalid(Transactions(grocer_, "", 0, 0)(10, Tampered(txn_token)).status, "page_token");
  ExpectInvalid(
      Transactions(grocer_, "", 0, 0)(10, txn_token.substr(0, txn_token.size() - 4)).status,
      "page_token");
  ExpectInvalid(Transactions(grocer_, "", 0, 0)(10, "!!not base64!!").status, "page_token");
  ExpectInvalid(Transactions(grocer_, "", 0, 0)(10, std::string(300, 'A')).status, "page_token");
  // Another filter: a card; another partner; another list.
  ExpectInvalid(Transactions(grocer_, cards_[0], 0, 0)(10, txn_token).status, "page_token");
  ExpectInvalid(Transactions(cinema_, "", 0, 0)(10, txn_token).status, "page_token");
  ExpectInvalid(Audit("")(10, txn_token).status, "page_token");
  ExpectInvalid(Partners()(10, txn_token).status, "page_token");

  const std::string promo_token = FirstToken(Promotions(false));
  ExpectInvalid(Promotions(true)(10, promo_token).status, "page_token");
  ExpectInvalid(Promotions(false)(10, Tampered(promo_token)).status, "page_token");
  EXPECT_TRUE(Promotions(false)(10, promo_token).status.ok());
  const std::string audit_token = FirstToken(Audit(""));
  ExpectInvalid(Audit("set_tiers")(10, audit_token).status, "page_token");
  const std::string expiring_token = FirstToken(Expiring(366));
  ExpectInvalid(Expiring(365)(10, expiring_token).status, "page_token");
  const std::string card_token = FirstToken(Cards(cards_[0]));
  ExpectInvalid(Cards(cards_[1])(10, card_token).status, "page_token");
  ExpectInvalid(Tiers()(10, card_token).status, "page_token");
  const std::string tier_token = FirstToken(Tiers());
  ExpectInvalid(Tiers()(10, Tampered(tier_token)).status, "page_token");
  const std::string partner_token = FirstToken(Partners());
  ExpectInvalid(Partners()(10, Tampered(partner_token)).status, "page_token");
}

TEST_F(PagingTest, PageSizeNegativeIsRefusedAndLargeIsCoerced) {
  for (const auto& [name, fetch] : std::vector<std::pair<std::string, FetchPage>>{
           {"partners", Partners()},
           {"tiers", Tiers()},
           {"promotions", Promotions(true)},
           {"expiring", Expiring(30)},
           {"audit", Audit("")},
           {"cards", Cards(cards_[0])},
           {"transactions", Transactions(grocer_, "", 0, 0)}}) {
    SCOPED_TRACE(name);
    ExpectInvalid(fetch(-1, "").status, "page_size");
    Page huge = fetch(10'000, "");
    EXPECT_TRUE(huge.status.ok()) << Describe(huge.status);
    EXPECT_TRUE(huge.next_page_token.empty());
  }
  // 502 entries at one partner: a page of 10000 is cut at 500, the rest follows.
  const std::string fuel = Register("Fuel Two", "fuel_two", v1::ROLE_MERCHANT);
  for (int i = 0; i < 502; ++i) {
    v1::EnrollMemberRequest enroll;
    enroll.set_partner_txn_id(absl::StrCat("bulk-", i));
    v1::EnrollMemberResponse member;
    grpc::Status s = Invoke(partner_.get(), &PartnerStub::EnrollMember, fuel, enroll, &member);
    ASSERT_TRUE(s.ok()) << Describe(s);
  }
  Page first = Transactions(fuel, "", 0, 0)(10'000, "");
  ASSERT_TRUE(first.status.ok()) << Describe(first.status);
  EXPECT_EQ(first.keys.size(), 500u);
  EXPECT_EQ(first.keys.front(), "bulk-501");
  ASSERT_FALSE(first.next_page_token.empty());
  Page rest = Transactions(fuel, "", 0, 0)(10'000, first.next_page_token);
  ASSERT_TRUE(rest.status.ok()) << Describe(rest.status);
  EXPECT_EQ(rest.keys, (std::vector<std::string>{"bulk-1", "bulk-0"}));
  EXPECT_TRUE(rest.next_page_token.empty());
  // page_size 0 is the default, 100.
  Page by_default = Transactions(fuel, "", 0, 0)(0, "");
  ASSERT_TRUE(by_default.status.ok());
  EXPECT_EQ(by_default.keys.size(), 100u);
  EXPECT_FALSE(by_default.next_page_token.empty());
}

}  // namespace
}  // namespace loyalty
