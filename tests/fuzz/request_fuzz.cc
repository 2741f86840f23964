// libFuzzer target: hostile bytes as every request the hub takes from a partner, the
// bank or an admin. The first byte picks the request type; the rest is parsed as that
// proto and taken through the same conversion (hub/api/convert.cc) and the same ledger
// entry points the services call. The store is a gate: a request that passes every
// check reaches RunInTransaction and stops there (nothing below validation runs).
//
// Invariants, for every input:
//   - no crash and no undefined behaviour (ASan + UBSan, any report aborts);
//   - a parsed request serializes to bytes that parse back to the same message;
//   - a rejected request is INVALID_ARGUMENT and its message starts with the field it
//     names ("field.path: why"), never any other code before the database;
//   - a request that reaches the database satisfies independent re-statements of the
//     documented field rules (ids, card numbers, amounts, points, times).
// The last two bytes-as-numbers types check the money arithmetic against __int128.
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/stubs/logging.h"
#include "hub/api/convert.h"
#include "hub/common/clock.h"
#include "hub/common/money.h"
#include "hub/common/secure_random.h"
#include "hub/ledger/bank_ledger.h"
#include "hub/ledger/ledger.h"
#include "hub/ledger/validate.h"
#include "loyalty/v1/bank.pb.h"
#include "loyalty/v1/partner.pb.h"

namespace loyalty {
namespace {

#define FUZZ_CHECK(cond, what)                                                 \
  do {                                                                         \
    if (!(cond)) {                                                             \
      std::fprintf(stderr, "fuzz invariant failed: %s (%s)\n", #cond, (what)); \
      std::abort();                                                            \
    }                                                                          \
  } while (0)

constexpr char kReachedMessage[] = "fuzz: the request reached the database";
constexpr Micros kNow = 1'767'225'600'000'000;  // 2026-01-01T00:00:00Z
constexpr PartnerId kCaller = 7;

// A Store that opens no transaction: whoever gets this far passed validation.
class GateStore final : public Store {
 public:
  absl::Status RunInTransaction(const std::function<absl::Status(StoreTxn&)>&) override {
    return absl::UnavailableError(kReachedMessage);
  }
  absl::Status Migrate() override { return absl::OkStatus(); }
  absl::Status Ping() override { return absl::OkStatus(); }
};

bool Reached(const absl::Status& s) {
  return s.code() == absl::StatusCode::kUnavailable && s.message() == kReachedMessage;
}

// Independent re-statements of the rules in hub/ledger/validate.h.
bool IsIdKey(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (unsigned char c : s) {
    if (!std::isalnum(c) && std::strchr("._:-", c) == nullptr) return false;
  }
  return true;
}

// A merchant id as acquirers print it: 1..32 printable ASCII characters.
bool IsMerchantId(const std::string& s) {
  if (s.empty() || s.size() > 32) return false;
  for (unsigned char c : s) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

bool IsCard(const std::string& s) {
  if (s.size() < 12 || s.size() > 19) return false;
  int sum = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    int d = s[s.size() - 1 - i] - '0';
    if (i % 2 == 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 == 0;
}

bool IsTime(int64_t micros) {
  return micros == 0 || (micros >= 946'684'800'000'000 && micros < 4'102'444'800'000'000);
}

bool IsPoints(int64_t p, int64_t min) { return p >= min && p <= kMaxPointsPerRequest; }

bool IsText(const std::string& s, size_t max) {
  if (s.empty() || s.size() > max) return false;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

// "a.b_c: why": the field path is lower-case letters, digits, '_' and '.'.
bool NamesField(absl::string_view message) {
  const size_t colon = message.find(": ");
  if (colon == 0 || colon == absl::string_view::npos) return false;
  for (char c : message.substr(0, colon)) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.')) return false;
  }
  return true;
}

template <typename Message>
void CheckRoundTrip(const Message& m) {
  std::string once, twice;
  FUZZ_CHECK(m.SerializeToString(&once), "serialize");
  FUZZ_CHECK(once.size() == m.ByteSizeLong(), "byte size");
  Message back;
  FUZZ_CHECK(back.ParseFromString(once), "reparse");
  FUZZ_CHECK(back.SerializeToString(&twice) && once == twice, "round trip");
}

struct Hub {
  GateStore store;
  FakeClock clock{kNow};
  Ledger ledger{&store, &clock};
  BankLedger bank{&store, &clock};
};

PartnerRequest Req(const std::string& id, int64_t occurred_at) {
  return ToPartnerRequest(Principal{Role::kMerchant, kCaller}, id, occurred_at);
}

// Runs one request: `call` gives the hub's answer and, when the request reached the
// database, whether the oracle accepts what passed.
template <typename Message, typename Call>
void Run(absl::string_view bytes, const char* name, Call call) {
  Message req;
  if (!req.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return;
  CheckRoundTrip(req);
  Hub hub;
  bool oracle_ok = true;
  const absl::Status s = call(req, hub, &oracle_ok);
  if (Reached(s)) {
    FUZZ_CHECK(oracle_ok, name);
    return;
  }
  if (!s.ok()) {
    if (s.code() != absl::StatusCode::kInvalidArgument || !NamesField(s.message())) {
      std::fprintf(stderr, "%s: %s\n", name, s.ToString().c_str());
    }
    FUZZ_CHECK(s.code() == absl::StatusCode::kInvalidArgument, name);
    FUZZ_CHECK(NamesField(s.message()), name);
  }
}

// ---- partner requests

absl::Status Earn(const v1::EarnRequest& r, Hub& hub, bool* ok) {
  EarnParams p;
  p.req = Req(r.partner_txn_id(), r.occurred_at_micros());
  p.card_number = r.card_number();
  p.amount_minor = r.amount().amount_minor();
  p.currency = r.amount().currency();
  p.stated_points = r.points();
  *ok = IsIdKey(r.partner_txn_id()) && IsCard(r.card_number()) && IsTime(r.occurred_at_micros()) &&
        p.amount_minor >= 0 && p.amount_minor <= kMaxAmountMinor &&
        CurrencyExponent(p.currency).has_value() &&
        (p.stated_points == 0 || IsPoints(p.stated_points, 1));
  return hub.ledger.Earn(p).status();
}

template <typename Request>
absl::Status RedeemLike(const Request& r, Hub& hub, bool* ok, bool authorize) {
  RedeemParams p;
  p.req = Req(r.partner_txn_id(), r.occurred_at_micros());
  p.card_number = r.card_number();
  p.points = r.points();
  p.pin = r.pin();
  *ok = IsIdKey(r.partner_txn_id()) && IsCard(r.card_number()) && IsTime(r.occurred_at_micros()) &&
        IsPoints(r.points(), 1);
  return (authorize ? hub.ledger.AuthorizeRedemption(p) : hub.ledger.Redeem(p)).status();
}

absl::Status Capture(const v1::CaptureRedemptionRequest& r, Hub& hub, bool* ok) {
  CaptureParams c;
  c.req = Req(r.partner_txn_id(), r.occurred_at_micros());
  c.authorization_partner_txn_id = r.authorization_partner_txn_id();
  c.points = r.points();
  *ok = IsIdKey(r.partner_txn_id()) && IsIdKey(r.authorization_partner_txn_id()) &&
        IsTime(r.occurred_at_micros()) && (r.points() == 0 || IsPoints(r.points(), 1));
  return hub.ledger.CaptureRedemption(c).status();
}

absl::Status Reverse(const v1::ReverseRequest& r, Hub& hub, bool* ok) {
  ReverseParams p;
  p.req = Req(r.partner_txn_id(), r.occurred_at_micros());
  p.original_partner_txn_id = r.original_partner_txn_id();
  p.points = r.points();
  *ok = IsIdKey(r.partner_txn_id()) && IsIdKey(r.original_partner_txn_id()) &&
        IsTime(r.occurred_at_micros()) && (r.points() == 0 || IsPoints(r.points(), 1));
  return hub.ledger.Reverse(p).status();
}

// ---- admin and bank requests

absl::Status RegisterPartner(const v1::RegisterPartnerRequest& r, Hub& hub, bool* ok) {
  PartnerRecord p;
  p.name = r.name();
  p.category = r.category();
  absl::StatusOr<Role> role = FromProto(r.role(), "role");
  if (!role.ok()) return role.status();
  p.role = *role;
  p.earn_rate_bp = r.earn_rate_bp();
  p.max_points_per_txn = r.limits().max_points_per_txn();
  p.max_points_per_member_day = r.limits().max_points_per_member_day();
  p.return_window_days = r.return_window_days();
  *ok = IsText(r.name(), 100) && !r.category().empty() && r.category().size() <= 40 &&
        p.earn_rate_bp >= 0 && p.earn_rate_bp <= 10000 &&
        (p.max_points_per_txn == 0 || IsPoints(p.max_points_per_txn, 1)) &&
        (p.role == Role::kMerchant || p.role == Role::kIssuer);
  return hub.ledger.RegisterPartner("fuzz", p).status();
}

absl::Status SetProgram(const v1::SetProgramRequest& r, Hub& hub, bool* ok) {
  const ProgramRecord p = FromProto(r.program());
  const v1::Program& in = r.program();
  *ok = in.point_value_micros() >= 1 && CurrencyExponent(in.currency()).has_value() &&
        in.hold_timeout_seconds() >= 1 && v1::ExpiryPolicy_IsValid(in.expiry_policy()) &&
        in.expiry_months() >= 0 && in.expiry_years() >= 0 && in.min_redemption_points() >= 0 &&
        in.pin_threshold_points() >= 0;
  return hub.ledger.SetProgram("fuzz", p).status();
}

absl::Status CreatePromotion(const v1::CreatePromotionRequest& r, Hub& hub, bool* ok) {
  absl::StatusOr<PromotionRow> p = FromProto(r.promotion());
  if (!p.ok()) return p.status();
  const v1::Promotion& in = r.promotion();
  *ok = IsText(in.name(), 100) && v1::PromotionScope_IsValid(in.scope()) &&
        in.kind() != v1::PROMOTION_KIND_UNSPECIFIED &&
        in.ends_at_micros() > in.starts_at_micros() && in.min_spend_minor() >= 0;
  return hub.ledger.CreatePromotion("fuzz", *p).status();
}

absl::Status SetTiers(const v1::SetTiersRequest& r, Hub& hub, bool* ok) {
  std::vector<TierRow> tiers;
  for (const v1::Tier& t : r.tiers())
    tiers.push_back({t.name(), t.threshold_minor(), t.multiplier_bp()});
  *ok = r.tiers_size() <= 20;
  for (const v1::Tier& t : r.tiers()) {
    *ok = *ok && IsText(t.name(), 40) && t.threshold_minor() >= 0 && t.multiplier_bp() >= 10000 &&
          t.multiplier_bp() <= 100000;
  }
  return hub.ledger.SetTiers("fuzz", tiers);
}

absl::Status AdjustPoints(const v1::AdjustPointsRequest& r, Hub& hub, bool* ok) {
  AdjustParams a;
  a.actor = "fuzz";
  a.adjustment_id = r.adjustment_id();
  a.card_number = r.card_number();
  a.points = r.points();
  a.reason = r.reason();
  *ok = IsIdKey(a.adjustment_id) && IsCard(a.card_number) && IsText(a.reason, 200) &&
        a.points != 0 && a.points >= -kMaxPointsPerRequest && a.points <= kMaxPointsPerRequest;
  return hub.ledger.AdjustPoints(a).status();
}

absl::Status SetBankRules(const v1::SetBankEarnRulesRequest& r, Hub& hub, bool* ok) {
  BankRulesRow row;
  row.default_rate_bp = r.rules().default_rate_bp();
  row.partner_merchant_rate_bp = r.rules().partner_merchant_rate_bp();
  row.monthly_cap_points = r.rules().monthly_cap_points();
  for (const v1::MccRule& m : r.rules().mcc_rules()) {
    row.mcc_rules.push_back({m.mcc(), m.rate_bp(), m.excluded()});
  }
  *ok = row.default_rate_bp >= 0 && row.default_rate_bp <= 10000 && row.monthly_cap_points >= 0 &&
        row.monthly_cap_points <= kMaxPointsPerRequest;
  for (const MccRuleRow& m : row.mcc_rules) *ok = *ok && m.mcc >= 0 && m.mcc <= 9999;
  return hub.bank.SetRules("fuzz", kCaller, row);
}

// The bank service's card reference: a PAN is checked and hashed, a token passes as is.
absl::StatusOr<std::string> CardRef(const v1::CardRef& card) {
  if (card.has_pan()) {
    if (!IsValidCardNumber(card.pan())) return InvalidField("card.pan", "not a card number");
    return "h:" + HmacSha256Hex("fuzz-key", card.pan());
  }
  return card.token();
}

absl::Status Clearing(const v1::ClearingRecord& r, Hub& hub, bool* ok) {
  ClearingParams p;
  p.bank_id = kCaller;
  p.clearing_id = r.clearing_id();
  absl::StatusOr<std::string> ref = CardRef(r.card());
  if (!ref.ok()) return ref.status();
  p.card_ref = *ref;
  p.amount_minor = r.amount().amount_minor();
  p.currency = r.amount().currency();
  p.mcc = r.mcc();
  p.merchant_id = r.merchant_id();
  p.refund = r.type() == v1::CLEARING_TYPE_REFUND;
  p.original_clearing_id = r.original_clearing_id();
  p.occurred_at = r.occurred_at_micros();
  *ok = IsIdKey(p.clearing_id) && p.clearing_id.size() <= 60 && p.amount_minor > 0 &&
        p.amount_minor <= kMaxAmountMinor && CurrencyExponent(p.currency).has_value() &&
        p.mcc >= 0 && p.mcc <= 9999 && IsTime(p.occurred_at) &&
        (p.merchant_id.empty() || IsMerchantId(p.merchant_id)) &&
        (p.refund ? IsIdKey(p.original_clearing_id) : p.original_clearing_id.empty());
  return hub.bank.SubmitClearing(p).status();
}

// ---- money arithmetic on raw numbers

int64_t Take(absl::string_view* bytes) {
  int64_t v = 0;
  const size_t n = std::min(bytes->size(), sizeof(v));
  std::memcpy(&v, bytes->data(), n);
  bytes->remove_prefix(n);
  return v;
}

void EarnArithmetic(absl::string_view bytes) {
  const int64_t amount = Take(&bytes), rate = Take(&bytes), value = Take(&bytes);
  const int exponent = static_cast<int>(Take(&bytes) % 9) - 1;  // -1..7: both sides of 0..6
  absl::StatusOr<Points> p = EarnPointsFloor(amount, exponent, rate, value);
  const bool domain = amount >= 0 && rate >= 0 && value > 0 && exponent >= 0 && exponent <= 6;
  if (!domain) {
    FUZZ_CHECK(p.status().code() == absl::StatusCode::kInvalidArgument, "earn domain");
    return;
  }
  // The same figure by another route: 10^(6-e) * amount * rate, divided in two steps.
  __int128 scale = 1;
  for (int i = 0; i < 6 - exponent; ++i) scale *= 10;
  __int128 product = 0;
  if (__builtin_mul_overflow(static_cast<__int128>(amount) * scale, static_cast<__int128>(rate),
                             &product)) {
    FUZZ_CHECK(p.status().code() == absl::StatusCode::kOutOfRange, "earn overflow");
    return;
  }
  const __int128 exact = product / 10000 / value;
  if (exact > INT64_MAX) {
    FUZZ_CHECK(p.status().code() == absl::StatusCode::kOutOfRange, "earn overflow");
  } else {
    FUZZ_CHECK(p.ok() && *p == static_cast<int64_t>(exact) && *p >= 0, "earn points");
  }
}

void SettlementArithmetic(absl::string_view bytes) {
  const int64_t points = Take(&bytes), price = Take(&bytes);
  const int exponent = static_cast<int>(static_cast<uint64_t>(Take(&bytes)) % 7);
  absl::StatusOr<int64_t> v = ValueMinorHalfEven(points, price, exponent);
  if (!v.ok()) {
    FUZZ_CHECK(v.status().code() == absl::StatusCode::kOutOfRange, "value overflow");
    return;
  }
  // Half-even: within half a minor unit of the exact value, ties to the even neighbour.
  __int128 unit = 1;
  for (int i = 0; i < 6 - exponent; ++i) unit *= 10;
  const __int128 exact_micros = static_cast<__int128>(points) * price;
  const __int128 diff = static_cast<__int128>(*v) * unit - exact_micros;
  FUZZ_CHECK(2 * diff <= unit && -2 * diff <= unit, "half-even distance");
  if (2 * diff == unit || -2 * diff == unit) FUZZ_CHECK(*v % 2 == 0, "half-even tie");
}

}  // namespace
}  // namespace loyalty

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Invalid UTF-8 in a proto3 string is rejected by the parser, which also logs it.
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace loyalty;  // NOLINT: a fuzz entry point
  if (size == 0) return 0;
  const absl::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 24) {
    case 0:
      Run<v1::EarnRequest>(bytes, "Earn", Earn);
      break;
    case 1:
      Run<v1::RedeemRequest>(bytes, "Redeem",
                             [](auto& r, Hub& h, bool* ok) { return RedeemLike(r, h, ok, false); });
      break;
    case 2:
      Run<v1::AuthorizeRedemptionRequest>(
          bytes, "Authorize", [](auto& r, Hub& h, bool* ok) { return RedeemLike(r, h, ok, true); });
      break;
    case 3:
      Run<v1::CaptureRedemptionRequest>(bytes, "Capture", Capture);
      break;
    case 4:
      Run<v1::VoidRedemptionRequest>(bytes, "Void", [](auto& r, Hub& h, bool* ok) {
        CaptureParams c;
        c.req = Req(r.partner_txn_id(), 0);
        c.authorization_partner_txn_id = r.authorization_partner_txn_id();
        *ok = IsIdKey(r.partner_txn_id()) && IsIdKey(r.authorization_partner_txn_id());
        return h.ledger.VoidRedemption(c).status();
      });
      break;
    case 5:
      Run<v1::ReverseRequest>(bytes, "Reverse", Reverse);
      break;
    case 6:
      Run<v1::EnrollMemberRequest>(bytes, "Enroll", [](auto& r, Hub& h, bool* ok) {
        *ok = IsIdKey(r.partner_txn_id());
        return h.ledger.EnrollMember(Req(r.partner_txn_id(), 0)).status();
      });
      break;
    case 7:
      Run<v1::LinkCardRequest>(bytes, "LinkCard", [](auto& r, Hub& h, bool* ok) {
        *ok = IsIdKey(r.partner_txn_id()) && IsCard(r.card_number()) && IsCard(r.new_card_number());
        return h.ledger.LinkCard(Req(r.partner_txn_id(), 0), r.card_number(), r.new_card_number())
            .status();
      });
      break;
    case 8:
      Run<v1::RegisterBearerCardRequest>(bytes, "Bearer", [](auto& r, Hub& h, bool* ok) {
        *ok = IsIdKey(r.partner_txn_id()) && IsCard(r.card_number()) &&
              IsCard(r.bearer_card_number());
        return h.ledger
            .RegisterBearerCard(Req(r.partner_txn_id(), 0), r.card_number(), r.bearer_card_number())
            .status();
      });
      break;
    case 9:
      Run<v1::GetBalanceRequest>(bytes, "Balance", [](auto& r, Hub& h, bool* ok) {
        *ok = IsCard(r.card_number());
        return h.ledger.GetBalance(r.card_number()).status();
      });
      break;
    case 10:
      Run<v1::QuoteEarnRequest>(bytes, "Quote", [](auto& r, Hub& h, bool* ok) {
        v1::EarnRequest e;
        *e.mutable_card_number() = r.card_number();
        *e.mutable_amount() = r.amount();
        e.set_partner_txn_id("quote");
        EarnParams p;
        const absl::Status s = Earn(e, h, ok);  // the oracle of an earn without an id
        p.req = Req("", 0);
        p.card_number = r.card_number();
        p.amount_minor = r.amount().amount_minor();
        p.currency = r.amount().currency();
        const absl::Status q = h.ledger.QuoteEarn(p).status();
        FUZZ_CHECK(Reached(q) == Reached(s), "quote and earn agree");
        return q;
      });
      break;
    case 11:
      Run<v1::ListTransactionsRequest>(bytes, "List", [](auto& r, Hub& h, bool* ok) {
        // The ledger reads up to a page and one more row (kMaxListRows).
        const bool window_ok =
            r.since_micros() >= 0 && r.until_micros() >= 0 &&
            (r.since_micros() == 0 || r.until_micros() == 0 || r.until_micros() > r.since_micros());
        *ok = (r.card_number().empty() || IsCard(r.card_number())) && r.page_size() >= 1 &&
              r.page_size() <= kMaxListRows && window_ok;
        TxnListParams p;
        p.partner = kCaller;
        p.card_number = r.card_number();
        p.since = r.since_micros();
        p.until = r.until_micros();
        p.limit = r.page_size();
        return h.ledger.ListTransactions(p).status();
      });
      break;
    case 12:
      Run<v1::RegisterMerchantIdRequest>(bytes, "MerchantId", [](auto& r, Hub& h, bool* ok) {
        *ok = IsMerchantId(r.merchant_id());
        return h.bank.RegisterMerchantId(kCaller, r.merchant_id()).status();
      });
      break;
    case 13:
      Run<v1::SetMemberPinRequest>(bytes, "Pin", [](auto& r, Hub& h, bool* ok) {
        const std::string& pin = r.pin();
        *ok = IsCard(r.card_number()) && pin.size() >= 4 && pin.size() <= 8 &&
              pin.find_first_not_of("0123456789") == std::string::npos;
        return h.ledger.SetMemberPin(r.card_number(), pin);
      });
      break;
    case 14:
      Run<v1::RegisterPartnerRequest>(bytes, "RegisterPartner", RegisterPartner);
      break;
    case 15:
      Run<v1::SetProgramRequest>(bytes, "SetProgram", SetProgram);
      break;
    case 16:
      Run<v1::CreatePromotionRequest>(bytes, "Promotion", CreatePromotion);
      break;
    case 17:
      Run<v1::SetTiersRequest>(bytes, "Tiers", SetTiers);
      break;
    case 18:
      Run<v1::AdjustPointsRequest>(bytes, "Adjust", AdjustPoints);
      break;
    case 19:
      Run<v1::SetBankEarnRulesRequest>(bytes, "BankRules", SetBankRules);
      break;
    case 20:
      Run<v1::ClearingRecord>(bytes, "Clearing", Clearing);
      break;
    case 21:
      Run<v1::IssueBearerCardsRequest>(bytes, "Bearers", [](auto& r, Hub& h, bool* ok) {
        *ok = r.count() >= 1 && r.count() <= kMaxBearerCardsPerCall;
        return h.ledger.IssueBearerCards("fuzz", r.count()).status();
      });
      break;
    case 22:
      EarnArithmetic(bytes);
      break;
    case 23:
      SettlementArithmetic(bytes);
      break;
  }
  return 0;
}
