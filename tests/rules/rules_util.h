// Helpers the earn-rules suites share (issue 6): partners with fields LedgerFixture's
// AddPartner does not set, program edits, promotion builders, Berlin wall-clock times.
#ifndef LOYALTY_TESTS_RULES_RULES_UTIL_H_
#define LOYALTY_TESTS_RULES_RULES_UTIL_H_

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/support/test_db.h"
#include "tests/support/test_util.h"

namespace loyalty::testing {

// Registers `p` as it is (return window, caps, role); returns its id.
inline PartnerId AddPartnerRecord(LedgerFixture& f, PartnerRecord p) {
  if (p.name.empty()) p.name = absl::StrCat("Partner ", p.category);
  auto r = f.ledger().RegisterPartner("test", p);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? r->partner.id : 0;
}

// A merchant in `category` earning `rate_bp` whose points stay pending `window_days`.
inline PartnerId AddPartnerWithWindow(LedgerFixture& f, const std::string& category,
                                      int64_t rate_bp, int window_days) {
  PartnerRecord p;
  p.category = category;
  p.role = Role::kMerchant;
  p.earn_rate_bp = rate_bp;
  p.return_window_days = window_days;
  return AddPartnerRecord(f, p);
}

// Reads the program, lets `edit` change fields, writes it back.
template <typename Edit>
void EditProgram(LedgerFixture& f, Edit edit) {
  ProgramRecord p = Ok(f.ledger().GetProgram());
  edit(p);
  auto s = f.ledger().SetProgram("test", p);
  ASSERT_TRUE(s.ok()) << s.status();
}

// A promotion of `kind` over [starts, ends), scope "all", funded by the operator.
inline PromotionRow Promo(std::string name, std::string kind, Micros starts, Micros ends) {
  PromotionRow p;
  p.name = std::move(name);
  p.kind = std::move(kind);
  p.scope = "all";
  p.funder_id = kOperatorId;
  p.starts_at = starts;
  p.ends_at = ends;
  return p;
}

inline PromotionRow FixedPromo(std::string name, Points bonus, Micros starts, Micros ends) {
  PromotionRow p = Promo(std::move(name), promotion_kind::kFixed, starts, ends);
  p.bonus_points = bonus;
  return p;
}

inline PromotionRow MultiplierPromo(std::string name, int64_t multiplier_bp, Micros starts,
                                    Micros ends) {
  PromotionRow p = Promo(std::move(name), promotion_kind::kMultiplier, starts, ends);
  p.multiplier_bp = multiplier_bp;
  return p;
}

// Wall-clock time in Europe/Berlin as microseconds since the epoch.
inline Micros Berlin(int y, int mo, int d, int h, int mi = 0, int s = 0) {
  absl::TimeZone tz;
  EXPECT_TRUE(absl::LoadTimeZone("Europe/Berlin", &tz));
  return absl::ToUnixMicros(absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s), tz));
}

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTS_RULES_RULES_UTIL_H_
