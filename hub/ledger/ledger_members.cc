// Members and cards: enrolment, extra cards, bearer-card registration (merge), balance
// and history reads.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "hub/common/error_reason.h"
#include "hub/common/secure_random.h"
#include "hub/ledger/earn_rules.h"
#include "hub/ledger/ledger.h"
#include "hub/ledger/ledger_internal.h"
#include "hub/ledger/validate.h"

namespace loyalty {
namespace {

constexpr int kCardNumberAttempts = 8;

// Creates a card with a fresh random number for `member`.
absl::StatusOr<std::string> InsertNewCard(StoreTxn* txn, MemberId member, bool bearer, Micros now) {
  for (int i = 0; i < kCardNumberAttempts; ++i) {
    CardRecord card{NewCardNumber(), member, bearer};
    absl::Status s = txn->InsertCard(card, now);
    if (s.ok()) return card.number;
    if (!absl::IsAlreadyExists(s)) return s;
  }
  return absl::InternalError("could not find a free card number");
}

// The member's tier, its 12-month spend and what the next tier needs.
absl::Status TierProgress(StoreTxn* txn, const MemberBook& book, Micros now, BalanceView* view) {
  ASSIGN_OR_RETURN(std::vector<TierRow> tiers, txn->ListTiers());
  if (tiers.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(view->spend_12m_minor, txn->SpendSince(book.id(), now - kRollingYear));
  view->tier = book.member().tier;
  for (const TierRow& t : tiers) {  // by threshold
    if (t.threshold_minor > view->spend_12m_minor) {
      view->next_tier = t.name;
      view->next_tier_threshold_minor = t.threshold_minor;
      break;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<std::string>> Ledger::IssueBearerCards(const std::string& actor,
                                                                  int count) {
  if (count < 1 || count > kMaxBearerCardsPerCall) {
    return InvalidField("count", absl::StrCat("must be 1..", kMaxBearerCardsPerCall));
  }
  std::vector<std::string> cards;
  RETURN_IF_ERROR(store_->RunInTransaction([&](StoreTxn& txn) -> absl::Status {
    cards.clear();
    const Micros now = clock_->NowMicros();
    for (int i = 0; i < count; ++i) {
      ASSIGN_OR_RETURN(MemberId member, txn.InsertMember(/*anonymous=*/true, now));
      ASSIGN_OR_RETURN(std::string number, InsertNewCard(&txn, member, /*bearer=*/true, now));
      cards.push_back(std::move(number));
    }
    return txn.InsertAudit(now, actor, "issue_bearer_cards", absl::StrCat("count=", count), "",
                           AuditState().Int("bearer_cards_issued", count).Json());
  }));
  return cards;
}

absl::StatusOr<Posting> Ledger::EnrollMember(const PartnerRequest& req) {
  return AwaitPosting([&](PostingDone done) { EnrollMember(req, std::move(done)); });
}

absl::StatusOr<Posting> Ledger::LinkCard(const PartnerRequest& req, const std::string& card_number,
                                         const std::string& new_card_number) {
  return AwaitPosting(
      [&](PostingDone done) { LinkCard(req, card_number, new_card_number, std::move(done)); });
}

absl::StatusOr<Posting> Ledger::RegisterBearerCard(const PartnerRequest& req,
                                                   const std::string& card_number,
                                                   const std::string& bearer_card_number) {
  return AwaitPosting([&](PostingDone done) {
    RegisterBearerCard(req, card_number, bearer_card_number, std::move(done));
  });
}

void Ledger::EnrollMember(PartnerRequest req, PostingDone done) {
  if (absl::Status s = ValidateIdempotencyKey("partner_txn_id", req.partner_txn_id); !s.ok()) {
    return done(s);
  }
  const std::string hash = RequestHash(txn_kind::kEnroll, {});
  // A new member: nothing to lock but the request's own key.
  const LockPlan plan;
  PostPartnerRequest(
      store_, req, hash, plan,
      [this, req, hash](StoreTxn& txn, Posting& out) -> absl::Status {
        const Micros now = clock_->NowMicros();
        ASSIGN_OR_RETURN(MemberId member, txn.InsertMember(/*anonymous=*/false, now));
        ASSIGN_OR_RETURN(std::string card, InsertNewCard(&txn, member, /*bearer=*/false, now));
        TxnRecord rec = NewTxn(req, txn_kind::kEnroll, member, hash, now);
        rec.note = card;
        ASSIGN_OR_RETURN(out.txn_id, txn.InsertTxn(rec));
        out.member_id = member;
        out.card_number = card;
        return absl::OkStatus();
      },
      std::move(done));
}

void Ledger::LinkCard(PartnerRequest req, std::string card_number, std::string new_card_number,
                      PostingDone done) {
  absl::Status invalid = ValidateIdempotencyKey("partner_txn_id", req.partner_txn_id);
  if (invalid.ok()) invalid = ValidateCardNumber("card_number", card_number);
  if (invalid.ok()) invalid = ValidateCardNumber("new_card_number", new_card_number);
  if (!invalid.ok()) return done(invalid);
  const std::string hash = RequestHash(txn_kind::kLinkCard, {card_number, new_card_number});
  LockPlan plan = CardLockPlan(card_number);
  plan.takes_from_lots = false;
  PostPartnerRequest(
      store_, req, hash, plan,
      [this, req, hash, card_number, new_card_number](StoreTxn& txn, Posting& out) -> absl::Status {
        ASSIGN_OR_RETURN(MemberBook book,
                         LockMemberOfCard(&txn, "card_number", card_number, *clock_));
        const Micros now = book.now();
        absl::Status inserted = txn.InsertCard({new_card_number, book.id(), false}, now);
        if (absl::IsAlreadyExists(inserted)) {
          return WithReason(absl::AlreadyExistsError("new_card_number: already in use"),
                            reason::kCardInUse);
        }
        RETURN_IF_ERROR(inserted);
        TxnRecord rec = NewTxn(req, txn_kind::kLinkCard, book.id(), hash, now);
        ASSIGN_OR_RETURN(TxnId id, txn.InsertTxn(rec));
        return FinishPosting(&txn, id, 0, book, &out);
      },
      std::move(done));
}

void Ledger::RegisterBearerCard(PartnerRequest req, std::string card_number,
                                std::string bearer_card_number, PostingDone done) {
  absl::Status invalid = ValidateIdempotencyKey("partner_txn_id", req.partner_txn_id);
  if (invalid.ok()) invalid = ValidateCardNumber("card_number", card_number);
  if (invalid.ok()) invalid = ValidateCardNumber("bearer_card_number", bearer_card_number);
  if (!invalid.ok()) return done(invalid);
  const std::string hash = RequestHash(txn_kind::kMerge, {card_number, bearer_card_number});
  LockPlan plan = CardLockPlan(card_number);
  plan.second_card_number = bearer_card_number;
  PostPartnerRequest(
      store_, req, hash, plan,
      [this, req, hash, card_number, bearer_card_number](StoreTxn& txn,
                                                         Posting& out) -> absl::Status {
        ASSIGN_OR_RETURN(CardRecord target_card, ResolveCard(&txn, "card_number", card_number));
        ASSIGN_OR_RETURN(CardRecord bearer_card,
                         ResolveCard(&txn, "bearer_card_number", bearer_card_number));
        if (!bearer_card.bearer) {
          return WithReason(absl::FailedPreconditionError("bearer_card_number: not a bearer card"),
                            reason::kNotBearerCard);
        }
        if (bearer_card.member_id == target_card.member_id) {
          return absl::FailedPreconditionError(
              "bearer_card_number: already registered to this member");
        }
        // Lock both members in ascending id order.
        const MemberId first = std::min(bearer_card.member_id, target_card.member_id);
        const MemberId second = std::max(bearer_card.member_id, target_card.member_id);
        ASSIGN_OR_RETURN(MemberBook a, MemberBook::Lock(&txn, first, *clock_));
        ASSIGN_OR_RETURN(MemberBook b, MemberBook::Lock(&txn, second, *clock_));
        // One time for the posting over both members: the later of theirs.
        const Micros now = std::max(a.now(), b.now());
        RETURN_IF_ERROR(a.AdvanceTo(now));
        RETURN_IF_ERROR(b.AdvanceTo(now));
        MemberBook& bearer = a.id() == bearer_card.member_id ? a : b;
        MemberBook& target = a.id() == bearer_card.member_id ? b : a;
        if (!bearer.member().anonymous || bearer.member().merged_into.has_value()) {
          return absl::FailedPreconditionError("bearer_card_number: already registered");
        }
        if (target.member().anonymous) {
          return absl::FailedPreconditionError(
              "card_number: is itself an unregistered bearer card");
        }
        if (bearer.held() > 0) {
          return absl::FailedPreconditionError(
              "bearer_card_number: has an open authorization; capture or void it first");
        }
        TxnRecord rec = NewTxn(req, txn_kind::kMerge, target.id(), hash, now);
        rec.note = bearer_card_number;
        ASSIGN_OR_RETURN(TxnId id, txn.InsertTxn(rec));
        const Points moved = bearer.balance();
        RETURN_IF_ERROR(txn.MoveLots(bearer.id(), target.id()));
        RETURN_IF_ERROR(txn.MoveDebts(bearer.id(), target.id()));
        RETURN_IF_ERROR(txn.RepointCards(bearer.id(), target.id()));
        if (moved > 0) {
          RETURN_IF_ERROR(PostTransfer(&txn, id, MemberAccount(bearer.id()),
                                       MemberAccount(target.id()), moved, now));
        } else if (moved < 0) {
          RETURN_IF_ERROR(PostTransfer(&txn, id, MemberAccount(target.id()),
                                       MemberAccount(bearer.id()), -moved, now));
        }
        MemberRecord t = target.member();
        ASSIGN_OR_RETURN(t.balance, CheckedAdd(t.balance, moved, "balance"));
        t.debt += bearer.debt();
        MemberRecord m = bearer.member();
        m.balance = 0;
        m.debt = 0;
        m.merged_into = target.id();
        m.last_posted_at = std::max(m.last_posted_at, now);
        t.last_posted_at = std::max(t.last_posted_at, now);
        RETURN_IF_ERROR(txn.UpdateMember(m));
        RETURN_IF_ERROR(txn.UpdateMember(t));
        // A moved debt can leave the target's holds promising more than it now has.
        ASSIGN_OR_RETURN(MemberBook merged, MemberBook::Lock(&txn, target.id(), *clock_));
        RETURN_IF_ERROR(merged.FitHoldsToBalance());
        RETURN_IF_ERROR(merged.Save());
        return FinishPosting(&txn, id, moved, merged, &out);
      },
      std::move(done));
}

absl::StatusOr<BalanceView> Ledger::GetBalance(const std::string& card_number) {
  RETURN_IF_ERROR(ValidateCardNumber("card_number", card_number));
  BalanceView view;
  RETURN_IF_ERROR(store_->RunInTransaction([&](StoreTxn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(MemberBook book, LockMemberOfCard(&txn, "card_number", card_number, *clock_));
    const Micros now = book.now();
    ASSIGN_OR_RETURN(std::vector<LotRecord> * lots, book.Lots());
    view = BalanceView{};
    view.member_id = book.id();
    view.balance = book.balance();
    view.held = book.held();
    view.available = book.available();
    view.debt = book.debt();
    for (const LotRecord& lot : *lots) {  // lot order: the earliest expiry comes first
      if (lot.remaining == 0) continue;   // emptied by the lazy expiry of Lock
      if (lot.expires_at == kNeverExpires) break;
      if (view.next_expiry_at != 0 && lot.expires_at != view.next_expiry_at) break;
      view.next_expiry_at = lot.expires_at;
      view.next_expiry_points += lot.remaining;
    }
    view.pending = book.pending();
    return TierProgress(&txn, book, now, &view);
  }));
  return view;
}

absl::StatusOr<std::vector<TxnRecord>> Ledger::ListTransactions(const TxnListParams& p) {
  if (!p.card_number.empty()) RETURN_IF_ERROR(ValidateCardNumber("card_number", p.card_number));
  if (p.limit < 1 || p.limit > kMaxListRows) {
    return InvalidField("page_size", absl::StrCat("must be 1..", kMaxPageSize));
  }
  if (p.since < 0) return InvalidField("since_micros", "must not be negative (0 = unbounded)");
  if (p.until < 0) return InvalidField("until_micros", "must not be negative (0 = unbounded)");
  if (p.since != 0 && p.until != 0 && p.until <= p.since) {
    return InvalidField("until_micros", "must be after since_micros");
  }
  TxnQuery q;
  q.partner = p.partner;
  q.before_id = p.before_id;
  q.since = p.since;
  q.until = p.until == 0 ? INT64_MAX : p.until;
  q.limit = p.limit;
  std::vector<TxnRecord> out;
  RETURN_IF_ERROR(store_->RunInTransaction([&](StoreTxn& txn) -> absl::Status {
    if (!p.card_number.empty()) {
      ASSIGN_OR_RETURN(CardRecord card, ResolveCard(&txn, "card_number", p.card_number));
      q.member = card.member_id;
    }
    ASSIGN_OR_RETURN(out, txn.ListTxns(q));
    return absl::OkStatus();
  }));
  return out;
}

}  // namespace loyalty
