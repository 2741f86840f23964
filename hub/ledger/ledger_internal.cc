#include "hub/ledger/ledger_internal.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "hub/common/secure_random.h"

namespace loyalty {

std::string RequestHash(absl::string_view kind, std::initializer_list<absl::string_view> parts) {
  // Lengths make the encoding unambiguous ("a|b" + "c" differs from "a" + "b|c").
  std::string canonical(kind);
  for (absl::string_view p : parts) absl::StrAppend(&canonical, "|", p.size(), ":", p);
  return Sha256Hex(canonical);
}

absl::StatusOr<std::optional<Posting>> CheckReplay(StoreTxn* txn, PartnerId partner,
                                                   const std::string& partner_txn_id,
                                                   const std::string& request_hash) {
  ASSIGN_OR_RETURN(std::optional<TxnRecord> found, txn->FindTxn(partner, partner_txn_id));
  if (!found.has_value()) return std::nullopt;
  if (found->request_hash != request_hash) {
    // The operator's own requests (AdjustPoints) name their key adjustment_id.
    const char* field = partner == kOperatorId ? "adjustment_id" : "partner_txn_id";
    return absl::AlreadyExistsError(absl::StrCat(field, ": '", partner_txn_id,
                                                 "' was already used for a different request (",
                                                 found->kind, ", hub_txn_id ", found->id, ")"));
  }
  Posting p;
  p.txn_id = found->id;
  p.member_id = found->member_id;
  p.points = found->points;
  p.base_points = found->points;
  p.balance_after = found->balance_after;
  p.available_after = found->available_after;
  p.replayed = true;
  if (found->kind == txn_kind::kEnroll) p.card_number = found->note;
  if (found->kind == txn_kind::kEarn) {
    ASSIGN_OR_RETURN(std::optional<LotRecord> lot, txn->LotOfEarn(found->id));
    if (lot.has_value() && lot->expires_at != kNeverExpires) p.expires_at = lot->expires_at;
    int64_t base = 0;
    if (absl::SimpleAtoi(found->note, &base)) p.base_points = base;
  }
  if (found->kind == txn_kind::kAuthorize) {
    ASSIGN_OR_RETURN(std::optional<HoldRecord> hold, txn->HoldOfAuthorization(found->id));
    if (hold.has_value()) p.hold_expires_at = hold->expires_at;
  }
  if (found->kind == txn_kind::kReverseEarn) {
    int64_t debt = 0;
    if (absl::SimpleAtoi(found->note, &debt)) p.debt_created = debt;
  }
  return p;
}

absl::StatusOr<CardRecord> ResolveCard(StoreTxn* txn, absl::string_view field,
                                       const std::string& card_number) {
  ASSIGN_OR_RETURN(std::optional<CardRecord> card, txn->FindCard(card_number));
  if (!card.has_value()) return absl::NotFoundError(absl::StrCat(field, ": no such card"));
  return *card;
}

absl::StatusOr<MemberBook> LockMemberOfCard(StoreTxn* txn, absl::string_view field,
                                            const std::string& card_number, Micros now) {
  ASSIGN_OR_RETURN(CardRecord card, ResolveCard(txn, field, card_number));
  ASSIGN_OR_RETURN(MemberBook book, MemberBook::Lock(txn, card.member_id, now));
  ASSIGN_OR_RETURN(CardRecord again, ResolveCard(txn, field, card_number));
  if (again.member_id != card.member_id) {
    return absl::AbortedError(absl::StrCat(field, ": card moved to another member, retry"));
  }
  return book;
}

absl::StatusOr<ProgramRecord> RequireProgram(StoreTxn* txn) {
  ASSIGN_OR_RETURN(std::optional<ProgramRecord> program, txn->GetProgram());
  if (!program.has_value()) {
    return absl::FailedPreconditionError("program: not configured yet (AdminService.SetProgram)");
  }
  return *program;
}

TxnRecord NewTxn(const PartnerRequest& req, absl::string_view kind, MemberId member,
                 const std::string& request_hash, Micros now) {
  TxnRecord t;
  t.partner_id = req.partner_id;
  t.partner_txn_id = req.partner_txn_id;
  t.kind = std::string(kind);
  t.member_id = member;
  t.request_hash = request_hash;
  t.posted_at = now;
  t.occurred_at = req.occurred_at != 0 ? req.occurred_at : now;
  return t;
}

absl::Status FinishPosting(StoreTxn* txn, TxnId id, Points points, const MemberBook& book,
                           Posting* out) {
  out->txn_id = id;
  out->member_id = book.id();
  out->points = points;
  out->balance_after = book.balance();
  out->available_after = book.available();
  return txn->UpdateTxnResult(id, points, out->balance_after, out->available_after);
}

absl::StatusOr<Micros> LotExpiry(const ProgramRecord& program, Micros earned_at) {
  if (program.expiry_months <= 0) return kNeverExpires;
  const absl::Time t = absl::FromUnixMicros(earned_at);
  const absl::CivilSecond cs = absl::ToCivilSecond(t, absl::UTCTimeZone());
  // Same day-of-month N months later; absl normalises 31 Jan + 1 month to 3 Mar, so
  // clamp to the last day of the target month instead.
  const absl::CivilMonth target = absl::CivilMonth(cs) + program.expiry_months;
  const absl::CivilDay last_day = absl::CivilDay(target + 1) - 1;
  const int day = std::min(cs.day(), last_day.day());
  const absl::CivilSecond out(target.year(), target.month(), day, cs.hour(), cs.minute(),
                              cs.second());
  return absl::ToUnixMicros(absl::FromCivil(out, absl::UTCTimeZone())) +
         (earned_at % 1'000'000 + 1'000'000) % 1'000'000;
}

Micros StartOfUtcDay(Micros t) {
  const absl::CivilDay day = absl::ToCivilDay(absl::FromUnixMicros(t), absl::UTCTimeZone());
  return absl::ToUnixMicros(absl::FromCivil(day, absl::UTCTimeZone()));
}

}  // namespace loyalty
