// TLS and mutual TLS end to end: certificates from deploy/tls/make-certs.sh in a temp
// folder, the real loyalty_hub binary serving with them on a fresh database, called
// through the partner SDK (admin setup) and raw stubs (to see each status). Also the
// start-up rules: no plaintext off loopback, and plaintext on loopback only with
// --insecure_plaintext_loopback.
#include <grpcpp/grpcpp.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/admin_client.h"
#include "loyalty/v1/partner.grpc.pb.h"
#include "tests/support/hub_process.h"
#include "tests/support/test_db.h"

namespace loyalty {
namespace {

using ::testing::HasSubstr;
using testing::HubOptions;
using testing::HubProcess;

constexpr auto kRpcTimeout = std::chrono::seconds(10);

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A temp folder of certificates made by the project's script: the CA, the hub's
// certificate, and client certificates for the admin and two partners. A second CA
// (`other/`) stands for a stranger's.
class CertDir {
 public:
  CertDir() {
    std::string tmpl = ::testing::TempDir() + "tls_test_XXXXXX";
    if (mkdtemp(tmpl.data()) != nullptr) dir_ = tmpl;
  }
  ~CertDir() {
    if (!dir_.empty()) std::system(absl::StrCat("rm -rf '", dir_, "'").c_str());
  }
  // Runs make-certs.sh with `args` on this folder; false (and a test failure) if it fails.
  bool Make(const std::string& args, const std::string& sub = "") {
    const std::string cmd =
        absl::StrCat("'", LOYALTY_MAKE_CERTS, "' '", Path(sub), "' ", args, " >/dev/null");
    const int rc = std::system(cmd.c_str());
    EXPECT_EQ(rc, 0) << cmd;
    return rc == 0;
  }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

// Who calls and over what: the CA to trust ("" = system roots, "-" = plaintext) and the
// client certificate ("" = none).
struct ChannelSpec {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
};

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(certs_.dir().empty());
    ASSERT_TRUE(certs_.Make(""));
    ASSERT_TRUE(certs_.Make("client admin"));
    ASSERT_TRUE(certs_.Make("client partner:1"));
    ASSERT_TRUE(certs_.Make("client partner:2"));
    ASSERT_TRUE(certs_.Make("client partner:1", "other"));
  }

  void StartHub(bool mutual) {
    HubOptions o;
    o.db = db_.options();
    o.extra_args = {"--tls_cert_file=" + certs_.Path("server.pem"),
                    "--tls_key_file=" + certs_.Path("server.key")};
    if (mutual) o.extra_args.push_back("--tls_client_ca_file=" + certs_.Path("ca.pem"));
    hub_ = std::make_unique<HubProcess>(std::move(o));
    ASSERT_NO_FATAL_FAILURE(hub_->Start());
  }

  // The SDK's options for the admin over TLS (with the admin's certificate if `mutual`).
  sdk::Options AdminOptions(bool mutual) {
    sdk::Options o;
    o.target = hub_->target();
    o.api_key = testing::kHubAdminKey;
    o.tls.enabled = true;
    o.tls.ca_file = certs_.Path("ca.pem");
    if (mutual) {
      o.tls.cert_file = certs_.Path("client-admin.pem");
      o.tls.key_file = certs_.Path("client-admin.key");
    }
    o.retry.max_attempts = 1;
    return o;
  }

  // Registers two merchants through the SDK; they get ids 1 and 2 on a fresh database.
  void RegisterPartners(bool mutual) {
    auto conn = sdk::MakeAdminConnection(AdminOptions(mutual));
    ASSERT_TRUE(conn.ok()) << conn.status();
    sdk::AdminClient admin(*conn);
    const char* categories[] = {"grocery", "fuel"};
    for (int i = 0; i < 2; ++i) {
      sdk::RegisterPartnerParams p;
      p.name = absl::StrCat("Partner ", i + 1);
      p.category = categories[i];
      p.earn_rate_bp = 100;
      absl::StatusOr<sdk::RegisterPartnerResult> r = admin.RegisterPartner(p);
      ASSERT_TRUE(r.ok()) << r.status();
      ASSERT_EQ(r->partner.partner_id, i + 1);
      keys_[i] = r->api_key;
    }
  }

  std::shared_ptr<grpc::Channel> Channel(const ChannelSpec& spec) {
    if (spec.ca_file == "-") {
      return grpc::CreateChannel(hub_->target(), grpc::InsecureChannelCredentials());
    }
    grpc::SslCredentialsOptions ssl;
    if (!spec.ca_file.empty()) ssl.pem_root_certs = ReadFile(certs_.Path(spec.ca_file));
    if (!spec.cert_file.empty()) {
      ssl.pem_cert_chain = ReadFile(certs_.Path(spec.cert_file));
      ssl.pem_private_key = ReadFile(certs_.Path(spec.key_file));
    }
    return grpc::CreateChannel(hub_->target(), grpc::SslCredentials(ssl));
  }

  // ListTransactions (the caller's own) with `api_key` over `spec`.
  grpc::Status ListOwn(const ChannelSpec& spec, const std::string& api_key) {
    auto stub = v1::PartnerService::NewStub(Channel(spec));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + kRpcTimeout);
    ctx.AddMetadata("authorization", absl::StrCat("Bearer ", api_key));
    v1::ListTransactionsRequest req;
    v1::ListTransactionsResponse resp;
    return stub->ListTransactions(&ctx, req, &resp);
  }

  testing::TestDb db_;
  CertDir certs_;
  std::unique_ptr<HubProcess> hub_;
  std::string keys_[2];
};

TEST_F(TlsTest, ServesTlsToClientsThatTrustTheCaOnly) {
  ASSERT_NO_FATAL_FAILURE(StartHub(false));
  ASSERT_NO_FATAL_FAILURE(RegisterPartners(false));
  grpc::Status s = ListOwn({"ca.pem", "", ""}, keys_[0]);
  EXPECT_TRUE(s.ok()) << s.error_message();
  // Without a client certificate API keys alone decide, as without mutual TLS.
  s = ListOwn({"ca.pem", "client-partner-2.pem", "client-partner-2.key"}, keys_[0]);
  EXPECT_TRUE(s.ok()) << s.error_message();

  // The system roots do not know the private CA; a plaintext client gets no answer.
  EXPECT_EQ(ListOwn({"", "", ""}, keys_[0]).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ListOwn({"-", "", ""}, keys_[0]).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ListOwn({"other/ca.pem", "", ""}, keys_[0]).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, MutualTlsMapsTheClientCertificateToTheKeysOwner) {
  ASSERT_NO_FATAL_FAILURE(StartHub(true));
  ASSERT_NO_FATAL_FAILURE(RegisterPartners(true));
  const ChannelSpec cert1{"ca.pem", "client-partner-1.pem", "client-partner-1.key"};
  const ChannelSpec cert2{"ca.pem", "client-partner-2.pem", "client-partner-2.key"};

  grpc::Status s = ListOwn(cert1, keys_[0]);
  EXPECT_TRUE(s.ok()) << s.error_message();
  s = ListOwn(cert2, keys_[1]);
  EXPECT_TRUE(s.ok()) << s.error_message();

  // Partner 1's certificate with partner 2's key (a stolen key, or a mix-up).
  s = ListOwn(cert1, keys_[1]);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(s.error_message(),
              HasSubstr("api key belongs to loyalty:partner:2 but the client certificate is "
                        "for loyalty:partner:1"));
  // The admin's key needs the admin's certificate.
  auto admin = sdk::MakeAdminConnection([&] {
    sdk::Options o = AdminOptions(false);
    o.tls.cert_file = certs_.Path("client-partner-1.pem");
    o.tls.key_file = certs_.Path("client-partner-1.key");
    return o;
  }());
  ASSERT_TRUE(admin.ok()) << admin.status();
  absl::StatusOr<std::vector<sdk::Partner>> partners = sdk::AdminClient(*admin).ListPartners();
  EXPECT_EQ(partners.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(partners.status().message(), HasSubstr("loyalty:admin"));

  // No client certificate, or one from another CA: the handshake is refused.
  EXPECT_EQ(ListOwn({"ca.pem", "", ""}, keys_[0]).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(
      ListOwn({"ca.pem", "other/client-partner-1.pem", "other/client-partner-1.key"}, keys_[0])
          .error_code(),
      grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, PlaintextOnlyOnLoopbackAndOnlyWhenAskedFor) {
  std::string out;
  EXPECT_EQ(testing::RunHubOnce(db_.options(),
                                {"--listen=0.0.0.0:0", "--insecure_plaintext_loopback"}, &out),
            1);
  EXPECT_THAT(out, HasSubstr("not loopback"));
  EXPECT_EQ(testing::RunHubOnce(db_.options(), {"--listen=127.0.0.1:0"}, &out), 1);
  EXPECT_THAT(out, HasSubstr("--insecure_plaintext_loopback"));
  EXPECT_EQ(testing::RunHubOnce(db_.options(),
                                {"--listen=127.0.0.1:0", "--insecure_plaintext_loopback",
                                 "--tls_client_ca_file=" + certs_.Path("ca.pem")},
                                &out),
            1);
  EXPECT_THAT(out, HasSubstr("--tls_client_ca_file needs --tls_cert_file"));
}

TEST(MakeCertsTest, PrivateKeysAreOwnerOnly) {
  CertDir certs;
  ASSERT_TRUE(certs.Make(""));
  ASSERT_TRUE(certs.Make("client partner:7"));
  for (const char* key : {"ca.key", "server.key", "client-partner-7.key"}) {
    struct stat st {};
    ASSERT_EQ(stat(certs.Path(key).c_str(), &st), 0) << key;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << key;
  }
  // Only partner:<id>, admin and finance name participants.
  const std::string bad =
      absl::StrCat("'", LOYALTY_MAKE_CERTS, "' '", certs.dir(), "' client 'partner:x' 2>/dev/null");
  EXPECT_NE(std::system(bad.c_str()), 0);
}

}  // namespace
}  // namespace loyalty
