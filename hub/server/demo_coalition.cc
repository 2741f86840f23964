// loyalty_demo: loads a demo coalition into a running hub over gRPC: the program, a
// card-issuing bank, four non-competing partners, a finance key, members with earns and
// redemptions, and bearer cards. Writes the keys and cards it made to --out.
#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <tuple>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "loyalty/v1/admin.grpc.pb.h"
#include "loyalty/v1/bank.grpc.pb.h"
#include "loyalty/v1/partner.grpc.pb.h"

ABSL_FLAG(std::string, hub, "127.0.0.1:50051", "hub address");
ABSL_FLAG(std::string, admin_key_file, ".run/admin.key", "file holding an admin key");
ABSL_FLAG(std::string, out, "", "where to write the demo's keys and cards (default stdout)");
ABSL_FLAG(std::string, bank_key_out, "", "if set, the bank's API key is written here");
ABSL_FLAG(std::string, clearing_out, "",
          "if set, a day of co-branded card spend is written here as a clearing CSV "
          "(for `loyalty bank-ingest`)");
ABSL_FLAG(int, clearing_rows, 2000, "purchases in the clearing file");

namespace {

using loyalty::v1::AdminService;
using loyalty::v1::BankService;
using loyalty::v1::PartnerService;

struct DemoPartner {
  const char* name;
  const char* category;
  loyalty::v1::Role role;
  int64_t earn_rate_bp;
  int64_t id = 0;
  std::string key;
};

// Every call has a deadline and carries the key (grpc.io: always set a deadline).
std::unique_ptr<grpc::ClientContext> Ctx(const std::string& key) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  ctx->AddMetadata("authorization", "Bearer " + key);
  return ctx;
}

void Check(const grpc::Status& s, const std::string& what) {
  if (s.ok()) return;
  std::fprintf(stderr, "loyalty_demo: %s failed: %d %s\n", what.c_str(), s.error_code(),
               s.error_message().c_str());
  std::exit(1);
}

std::string ReadKey(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string key(absl::StripAsciiWhitespace(ss.str()));
  if (key.empty()) {
    std::fprintf(stderr, "loyalty_demo: no admin key in %s\n", path.c_str());
    std::exit(1);
  }
  return key;
}

// A tier scheme and two promotions: double points at the gym for a month (the gym pays)
// and a bonus for shopping at three partners within 30 days (the operator pays).
void SetUpProgramRules(AdminService::Stub* admin, const std::string& admin_key,
                       const DemoPartner* partners, std::ostringstream* out) {
  loyalty::v1::SetTiersRequest tiers;
  for (auto [name, threshold, bp] :
       {std::tuple<const char*, int64_t, int64_t>{"Silver", 100'00, 12500},
        {"Gold", 500'00, 15000},
        {"VIP", 2000'00, 20000}}) {
    loyalty::v1::Tier* t = tiers.add_tiers();
    t->set_name(name);
    t->set_threshold_minor(threshold);
    t->set_multiplier_bp(bp);
  }
  loyalty::v1::SetTiersResponse tiers_resp;
  Check(admin->SetTiers(Ctx(admin_key).get(), tiers, &tiers_resp), "SetTiers");
  const int64_t now = absl::ToUnixMicros(absl::Now());
  const int64_t month = int64_t{30} * 86'400'000'000;
  loyalty::v1::CreatePromotionRequest gym;
  gym.mutable_promotion()->set_name("Double points at IronGym");
  gym.mutable_promotion()->set_funder_partner_id(partners[3].id);
  gym.mutable_promotion()->set_scope(loyalty::v1::PROMOTION_SCOPE_PARTNER);
  gym.mutable_promotion()->set_scope_value(absl::StrCat(partners[3].id));
  gym.mutable_promotion()->set_kind(loyalty::v1::PROMOTION_KIND_MULTIPLIER);
  gym.mutable_promotion()->set_multiplier_bp(20000);
  gym.mutable_promotion()->set_starts_at_micros(now - 60'000'000);
  gym.mutable_promotion()->set_ends_at_micros(now + month);
  loyalty::v1::Promotion created;
  Check(admin->CreatePromotion(Ctx(admin_key).get(), gym, &created), "CreatePromotion");
  loyalty::v1::CreatePromotionRequest explorer;
  explorer.mutable_promotion()->set_name("Coalition explorer: 3 partners in 30 days");
  explorer.mutable_promotion()->set_funder_partner_id(0);
  explorer.mutable_promotion()->set_kind(loyalty::v1::PROMOTION_KIND_CROSS_PARTNER);
  explorer.mutable_promotion()->set_bonus_points(200);
  explorer.mutable_promotion()->set_distinct_partners(3);
  explorer.mutable_promotion()->set_window_days(30);
  explorer.mutable_promotion()->set_starts_at_micros(now - 60'000'000);
  explorer.mutable_promotion()->set_ends_at_micros(now + 3 * month);
  Check(admin->CreatePromotion(Ctx(admin_key).get(), explorer, &created), "CreatePromotion");
  *out << "tiers: Silver from 100.00 EUR a year (x1.25), Gold 500.00 (x1.5), VIP 2000.00 (x2)\n"
       << "promotions: double points at IronGym (gym-funded); 200 points for earning at 3 "
          "partners within 30 days (operator-funded)\n\n";
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream f(path);
  f << text;
  if (!f) {
    std::fprintf(stderr, "loyalty_demo: cannot write %s\n", path.c_str());
    std::exit(1);
  }
}

// A day of card spend on the demo's co-branded cards: purchases at partners' merchant
// ids and elsewhere (incl. an excluded cash MCC), two refunds, an unmatched refund and a
// malformed row, as the bank's end-of-day clearing file.
std::string ClearingFile(int rows) {
  static const struct {
    int mcc;
    const char* merchant;
  } kShops[] = {{5411, "MID-FRESHMART-01"}, {5541, "MID-FUELUP-01"}, {7997, "MID-IRONGYM-01"},
                {5655, "MID-SPORTSHUB-01"}, {5812, "MID-CAFE-77"},   {6011, "MID-ATM-12"},
                {5411, "MID-OTHERMART-9"}};
  std::ostringstream csv;
  csv << "clearing_id,card_token,pan,amount_minor,currency,mcc,merchant_id,type,"
         "original_clearing_id,occurred_at\n";
  for (int i = 1; i <= rows; ++i) {
    const auto& shop = kShops[i % 7];
    csv << "CLR-" << i << ",tok-demo-" << (i % 3 + 1) << ",," << (500 + (i * 137) % 9500) << ",EUR,"
        << shop.mcc << "," << shop.merchant << ",purchase,,\n";
  }
  // CLR-1 was 637 on tok-demo-2 (refunded in full), CLR-2 774 on tok-demo-3 (in part).
  csv << "CLR-R1,tok-demo-2,,637,EUR,5541,MID-FUELUP-01,refund,CLR-1,\n";
  csv << "CLR-R2,tok-demo-3,,300,EUR,7997,MID-IRONGYM-01,refund,CLR-2,\n";
  csv << "CLR-R3,tok-demo-1,,999,EUR,5411,MID-FRESHMART-01,refund,CLR-NOPE,\n";
  csv << "CLR-BAD,tok-demo-1,,-5,EUR,5411,,purchase,,\n";
  return csv.str();
}

// The bank's earn rules, the partners' merchant ids, a co-branded card per member and,
// if asked, a clearing file of card spend.
void SetUpBank(AdminService::Stub* admin, PartnerService::Stub* partner,
               const std::shared_ptr<grpc::Channel>& channel, const std::string& admin_key,
               DemoPartner* partners, const std::vector<std::string>& cards,
               std::ostringstream* out) {
  const DemoPartner& bank = partners[0];
  loyalty::v1::SetBankEarnRulesRequest rules;
  rules.set_bank_partner_id(bank.id);
  rules.mutable_rules()->set_default_rate_bp(50);            // 0.5% anywhere
  rules.mutable_rules()->set_partner_merchant_rate_bp(150);  // 1.5% at coalition partners
  rules.mutable_rules()->set_monthly_cap_points(20'000);
  for (auto [mcc, bp, excluded] : {std::tuple<int, int, bool>{5411, 100, false},
                                   {5541, 100, false},
                                   {6011, 0, true},
                                   {4900, 0, true}}) {
    loyalty::v1::MccRule* r = rules.mutable_rules()->add_mcc_rules();
    r->set_mcc(mcc);
    r->set_rate_bp(bp);
    r->set_excluded(excluded);
  }
  loyalty::v1::SetBankEarnRulesResponse rules_resp;
  Check(admin->SetBankEarnRules(Ctx(admin_key).get(), rules, &rules_resp), "SetBankEarnRules");
  const char* mids[] = {"MID-FRESHMART-01", "MID-FUELUP-01", "MID-IRONGYM-01", "MID-SPORTSHUB-01"};
  for (int i = 0; i < 4; ++i) {
    loyalty::v1::RegisterMerchantIdRequest mid;
    mid.set_merchant_id(mids[i]);
    loyalty::v1::RegisterMerchantIdResponse mid_resp;
    Check(partner->RegisterMerchantId(Ctx(partners[i + 1].key).get(), mid, &mid_resp),
          "RegisterMerchantId");
  }
  auto bank_stub = BankService::NewStub(channel);
  for (size_t m = 0; m < cards.size(); ++m) {
    loyalty::v1::LinkCoBrandedCardRequest link;
    link.set_card_number(cards[m]);
    link.mutable_card()->set_token(absl::StrCat("tok-demo-", m + 1));
    loyalty::v1::LinkCoBrandedCardResponse linked;
    Check(bank_stub->LinkCoBrandedCard(Ctx(bank.key).get(), link, &linked), "LinkCoBrandedCard");
  }
  *out << "bank rules: 0.5% default, 1.5% at partners' merchant ids, 1% grocery/fuel MCCs, "
          "cash and utilities excluded, cap 20000 points per card a month\n"
       << "co-branded cards: tok-demo-1..3 linked to the members above\n";
  if (!absl::GetFlag(FLAGS_bank_key_out).empty()) {
    WriteFile(absl::GetFlag(FLAGS_bank_key_out), bank.key + "\n");
  }
  if (!absl::GetFlag(FLAGS_clearing_out).empty()) {
    WriteFile(absl::GetFlag(FLAGS_clearing_out), ClearingFile(absl::GetFlag(FLAGS_clearing_rows)));
    *out << "clearing file: " << absl::GetFlag(FLAGS_clearing_out) << "\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Loads a demo coalition (a bank, four partners, members) into a running hub.");
  absl::ParseCommandLine(argc, argv);
  auto channel = grpc::CreateChannel(absl::GetFlag(FLAGS_hub), grpc::InsecureChannelCredentials());
  auto admin = AdminService::NewStub(channel);
  auto partner = PartnerService::NewStub(channel);
  const std::string admin_key = ReadKey(absl::GetFlag(FLAGS_admin_key_file));
  std::ostringstream out;

  loyalty::v1::SetProgramRequest prog;
  prog.mutable_program()->set_point_value_micros(10'000);  // 1 point = 0.01 EUR
  prog.mutable_program()->set_currency("EUR");
  prog.mutable_program()->set_expiry_months(36);
  prog.mutable_program()->set_hold_timeout_seconds(900);
  // Limits on every earn: 10,000.00 EUR of spend, 60 earns a member's cards an hour.
  prog.mutable_program()->set_max_earn_amount_minor(1'000'000);
  prog.mutable_program()->set_max_earns_per_card_hour(60);
  loyalty::v1::SetProgramResponse prog_resp;
  Check(admin->SetProgram(Ctx(admin_key).get(), prog, &prog_resp), "SetProgram");
  out << "program: EUR, 1 point = 0.01 EUR, expiry 36 months, holds 900 s\n\n";

  DemoPartner partners[] = {
      {"Hanse Bank", "bank", loyalty::v1::ROLE_ISSUER, 50, 0, ""},
      {"FreshMart", "grocery", loyalty::v1::ROLE_MERCHANT, 100, 0, ""},
      {"FuelUp", "fuel", loyalty::v1::ROLE_MERCHANT, 50, 0, ""},
      {"IronGym", "fitness", loyalty::v1::ROLE_MERCHANT, 300, 0, ""},
      {"SportsHub", "sportswear", loyalty::v1::ROLE_MERCHANT, 200, 0, ""},
  };
  for (DemoPartner& p : partners) {
    loyalty::v1::RegisterPartnerRequest req;
    req.set_name(p.name);
    req.set_category(p.category);
    req.set_role(p.role);
    req.set_earn_rate_bp(p.earn_rate_bp);
    req.mutable_limits()->set_max_points_per_txn(100'000);
    loyalty::v1::RegisterPartnerResponse resp;
    Check(admin->RegisterPartner(Ctx(admin_key).get(), req, &resp), "RegisterPartner");
    p.id = resp.partner().partner_id();
    p.key = resp.api_key();
    out << "partner " << p.id << " " << p.name << " (" << p.category << ", " << p.earn_rate_bp
        << " bp) key: " << p.key << "\n";
  }
  SetUpProgramRules(admin.get(), admin_key, partners, &out);

  loyalty::v1::CreateOperatorKeyRequest fin;
  fin.set_role(loyalty::v1::ROLE_FINANCE);
  loyalty::v1::CreateOperatorKeyResponse fin_resp;
  Check(admin->CreateOperatorKey(Ctx(admin_key).get(), fin, &fin_resp), "CreateOperatorKey");
  out << "finance key: " << fin_resp.api_key() << "\n\n";

  const DemoPartner& grocer = partners[1];
  const DemoPartner& fuel = partners[2];
  const DemoPartner& gym = partners[3];
  const DemoPartner& sports = partners[4];
  std::vector<std::string> cards;
  for (int m = 1; m <= 3; ++m) {
    loyalty::v1::EnrollMemberRequest enroll;
    enroll.set_partner_txn_id(absl::StrCat("demo-enroll-", m));
    loyalty::v1::EnrollMemberResponse member;
    Check(partner->EnrollMember(Ctx(grocer.key).get(), enroll, &member), "EnrollMember");
    const std::string card = member.card_number();
    cards.push_back(card);
    auto earn = [&](const DemoPartner& at, int64_t amount_minor, const std::string& id) {
      loyalty::v1::EarnRequest req;
      req.set_partner_txn_id(id);
      req.set_card_number(card);
      req.mutable_amount()->set_amount_minor(amount_minor);
      req.mutable_amount()->set_currency("EUR");
      loyalty::v1::EarnResponse resp;
      Check(partner->Earn(Ctx(at.key).get(), req, &resp), "Earn");
    };
    earn(grocer, 125'00 * m, absl::StrCat("demo-basket-", m));
    earn(fuel, 80'00, absl::StrCat("demo-fill-", m));
    earn(gym, 49'00 * m, absl::StrCat("demo-membership-", m));
    loyalty::v1::RedeemRequest redeem;
    redeem.set_partner_txn_id(absl::StrCat("demo-shoes-", m));
    redeem.set_card_number(card);
    redeem.set_points(100 * m);
    loyalty::v1::RedeemResponse redeemed;
    Check(partner->Redeem(Ctx(sports.key).get(), redeem, &redeemed), "Redeem");
    loyalty::v1::GetBalanceRequest bal_req;
    bal_req.set_card_number(card);
    loyalty::v1::Balance bal;
    Check(partner->GetBalance(Ctx(grocer.key).get(), bal_req, &bal), "GetBalance");
    out << "member " << member.member_id() << " card " << card << " balance " << bal.balance()
        << " available " << bal.available() << "\n";
  }
  SetUpBank(admin.get(), partner.get(), channel, admin_key, partners, cards, &out);

  loyalty::v1::IssueBearerCardsRequest bearer;
  bearer.set_count(3);
  loyalty::v1::IssueBearerCardsResponse bearer_cards;
  Check(admin->IssueBearerCards(Ctx(admin_key).get(), bearer, &bearer_cards), "IssueBearerCards");
  out << "\nbearer cards:";
  for (const std::string& c : bearer_cards.card_numbers()) out << " " << c;
  out << "\n";

  const std::string path = absl::GetFlag(FLAGS_out);
  if (path.empty()) {
    std::fputs(out.str().c_str(), stdout);
  } else {
    std::ofstream f(path);
    f << out.str();
  }
  return 0;
}
