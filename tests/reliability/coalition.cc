#include "tests/reliability/coalition.h"

#include "gtest/gtest.h"

namespace loyalty::testing {

std::shared_ptr<grpc::Channel> FastReconnectChannel(const std::string& target) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
  args.SetInt(GRPC_ARG_DNS_MIN_TIME_BETWEEN_RESOLUTIONS_MS, 100);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

std::string Describe(const grpc::Status& s) {
  return absl::StrCat("code ", static_cast<int>(s.error_code()), " \"", s.error_message(), "\"");
}

v1::EarnRequest EarnOf(const std::string& txn_id, const std::string& card, int64_t amount_minor) {
  v1::EarnRequest req;
  req.set_partner_txn_id(txn_id);
  req.set_card_number(card);
  req.mutable_amount()->set_amount_minor(amount_minor);
  req.mutable_amount()->set_currency("EUR");
  return req;
}

v1::RedeemRequest RedeemOf(const std::string& txn_id, const std::string& card, int64_t points) {
  v1::RedeemRequest req;
  req.set_partner_txn_id(txn_id);
  req.set_card_number(card);
  req.set_points(points);
  return req;
}

namespace {

void RegisterMerchant(v1::AdminService::Stub* admin, const std::string& admin_key,
                      const std::string& name, const std::string& category, int64_t rate_bp,
                      std::string* key, int64_t* id) {
  v1::RegisterPartnerRequest req;
  req.set_name(name);
  req.set_category(category);
  req.set_role(v1::ROLE_MERCHANT);
  req.set_earn_rate_bp(rate_bp);
  v1::RegisterPartnerResponse resp;
  const grpc::Status s =
      Invoke(admin, &v1::AdminService::Stub::RegisterPartner, admin_key, req, &resp);
  ASSERT_TRUE(s.ok()) << "RegisterPartner " << name << ": " << Describe(s);
  *key = resp.api_key();
  *id = resp.partner().partner_id();
}

}  // namespace

void SetUpCoalition(const std::string& target, const std::string& admin_key, int members,
                    Coalition* out) {
  std::shared_ptr<grpc::Channel> channel = FastReconnectChannel(target);
  auto admin = v1::AdminService::NewStub(channel);
  auto partner = v1::PartnerService::NewStub(channel);
  v1::SetProgramRequest program;
  program.mutable_program()->set_point_value_micros(10'000);
  program.mutable_program()->set_currency("EUR");
  program.mutable_program()->set_expiry_months(12);
  program.mutable_program()->set_hold_timeout_seconds(600);
  v1::SetProgramResponse program_resp;
  grpc::Status s =
      Invoke(admin.get(), &v1::AdminService::Stub::SetProgram, admin_key, program, &program_resp);
  ASSERT_TRUE(s.ok()) << "SetProgram: " << Describe(s);
  ASSERT_NO_FATAL_FAILURE(RegisterMerchant(admin.get(), admin_key, "Grocer", "grocery", 500,
                                           &out->grocer_key, &out->grocer_id));
  ASSERT_NO_FATAL_FAILURE(RegisterMerchant(admin.get(), admin_key, "Cinema", "cinema", 200,
                                           &out->cinema_key, &out->cinema_id));
  for (int i = 0; i < members; ++i) {
    v1::EnrollMemberRequest req;
    req.set_partner_txn_id(absl::StrCat("enroll-", i));
    v1::EnrollMemberResponse resp;
    s = Invoke(partner.get(), &v1::PartnerService::Stub::EnrollMember, out->grocer_key, req, &resp);
    ASSERT_TRUE(s.ok()) << "EnrollMember: " << Describe(s);
    out->cards.push_back(resp.card_number());
    out->member_ids.push_back(resp.member_id());
  }
}

}  // namespace loyalty::testing
