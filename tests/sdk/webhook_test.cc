// The webhook signature scheme (loyalty/webhook.h): a reference vector made with
// `openssl dgst -sha256 -hmac`, tampering, the replay window, rotation, malformed headers.
#include "loyalty/webhook.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace loyalty::sdk {
namespace {

constexpr char kSecret[] = "whsec_test_secret";
constexpr char kBody[] = R"({"id":"evt_1","type":"points_earned","points":250})";
// printf '%s' '1700000000.<body>' | openssl dgst -sha256 -hmac whsec_test_secret
constexpr char kReference[] = "45109b9fd1195accc3cf247bf68cc48fe412d0bfc8b4857f55356c4139e878af";
const absl::Time kSigned = absl::FromUnixSeconds(1700000000);

TEST(WebhookTest, SignsAsTheReferenceDoes) {
  EXPECT_EQ(SignWebhook(kBody, kSecret, kSigned), absl::StrCat("t=1700000000,v1=", kReference));
  EXPECT_TRUE(VerifyWebhookSignature(absl::StrCat("t=1700000000,v1=", kReference), kBody,
                                     kSecret, kSigned + absl::Seconds(30))
                  .ok());
}

TEST(WebhookTest, AnAlteredBodyOrAnotherSecretIsUnauthenticated) {
  const std::string header = SignWebhook(kBody, kSecret, kSigned);
  std::string altered = kBody;
  altered[altered.find("250")] = '9';
  EXPECT_EQ(VerifyWebhookSignature(header, altered, kSecret, kSigned).code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(VerifyWebhookSignature(header, kBody, "whsec_other", kSigned).code(),
            absl::StatusCode::kUnauthenticated);
  // The timestamp is signed too: moving it breaks the signature.
  std::string moved = header;
  moved.replace(0, 12, "t=1700000001");
  EXPECT_EQ(VerifyWebhookSignature(moved, kBody, kSecret, kSigned).code(),
            absl::StatusCode::kUnauthenticated);
}

TEST(WebhookTest, OutsideTheToleranceIsRefused) {
  const std::string header = SignWebhook(kBody, kSecret, kSigned);
  EXPECT_TRUE(VerifyWebhookSignature(header, kBody, kSecret, kSigned + absl::Minutes(5)).ok());
  EXPECT_EQ(VerifyWebhookSignature(header, kBody, kSecret,
                                   kSigned + absl::Minutes(5) + absl::Seconds(1))
                .code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(VerifyWebhookSignature(header, kBody, kSecret, kSigned - absl::Minutes(6)).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(VerifyWebhookSignature(header, kBody, kSecret, kSigned + absl::Hours(1),
                                     absl::Hours(2))
                  .ok());
}

TEST(WebhookTest, AnyV1OfARotationMatches) {
  const std::string old_secret = SignWebhook(kBody, "whsec_old", kSigned);
  const std::string header = absl::StrCat(SignWebhook(kBody, kSecret, kSigned), ",v1=",
                                          old_secret.substr(old_secret.find("v1=") + 3));
  EXPECT_TRUE(VerifyWebhookSignature(header, kBody, kSecret, kSigned).ok());
  EXPECT_TRUE(VerifyWebhookSignature(header, kBody, "whsec_old", kSigned).ok());
  // Upper-case hex and other schemes are accepted as such.
  EXPECT_TRUE(VerifyWebhookSignature(absl::StrCat("t=1700000000, v0=abc, v1=",
                                                  absl::AsciiStrToUpper(kReference)),
                                     kBody, kSecret, kSigned)
                  .ok());
}

TEST(WebhookTest, MalformedHeadersAreInvalid) {
  const std::string v1 = absl::StrCat("v1=", kReference);
  for (const std::string& header :
       {std::string(""), v1, std::string("t=1700000000"), absl::StrCat("t=abc,", v1),
        absl::StrCat("t=-5,", v1), absl::StrCat("t=1700000000,t=1700000000,", v1),
        std::string("t=1700000000,v1=1234"), absl::StrCat("t=1700000000,v1=", std::string(64, 'g')),
        std::string("garbage")}) {
    EXPECT_EQ(VerifyWebhookSignature(header, kBody, kSecret, kSigned).code(),
              absl::StatusCode::kInvalidArgument)
        << header;
  }
  EXPECT_EQ(VerifyWebhookSignature(SignWebhook(kBody, kSecret, kSigned), kBody, "", kSigned).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace loyalty::sdk
