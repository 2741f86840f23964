// Pure unit tests of the exact arithmetic (hub/common/money.h) and of the identifiers
// and digests the hub makes up (hub/common/secure_random.h). No database.
#include "hub/common/money.h"

#include <cstdint>
#include <limits>
#include <set>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/common/secure_random.h"

namespace loyalty {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

// ---------------------------------------------------------------------------------
// EarnPointsFloor

TEST(EarnPointsFloor, KrwExponentZero) {
  // 5000 KRW at 5% = 250 KRW of value; one point is worth 1 KRW (1,000,000 micros).
  auto p = EarnPointsFloor(5000, 0, 500, 1'000'000);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(*p, 250);
}

TEST(EarnPointsFloor, EurExponentTwo) {
  // 50.00 EUR (5000 cents) at 5% = 2.50 EUR; one point = 0.01 EUR = 10,000 micros.
  auto p = EarnPointsFloor(5000, 2, 500, 10'000);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(*p, 250);
  // 123.45 EUR at 3% = 3.7035 EUR = 370.35 points -> 370.
  auto q = EarnPointsFloor(12345, 2, 300, 10'000);
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(*q, 370);
  // BHD has 3 digits: 1.000 BHD (1000 fils) at 100% with a point worth 0.001 BHD.
  auto b = EarnPointsFloor(1000, 3, 10000, 1'000);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(*b, 1000);
}

TEST(EarnPointsFloor, RoundsDown) {
  // 50.19 EUR at 5% = 250.95 points -> 250 (never rounded up).
  auto a = EarnPointsFloor(5019, 2, 500, 10'000);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(*a, 250);
  // 50.39 EUR at 5% = 251.95 -> 251.
  auto b = EarnPointsFloor(5039, 2, 500, 10'000);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(*b, 251);
  // 0.19 EUR at 5% = 0.95 points -> 0.
  auto c = EarnPointsFloor(19, 2, 500, 10'000);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(*c, 0);
  // Exactly one point: 0.20 EUR at 5% = 0.01 EUR.
  auto d = EarnPointsFloor(20, 2, 500, 10'000);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(*d, 1);
  // Zero amount or zero rate -> 0.
  auto z = EarnPointsFloor(0, 2, 500, 10'000);
  ASSERT_TRUE(z.ok()) << z.status();
  EXPECT_EQ(*z, 0);
  auto zr = EarnPointsFloor(5000, 2, 0, 10'000);
  ASSERT_TRUE(zr.ok()) << zr.status();
  EXPECT_EQ(*zr, 0);
}

TEST(EarnPointsFloor, ExactBeyondInt64Intermediates) {
  // amount x 10^6 x rate overflows int64 (1e15 * 1e6 * 1e4 = 1e25) but the result fits:
  // 1e15 KRW at 100% with a point worth 1 KRW = 1e15 points.
  auto p = EarnPointsFloor(1'000'000'000'000'000, 0, 10000, 1'000'000);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(*p, 1'000'000'000'000'000);
}

TEST(EarnPointsFloor, OverflowIsOutOfRange) {
  // INT64_MAX KRW at 100% with a point worth one micro = INT64_MAX * 1e6 points.
  auto p = EarnPointsFloor(kMax, 0, 10000, 1);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), absl::StatusCode::kOutOfRange) << p.status();
}

TEST(EarnPointsFloor, InputsOutOfDomainAreRejected) {
  EXPECT_EQ(EarnPointsFloor(-1, 2, 500, 10'000).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EarnPointsFloor(100, 2, -1, 10'000).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EarnPointsFloor(100, 2, 500, 0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EarnPointsFloor(100, -1, 500, 10'000).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EarnPointsFloor(100, 7, 500, 10'000).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------------------------
// ValueMinorHalfEven

// points x price_micros in EUR cents (exponent 2: 10,000 micros per cent).
int64_t Eur(Points points, int64_t price_micros) {
  auto v = ValueMinorHalfEven(points, price_micros, 2);
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *v : -999999;
}

TEST(ValueMinorHalfEven, TiesGoToEven) {
  EXPECT_EQ(Eur(1, 5'000), 0);   // 0.5 cent -> 0
  EXPECT_EQ(Eur(1, 15'000), 2);  // 1.5 -> 2
  EXPECT_EQ(Eur(1, 25'000), 2);  // 2.5 -> 2
  EXPECT_EQ(Eur(1, 35'000), 4);  // 3.5 -> 4
  EXPECT_EQ(Eur(5, 1'000), 0);   // 5 x 0.1 cent = 0.5 cent -> 0
  EXPECT_EQ(Eur(3, 5'000), 2);   // 1.5 -> 2
}

TEST(ValueMinorHalfEven, NegativeTiesGoToEven) {
  EXPECT_EQ(Eur(-1, 5'000), 0);    // -0.5 -> 0
  EXPECT_EQ(Eur(-1, 15'000), -2);  // -1.5 -> -2
  EXPECT_EQ(Eur(-1, 25'000), -2);  // -2.5 -> -2
  EXPECT_EQ(Eur(-1, 35'000), -4);  // -3.5 -> -4
  EXPECT_EQ(Eur(1, -25'000), -2);  // negative price, same value
}

TEST(ValueMinorHalfEven, NonTiesRoundToNearest) {
  EXPECT_EQ(Eur(1, 4'999), 0);       // 0.4999 -> 0
  EXPECT_EQ(Eur(1, 5'001), 1);       // 0.5001 -> 1
  EXPECT_EQ(Eur(1, 24'999), 2);      // 2.4999 -> 2
  EXPECT_EQ(Eur(1, 25'001), 3);      // 2.5001 -> 3
  EXPECT_EQ(Eur(-1, 5'001), -1);     // -0.5001 -> -1
  EXPECT_EQ(Eur(-1, 4'999), 0);      // -0.4999 -> 0
  EXPECT_EQ(Eur(-1, 25'001), -3);    // -2.5001 -> -3
  EXPECT_EQ(Eur(250, 10'000), 250);  // exact
  EXPECT_EQ(Eur(0, 10'000), 0);
}

TEST(ValueMinorHalfEven, OtherExponents) {
  // KRW (exponent 0): 1,000,000 micros per won.
  auto a = ValueMinorHalfEven(1, 500'000, 0);  // 0.5 won -> 0
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(*a, 0);
  auto b = ValueMinorHalfEven(3, 500'000, 0);  // 1.5 won -> 2
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(*b, 2);
  auto c = ValueMinorHalfEven(5, 500'000, 0);  // 2.5 won -> 2
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(*c, 2);
  // BHD (exponent 3): 1,000 micros per fils; 2.5 fils -> 2, 3.5 -> 4.
  auto d = ValueMinorHalfEven(1, 2'500, 3);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(*d, 2);
  auto e = ValueMinorHalfEven(7, 500, 3);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(*e, 4);
  // Exponent 6: micros are the minor unit, no rounding.
  auto f = ValueMinorHalfEven(3, 7, 6);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(*f, 21);
}

TEST(ValueMinorHalfEven, OverflowAndDomain) {
  auto big = ValueMinorHalfEven(kMax, kMax, 6);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().code(), absl::StatusCode::kOutOfRange) << big.status();
  // A product beyond int64 that fits again once converted to minor units.
  auto fits = ValueMinorHalfEven(kMax, 10'000, 2);  // = INT64_MAX cents
  ASSERT_TRUE(fits.ok()) << fits.status();
  EXPECT_EQ(*fits, kMax);
  EXPECT_EQ(ValueMinorHalfEven(1, 1, -1).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValueMinorHalfEven(1, 1, 7).status().code(), absl::StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------------------------
// CheckedAdd / CheckedMul

TEST(CheckedArithmetic, AddInRange) {
  auto a = CheckedAdd(2, 3, "sum");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(*a, 5);
  auto b = CheckedAdd(kMax - 1, 1, "sum");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(*b, kMax);
  auto c = CheckedAdd(kMin + 1, -1, "sum");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(*c, kMin);
}

TEST(CheckedArithmetic, AddOverflowIsOutOfRangeNamingWhat) {
  auto a = CheckedAdd(kMax, 1, "balance");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(a.status().message(), HasSubstr("balance"));
  auto b = CheckedAdd(kMin, -1, "debt");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(b.status().message(), HasSubstr("debt"));
}

TEST(CheckedArithmetic, MulInRange) {
  auto a = CheckedMul(-7, 6, "product");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(*a, -42);
  auto b = CheckedMul(kMax, 1, "product");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(*b, kMax);
  auto c = CheckedMul(kMin, 1, "product");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(*c, kMin);
}

TEST(CheckedArithmetic, MulOverflowIsOutOfRangeNamingWhat) {
  auto a = CheckedMul(kMax, 2, "value");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(a.status().message(), HasSubstr("value"));
  auto b = CheckedMul(kMin, -1, "value");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), absl::StatusCode::kOutOfRange);
  auto c = CheckedMul(int64_t{1} << 32, int64_t{1} << 31, "value");  // 2^63
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kOutOfRange);
}

// ---------------------------------------------------------------------------------
// CurrencyExponent

TEST(CurrencyExponent, KnownAndUnknownCodes) {
  EXPECT_EQ(CurrencyExponent("EUR"), std::optional<int>(2));
  EXPECT_EQ(CurrencyExponent("USD"), std::optional<int>(2));
  EXPECT_EQ(CurrencyExponent("KRW"), std::optional<int>(0));
  EXPECT_EQ(CurrencyExponent("JPY"), std::optional<int>(0));
  EXPECT_EQ(CurrencyExponent("BHD"), std::optional<int>(3));
  EXPECT_EQ(CurrencyExponent("XXX"), std::nullopt);
  EXPECT_EQ(CurrencyExponent("eur"), std::nullopt);
  EXPECT_EQ(CurrencyExponent(""), std::nullopt);
  EXPECT_EQ(CurrencyExponent("EURO"), std::nullopt);
}

// ---------------------------------------------------------------------------------
// Card numbers and digests

TEST(CardNumbers, LuhnValidation) {
  EXPECT_TRUE(IsValidCardNumber("4111111111111111"));   // 16 digits, valid Luhn
  EXPECT_FALSE(IsValidCardNumber("4111111111111112"));  // wrong check digit
  EXPECT_TRUE(IsValidCardNumber("5555555555554444"));
  EXPECT_TRUE(IsValidCardNumber("000000000000"));           // 12 digits, checksum 0
  EXPECT_TRUE(IsValidCardNumber("0000000000000000000"));    // 19 digits
  EXPECT_FALSE(IsValidCardNumber("00000000000"));           // 11 digits: too short
  EXPECT_FALSE(IsValidCardNumber("00000000000000000000"));  // 20 digits: too long
  EXPECT_FALSE(IsValidCardNumber("79927398713"));           // valid Luhn, 11 digits
  EXPECT_FALSE(IsValidCardNumber("4111-1111-1111-1111"));
  EXPECT_FALSE(IsValidCardNumber("411111111111111a"));
  EXPECT_FALSE(IsValidCardNumber(" 4111111111111111"));
  EXPECT_FALSE(IsValidCardNumber(""));
}

TEST(CardNumbers, NewCardNumbersAreValidProgramNumbers) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string n = NewCardNumber();
    EXPECT_EQ(n.size(), 16u) << n;
    EXPECT_EQ(n.substr(0, 2), "70") << n;
    EXPECT_TRUE(IsValidCardNumber(n)) << n;
    for (char c : n) EXPECT_TRUE(c >= '0' && c <= '9') << n;
    // Changing the check digit must break the Luhn check.
    std::string bad = n;
    bad.back() = bad.back() == '9' ? '0' : static_cast<char>(bad.back() + 1);
    EXPECT_FALSE(IsValidCardNumber(bad)) << bad;
    seen.insert(n);
  }
  // 13 random digits: 100 draws colliding would mean the generator is broken.
  EXPECT_GT(seen.size(), 95u);
}

TEST(Sha256Hex, KnownVectors) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(NewApiKey, PrefixAndRandomHex) {
  const std::string a = NewApiKey("lk_test_");
  const std::string b = NewApiKey("lk_test_");
  EXPECT_EQ(a.size(), 8u + 48u);
  EXPECT_EQ(a.substr(0, 8), "lk_test_");
  for (char c : a.substr(8)) EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << a;
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace loyalty
