// Every PartnerClient and AdminClient call against the real hub: the success path with
// exact figures and an error path with its status code and the field it names.
// Program: EUR, 1 point = 0.01 EUR; the grocer earns 5%.
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/error_details.h"
#include "tests/sdk/sdk_fixture.h"

namespace loyalty::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// `prefix` + digits + the Luhn check digit: a valid 16-digit card number.
std::string LuhnCard(const std::string& first15) {
  int sum = 0;
  for (int i = 0; i < 15; ++i) {
    int d = first15[14 - i] - '0';
    if (i % 2 == 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return first15 + std::to_string((10 - sum % 10) % 10);
}

template <typename T>
void ExpectError(const absl::StatusOr<T>& r, absl::StatusCode code, const std::string& field) {
  ASSERT_FALSE(r.ok()) << "expected " << absl::StatusCodeToString(code);
  EXPECT_EQ(r.status().code(), code) << r.status();
  EXPECT_THAT(std::string(r.status().message()), HasSubstr(field)) << r.status();
}

void ExpectError(const absl::Status& s, absl::StatusCode code, const std::string& field) {
  ASSERT_FALSE(s.ok()) << "expected " << absl::StatusCodeToString(code);
  EXPECT_EQ(s.code(), code) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr(field)) << s;
}

sdk::EarnParams Sale(const std::string& card, int64_t amount_minor, std::string txn_id = "",
                     std::string currency = "EUR") {
  sdk::EarnParams p;
  p.partner_txn_id = std::move(txn_id);
  p.card_number = card;
  p.amount = {amount_minor, std::move(currency)};
  return p;
}

class SdkClientTest : public SdkHubTest {};

TEST_F(SdkClientTest, PartnerCallsReturnExactFigures) {
  sdk::PartnerClient client = Partner();
  auto member = client.EnrollMember({"enroll-1"});
  ASSERT_TRUE(member.ok()) << member.status();
  EXPECT_EQ(member->partner_txn_id, "enroll-1");
  EXPECT_GT(member->member_id, 0);
  EXPECT_FALSE(member->replayed);
  const std::string card = member->card_number;

  auto quote = client.QuoteEarn({card, {12'345, "EUR"}});
  ASSERT_TRUE(quote.ok()) << quote.status();
  EXPECT_EQ(quote->points, 617);  // floor(123.45 EUR x 5% / 0.01 EUR)
  EXPECT_EQ(quote->base_points, 617);

  auto earn = client.Earn(Sale(card, 12'345, "earn-1"));
  ASSERT_TRUE(earn.ok()) << earn.status();
  EXPECT_FALSE(earn->queued);
  EXPECT_EQ(earn->posting.partner_txn_id, "earn-1");
  EXPECT_EQ(earn->posting.points, 617);
  EXPECT_EQ(earn->posting.balance_after, 617);
  EXPECT_EQ(earn->posting.available_after, 617);
  EXPECT_EQ(earn->base_points, 617);
  EXPECT_GT(earn->posting.hub_txn_id, 0);
  EXPECT_GT(earn->expires_at_micros, 0);

  auto redeem = client.Redeem({"redeem-1", card, 100});
  ASSERT_TRUE(redeem.ok()) << redeem.status();
  EXPECT_EQ(redeem->points, 100);
  EXPECT_EQ(redeem->balance_after, 517);

  auto hold = client.AuthorizeRedemption({"auth-1", card, 200});
  ASSERT_TRUE(hold.ok()) << hold.status();
  EXPECT_EQ(hold->posting.points, 200);
  EXPECT_EQ(hold->posting.balance_after, 517);
  EXPECT_EQ(hold->posting.available_after, 317);
  // 600 s holds: the hold lasts about ten minutes from now.
  const int64_t now = absl::ToUnixMicros(absl::Now());
  EXPECT_GE(hold->hold_expires_at_micros, now + 590'000'000);
  EXPECT_LE(hold->hold_expires_at_micros, now + 600'000'000);

  auto capture = client.CaptureRedemption({"cap-1", "auth-1", 150});
  ASSERT_TRUE(capture.ok()) << capture.status();
  EXPECT_EQ(capture->points, 150);
  EXPECT_EQ(capture->balance_after, 367);
  EXPECT_EQ(capture->available_after, 367);

  auto hold2 = client.AuthorizeRedemption({"auth-2", card, 50});
  ASSERT_TRUE(hold2.ok()) << hold2.status();
  EXPECT_EQ(hold2->posting.available_after, 317);
  auto voided = client.VoidRedemption({"void-1", "auth-2"});
  ASSERT_TRUE(voided.ok()) << voided.status();
  EXPECT_EQ(voided->balance_after, 367);
  EXPECT_EQ(voided->available_after, 367);

  auto reversed = client.Reverse({"rev-1", "redeem-1", 0});
  ASSERT_TRUE(reversed.ok()) << reversed.status();
  EXPECT_EQ(reversed->posting.points, 100);
  EXPECT_EQ(reversed->posting.balance_after, 467);
  EXPECT_EQ(reversed->debt_created, 0);

  auto balance = client.GetBalance({card});
  ASSERT_TRUE(balance.ok()) << balance.status();
  EXPECT_EQ(balance->member_id, member->member_id);
  EXPECT_EQ(balance->balance, 467);
  EXPECT_EQ(balance->available, 467);
  EXPECT_EQ(balance->held, 0);
  EXPECT_EQ(balance->debt, 0);
  EXPECT_EQ(balance->next_expiry_points, 467);
  EXPECT_EQ(balance->next_expiry_at_micros, earn->expires_at_micros);

  const std::string plastic = LuhnCard("600000000000123");
  auto linked = client.LinkCard({"link-1", card, plastic});
  ASSERT_TRUE(linked.ok()) << linked.status();
  EXPECT_EQ(linked->member_id, member->member_id);
  auto by_plastic = client.GetBalance({plastic});
  ASSERT_TRUE(by_plastic.ok()) << by_plastic.status();
  EXPECT_EQ(by_plastic->balance, 467);

  auto bearer = admin_->IssueBearerCards({1});
  ASSERT_TRUE(bearer.ok()) << bearer.status();
  ASSERT_EQ(bearer->size(), 1u);
  auto bearer_earn = client.Earn(Sale((*bearer)[0], 10'00, "earn-bearer"));
  ASSERT_TRUE(bearer_earn.ok()) << bearer_earn.status();
  EXPECT_EQ(bearer_earn->posting.points, 50);
  auto registered = client.RegisterBearerCard({"bearer-1", card, (*bearer)[0]});
  ASSERT_TRUE(registered.ok()) << registered.status();
  EXPECT_EQ(registered->balance_after, 517);

  auto page = client.ListTransactions({2, "", ""});
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->transactions.size(), 2u);
  EXPECT_EQ(page->transactions[0].partner_txn_id, "bearer-1");
  EXPECT_EQ(page->transactions[1].partner_txn_id, "earn-bearer");
  EXPECT_EQ(page->transactions[1].kind, "earn");
  EXPECT_EQ(page->transactions[1].points, 50);
  EXPECT_EQ(page->transactions[1].amount.amount_minor, 10'00);
  EXPECT_EQ(page->transactions[1].amount.currency, "EUR");
  EXPECT_FALSE(page->next_page_token.empty());
  auto by_card = client.ListTransactions({0, "", card});
  ASSERT_TRUE(by_card.ok()) << by_card.status();
  std::vector<std::string> ids;
  for (const sdk::Transaction& t : by_card->transactions) ids.push_back(t.partner_txn_id);
  EXPECT_THAT(ids, ::testing::Contains("earn-1"));
  EXPECT_THAT(ids, ::testing::Contains("rev-1"));
}

TEST_F(SdkClientTest, GeneratedIdsAreUuidV4AndRetriesReplay) {
  sdk::PartnerClient client = Partner();
  const std::string card = NewCard(client);
  auto earn = client.Earn(Sale(card, 2'000));
  ASSERT_TRUE(earn.ok()) << earn.status();
  const std::regex uuid4("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  EXPECT_TRUE(std::regex_match(earn->posting.partner_txn_id, uuid4))
      << earn->posting.partner_txn_id;
  EXPECT_EQ(earn->posting.points, 100);

  // The same id and content again (a caller's own retry) replays; other content fails.
  sdk::EarnParams again = Sale(card, 3'000, "retry-1");
  again.occurred_at_micros = 1'780'000'000'000'000;
  auto first = client.Earn(again);
  auto second = client.Earn(again);
  ASSERT_TRUE(first.ok() && second.ok()) << first.status() << second.status();
  EXPECT_FALSE(first->posting.replayed);
  EXPECT_TRUE(second->posting.replayed);
  EXPECT_EQ(second->posting.hub_txn_id, first->posting.hub_txn_id);
  again.amount.amount_minor = 3'001;
  ExpectError(client.Earn(again), absl::StatusCode::kAlreadyExists, "retry-1");
  auto balance = client.GetBalance({card});
  ASSERT_TRUE(balance.ok());
  EXPECT_EQ(balance->balance, 250);  // 100 + 150, once each
}

TEST_F(SdkClientTest, PartnerCallsReportHubErrors) {
  sdk::PartnerClient client = Partner();
  const std::string card = NewCard(client);
  const std::string unknown = LuhnCard("999999999999999");
  ASSERT_TRUE(client.Earn(Sale(card, 1'000, "e-1")).ok());  // 50 points

  ExpectError(client.EnrollMember({"bad id!"}), absl::StatusCode::kInvalidArgument,
              "partner_txn_id");
  ExpectError(client.LinkCard({"", card, "1234"}), absl::StatusCode::kInvalidArgument,
              "new_card_number");
  ExpectError(client.RegisterBearerCard({"", card, card}), absl::StatusCode::kFailedPrecondition,
              "bearer_card_number");
  ExpectError(client.GetBalance({unknown}), absl::StatusCode::kNotFound, "card_number");
  ExpectError(client.QuoteEarn({card, {100, "USD"}}), absl::StatusCode::kInvalidArgument,
              "amount.currency");
  ExpectError(client.Earn(Sale(card, 100, "", "USD")), absl::StatusCode::kInvalidArgument,
              "amount.currency");
  ExpectError(client.Redeem({"", card, 51}), absl::StatusCode::kFailedPrecondition, "points");
  ExpectError(client.AuthorizeRedemption({"", card, 51}), absl::StatusCode::kFailedPrecondition,
              "points");
  ExpectError(client.CaptureRedemption({"", "no-such-auth", 0}), absl::StatusCode::kNotFound,
              "authorization_partner_txn_id");
  ExpectError(client.VoidRedemption({"", "no-such-auth"}), absl::StatusCode::kNotFound,
              "authorization_partner_txn_id");
  ExpectError(client.Reverse({"", "e-1", 51}), absl::StatusCode::kFailedPrecondition, "points");
  ExpectError(client.Reverse({"", "no-such-txn", 0}), absl::StatusCode::kNotFound,
              "original_partner_txn_id");
  // Above 500 is coerced to 500; negative is refused.
  ExpectError(client.ListTransactions({-1, "", ""}), absl::StatusCode::kInvalidArgument,
              "page_size");

  // Credentials: a wrong key and an operator key.
  sdk::PartnerClient stranger = Partner(OptionsFor("not-a-key-0123456789abcdefghijklmnop"));
  ExpectError(stranger.GetBalance({card}), absl::StatusCode::kUnauthenticated, "");
  sdk::PartnerClient admin_as_partner = Partner(OptionsFor(kHubAdminKey));
  ExpectError(admin_as_partner.GetBalance({card}), absl::StatusCode::kPermissionDenied, "");

  auto balance = client.GetBalance({card});
  ASSERT_TRUE(balance.ok());
  EXPECT_EQ(balance->balance, 50);  // no failed call moved a point
}

TEST_F(SdkClientTest, AdminCallsReturnExactFigures) {
  auto program = admin_->GetProgram();
  ASSERT_TRUE(program.ok()) << program.status();
  EXPECT_EQ(program->point_value_micros, 10'000);
  EXPECT_EQ(program->currency, "EUR");
  EXPECT_EQ(program->expiry_months, 12);
  EXPECT_EQ(program->hold_timeout_seconds, 600);
  auto set = admin_->SetProgram({10'000, "EUR", 24, 900});
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->expiry_months, 24);
  EXPECT_EQ(set->hold_timeout_seconds, 900);

  sdk::RegisterPartnerParams cinema;
  cinema.name = "Cinema";
  cinema.category = "cinema";
  cinema.earn_rate_bp = 200;
  cinema.limits.max_points_per_txn = 5'000;
  auto reg = admin_->RegisterPartner(cinema);
  ASSERT_TRUE(reg.ok()) << reg.status();
  EXPECT_EQ(reg->partner.name, "Cinema");
  EXPECT_EQ(reg->partner.role, sdk::Role::kMerchant);
  EXPECT_EQ(reg->partner.earn_rate_bp, 200);
  EXPECT_EQ(reg->partner.limits.max_points_per_txn, 5'000);
  EXPECT_FALSE(reg->api_key.empty());

  auto partners = admin_->ListPartners();
  ASSERT_TRUE(partners.ok()) << partners.status();
  ASSERT_EQ(partners->size(), 2u);
  EXPECT_EQ((*partners)[0].partner_id, partner_id_);
  EXPECT_EQ((*partners)[0].category, "grocery");

  auto new_key = admin_->RotateApiKey({reg->partner.partner_id});
  ASSERT_TRUE(new_key.ok()) << new_key.status();
  EXPECT_NE(*new_key, reg->api_key);
  sdk::PartnerClient old_key = Partner(OptionsFor(reg->api_key));
  ExpectError(old_key.ListTransactions(), absl::StatusCode::kUnauthenticated, "");

  auto suspended = admin_->SuspendPartner({reg->partner.partner_id, "contract ended"});
  ASSERT_TRUE(suspended.ok()) << suspended.status();
  EXPECT_TRUE(suspended->suspended);
  sdk::PartnerClient rotated = Partner(OptionsFor(*new_key));
  ExpectError(rotated.ListTransactions(), absl::StatusCode::kPermissionDenied, "");

  sdk::PartnerClient grocer = Partner();
  const std::string card = NewCard(grocer);
  auto credit = admin_->AdjustPoints({"goodwill-1", card, 300, "goodwill"});
  ASSERT_TRUE(credit.ok()) << credit.status();
  EXPECT_EQ(credit->partner_txn_id, "goodwill-1");
  EXPECT_EQ(credit->points, 300);
  EXPECT_EQ(credit->balance_after, 300);
  auto debit = admin_->AdjustPoints({"", card, -120, "correction"});
  ASSERT_TRUE(debit.ok()) << debit.status();
  EXPECT_EQ(debit->balance_after, 180);

  auto expiry = admin_->RunExpiry();
  ASSERT_TRUE(expiry.ok()) << expiry.status();
  EXPECT_EQ(expiry->lots_expired, 0);
  EXPECT_EQ(expiry->points_expired, 0);

  auto finance = admin_->CreateOperatorKey({sdk::Role::kFinance});
  ASSERT_TRUE(finance.ok()) << finance.status();
  auto finance_conn = sdk::MakeAdminConnection(OptionsFor(*finance));
  ASSERT_TRUE(finance_conn.ok());
  sdk::AdminClient finance_client(*finance_conn);
  auto seen = finance_client.ListPartners();
  ASSERT_TRUE(seen.ok()) << seen.status();
  EXPECT_EQ(seen->size(), 2u);
  auto cards = admin_->IssueBearerCards({3});
  ASSERT_TRUE(cards.ok()) << cards.status();
  EXPECT_EQ(cards->size(), 3u);
}

TEST_F(SdkClientTest, AdminCallsReportHubErrors) {
  sdk::RegisterPartnerParams rival;
  rival.name = "Rival grocer";
  rival.category = "grocery";
  rival.earn_rate_bp = 100;
  ExpectError(admin_->RegisterPartner(rival), absl::StatusCode::kFailedPrecondition, "category");
  ExpectError(admin_->SuspendPartner({999'999, "why"}), absl::StatusCode::kNotFound, "partner_id");
  ExpectError(admin_->RotateApiKey({999'999}), absl::StatusCode::kNotFound, "partner_id");
  ExpectError(admin_->SetProgram({0, "EUR", 12, 600}), absl::StatusCode::kInvalidArgument,
              "program.point_value_micros");
  ExpectError(admin_->IssueBearerCards({0}), absl::StatusCode::kInvalidArgument, "count");
  sdk::PartnerClient grocer = Partner();
  const std::string card = NewCard(grocer);
  ExpectError(admin_->AdjustPoints({"", card, -1, "too much"}),
              absl::StatusCode::kFailedPrecondition, "points");
  ExpectError(admin_->CreateOperatorKey({sdk::Role::kMerchant}), absl::StatusCode::kInvalidArgument,
              "role");

  auto as_partner = sdk::MakeAdminConnection(OptionsFor(partner_key_));
  ASSERT_TRUE(as_partner.ok());
  sdk::AdminClient partner_admin(*as_partner);
  ExpectError(partner_admin.GetProgram(), absl::StatusCode::kPermissionDenied, "");
  ExpectError(partner_admin.ListPartners(), absl::StatusCode::kPermissionDenied, "");
  ExpectError(partner_admin.RunExpiry(), absl::StatusCode::kPermissionDenied, "");
}

// Tiers, promotions, tier review, expiring points (docs/program-rules.md): a Silver member
// (x1.25) earning 123.45 EUR at the 5% grocer during a fixed +50 coalition promotion.
TEST_F(SdkClientTest, EarnRuleAdminCalls) {
  auto tiers = admin_->SetTiers({{{"Gold", 50'000, 15'000}, {"Silver", 10'000, 12'500}}});
  ASSERT_TRUE(tiers.ok()) << tiers.status();
  ASSERT_EQ(tiers->size(), 2u);
  EXPECT_EQ((*tiers)[0].name, "Silver");  // by threshold
  EXPECT_EQ((*tiers)[0].threshold_minor, 10'000);
  EXPECT_EQ((*tiers)[0].multiplier_bp, 12'500);
  EXPECT_EQ((*tiers)[1].name, "Gold");
  ExpectError(admin_->SetTiers({{{"Silver", 10'000, 12'500}, {"Silver", 20'000, 13'000}}}),
              absl::StatusCode::kInvalidArgument, "tiers.name");
  auto listed = admin_->ListTiers();
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[1].name, "Gold");
  EXPECT_EQ((*listed)[1].multiplier_bp, 15'000);

  const int64_t now = absl::ToUnixMicros(absl::Now());
  sdk::Promotion fixed;
  fixed.name = "Welcome +50";
  fixed.kind = sdk::PromotionKind::kFixed;
  fixed.bonus_points = 50;
  fixed.starts_at_micros = now - 3'600'000'000;
  fixed.ends_at_micros = now + 86'400'000'000;
  auto promo = admin_->CreatePromotion(fixed);
  ASSERT_TRUE(promo.ok()) << promo.status();
  EXPECT_GT(promo->promotion_id, 0);
  EXPECT_EQ(promo->name, "Welcome +50");
  EXPECT_EQ(promo->kind, sdk::PromotionKind::kFixed);
  EXPECT_EQ(promo->scope, sdk::PromotionScope::kAll);
  EXPECT_EQ(promo->bonus_points, 50);
  EXPECT_EQ(promo->ends_at_micros, fixed.ends_at_micros);
  EXPECT_FALSE(promo->ended);
  sdk::Promotion weak = fixed;
  weak.kind = sdk::PromotionKind::kMultiplier;
  weak.multiplier_bp = 10'000;
  ExpectError(admin_->CreatePromotion(weak), absl::StatusCode::kInvalidArgument,
              "promotion.multiplier_bp");

  sdk::PartnerClient grocer = Partner();
  const std::string card = NewCard(grocer);
  auto quote = grocer.QuoteEarn({card, {12'345, "EUR"}});
  ASSERT_TRUE(quote.ok()) << quote.status();
  EXPECT_EQ(quote->breakdown.base_points, 617);
  auto earn = grocer.Earn(Sale(card, 12'345, "rules-earn-1"));
  ASSERT_TRUE(earn.ok()) << earn.status();
  // The purchase that crosses 100.00 EUR already earns at Silver: 617 + floor(617 x 0.25).
  EXPECT_EQ(earn->breakdown.base_points, 617);
  EXPECT_EQ(earn->breakdown.tier, "Silver");
  EXPECT_EQ(earn->breakdown.tier_bonus_points, 154);
  EXPECT_EQ(earn->posting.points, 771);
  ASSERT_EQ(earn->breakdown.promotions.size(), 1u);
  EXPECT_EQ(earn->breakdown.promotions[0].promotion_id, promo->promotion_id);
  EXPECT_EQ(earn->breakdown.promotions[0].name, "Welcome +50");
  EXPECT_EQ(earn->breakdown.promotions[0].points, 50);
  EXPECT_EQ(earn->breakdown.promotions[0].funder_partner_id, 0);
  EXPECT_EQ(earn->breakdown.pending_until_micros, 0);
  EXPECT_EQ(earn->posting.balance_after, 821);

  auto balance = grocer.GetBalance({card});
  ASSERT_TRUE(balance.ok()) << balance.status();
  EXPECT_EQ(balance->balance, 821);
  EXPECT_EQ(balance->pending, 0);
  EXPECT_EQ(balance->tier, "Silver");
  EXPECT_EQ(balance->spend_12m_minor, 12'345);
  EXPECT_EQ(balance->next_tier, "Gold");
  EXPECT_EQ(balance->next_tier_threshold_minor, 50'000);

  auto review = admin_->RunTierReview();
  ASSERT_TRUE(review.ok()) << review.status();
  EXPECT_GE(review->members_reviewed, 1);
  EXPECT_EQ(review->members_changed, 0);

  auto active = admin_->ListPromotions();
  ASSERT_TRUE(active.ok()) << active.status();
  ASSERT_EQ(active->size(), 1u);
  EXPECT_EQ((*active)[0].promotion_id, promo->promotion_id);
  auto ended = admin_->EndPromotion({promo->promotion_id});
  ASSERT_TRUE(ended.ok()) << ended.status();
  EXPECT_TRUE(ended->ended);
  ExpectError(admin_->EndPromotion({999'999}), absl::StatusCode::kNotFound, "promotion_id");
  active = admin_->ListPromotions();
  ASSERT_TRUE(active.ok()) << active.status();
  EXPECT_TRUE(active->empty());
  auto all = admin_->ListPromotions({true});
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 1u);
  EXPECT_TRUE((*all)[0].ended);

  // 12-month expiry: everything earned now expires within 366 days.
  auto expiring = admin_->ListExpiringPoints({366, 0});
  ASSERT_TRUE(expiring.ok()) << expiring.status();
  ASSERT_EQ(expiring->size(), 1u);
  EXPECT_EQ((*expiring)[0].member_id, balance->member_id);
  EXPECT_EQ((*expiring)[0].points, 821);
  EXPECT_EQ((*expiring)[0].first_expiry_at_micros, earn->expires_at_micros);
  ExpectError(admin_->ListExpiringPoints({0, 0}), absl::StatusCode::kInvalidArgument,
              "within_days");

  auto as_partner = sdk::MakeAdminConnection(OptionsFor(partner_key_));
  ASSERT_TRUE(as_partner.ok());
  sdk::AdminClient partner_admin(*as_partner);
  ExpectError(partner_admin.ListTiers(), absl::StatusCode::kPermissionDenied, "");
  ExpectError(partner_admin.RunTierReview(), absl::StatusCode::kPermissionDenied, "");
  ExpectError(partner_admin.ListPromotions(), absl::StatusCode::kPermissionDenied, "");
}

// The program's new fields, the minimum redemption, the member PIN (set, wrong, locked,
// unlocked) and a partner's return window (pending points).
// A partner reads the program, the tiers and the promotions it may show members: those
// at its tills (all partners', its own, its category's, a tier's) and those it funds; a
// promotion only for another partner or another category stays hidden.
TEST_F(SdkClientTest, PartnerReadsTheProgramTiersAndItsPromotions) {
  ASSERT_TRUE(admin_->SetTiers({{{"Silver", 10'000, 12'500}, {"Gold", 50'000, 15'000}}}).ok());
  sdk::RegisterPartnerParams fuel;
  fuel.name = "Fuel";
  fuel.category = "fuel";
  fuel.earn_rate_bp = 100;
  auto fuel_reg = admin_->RegisterPartner(fuel);
  ASSERT_TRUE(fuel_reg.ok()) << fuel_reg.status();
  const int64_t fuel_id = fuel_reg->partner.partner_id;

  const int64_t now = absl::ToUnixMicros(absl::Now());
  auto promotion = [&](std::string name, sdk::PromotionScope scope, std::string value,
                       int64_t funder) {
    sdk::Promotion p;
    p.name = std::move(name);
    p.kind = sdk::PromotionKind::kFixed;
    p.bonus_points = 10;
    p.scope = scope;
    p.scope_value = std::move(value);
    p.funder_partner_id = funder;
    p.starts_at_micros = now - 3'600'000'000;
    p.ends_at_micros = now + 86'400'000'000;
    auto created = admin_->CreatePromotion(p);
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? created->promotion_id : 0;
  };
  const int64_t everyone = promotion("Everyone", sdk::PromotionScope::kAll, "", 0);
  const int64_t mine =
      promotion("Grocer week", sdk::PromotionScope::kPartner, absl::StrCat(partner_id_), 0);
  const int64_t category = promotion("Groceries", sdk::PromotionScope::kCategory, "grocery", 0);
  const int64_t gold = promotion("Gold bonus", sdk::PromotionScope::kTier, "Gold", 0);
  const int64_t funded = promotion("Grocer pays at the pump", sdk::PromotionScope::kPartner,
                                   absl::StrCat(fuel_id), partner_id_);
  promotion("Fuel only", sdk::PromotionScope::kPartner, absl::StrCat(fuel_id), 0);
  promotion("Fuel category", sdk::PromotionScope::kCategory, "fuel", 0);

  sdk::PartnerClient grocer = Partner();
  auto rules = grocer.GetProgramRules();
  ASSERT_TRUE(rules.ok()) << rules.status();
  EXPECT_EQ(rules->program.point_value_micros, 10'000);
  EXPECT_EQ(rules->program.currency, "EUR");
  ASSERT_EQ(rules->tiers.size(), 2u);
  EXPECT_EQ(rules->tiers[0].name, "Silver");
  EXPECT_EQ(rules->tiers[1].multiplier_bp, 15'000);
  std::vector<int64_t> ids;
  for (const sdk::Promotion& p : rules->promotions) ids.push_back(p.promotion_id);
  EXPECT_EQ(ids, (std::vector<int64_t>{everyone, mine, category, gold, funded}));
}

TEST_F(SdkClientTest, ProgramPinAndPendingPoints) {
  sdk::Program program{10'000, "EUR", 0, 600};
  program.expiry_policy = sdk::ExpiryPolicy::kEndOfYear;
  program.expiry_years = 2;
  program.time_zone = "Europe/Berlin";
  program.min_redemption_points = 10;
  program.pin_threshold_points = 100;
  program.pause_expiry_for_cobranded = true;
  auto set = admin_->SetProgram(program);
  ASSERT_TRUE(set.ok()) << set.status();
  auto got = admin_->GetProgram();
  ASSERT_TRUE(got.ok()) << got.status();
  for (const sdk::Program* p : {&*set, &*got}) {
    EXPECT_EQ(p->expiry_policy, sdk::ExpiryPolicy::kEndOfYear);
    EXPECT_EQ(p->expiry_years, 2);
    EXPECT_EQ(p->time_zone, "Europe/Berlin");
    EXPECT_EQ(p->min_redemption_points, 10);
    EXPECT_EQ(p->pin_threshold_points, 100);
    EXPECT_TRUE(p->pause_expiry_for_cobranded);
  }
  sdk::Program bad_zone = program;
  bad_zone.time_zone = "Mars/Olympus";
  ExpectError(admin_->SetProgram(bad_zone), absl::StatusCode::kInvalidArgument,
              "program.time_zone");

  sdk::PartnerClient grocer = Partner();
  const std::string card = NewCard(grocer);
  ASSERT_TRUE(grocer.Earn(Sale(card, 12'345, "pin-earn-1")).ok());  // 617 points
  ExpectError(grocer.Redeem({"pin-small", card, 5}), absl::StatusCode::kFailedPrecondition,
              "points");
  ExpectError(grocer.Redeem({"pin-none", card, 200}), absl::StatusCode::kFailedPrecondition, "pin");
  ExpectError(grocer.SetMemberPin({card, "12a"}), absl::StatusCode::kInvalidArgument, "pin");
  ExpectError(grocer.SetMemberPin({"4000000000000002", "1234"}), absl::StatusCode::kNotFound,
              "card_number");
  ASSERT_TRUE(grocer.SetMemberPin({card, "4321"}).ok());
  auto small = grocer.Redeem({"pin-ok-small", card, 100});  // at the threshold: no PIN
  ASSERT_TRUE(small.ok()) << small.status();
  auto redeemed = grocer.Redeem({"pin-ok", card, 200, 0, "4321"});
  ASSERT_TRUE(redeemed.ok()) << redeemed.status();
  EXPECT_EQ(redeemed->balance_after, 317);

  for (int i = 0; i < 3; ++i) {
    ExpectError(grocer.AuthorizeRedemption({"pin-bad-" + std::to_string(i), card, 150, 0, "0000"}),
                absl::StatusCode::kPermissionDenied, "pin");
  }
  ExpectError(grocer.AuthorizeRedemption({"pin-locked", card, 150, 0, "4321"}),
              absl::StatusCode::kFailedPrecondition, "pin");
  ASSERT_TRUE(admin_->UnlockMemberPin({card}).ok());
  ExpectError(admin_->UnlockMemberPin({"4000000000000002"}), absl::StatusCode::kNotFound,
              "card_number");
  auto hold = grocer.AuthorizeRedemption({"pin-unlocked", card, 150, 0, "4321"});
  ASSERT_TRUE(hold.ok()) << hold.status();
  EXPECT_EQ(hold->posting.available_after, 167);

  sdk::RegisterPartnerParams shop;
  shop.name = "Fashion";
  shop.category = "fashion";
  shop.earn_rate_bp = 100;
  shop.return_window_days = 14;
  auto reg = admin_->RegisterPartner(shop);
  ASSERT_TRUE(reg.ok()) << reg.status();
  EXPECT_EQ(reg->partner.return_window_days, 14);
  sdk::RegisterPartnerParams bad_window = shop;
  bad_window.category = "shoes";
  bad_window.return_window_days = 366;
  ExpectError(admin_->RegisterPartner(bad_window), absl::StatusCode::kInvalidArgument,
              "return_window_days");
  sdk::PartnerClient fashion = Partner(OptionsFor(reg->api_key));
  const int64_t before = absl::ToUnixMicros(absl::Now());
  auto pending = fashion.Earn(Sale(card, 10'000, "pending-1"));  // 1% of 100.00 EUR
  ASSERT_TRUE(pending.ok()) << pending.status();
  EXPECT_EQ(pending->posting.points, 100);
  EXPECT_GE(pending->breakdown.pending_until_micros, before + 14 * 86'400'000'000);
  EXPECT_LE(pending->breakdown.pending_until_micros, before + 14 * 86'400'000'000 + 60'000'000);
  auto balance = fashion.GetBalance({card});
  ASSERT_TRUE(balance.ok()) << balance.status();
  EXPECT_EQ(balance->pending, 100);
  EXPECT_EQ(balance->balance, 417);
  EXPECT_EQ(balance->available, 167);
}

// The standard details on every error (docs/api.md, "Errors"): a google.rpc.BadRequest
// naming the field on INVALID_ARGUMENT, a google.rpc.ErrorInfo with a stable reason on
// every error; the SDK keeps both on the status it returns.
TEST_F(SdkClientTest, ErrorsCarryStableReasonsAndFieldViolations) {
  sdk::PartnerClient client = Partner();
  const std::string card = NewCard(client);
  ASSERT_TRUE(client.Earn(Sale(card, 1'000, "e-1")).ok());  // 50 points

  auto usd = client.Earn(Sale(card, 100, "", "USD"));
  ASSERT_EQ(usd.status().code(), absl::StatusCode::kInvalidArgument) << usd.status();
  std::vector<sdk::FieldViolation> violations = sdk::FieldViolations(usd.status());
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].field, "amount.currency");
  EXPECT_EQ(violations[0].description, "the program's currency is EUR");
  EXPECT_EQ(sdk::ErrorReason(usd.status()), "INVALID_ARGUMENT");

  auto too_much = client.Redeem({"", card, 51});
  ASSERT_EQ(too_much.status().code(), absl::StatusCode::kFailedPrecondition);
  sdk::ErrorInfo info = sdk::ErrorInfoOf(too_much.status());
  EXPECT_EQ(info.reason, "INSUFFICIENT_POINTS");
  EXPECT_EQ(info.domain, "loyalty.v1");
  EXPECT_EQ(info.metadata["field"], "points");
  EXPECT_TRUE(sdk::FieldViolations(too_much.status()).empty());

  auto mismatch = client.Earn(Sale(card, 2'000, "e-1"));
  ASSERT_EQ(mismatch.status().code(), absl::StatusCode::kAlreadyExists);
  info = sdk::ErrorInfoOf(mismatch.status());
  EXPECT_EQ(info.reason, "IDEMPOTENCY_MISMATCH");
  EXPECT_EQ(info.metadata["field"], "partner_txn_id");
  EXPECT_EQ(info.metadata["differing_field"], "amount.amount_minor");

  EXPECT_EQ(sdk::ErrorReason(client.GetBalance({LuhnCard("999999999999999")}).status()),
            "CARD_NOT_FOUND");
  EXPECT_EQ(sdk::ErrorReason(client.Reverse({"", "no-such-txn", 0}).status()),
            "ORIGINAL_NOT_FOUND");
  EXPECT_EQ(sdk::ErrorReason(client.Reverse({"", "e-1", 51}).status()), "NOTHING_TO_REVERSE");

  sdk::RegisterPartnerParams rival;
  rival.name = "Rival grocer";
  rival.category = "grocery";
  rival.earn_rate_bp = 100;
  auto taken = admin_->RegisterPartner(rival);
  info = sdk::ErrorInfoOf(taken.status());
  EXPECT_EQ(info.reason, "CATEGORY_TAKEN");
  EXPECT_EQ(info.metadata["holder_partner_id"], absl::StrCat(partner_id_));

  sdk::PartnerClient stranger = Partner(OptionsFor("not-a-key-0123456789abcdefghijklmnop"));
  EXPECT_EQ(sdk::ErrorReason(stranger.GetBalance({card}).status()), "API_KEY_INVALID");
  sdk::PartnerClient admin_as_partner = Partner(OptionsFor(kHubAdminKey));
  EXPECT_EQ(sdk::ErrorReason(admin_as_partner.GetBalance({card}).status()), "ROLE_NOT_ALLOWED");
}

TEST(SdkOptionsTest, BadOptionsFailBeforeAnyCall) {
  sdk::Options o;
  o.target = "";
  ExpectError(sdk::MakePartnerConnection(o), absl::StatusCode::kInvalidArgument, "target");
  o = sdk::Options();
  o.tls.enabled = true;
  o.tls.cert_file = "/nonexistent/cert.pem";
  ExpectError(sdk::MakePartnerConnection(o), absl::StatusCode::kInvalidArgument, "tls.cert_file");
  o.tls.key_file = "/nonexistent/key.pem";
  ExpectError(sdk::MakePartnerConnection(o), absl::StatusCode::kNotFound, "tls.cert_file");
  o = sdk::Options();
  o.retry.max_attempts = 0;
  ExpectError(sdk::MakeAdminConnection(o), absl::StatusCode::kInvalidArgument,
              "retry.max_attempts");
}

}  // namespace
}  // namespace loyalty::testing
