// A fresh database, the real hub on it, a program (EUR, 1 point = 0.01 EUR, 12-month
// expiry, 600 s holds) and one merchant at 5% ("grocery"): what every SDK suite that
// talks to a hub starts from. AddBank() adds the card-issuing bank and its earn rules.
#ifndef LOYALTY_TESTS_SDK_SDK_FIXTURE_H_
#define LOYALTY_TESTS_SDK_SDK_FIXTURE_H_

#include <string>

#include "gtest/gtest.h"
#include "loyalty/admin_client.h"
#include "loyalty/bank_client.h"
#include "loyalty/partner_client.h"
#include "tests/support/hub_process.h"
#include "tests/support/test_db.h"

namespace loyalty::testing {

class SdkHubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(hub_.Start());
    auto admin = sdk::MakeAdminConnection(OptionsFor(kHubAdminKey));
    ASSERT_TRUE(admin.ok()) << admin.status();
    admin_ = std::make_unique<sdk::AdminClient>(*admin);
    sdk::Program program{10'000, "EUR", 12, 600};
    auto set = admin_->SetProgram(program);
    ASSERT_TRUE(set.ok()) << set.status();
    sdk::RegisterPartnerParams grocer;
    grocer.name = "Grocer";
    grocer.category = "grocery";
    grocer.earn_rate_bp = 500;
    auto reg = admin_->RegisterPartner(grocer);
    ASSERT_TRUE(reg.ok()) << reg.status();
    partner_id_ = reg->partner.partner_id;
    partner_key_ = reg->api_key;
  }

  // Options for this hub with `key`, short timeouts fit for a local hub.
  sdk::Options OptionsFor(const std::string& key) const {
    sdk::Options o;
    o.target = hub_.target();
    o.api_key = key;
    o.call_timeout = absl::Seconds(5);
    o.retry.total_timeout = absl::Seconds(10);
    return o;
  }

  sdk::PartnerClient Partner(sdk::Options o) {
    auto conn = sdk::MakePartnerConnection(std::move(o));
    EXPECT_TRUE(conn.ok()) << conn.status();
    return sdk::PartnerClient(*conn);
  }
  sdk::PartnerClient Partner() { return Partner(OptionsFor(partner_key_)); }

  // A new member's card, enrolled at the grocer.
  std::string NewCard(sdk::PartnerClient& client) {
    auto m = client.EnrollMember();
    EXPECT_TRUE(m.ok()) << m.status();
    return m.ok() ? m->card_number : "";
  }

  // The bank's earn rules of the bank suites: 1% anywhere, 3% at coalition partners'
  // merchant ids, 2% at supermarkets (5411), nothing on cash (6011); no monthly cap.
  static sdk::BankEarnRules BankRules() {
    sdk::BankEarnRules r;
    r.default_rate_bp = 100;
    r.partner_merchant_rate_bp = 300;
    r.mcc_rules = {{5411, 200, false}, {6011, 0, true}};
    return r;
  }

  // Registers "Hanse Bank" (issuer) with BankRules(); sets bank_id_ and bank_key_.
  void AddBank() {
    sdk::RegisterPartnerParams bank;
    bank.name = "Hanse Bank";
    bank.category = "bank";
    bank.role = sdk::Role::kIssuer;
    bank.earn_rate_bp = 100;
    auto reg = admin_->RegisterPartner(bank);
    ASSERT_TRUE(reg.ok()) << reg.status();
    bank_id_ = reg->partner.partner_id;
    bank_key_ = reg->api_key;
    auto rules = admin_->SetBankEarnRules({bank_id_, BankRules()});
    ASSERT_TRUE(rules.ok()) << rules.status();
  }

  sdk::BankClient Bank(sdk::Options o) {
    auto conn = sdk::MakeBankConnection(std::move(o));
    EXPECT_TRUE(conn.ok()) << conn.status();
    return sdk::BankClient(*conn);
  }
  sdk::BankClient Bank() { return Bank(OptionsFor(bank_key_)); }

  TestDb db_;
  HubProcess hub_{db_.options()};
  std::unique_ptr<sdk::AdminClient> admin_;
  int64_t partner_id_ = 0;
  std::string partner_key_;
  int64_t bank_id_ = 0;
  std::string bank_key_;
};

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTS_SDK_SDK_FIXTURE_H_
