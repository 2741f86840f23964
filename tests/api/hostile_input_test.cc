// Hostile input against the real loyalty_hub binary over gRPC, as a bank's risk team
// would send it: messages over the receive limit, strings far over the hub's own limits,
// unicode and invalid UTF-8 in every string field of the partner and bank requests,
// unknown enum values, and 0 / negative / INT64_MAX / INT64_MIN in every money and
// points field. After each request: the answer is the documented code naming the field,
// nothing was written (row counts of every table a request could write), the hub still
// serves with the member's balance intact, and at the end the invariant check passes.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "gtest/gtest.h"
#include "loyalty/v1/admin.grpc.pb.h"
#include "loyalty/v1/bank.grpc.pb.h"
#include "loyalty/v1/partner.grpc.pb.h"
#include "tests/support/hub_process.h"
#include "tests/support/test_db.h"

namespace loyalty {
namespace {

using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;
using ::testing::HasSubstr;

constexpr auto kRpcTimeout = std::chrono::seconds(20);
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
// gRPC's default receive limit, which the hub keeps.
constexpr size_t kGrpcMaxReceive = 4 * 1024 * 1024;
constexpr char kSeedToken[] = "tok-seed";

// Every table a partner or bank request could write.
const char* const kTables[] = {"txns",       "transfers",      "lots",         "consumptions",
                               "holds",      "debts",          "members",      "cards",
                               "card_links", "card_clearings", "merchant_ids", "promotion_awards"};

// Strings no partner or bank field accepts: all valid UTF-8 (so protobuf lets them in).
const std::vector<std::pair<std::string, std::string>>& UnicodeValues() {
  static const auto* values = new std::vector<std::pair<std::string, std::string>>{
      {"multi-byte", "caf\xc3\xa9-\xe6\x9d\xb1\xe4\xba\xac-\xd0\x96"},
      {"rtl",
       "\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7 \xe2\x80\xae"
       "4000000000000002"},
      {"emoji", "\xf0\x9f\x98\x80\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd"},
      {"combining", "1234\xcc\x81\xcc\x88"},
      {"nul", std::string("4000\0"
                          "000000000002",
                          17)},
      {"digits-with-nul", std::string("12\0"
                                      "34",
                                      5)},
  };
  return *values;
}

// Invalid UTF-8, which protobuf refuses to parse into a proto3 string field.
const std::vector<std::pair<std::string, std::string>>& InvalidUtf8Values() {
  static const auto* values = new std::vector<std::pair<std::string, std::string>>{
      {"bad-byte", "pos-\xff\xfe"},
      {"overlong",
       "\xc0\xaf"
       "1234"},
      {"surrogate",
       "\xed\xa0\x80"
       "1234"},
      {"truncated", "1234\xe2\x82"},
  };
  return *values;
}

std::string Describe(const grpc::Status& s) {
  return absl::StrCat("code ", static_cast<int>(s.error_code()), " \"", s.error_message(), "\"");
}

grpc::ByteBuffer BufferOf(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

// A request's valid form plus the method it goes to and the key it needs.
struct BaseRequest {
  std::string method;  // "/loyalty.v1.PartnerService/Earn"
  std::unique_ptr<Message> request;
  std::string key;
};

// A string field to break, as a path of field descriptors from the request down.
struct StringField {
  std::vector<const FieldDescriptor*> path;
  std::string name;  // as the API spells it in errors: "amount.currency", "card.token"
};

void CollectStringFields(const google::protobuf::Descriptor* d,
                         std::vector<const FieldDescriptor*> prefix, const std::string& name,
                         std::vector<StringField>* out) {
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    std::vector<const FieldDescriptor*> path = prefix;
    path.push_back(f);
    const std::string full = name.empty() ? f->name() : absl::StrCat(name, ".", f->name());
    if (f->type() == FieldDescriptor::TYPE_STRING && !f->is_repeated()) {
      out->push_back({path, full});
    } else if (f->type() == FieldDescriptor::TYPE_MESSAGE && !f->is_repeated()) {
      CollectStringFields(f->message_type(), path, full, out);
    }
  }
}

// Sets the string at `field` of `m` (creating the messages on the way) through reflection.
void SetString(Message* m, const StringField& field, const std::string& value) {
  for (size_t i = 0; i + 1 < field.path.size(); ++i) {
    m = m->GetReflection()->MutableMessage(m, field.path[i]);
  }
  m->GetReflection()->SetString(m, field.path.back(), value);
}

void AppendVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// `bytes` with a varint field appended: unknown enum values go in this way, as a client
// built from a newer .proto (or a hostile one) would send them.
std::string WithVarint(std::string bytes, int field_number, uint64_t value) {
  AppendVarint(&bytes, static_cast<uint64_t>(field_number) << 3);
  AppendVarint(&bytes, value);
  return bytes;
}

// A length-delimited field (a string or a message) in wire format, written by hand so no
// serializer check stands between the bytes and the hub.
std::string Delimited(int field_number, const std::string& payload) {
  std::string out;
  AppendVarint(&out, (static_cast<uint64_t>(field_number) << 3) | 2);
  AppendVarint(&out, payload.size());
  return out + payload;
}

// `payload` as the value of the field at `path` (outermost first).
std::string AtPath(const std::vector<const FieldDescriptor*>& path, std::string payload) {
  for (auto it = path.rbegin(); it != path.rend(); ++it)
    payload = Delimited((*it)->number(), payload);
  return payload;
}

class HostileInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(hub_.Start());
    grpc::ChannelArguments args;
    args.SetMaxSendMessageSize(-1);  // the client may send what the hub must refuse
    channel_ = grpc::CreateCustomChannel(hub_.target(), grpc::InsecureChannelCredentials(), args);
    admin_ = v1::AdminService::NewStub(channel_);
    partner_ = v1::PartnerService::NewStub(channel_);
    bank_ = v1::BankService::NewStub(channel_);
    ASSERT_NO_FATAL_FAILURE(MakeCoalition());
    before_ = Counts();
  }

  void TearDown() override {
    if (hub_.running()) hub_.Kill();
    std::string output;
    EXPECT_EQ(testing::RunHubOnce(db_.options(), {"--check_invariants"}, &output), 0) << output;
  }

  template <typename Stub, typename Req, typename Resp>
  grpc::Status Call(Stub* stub,
                    grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                    const std::string& key, const Req& req, Resp* resp) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + kRpcTimeout);
    ctx.AddMetadata("authorization", absl::StrCat("Bearer ", key));
    return (stub->*method)(&ctx, req, resp);
  }

  // A unary call with raw request bytes, by method name.
  grpc::Status RawCall(const std::string& method, const std::string& key,
                       const std::string& bytes) {
    grpc::GenericStub stub(channel_);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + kRpcTimeout);
    ctx.AddMetadata("authorization", absl::StrCat("Bearer ", key));
    grpc::ByteBuffer request = BufferOf(bytes);
    grpc::ByteBuffer response;
    std::promise<grpc::Status> done;
    stub.UnaryCall(&ctx, method, grpc::StubOptions(), &request, &response,
                   [&done](grpc::Status s) { done.set_value(std::move(s)); });
    return done.get_future().get();
  }

  // One clearing record through the bank's stream; the stream's status and the record's
  // result (if one came back).
  grpc::Status Clear(const std::string& record_bytes, v1::ClearingResult* result) {
    v1::ClearingRecord record;
    // ParsePartial keeps whatever the bytes say (unknown enum values included).
    EXPECT_TRUE(record.ParsePartialFromString(record_bytes));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + kRpcTimeout);
    ctx.AddMetadata("authorization", absl::StrCat("Bearer ", bank_key_));
    auto stream = bank_->SubmitCardTransactions(&ctx);
    stream->Write(record);
    stream->WritesDone();
    result->Clear();
    v1::ClearingResult got;
    int results = 0;
    while (stream->Read(&got)) {
      *result = got;
      ++results;
    }
    EXPECT_LE(results, 1);
    return stream->Finish();
  }

  // Program, a merchant, the bank with earn rules, a member with 500 points, a hold of
  // 100 of them ("seed-auth") and a co-branded card token.
  void MakeCoalition() {
    const std::string admin_key = testing::kHubAdminKey;
    v1::SetProgramRequest program;
    program.mutable_program()->set_point_value_micros(10'000);
    program.mutable_program()->set_currency("EUR");
    program.mutable_program()->set_expiry_months(12);
    program.mutable_program()->set_hold_timeout_seconds(600);
    v1::SetProgramResponse program_resp;
    grpc::Status s =
        Call(admin_.get(), &v1::AdminService::Stub::SetProgram, admin_key, program, &program_resp);
    ASSERT_TRUE(s.ok()) << Describe(s);
    partner_key_ = Register("Grocer", "grocery", v1::ROLE_MERCHANT);
    bank_key_ = Register("Bank", "bank", v1::ROLE_ISSUER);
    ASSERT_FALSE(partner_key_.empty());
    ASSERT_FALSE(bank_key_.empty());
    v1::SetBankEarnRulesRequest rules;
    rules.set_bank_partner_id(bank_id_);
    rules.mutable_rules()->set_default_rate_bp(100);
    v1::SetBankEarnRulesResponse rules_resp;
    s = Call(admin_.get(), &v1::AdminService::Stub::SetBankEarnRules, admin_key, rules,
             &rules_resp);
    ASSERT_TRUE(s.ok()) << Describe(s);

    v1::EnrollMemberRequest enroll;
    enroll.set_partner_txn_id("seed-enroll");
    v1::EnrollMemberResponse member;
    s = Call(partner_.get(), &v1::PartnerService::Stub::EnrollMember, partner_key_, enroll,
             &member);
    ASSERT_TRUE(s.ok()) << Describe(s);
    card_ = member.card_number();
    v1::EarnRequest earn;
    earn.set_partner_txn_id("seed-earn");
    earn.set_card_number(card_);
    earn.mutable_amount()->set_amount_minor(10'000);
    earn.mutable_amount()->set_currency("EUR");
    v1::EarnResponse earned;
    s = Call(partner_.get(), &v1::PartnerService::Stub::Earn, partner_key_, earn, &earned);
    ASSERT_TRUE(s.ok()) << Describe(s);
    ASSERT_EQ(earned.result().points(), 500);
    v1::AuthorizeRedemptionRequest auth;
    auth.set_partner_txn_id("seed-auth");
    auth.set_card_number(card_);
    auth.set_points(100);
    v1::AuthorizeRedemptionResponse held;
    s = Call(partner_.get(), &v1::PartnerService::Stub::AuthorizeRedemption, partner_key_, auth,
             &held);
    ASSERT_TRUE(s.ok()) << Describe(s);
    v1::LinkCoBrandedCardRequest link;
    link.set_card_number(card_);
    link.mutable_card()->set_token(kSeedToken);
    v1::LinkCoBrandedCardResponse linked;
    s = Call(bank_.get(), &v1::BankService::Stub::LinkCoBrandedCard, bank_key_, link, &linked);
    ASSERT_TRUE(s.ok()) << Describe(s);
  }

  std::string Register(const std::string& name, const std::string& category, v1::Role role) {
    v1::RegisterPartnerRequest req;
    req.set_name(name);
    req.set_category(category);
    req.set_role(role);
    req.set_earn_rate_bp(500);
    v1::RegisterPartnerResponse resp;
    const grpc::Status s = Call(admin_.get(), &v1::AdminService::Stub::RegisterPartner,
                                std::string(testing::kHubAdminKey), req, &resp);
    EXPECT_TRUE(s.ok()) << Describe(s);
    if (role == v1::ROLE_ISSUER) bank_id_ = resp.partner().partner_id();
    return resp.api_key();
  }

  std::vector<int64_t> Counts() {
    std::vector<int64_t> out;
    for (const char* t : kTables)
      out.push_back(db_.QueryInt(absl::StrCat("SELECT COUNT(*) FROM ", t)));
    return out;
  }

  // Nothing was written since SetUp, and the hub still answers with the member's
  // position unchanged (500 points, 100 of them held).
  void ExpectNothingWrittenAndServing() {
    const std::vector<int64_t> now = Counts();
    for (size_t i = 0; i < now.size(); ++i) {
      EXPECT_EQ(now[i], before_[i]) << "rows of " << kTables[i];
    }
    v1::GetBalanceRequest req;
    req.set_card_number(card_);
    v1::Balance balance;
    const grpc::Status s =
        Call(partner_.get(), &v1::PartnerService::Stub::GetBalance, partner_key_, req, &balance);
    ASSERT_TRUE(s.ok()) << "the hub stopped serving: " << Describe(s);
    EXPECT_EQ(balance.balance(), 500);
    EXPECT_EQ(balance.held(), 100);
  }

  void ExpectInvalid(const grpc::Status& s, const std::string& field) {
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(s);
    EXPECT_THAT(s.error_message(), HasSubstr(field + ":")) << Describe(s);
  }

  // The valid form of every unary partner and bank request (each would succeed or fail
  // only on state, never on a field).
  std::vector<BaseRequest> BaseRequests() {
    std::vector<BaseRequest> out;
    auto add = [&out](const std::string& method, auto req, const std::string& key) {
      out.push_back({method, std::make_unique<decltype(req)>(req), key});
    };
    const std::string p = "/loyalty.v1.PartnerService/";
    const std::string b = "/loyalty.v1.BankService/";
    v1::EnrollMemberRequest enroll;
    enroll.set_partner_txn_id("h-enroll");
    add(p + "EnrollMember", enroll, partner_key_);
    v1::LinkCardRequest link;
    link.set_partner_txn_id("h-link");
    link.set_card_number(card_);
    link.set_new_card_number("4000000000000002");
    add(p + "LinkCard", link, partner_key_);
    v1::RegisterBearerCardRequest bearer;
    bearer.set_partner_txn_id("h-bearer");
    bearer.set_card_number(card_);
    bearer.set_bearer_card_number("4000000000000002");
    add(p + "RegisterBearerCard", bearer, partner_key_);
    v1::GetBalanceRequest balance;
    balance.set_card_number(card_);
    add(p + "GetBalance", balance, partner_key_);
    v1::QuoteEarnRequest quote;
    quote.set_card_number(card_);
    quote.mutable_amount()->set_amount_minor(5000);
    quote.mutable_amount()->set_currency("EUR");
    add(p + "QuoteEarn", quote, partner_key_);
    v1::EarnRequest earn;
    earn.set_partner_txn_id("h-earn");
    earn.set_card_number(card_);
    *earn.mutable_amount() = quote.amount();
    add(p + "Earn", earn, partner_key_);
    v1::RedeemRequest redeem;
    redeem.set_partner_txn_id("h-redeem");
    redeem.set_card_number(card_);
    redeem.set_points(10);
    add(p + "Redeem", redeem, partner_key_);
    v1::AuthorizeRedemptionRequest authorize;
    authorize.set_partner_txn_id("h-authorize");
    authorize.set_card_number(card_);
    authorize.set_points(10);
    add(p + "AuthorizeRedemption", authorize, partner_key_);
    v1::CaptureRedemptionRequest capture;
    capture.set_partner_txn_id("h-capture");
    capture.set_authorization_partner_txn_id("seed-auth");
    capture.set_points(10);
    add(p + "CaptureRedemption", capture, partner_key_);
    v1::VoidRedemptionRequest void_req;
    void_req.set_partner_txn_id("h-void");
    void_req.set_authorization_partner_txn_id("seed-auth");
    add(p + "VoidRedemption", void_req, partner_key_);
    v1::ReverseRequest reverse;
    reverse.set_partner_txn_id("h-reverse");
    reverse.set_original_partner_txn_id("seed-earn");
    reverse.set_points(10);
    add(p + "Reverse", reverse, partner_key_);
    v1::ListTransactionsRequest list;
    list.set_card_number(card_);  // page_token: a token is valid only as the hub issued it
    add(p + "ListTransactions", list, partner_key_);
    v1::RegisterMerchantIdRequest merchant_id;
    merchant_id.set_merchant_id("M-h-1");
    add(p + "RegisterMerchantId", merchant_id, partner_key_);
    v1::SetMemberPinRequest pin;
    pin.set_card_number(card_);
    pin.set_pin("1234");
    add(p + "SetMemberPin", pin, partner_key_);
    add(p + "GetProgramRules", v1::GetProgramRulesRequest(), partner_key_);
    v1::LinkCoBrandedCardRequest link_cobranded;
    link_cobranded.set_card_number(card_);
    link_cobranded.mutable_card()->set_token("tok-h");
    add(b + "LinkCoBrandedCard", link_cobranded, bank_key_);
    v1::UnlinkCoBrandedCardRequest unlink;
    unlink.mutable_card()->set_token(kSeedToken);
    add(b + "UnlinkCoBrandedCard", unlink, bank_key_);
    v1::ListCoBrandedCardsRequest list_cards;
    list_cards.set_card_number(card_);
    add(b + "ListCoBrandedCards", list_cards, bank_key_);
    v1::GetCardStatementRequest statement;
    statement.mutable_card()->set_token(kSeedToken);
    statement.set_month("2026-01");
    add(b + "GetCardStatement", statement, bank_key_);
    return out;
  }

  // A purchase of 10.00 EUR on the seed token.
  static v1::ClearingRecord GoodClearing() {
    v1::ClearingRecord r;
    r.set_clearing_id("h-clr");
    r.mutable_card()->set_token(kSeedToken);
    r.mutable_amount()->set_amount_minor(1000);
    r.mutable_amount()->set_currency("EUR");
    r.set_mcc(5411);
    r.set_merchant_id("M-9");
    r.set_type(v1::CLEARING_TYPE_PURCHASE);
    return r;
  }

  testing::TestDb db_;
  testing::HubProcess hub_{db_.options()};
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::AdminService::Stub> admin_;
  std::unique_ptr<v1::PartnerService::Stub> partner_;
  std::unique_ptr<v1::BankService::Stub> bank_;
  std::string partner_key_;
  std::string bank_key_;
  int64_t bank_id_ = 0;
  std::string card_;
  std::vector<int64_t> before_;
};

// Every partner and bank method is covered by a base request (so a new method must be
// added here before its fields are tested).
TEST_F(HostileInputTest, EveryUnaryMethodHasABaseRequest) {
  std::set<std::string> covered;
  for (const BaseRequest& r : BaseRequests()) covered.insert(r.method);
  for (const char* name : {"loyalty.v1.PartnerService", "loyalty.v1.BankService"}) {
    const auto* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
    ASSERT_NE(service, nullptr) << name;
    for (int i = 0; i < service->method_count(); ++i) {
      const auto* m = service->method(i);
      if (m->client_streaming() || m->server_streaming()) continue;
      EXPECT_EQ(covered.count(absl::StrCat("/", service->full_name(), "/", m->name())), 1u)
          << m->full_name();
    }
  }
}

TEST_F(HostileInputTest, OversizedMessagesAreResourceExhausted) {
  v1::EarnRequest earn;
  earn.set_partner_txn_id(std::string(kGrpcMaxReceive + 1, 'a'));
  earn.set_card_number(card_);
  earn.mutable_amount()->set_amount_minor(5000);
  earn.mutable_amount()->set_currency("EUR");
  v1::EarnResponse resp;
  grpc::Status s = Call(partner_.get(), &v1::PartnerService::Stub::Earn, partner_key_, earn, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << Describe(s);
  ExpectNothingWrittenAndServing();

  v1::ClearingRecord record = GoodClearing();
  record.set_merchant_id(std::string(kGrpcMaxReceive + 1, 'M'));
  v1::ClearingResult result;
  s = Clear(record.SerializeAsString(), &result);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << Describe(s);
  EXPECT_EQ(result.clearing_id(), "");  // no result for a record never read
  ExpectNothingWrittenAndServing();
}

// Just under gRPC's limit: the hub's own length limits answer, naming the field.
TEST_F(HostileInputTest, LongStringsNameTheirField) {
  const std::string long_value(kGrpcMaxReceive / 2, '7');
  for (const BaseRequest& base : BaseRequests()) {
    std::vector<StringField> fields;
    CollectStringFields(base.request->GetDescriptor(), {}, "", &fields);
    for (const StringField& field : fields) {
      SCOPED_TRACE(absl::StrCat(base.method, " ", field.name));
      std::unique_ptr<Message> req(base.request->New());
      req->CopyFrom(*base.request);
      SetString(req.get(), field, long_value);
      ExpectInvalid(RawCall(base.method, base.key, req->SerializeAsString()), field.name);
      ExpectNothingWrittenAndServing();
    }
  }
}

TEST_F(HostileInputTest, UnicodeInEveryStringFieldIsRejectedNamingIt) {
  for (const BaseRequest& base : BaseRequests()) {
    std::vector<StringField> fields;
    CollectStringFields(base.request->GetDescriptor(), {}, "", &fields);
    for (const StringField& field : fields) {
      for (const auto& [kind, value] : UnicodeValues()) {
        SCOPED_TRACE(absl::StrCat(base.method, " ", field.name, " ", kind));
        std::unique_ptr<Message> req(base.request->New());
        req->CopyFrom(*base.request);
        SetString(req.get(), field, value);
        ExpectInvalid(RawCall(base.method, base.key, req->SerializeAsString()), field.name);
        ExpectNothingWrittenAndServing();
      }
    }
  }
}

// Protobuf refuses to parse invalid UTF-8 into a proto3 string, so the request never
// reaches the hub's code: gRPC's callback API answers UNIMPLEMENTED with an empty
// message (grpc CallbackUnaryHandler: a request that does not deserialize). What matters
// here: no crash, nothing written, the hub keeps serving.
TEST_F(HostileInputTest, InvalidUtf8IsRefusedBeforeTheHub) {
  for (const BaseRequest& base : BaseRequests()) {
    std::vector<StringField> fields;
    CollectStringFields(base.request->GetDescriptor(), {}, "", &fields);
    for (const StringField& field : fields) {
      for (const auto& [kind, value] : InvalidUtf8Values()) {
        SCOPED_TRACE(absl::StrCat(base.method, " ", field.name, " ", kind));
        std::unique_ptr<Message> req(base.request->New());
        req->CopyFrom(*base.request);
        // Appended raw: the last occurrence of a field wins, and submessages merge.
        const std::string bytes = req->SerializeAsString() + AtPath(field.path, value);
        const grpc::Status s = RawCall(base.method, base.key, bytes);
        EXPECT_EQ(s.error_code(), grpc::StatusCode::UNIMPLEMENTED) << Describe(s);
        ExpectNothingWrittenAndServing();
      }
    }
  }
}

TEST_F(HostileInputTest, BankStreamRejectsUnicodeAndLongStringsNamingTheField) {
  std::vector<StringField> fields;
  CollectStringFields(v1::ClearingRecord::descriptor(), {}, "", &fields);
  std::vector<std::pair<std::string, std::string>> values = UnicodeValues();
  values.emplace_back("long", std::string(100'000, 'x'));
  for (const StringField& field : fields) {
    for (const auto& [kind, value] : values) {
      SCOPED_TRACE(absl::StrCat(field.name, " ", kind));
      v1::ClearingRecord record = GoodClearing();
      SetString(&record, field, value);
      v1::ClearingResult result;
      const grpc::Status s = Clear(record.SerializeAsString(), &result);
      ASSERT_TRUE(s.ok()) << Describe(s);
      EXPECT_EQ(result.status(), v1::CLEARING_STATUS_REJECTED);
      EXPECT_EQ(result.code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
      EXPECT_THAT(result.reason(), HasSubstr(field.name + ":"));
      ExpectNothingWrittenAndServing();
    }
  }
}

TEST_F(HostileInputTest, UnknownEnumValuesNameTheField) {
  // The bank's clearing type.
  v1::ClearingRecord record = GoodClearing();
  record.clear_type();
  v1::ClearingResult result;
  grpc::Status s = Clear(WithVarint(record.SerializeAsString(), 6, 999), &result);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(result.status(), v1::CLEARING_STATUS_REJECTED);
  EXPECT_THAT(result.reason(), HasSubstr("type:"));
  ExpectNothingWrittenAndServing();

  // The operator's enums: role, expiry policy, promotion kind and scope. Admin requests
  // write the audit log and partners on success, so those tables are checked here too.
  const std::string admin_key = testing::kHubAdminKey;
  const auto partners = db_.QueryInt("SELECT COUNT(*) FROM partners");
  const auto audit = db_.QueryInt("SELECT COUNT(*) FROM audit_log");
  const auto keys = db_.QueryInt("SELECT COUNT(*) FROM api_keys");
  v1::RegisterPartnerRequest reg;
  reg.set_name("Gym");
  reg.set_category("fitness");
  reg.set_earn_rate_bp(100);
  ExpectInvalid(RawCall("/loyalty.v1.AdminService/RegisterPartner", admin_key,
                        WithVarint(reg.SerializeAsString(), 3, 999)),
                "role");
  ExpectInvalid(
      RawCall("/loyalty.v1.AdminService/CreateOperatorKey", admin_key, WithVarint("", 1, 999)),
      "role");
  v1::SetProgramRequest program;
  program.mutable_program()->set_point_value_micros(10'000);
  program.mutable_program()->set_currency("EUR");
  program.mutable_program()->set_hold_timeout_seconds(600);
  const std::string set_program =
      Delimited(1, WithVarint(program.program().SerializeAsString(), 5, 999));  // expiry_policy
  ExpectInvalid(RawCall("/loyalty.v1.AdminService/SetProgram", admin_key, set_program),
                "program.expiry_policy");
  v1::Promotion promo;
  promo.set_name("Double");
  promo.set_kind(v1::PROMOTION_KIND_MULTIPLIER);
  promo.set_multiplier_bp(20'000);
  promo.set_starts_at_micros(1'767'225'600'000'000);
  promo.set_ends_at_micros(1'798'761'600'000'000);
  for (const auto& [number, field] :
       std::vector<std::pair<int, std::string>>{{6, "promotion.kind"}, {4, "promotion.scope"}}) {
    v1::Promotion p = promo;
    if (number == 6) p.clear_kind();
    const std::string create = Delimited(1, WithVarint(p.SerializeAsString(), number, 999));
    ExpectInvalid(RawCall("/loyalty.v1.AdminService/CreatePromotion", admin_key, create), field);
  }
  EXPECT_EQ(db_.QueryInt("SELECT COUNT(*) FROM partners"), partners);
  EXPECT_EQ(db_.QueryInt("SELECT COUNT(*) FROM audit_log"), audit);
  EXPECT_EQ(db_.QueryInt("SELECT COUNT(*) FROM api_keys"), keys);
  EXPECT_EQ(db_.QueryInt("SELECT COUNT(*) FROM promotions"), 0);
  ExpectNothingWrittenAndServing();
}

// 0, -1, INT64_MAX and INT64_MIN in every money and points field of the partner API
// (and the bank's clearing amount and the operator's adjustment). Where 0 has a meaning
// (earn points: by the rate; capture: all held; reverse: all not reversed) it is
// exercised by the ledger suites; here 0 goes where it is not allowed.
TEST_F(HostileInputTest, ExtremeAmountsAndPointsNameTheField) {
  struct Case {
    std::string what;
    std::function<grpc::Status()> call;
    std::string field;
  };
  std::vector<Case> cases;
  for (int64_t v : {int64_t{0}, int64_t{-1}, kMax, kMin}) {
    const std::string n = absl::StrCat(v);
    if (v != 0) {  // amount 0 with points 0 is checked below
      cases.push_back({"earn amount " + n,
                       [this, v] {
                         v1::EarnRequest r;
                         r.set_partner_txn_id("x-earn");
                         r.set_card_number(card_);
                         r.mutable_amount()->set_amount_minor(v);
                         r.mutable_amount()->set_currency("EUR");
                         v1::EarnResponse resp;
                         return Call(partner_.get(), &v1::PartnerService::Stub::Earn, partner_key_,
                                     r, &resp);
                       },
                       "amount.amount_minor"});
      cases.push_back({"quote amount " + n,
                       [this, v] {
                         v1::QuoteEarnRequest r;
                         r.set_card_number(card_);
                         r.mutable_amount()->set_amount_minor(v);
                         r.mutable_amount()->set_currency("EUR");
                         v1::QuoteEarnResponse resp;
                         return Call(partner_.get(), &v1::PartnerService::Stub::QuoteEarn,
                                     partner_key_, r, &resp);
                       },
                       "amount.amount_minor"});
      cases.push_back({"earn points " + n,
                       [this, v] {
                         v1::EarnRequest r;
                         r.set_partner_txn_id("x-earn-points");
                         r.set_card_number(card_);
                         r.mutable_amount()->set_amount_minor(5000);
                         r.mutable_amount()->set_currency("EUR");
                         r.set_points(v);
                         v1::EarnResponse resp;
                         return Call(partner_.get(), &v1::PartnerService::Stub::Earn, partner_key_,
                                     r, &resp);
                       },
                       "points"});
      cases.push_back({"capture points " + n,
                       [this, v] {
                         v1::CaptureRedemptionRequest r;
                         r.set_partner_txn_id("x-capture");
                         r.set_authorization_partner_txn_id("seed-auth");
                         r.set_points(v);
                         v1::CaptureRedemptionResponse resp;
                         return Call(partner_.get(), &v1::PartnerService::Stub::CaptureRedemption,
                                     partner_key_, r, &resp);
                       },
                       "points"});
      cases.push_back({"reverse points " + n,
                       [this, v] {
                         v1::ReverseRequest r;
                         r.set_partner_txn_id("x-reverse");
                         r.set_original_partner_txn_id("seed-earn");
                         r.set_points(v);
                         v1::ReverseResponse resp;
                         return Call(partner_.get(), &v1::PartnerService::Stub::Reverse,
                                     partner_key_, r, &resp);
                       },
                       "points"});
      cases.push_back({"earn occurred_at " + n,
                       [this, v] {
                         v1::EarnRequest r;
                         r.set_partner_txn_id("x-earn-at");
                         r.set_card_number(card_);
                         r.mutable_amount()->set_amount_minor(5000);
                         r.mutable_amount()->set_currency("EUR");
                         r.set_occurred_at_micros(v);
                         v1::EarnResponse resp;
                         return Call(partner_.get(), &v1::PartnerService::Stub::Earn, partner_key_,
                                     r, &resp);
                       },
                       "occurred_at_micros"});
    }
    cases.push_back({"redeem points " + n,
                     [this, v] {
                       v1::RedeemRequest r;
                       r.set_partner_txn_id("x-redeem");
                       r.set_card_number(card_);
                       r.set_points(v);
                       v1::RedeemResponse resp;
                       return Call(partner_.get(), &v1::PartnerService::Stub::Redeem, partner_key_,
                                   r, &resp);
                     },
                     "points"});
    cases.push_back({"authorize points " + n,
                     [this, v] {
                       v1::AuthorizeRedemptionRequest r;
                       r.set_partner_txn_id("x-authorize");
                       r.set_card_number(card_);
                       r.set_points(v);
                       v1::AuthorizeRedemptionResponse resp;
                       return Call(partner_.get(), &v1::PartnerService::Stub::AuthorizeRedemption,
                                   partner_key_, r, &resp);
                     },
                     "points"});
    // (-1 is a legitimate debit of one point: only 0 and the extremes are refused.)
    if (v != -1)
      cases.push_back({"adjust points " + n,
                       [this, v] {
                         v1::AdjustPointsRequest r;
                         r.set_adjustment_id("x-adjust");
                         r.set_card_number(card_);
                         r.set_points(v);
                         r.set_reason("hostile");
                         v1::AdjustPointsResponse resp;
                         return Call(admin_.get(), &v1::AdminService::Stub::AdjustPoints,
                                     std::string(testing::kHubAdminKey), r, &resp);
                       },
                       "points"});
  }
  for (int32_t v :
       {-1, std::numeric_limits<int32_t>::min()}) {  // above 500 is coerced, not refused
    cases.push_back({absl::StrCat("list page_size ", v),
                     [this, v] {
                       v1::ListTransactionsRequest r;
                       r.set_page_size(v);
                       v1::ListTransactionsResponse resp;
                       return Call(partner_.get(), &v1::PartnerService::Stub::ListTransactions,
                                   partner_key_, r, &resp);
                     },
                     "page_size"});
  }
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    ExpectInvalid(c.call(), c.field);
    ExpectNothingWrittenAndServing();
  }

  for (int64_t v : {int64_t{0}, int64_t{-1}, kMax, kMin}) {
    SCOPED_TRACE(absl::StrCat("clearing amount ", v));
    v1::ClearingRecord record = GoodClearing();
    record.mutable_amount()->set_amount_minor(v);
    v1::ClearingResult result;
    const grpc::Status s = Clear(record.SerializeAsString(), &result);
    ASSERT_TRUE(s.ok()) << Describe(s);
    EXPECT_EQ(result.status(), v1::CLEARING_STATUS_REJECTED);
    EXPECT_THAT(result.reason(), HasSubstr("amount.amount_minor:"));
  }
  ExpectNothingWrittenAndServing();

  // Amount 0 without stated points is a documented earn of nothing (amount_minor
  // 0..1e15): the hub records the transaction, credits no points and moves no value.
  v1::EarnRequest zero;
  zero.set_partner_txn_id("x-earn-zero");
  zero.set_card_number(card_);
  zero.mutable_amount()->set_currency("EUR");
  v1::EarnResponse earned;
  const grpc::Status s =
      Call(partner_.get(), &v1::PartnerService::Stub::Earn, partner_key_, zero, &earned);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(earned.result().points(), 0);
  EXPECT_EQ(earned.result().balance_after(), 500);
  EXPECT_EQ(db_.QueryInt("SELECT COUNT(*) FROM transfers"), before_[1]);
  EXPECT_EQ(db_.QueryInt("SELECT COUNT(*) FROM lots"), before_[2]);
}

}  // namespace
}  // namespace loyalty
