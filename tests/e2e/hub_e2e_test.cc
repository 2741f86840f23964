// End to end: the real loyalty_hub binary (LOYALTY_HUB_BINARY) as a child process on a
// fresh MariaDB database, driven over gRPC exactly as a partner's till and the operator
// would: health, reflection, a full earn/burn flow with exact figures, idempotent
// retries, input errors, and a clean exit on SIGTERM.
#include <google/protobuf/unknown_field_set.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "loyalty/v1/admin.grpc.pb.h"
#include "loyalty/v1/partner.grpc.pb.h"
#include "tests/support/hub_process.h"
#include "tests/support/grpc_call.h"
#include "tests/support/test_db.h"

namespace loyalty {
namespace {

using testing::Describe;
using testing::Invoke;

using ::testing::HasSubstr;

// The key the hub is started with (LOYALTY_ADMIN_KEY).
constexpr const char* kAdminKey = testing::kHubAdminKey;
constexpr auto kRpcTimeout = std::chrono::seconds(10);
constexpr auto kStopTimeout = std::chrono::seconds(15);

std::chrono::system_clock::time_point Deadline() {
  return std::chrono::system_clock::now() + kRpcTimeout;
}

std::string BytesOf(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Valid() || !buffer.Dump(&slices).ok()) return out;
  for (const grpc::Slice& s : slices) {
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return out;
}

grpc::ByteBuffer BufferOf(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

// Waits for the one operation tagged `tag` on `cq`; false if it failed or never came.
bool Await(grpc::CompletionQueue* cq, void* tag) {
  void* got = nullptr;
  bool ok = false;
  // The call's own deadline (kRpcTimeout) completes every operation before this.
  const auto status = cq->AsyncNext(&got, &ok, Deadline() + std::chrono::seconds(5));
  if (status != grpc::CompletionQueue::GOT_EVENT) {
    ADD_FAILURE() << "completion queue: no event";
    return false;
  }
  EXPECT_EQ(got, tag);
  return ok && got == tag;
}

void Drain(grpc::CompletionQueue* cq) {
  cq->Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (cq->Next(&tag, &ok)) {
  }
}

// A unary call by method name with raw protobuf bytes (no generated stub needed).
grpc::Status GenericUnary(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                          const std::string& request, std::string* response) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline());
  grpc::CompletionQueue cq;
  grpc::ByteBuffer resp;
  grpc::Status status(grpc::StatusCode::UNKNOWN, "call did not complete");
  {
    std::unique_ptr<grpc::GenericClientAsyncResponseReader> call =
        stub.PrepareUnaryCall(&ctx, method, BufferOf(request), &cq);
    call->StartCall();
    int tag = 0;
    call->Finish(&resp, &status, &tag);
    Await(&cq, &tag);
  }
  Drain(&cq);
  *response = BytesOf(resp);
  return status;
}

// One request on the server's reflection stream (grpc.reflection.<version>, a bidi
// stream: one request, one response) as raw bytes. Fails the test on a transport problem.
std::string ReflectionCall(const std::shared_ptr<grpc::Channel>& channel,
                           const std::string& version, const std::string& request) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline());
  grpc::CompletionQueue cq;
  grpc::Status status(grpc::StatusCode::UNKNOWN, "call did not complete");
  std::string response;
  {
    auto call = stub.PrepareCall(
        &ctx, "/grpc.reflection." + version + ".ServerReflection/ServerReflectionInfo", &cq);
    int start = 0, write = 0, done = 0, read = 0, end_read = 0, finish = 0;
    call->StartCall(&start);
    bool ok = Await(&cq, &start);
    if (ok) {
      call->Write(BufferOf(request), &write);
      ok = Await(&cq, &write);
    }
    if (ok) {
      call->WritesDone(&done);
      ok = Await(&cq, &done);
    }
    grpc::ByteBuffer buffer;
    if (ok) {
      call->Read(&buffer, &read);
      ok = Await(&cq, &read);
      if (ok) response = BytesOf(buffer);
    }
    if (ok) {  // the server ends the stream after answering the one request
      grpc::ByteBuffer extra;
      call->Read(&extra, &end_read);
      EXPECT_FALSE(Await(&cq, &end_read)) << "a second reflection response";
    }
    if (!ok) ctx.TryCancel();
    call->Finish(&status, &finish);
    Await(&cq, &finish);
  }
  Drain(&cq);
  EXPECT_TRUE(status.ok()) << "reflection " << version << ": " << Describe(status);
  return response;
}

// The length-delimited values of field `number` of a serialized message.
std::vector<std::string> FieldsOf(const std::string& bytes, int number) {
  std::vector<std::string> out;
  google::protobuf::UnknownFieldSet message;
  EXPECT_TRUE(message.ParseFromString(bytes));
  for (int i = 0; i < message.field_count(); ++i) {
    const google::protobuf::UnknownField& f = message.field(i);
    if (f.number() == number && f.type() == google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) {
      out.push_back(f.length_delimited());
    }
  }
  return out;
}

// The services the server's reflection (`version`) lists.
std::set<std::string> ReflectedServices(const std::shared_ptr<grpc::Channel>& channel,
                                        const std::string& version) {
  std::set<std::string> out;
  // ServerReflectionRequest{list_services = "*"}: field 7, length-delimited.
  const std::string response = ReflectionCall(channel, version, std::string("\x3a\x01*", 3));

  // ServerReflectionResponse.list_services_response = 6 { repeated ServiceResponse
  // service = 1 { string name = 1 } }.
  google::protobuf::UnknownFieldSet message;
  EXPECT_TRUE(message.ParseFromString(response));
  for (int i = 0; i < message.field_count(); ++i) {
    const google::protobuf::UnknownField& f = message.field(i);
    if (f.number() != 6 || f.type() != google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) {
      continue;
    }
    google::protobuf::UnknownFieldSet list;
    EXPECT_TRUE(list.ParseFromString(f.length_delimited()));
    for (int j = 0; j < list.field_count(); ++j) {
      if (list.field(j).number() != 1) continue;
      google::protobuf::UnknownFieldSet service;
      EXPECT_TRUE(service.ParseFromString(list.field(j).length_delimited()));
      for (int k = 0; k < service.field_count(); ++k) {
        if (service.field(k).number() == 1 &&
            service.field(k).type() == google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) {
          out.insert(service.field(k).length_delimited());
        }
      }
    }
  }
  return out;
}

// The google.rpc.Status a failed call carries in its details (empty if none).
google::rpc::Status DetailsOf(const grpc::Status& s) {
  google::rpc::Status out;
  EXPECT_TRUE(out.ParseFromString(s.error_details())) << Describe(s);
  return out;
}

class HubE2eTest : public ::testing::Test {
 protected:
  using AdminStub = v1::AdminService::Stub;
  using PartnerStub = v1::PartnerService::Stub;

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(hub_.Start());
    channel_ = grpc::CreateChannel(hub_.target(), grpc::InsecureChannelCredentials());
    admin_ = v1::AdminService::NewStub(channel_);
    partner_ = v1::PartnerService::NewStub(channel_);
  }

  // SIGTERM, then a bounded wait for a clean exit (status 0).
  void StopHubAndExpectCleanExit() { hub_.StopAndExpectCleanExit(kStopTimeout); }

  grpc::Status Register(const std::string& name, const std::string& category, v1::Role role,
                        int64_t earn_rate_bp, v1::RegisterPartnerResponse* resp) {
    v1::RegisterPartnerRequest req;
    req.set_name(name);
    req.set_category(category);
    req.set_role(role);
    req.set_earn_rate_bp(earn_rate_bp);
    return Invoke(admin_.get(), &AdminStub::RegisterPartner, std::string(kAdminKey), req, resp);
  }

  v1::EarnRequest EarnReq(const std::string& txn_id, const std::string& card, int64_t amount_minor,
                          const std::string& currency = "EUR") {
    v1::EarnRequest req;
    req.set_partner_txn_id(txn_id);
    req.set_card_number(card);
    req.mutable_amount()->set_amount_minor(amount_minor);
    req.mutable_amount()->set_currency(currency);
    return req;
  }

  testing::TestDb db_;
  testing::HubProcess hub_{db_.options()};
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<AdminStub> admin_;
  std::unique_ptr<PartnerStub> partner_;
};

TEST_F(HubE2eTest, ServesHealthAndReflectionAndStopsOnSigterm) {
  std::string health;
  grpc::Status s = GenericUnary(channel_, "/grpc.health.v1.Health/Check", "", &health);
  ASSERT_TRUE(s.ok()) << "health: " << Describe(s);
  // HealthCheckResponse{status = SERVING (1)}.
  EXPECT_EQ(health, std::string("\x08\x01", 2));

  // Each service by name too (HealthCheckRequest{service = 1}).
  for (const std::string name :
       {"loyalty.v1.PartnerService", "loyalty.v1.AdminService", "loyalty.v1.BankService"}) {
    s = GenericUnary(channel_, "/grpc.health.v1.Health/Check",
                     std::string("\x0a", 1) + static_cast<char>(name.size()) + name, &health);
    ASSERT_TRUE(s.ok()) << "health of " << name << ": " << Describe(s);
    EXPECT_EQ(health, std::string("\x08\x01", 2)) << name;
  }
  s = GenericUnary(channel_, "/grpc.health.v1.Health/Check", std::string("\x0a\x0bno.Such.One", 13),
                   &health);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << Describe(s);

  for (const std::string version : {"v1alpha", "v1"}) {
    const std::set<std::string> services = ReflectedServices(channel_, version);
    EXPECT_EQ(services.count("loyalty.v1.AdminService"), 1u) << version << ": " << services.size();
    EXPECT_EQ(services.count("loyalty.v1.PartnerService"), 1u) << version;
    EXPECT_EQ(services.count("loyalty.v1.BankService"), 1u) << version;
    EXPECT_EQ(services.count("grpc.reflection.v1.ServerReflection"), 1u) << version;
  }
  // v1 file_containing_symbol (field 4): the response's file_descriptor_response (4)
  // holds partner.proto's descriptor (and its dependencies).
  const std::string symbol = "loyalty.v1.PartnerService";
  const std::string file_response = ReflectionCall(
      channel_, "v1", std::string("\x22", 1) + static_cast<char>(symbol.size()) + symbol);
  const std::vector<std::string> descriptors = FieldsOf(file_response, 4);
  ASSERT_EQ(descriptors.size(), 1u) << "no file_descriptor_response";
  std::set<std::string> files;
  for (const std::string& bytes : FieldsOf(descriptors[0], 1)) {
    google::protobuf::FileDescriptorProto file;
    ASSERT_TRUE(file.ParseFromString(bytes));
    files.insert(file.name());
  }
  EXPECT_EQ(files.count("loyalty/v1/partner.proto"), 1u) << files.size() << " files";

  // The admin key from LOYALTY_ADMIN_KEY works; another key does not.
  v1::ListPartnersResponse partners;
  s = Invoke(admin_.get(), &AdminStub::ListPartners, std::string(kAdminKey),
             v1::ListPartnersRequest(), &partners);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(partners.partners_size(), 0);
  s = Invoke(admin_.get(), &AdminStub::ListPartners,
             std::string("e2e-wrong-key-0123456789abcdefghijklmnopqrstuvwxyz"),
             v1::ListPartnersRequest(), &partners);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << Describe(s);

  StopHubAndExpectCleanExit();
}

TEST_F(HubE2eTest, FullFlowOverGrpc) {
  const std::string admin_key = kAdminKey;
  // Program: EUR, 1 point = 0.01 EUR, 12 months expiry, 600 s holds.
  v1::SetProgramRequest set_program;
  set_program.mutable_program()->set_point_value_micros(10'000);
  set_program.mutable_program()->set_currency("EUR");
  set_program.mutable_program()->set_expiry_months(12);
  set_program.mutable_program()->set_hold_timeout_seconds(600);
  v1::SetProgramResponse set_program_resp;
  grpc::Status s =
      Invoke(admin_.get(), &AdminStub::SetProgram, admin_key, set_program, &set_program_resp);
  ASSERT_TRUE(s.ok()) << Describe(s);
  v1::Program program;
  s = Invoke(admin_.get(), &AdminStub::GetProgram, admin_key, v1::GetProgramRequest(), &program);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(program.point_value_micros(), 10'000);
  EXPECT_EQ(program.currency(), "EUR");
  EXPECT_EQ(program.expiry_months(), 12);
  EXPECT_EQ(program.hold_timeout_seconds(), 600);

  // Two merchants in different categories: A earns at 5%, B at 2%.
  v1::RegisterPartnerResponse a;
  s = Register("Grocer A", "grocery", v1::ROLE_MERCHANT, 500, &a);
  ASSERT_TRUE(s.ok()) << Describe(s);
  v1::RegisterPartnerResponse b;
  s = Register("Cinema B", "cinema", v1::ROLE_MERCHANT, 200, &b);
  ASSERT_TRUE(s.ok()) << Describe(s);
  const std::string key_a = a.api_key();
  const std::string key_b = b.api_key();
  ASSERT_FALSE(key_a.empty());
  ASSERT_FALSE(key_b.empty());
  EXPECT_NE(key_a, key_b);
  EXPECT_NE(a.partner().partner_id(), b.partner().partner_id());
  EXPECT_EQ(a.partner().category(), "grocery");
  EXPECT_EQ(a.partner().earn_rate_bp(), 500);

  // Enroll at A.
  v1::EnrollMemberRequest enroll;
  enroll.set_partner_txn_id("a-enroll-1");
  v1::EnrollMemberResponse member;
  s = Invoke(partner_.get(), &PartnerStub::EnrollMember, key_a, enroll, &member);
  ASSERT_TRUE(s.ok()) << Describe(s);
  ASSERT_FALSE(member.card_number().empty());
  EXPECT_GT(member.member_id(), 0);
  EXPECT_FALSE(member.replayed());
  const std::string card = member.card_number();

  // Quote then earn 123.45 EUR at A: floor(12345 x 5% / 0.01 EUR) = 617 points.
  v1::QuoteEarnRequest quote_req;
  quote_req.set_card_number(card);
  *quote_req.mutable_amount() = EarnReq("x", card, 12'345).amount();
  v1::QuoteEarnResponse quote;
  s = Invoke(partner_.get(), &PartnerStub::QuoteEarn, key_a, quote_req, &quote);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(quote.points(), 617);
  EXPECT_EQ(quote.breakdown().base_points(), 617);

  const v1::EarnRequest earn_req = EarnReq("a-earn-1", card, 12'345);
  v1::EarnResponse earn;
  const int64_t earn_called_at = std::chrono::duration_cast<std::chrono::microseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count();
  s = Invoke(partner_.get(), &PartnerStub::Earn, key_a, earn_req, &earn);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(earn.result().points(), 617);
  EXPECT_EQ(earn.breakdown().base_points(), 617);
  EXPECT_EQ(earn.result().balance_after(), 617);
  EXPECT_EQ(earn.result().available_after(), 617);
  EXPECT_FALSE(earn.result().replayed());
  EXPECT_GT(earn.result().hub_txn_id(), 0);
  // 12 calendar months on: between 365 and 366 days after the call.
  const int64_t day = int64_t{86'400} * 1'000'000;
  EXPECT_GE(earn.expires_at_micros(), earn_called_at + 365 * day - 60'000'000);
  EXPECT_LE(earn.expires_at_micros(), earn_called_at + 366 * day + 60'000'000);

  // Redeem 100 at B.
  v1::RedeemRequest redeem_req;
  redeem_req.set_partner_txn_id("b-redeem-1");
  redeem_req.set_card_number(card);
  redeem_req.set_points(100);
  v1::RedeemResponse redeem;
  s = Invoke(partner_.get(), &PartnerStub::Redeem, key_b, redeem_req, &redeem);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(redeem.result().points(), 100);
  EXPECT_EQ(redeem.result().balance_after(), 517);
  EXPECT_EQ(redeem.result().available_after(), 517);

  // Authorize 200 at B, capture 150 of it: the other 50 are released.
  v1::AuthorizeRedemptionRequest auth_req;
  auth_req.set_partner_txn_id("b-auth-1");
  auth_req.set_card_number(card);
  auth_req.set_points(200);
  v1::AuthorizeRedemptionResponse auth;
  s = Invoke(partner_.get(), &PartnerStub::AuthorizeRedemption, key_b, auth_req, &auth);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(auth.result().points(), 200);
  EXPECT_EQ(auth.result().balance_after(), 517);
  EXPECT_EQ(auth.result().available_after(), 317);
  EXPECT_GE(auth.hold_expires_at_micros(), earn_called_at + 600'000'000);
  EXPECT_LE(auth.hold_expires_at_micros(), earn_called_at + 600'000'000 + 60'000'000);

  v1::Balance balance;
  v1::GetBalanceRequest balance_req;
  balance_req.set_card_number(card);
  s = Invoke(partner_.get(), &PartnerStub::GetBalance, key_a, balance_req, &balance);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(balance.balance(), 517);
  EXPECT_EQ(balance.held(), 200);
  EXPECT_EQ(balance.available(), 317);

  v1::CaptureRedemptionRequest capture_req;
  capture_req.set_partner_txn_id("b-cap-1");
  capture_req.set_authorization_partner_txn_id("b-auth-1");
  capture_req.set_points(150);
  v1::CaptureRedemptionResponse capture;
  s = Invoke(partner_.get(), &PartnerStub::CaptureRedemption, key_b, capture_req, &capture);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(capture.result().points(), 150);
  EXPECT_EQ(capture.result().balance_after(), 367);
  EXPECT_EQ(capture.result().available_after(), 367);

  // A captured hold cannot be voided any more.
  v1::VoidRedemptionRequest void_req;
  void_req.set_partner_txn_id("b-void-1");
  void_req.set_authorization_partner_txn_id("b-auth-1");
  v1::VoidRedemptionResponse voided;
  s = Invoke(partner_.get(), &PartnerStub::VoidRedemption, key_b, void_req, &voided);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(s);
  google::rpc::ErrorInfo captured;
  ASSERT_TRUE(DetailsOf(s).details_size() > 0 && DetailsOf(s).details(0).UnpackTo(&captured));
  EXPECT_EQ(captured.reason(), "HOLD_NOT_ACTIVE");
  EXPECT_EQ(captured.metadata().at("field"), "authorization_partner_txn_id");

  // B reverses its redemption (100 back), A reverses 17 points of its earn.
  v1::ReverseRequest reverse_req;
  reverse_req.set_partner_txn_id("b-rev-1");
  reverse_req.set_original_partner_txn_id("b-redeem-1");
  v1::ReverseResponse reversed;
  s = Invoke(partner_.get(), &PartnerStub::Reverse, key_b, reverse_req, &reversed);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(reversed.result().points(), 100);
  EXPECT_EQ(reversed.result().balance_after(), 467);
  EXPECT_EQ(reversed.debt_created(), 0);

  reverse_req.set_partner_txn_id("a-rev-1");
  reverse_req.set_original_partner_txn_id("a-earn-1");
  reverse_req.set_points(17);
  s = Invoke(partner_.get(), &PartnerStub::Reverse, key_a, reverse_req, &reversed);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(reversed.result().points(), 17);
  EXPECT_EQ(reversed.result().balance_after(), 450);
  EXPECT_EQ(reversed.result().available_after(), 450);
  EXPECT_EQ(reversed.debt_created(), 0);

  // The balance: 617 - 100 - 150 + 100 - 17, all in the one lot of the earn.
  s = Invoke(partner_.get(), &PartnerStub::GetBalance, key_b, balance_req, &balance);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(balance.member_id(), member.member_id());
  EXPECT_EQ(balance.balance(), 450);
  EXPECT_EQ(balance.available(), 450);
  EXPECT_EQ(balance.held(), 0);
  EXPECT_EQ(balance.debt(), 0);
  EXPECT_EQ(balance.next_expiry_points(), 450);
  EXPECT_EQ(balance.next_expiry_at_micros(), earn.expires_at_micros());

  // An exact retry of the earn replays the original answer; a different request under
  // the same id is refused, naming the id.
  v1::EarnResponse replay;
  s = Invoke(partner_.get(), &PartnerStub::Earn, key_a, earn_req, &replay);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_TRUE(replay.result().replayed());
  EXPECT_EQ(replay.result().hub_txn_id(), earn.result().hub_txn_id());
  EXPECT_EQ(replay.result().points(), 617);
  EXPECT_EQ(replay.result().balance_after(), 617);
  EXPECT_EQ(replay.expires_at_micros(), earn.expires_at_micros());
  v1::EarnResponse conflict;
  s = Invoke(partner_.get(), &PartnerStub::Earn, key_a, EarnReq("a-earn-1", card, 99'999),
             &conflict);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS) << Describe(s);
  EXPECT_THAT(s.error_message(), HasSubstr("a-earn-1"));
  s = Invoke(partner_.get(), &PartnerStub::GetBalance, key_a, balance_req, &balance);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(balance.balance(), 450);  // neither call posted anything

  // A's history, newest first.
  v1::ListTransactionsResponse a_list;
  s = Invoke(partner_.get(), &PartnerStub::ListTransactions, key_a, v1::ListTransactionsRequest(),
             &a_list);
  ASSERT_TRUE(s.ok()) << Describe(s);
  ASSERT_EQ(a_list.transactions_size(), 3);
  EXPECT_TRUE(a_list.next_page_token().empty());
  EXPECT_EQ(a_list.transactions(0).partner_txn_id(), "a-rev-1");
  EXPECT_EQ(a_list.transactions(0).kind(), "reverse_earn");
  EXPECT_EQ(a_list.transactions(0).points(), 17);
  EXPECT_EQ(a_list.transactions(0).original_partner_txn_id(), "a-earn-1");
  EXPECT_EQ(a_list.transactions(1).partner_txn_id(), "a-earn-1");
  EXPECT_EQ(a_list.transactions(1).kind(), "earn");
  EXPECT_EQ(a_list.transactions(1).hub_txn_id(), earn.result().hub_txn_id());
  EXPECT_EQ(a_list.transactions(1).points(), 617);
  EXPECT_EQ(a_list.transactions(1).amount().amount_minor(), 12'345);
  EXPECT_EQ(a_list.transactions(1).amount().currency(), "EUR");
  EXPECT_EQ(a_list.transactions(1).member_id(), member.member_id());
  EXPECT_EQ(a_list.transactions(2).partner_txn_id(), "a-enroll-1");
  EXPECT_EQ(a_list.transactions(2).kind(), "enroll");

  // B's history in pages of 2 adds up to the whole of it, in the same order.
  v1::ListTransactionsResponse b_all;
  s = Invoke(partner_.get(), &PartnerStub::ListTransactions, key_b, v1::ListTransactionsRequest(),
             &b_all);
  ASSERT_TRUE(s.ok()) << Describe(s);
  std::vector<std::string> expected_b;
  for (const v1::Transaction& t : b_all.transactions()) expected_b.push_back(t.partner_txn_id());
  EXPECT_EQ(expected_b, (std::vector<std::string>{"b-rev-1", "b-cap-1", "b-auth-1", "b-redeem-1"}));
  std::vector<std::string> paged;
  v1::ListTransactionsRequest page_req;
  page_req.set_page_size(2);
  int pages = 0;
  while (true) {
    ASSERT_LT(pages, 5) << "paging does not end";
    v1::ListTransactionsResponse page;
    s = Invoke(partner_.get(), &PartnerStub::ListTransactions, key_b, page_req, &page);
    ASSERT_TRUE(s.ok()) << Describe(s);
    ++pages;
    EXPECT_LE(page.transactions_size(), 2);
    if (pages == 1) {
      EXPECT_EQ(page.transactions_size(), 2);
      EXPECT_FALSE(page.next_page_token().empty());
    }
    for (const v1::Transaction& t : page.transactions()) paged.push_back(t.partner_txn_id());
    if (page.next_page_token().empty()) break;
    page_req.set_page_token(page.next_page_token());
  }
  EXPECT_EQ(paged, expected_b);
  EXPECT_EQ(b_all.transactions(1).original_partner_txn_id(), "b-auth-1");
  EXPECT_EQ(b_all.transactions(1).points(), 150);

  // Bad input: INVALID_ARGUMENT naming the field.
  v1::EarnResponse bad_earn;
  s = Invoke(partner_.get(), &PartnerStub::Earn, key_a, EarnReq("a-earn-bad-1", "1234", 100),
             &bad_earn);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(s);
  EXPECT_THAT(s.error_message(), HasSubstr("card_number"));
  s = Invoke(partner_.get(), &PartnerStub::Earn, key_a, EarnReq("a-earn-bad-2", card, 100, "USD"),
             &bad_earn);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(s);
  EXPECT_THAT(s.error_message(), HasSubstr("amount.currency"));
  // On the wire: standard google.rpc details a generic gRPC client can read.
  const google::rpc::Status details = DetailsOf(s);
  ASSERT_EQ(details.details_size(), 2) << details.DebugString();
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(details.details(0).UnpackTo(&info));
  EXPECT_EQ(info.reason(), "INVALID_ARGUMENT");
  EXPECT_EQ(info.domain(), "loyalty.v1");
  google::rpc::BadRequest bad_request;
  ASSERT_TRUE(details.details(1).UnpackTo(&bad_request));
  ASSERT_EQ(bad_request.field_violations_size(), 1);
  EXPECT_EQ(bad_request.field_violations(0).field(), "amount.currency");
  EXPECT_EQ(bad_request.field_violations(0).description(), "the program's currency is EUR");
  s = Invoke(partner_.get(), &PartnerStub::Earn, key_a, EarnReq("bad id!", card, 100), &bad_earn);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(s);
  EXPECT_THAT(s.error_message(), HasSubstr("partner_txn_id"));
  redeem_req.set_partner_txn_id("b-redeem-bad");
  redeem_req.set_points(0);
  s = Invoke(partner_.get(), &PartnerStub::Redeem, key_b, redeem_req, &redeem);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(s);
  EXPECT_THAT(s.error_message(), HasSubstr("points"));
  page_req.Clear();
  page_req.set_page_size(-1);  // above 500 is coerced to 500; negative is refused
  v1::ListTransactionsResponse bad_page;
  s = Invoke(partner_.get(), &PartnerStub::ListTransactions, key_b, page_req, &bad_page);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(s);
  EXPECT_THAT(s.error_message(), HasSubstr("page_size"));
  v1::RegisterPartnerResponse bad_partner;
  s = Register("Bad", "Not A Category", v1::ROLE_MERCHANT, 100, &bad_partner);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(s);
  EXPECT_THAT(s.error_message(), HasSubstr("category"));

  // Roles hold over the wire too.
  s = Invoke(partner_.get(), &PartnerStub::GetBalance, admin_key, balance_req, &balance);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(s);
  s = Invoke(partner_.get(), &PartnerStub::GetBalance, std::string(), balance_req, &balance);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << Describe(s);

  // Nothing of the failed calls moved a point.
  s = Invoke(partner_.get(), &PartnerStub::GetBalance, key_a, balance_req, &balance);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(balance.balance(), 450);

  StopHubAndExpectCleanExit();
}

}  // namespace
}  // namespace loyalty
