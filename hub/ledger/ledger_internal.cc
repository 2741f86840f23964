#include "hub/ledger/ledger_internal.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "hub/common/error_reason.h"
#include "hub/common/secure_random.h"

namespace loyalty {

std::string RequestHash(absl::string_view kind, absl::Span<const absl::string_view> parts) {
  // Lengths make the encoding unambiguous ("a|b" + "c" differs from "a" + "b|c").
  std::string canonical(kind);
  for (absl::string_view p : parts) absl::StrAppend(&canonical, "|", p.size(), ":", p);
  return Sha256Hex(canonical);
}

// An earn's explanation as it was first answered: the note "base|tier bonus|tier[|points
// before the caps]" and
// the promotions' awards.
static absl::Status ReplayEarnBreakdown(StoreTxn* txn, const TxnRecord& earn, Posting* p) {
  ASSIGN_OR_RETURN(std::optional<LotRecord> lot, txn->LotOfEarn(earn.id));
  if (lot.has_value() && lot->expires_at != kNeverExpires) p->expires_at = lot->expires_at;
  if (lot.has_value() && lot->available_at > earn.posted_at) p->pending_until = lot->available_at;
  std::vector<std::string> parts = absl::StrSplit(earn.note, '|');
  if (parts.size() >= 1) (void)absl::SimpleAtoi(parts[0], &p->base_points);
  if (parts.size() >= 2) (void)absl::SimpleAtoi(parts[1], &p->tier_bonus);
  if (parts.size() >= 3) p->tier = parts[2];
  if (parts.size() >= 4 && absl::SimpleAtoi(parts[3], &p->uncapped_points)) p->capped = true;
  if (!p->capped) p->uncapped_points = p->base_points + p->tier_bonus;
  ASSIGN_OR_RETURN(std::vector<PromotionAwardRow> awards, txn->AwardsOfEarn(earn.id));
  for (const PromotionAwardRow& a : awards) {
    ASSIGN_OR_RETURN(std::optional<TxnRecord> bonus, txn->GetTxn(a.bonus_txn_id));
    p->bonuses.push_back({a.promotion_id, bonus.has_value() ? bonus->note : "", a.points,
                          bonus.has_value() ? bonus->partner_id : kOperatorId});
  }
  return absl::OkStatus();
}

RequestIdentity TimedRequest(absl::string_view kind, std::vector<absl::string_view> parts,
                             Micros occurred_at) {
  const std::string time = absl::StrCat(occurred_at);
  parts.push_back(time);
  RequestIdentity id(RequestHash(kind, parts));
  if (occurred_at != 0) {
    parts.back() = "0";
    id.hash_without_time = RequestHash(kind, parts);
  }
  id.kind = std::string(kind);
  id.occurred_at = occurred_at;
  return id;
}

// The first field in which `request` differs from the transaction its key posted, as
// "field: before, now"; "" when no compared column differs (another field of the request
// did, for example its points).
static absl::StatusOr<std::string> Difference(StoreTxn* txn, const TxnRecord& found,
                                              const RequestIdentity& request) {
  if (!request.kind.empty() && request.kind != found.kind) {
    return absl::StrCat("kind: ", found.kind, " before, ", request.kind, " now");
  }
  if (!request.card_number.empty()) {
    ASSIGN_OR_RETURN(std::optional<CardRecord> card, txn->FindCard(request.card_number));
    if (!card.has_value() || card->member_id != found.member_id) {
      return std::string("card_number: a card of another member than before");
    }
  }
  if (request.amount_minor.has_value() && *request.amount_minor != found.amount_minor) {
    return absl::StrCat("amount.amount_minor: ", found.amount_minor, " sent before, ",
                        *request.amount_minor, " now");
  }
  if (!request.currency.empty() && request.currency != found.currency) {
    return absl::StrCat("amount.currency: ", found.currency, " sent before, ", request.currency,
                        " now");
  }
  // An original without a time was posted with occurred_at = posted_at, and any stated
  // time matches it (CheckReplay): only two stated times can differ.
  const bool stated_before = found.occurred_at != found.posted_at;
  if (request.occurred_at != 0 && stated_before && request.occurred_at != found.occurred_at) {
    return absl::StrCat("occurred_at_micros: ", found.occurred_at, " sent before, ",
                        request.occurred_at, " now");
  }
  if (request.occurred_at == 0 && stated_before) {
    return absl::StrCat("occurred_at_micros: ", found.occurred_at, " sent before, none now");
  }
  return std::string();
}

absl::StatusOr<std::optional<Posting>> CheckReplay(StoreTxn* txn, PartnerId partner,
                                                   const std::string& partner_txn_id,
                                                   const RequestIdentity& request) {
  ASSIGN_OR_RETURN(std::optional<TxnRecord> found, txn->FindTxn(partner, partner_txn_id));
  if (!found.has_value()) return std::nullopt;
  const bool same =
      found->request_hash == request.hash ||
      (!request.hash_without_time.empty() && found->request_hash == request.hash_without_time);
  if (!same) {
    // The operator's own requests (AdjustPoints) name their key adjustment_id.
    const char* field = partner == kOperatorId ? "adjustment_id" : "partner_txn_id";
    ASSIGN_OR_RETURN(std::string difference, Difference(txn, *found, request));
    std::vector<std::pair<std::string, std::string>> metadata = {{"hub_txn_id",
                                                                  absl::StrCat(found->id)}};
    // The difference starts with the field that differs ("occurred_at_micros: ...").
    if (size_t colon = difference.find(": "); colon != std::string::npos) {
      metadata.emplace_back("differing_field", difference.substr(0, colon));
    }
    return WithReason(
        absl::AlreadyExistsError(absl::StrCat(
            field, ": '", partner_txn_id, "' was already used for a different request (",
            found->kind, ", hub_txn_id ", found->id, ")",
            difference.empty() ? "" : absl::StrCat(": ", difference))),
        reason::kIdempotencyMismatch, metadata);
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
  if (found->kind == txn_kind::kEarn) RETURN_IF_ERROR(ReplayEarnBreakdown(txn, *found, &p));
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

absl::StatusOr<CardRecord> ResolveCard(PostingRows* txn, absl::string_view field,
                                       const std::string& card_number) {
  ASSIGN_OR_RETURN(std::optional<CardRecord> card, txn->FindCard(card_number));
  if (!card.has_value()) {
    return WithReason(absl::NotFoundError(absl::StrCat(field, ": no such card")),
                      reason::kCardNotFound);
  }
  return *card;
}

absl::StatusOr<MemberBook> LockMemberOfCard(StoreTxn* txn, absl::string_view field,
                                            const std::string& card_number, const Clock& clock) {
  ASSIGN_OR_RETURN(CardRecord card, ResolveCard(txn, field, card_number));
  ASSIGN_OR_RETURN(MemberBook book, MemberBook::Lock(txn, card.member_id, clock));
  ASSIGN_OR_RETURN(CardRecord again, ResolveCard(txn, field, card_number));
  if (again.member_id != card.member_id) {
    return WithReason(
        absl::AbortedError(absl::StrCat(field, ": card moved to another member, retry")),
        reason::kCardMoved);
  }
  return book;
}

LockPlan CardLockPlan(const std::string& card_number) {
  LockPlan plan;
  plan.card_number = card_number;
  return plan;
}

LockPlan TxnLockPlan(PartnerId partner, const std::string& partner_txn_id) {
  LockPlan plan;
  plan.txn_partner = partner;
  plan.txn_id = partner_txn_id;
  return plan;
}

absl::StatusOr<ProgramRecord> RequireProgram(RulesAdminRows* txn) {
  ASSIGN_OR_RETURN(std::optional<ProgramRecord> program, txn->GetProgram());
  if (!program.has_value()) {
    return WithReason(
        absl::FailedPreconditionError("program: not configured yet (AdminService.SetProgram)"),
        reason::kProgramNotConfigured);
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

absl::Status FinishPosting(PostingRows* txn, TxnId id, Points points, const MemberBook& book,
                           Posting* out) {
  out->txn_id = id;
  out->member_id = book.id();
  out->points = points;
  out->balance_after = book.balance();
  out->available_after = book.available();
  return txn->UpdateTxnResult(id, points, out->balance_after, out->available_after);
}

absl::StatusOr<Micros> LotExpiry(const ProgramRecord& program, Micros earned_at) {
  if (program.expiry_policy == expiry_policy::kEndOfYear) {
    // The end of the Nth calendar year after the year of earning, in the program's
    // zone: earned in 2026 with N = 3 -> expires at 2030-01-01T00:00 local.
    absl::TimeZone tz;
    if (!absl::LoadTimeZone(program.time_zone, &tz)) {
      return absl::FailedPreconditionError("program.time_zone: unknown zone");
    }
    const absl::CivilYear year = absl::ToCivilYear(absl::FromUnixMicros(earned_at), tz);
    return absl::ToUnixMicros(absl::FromCivil(year + program.expiry_years + 1, tz));
  }
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
