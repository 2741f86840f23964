#include "hub/ledger/member_book.h"

#include <algorithm>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "hub/common/secure_random.h"
#include "hub/common/status_macros.h"
#include "hub/store/batch_rows.h"

namespace loyalty {

std::string MemberAccount(MemberId id) { return absl::StrCat("member:", id); }
std::string PartnerIssuedAccount(PartnerId id) { return absl::StrCat("partner_issued:", id); }
std::string PartnerRedeemedAccount(PartnerId id) { return absl::StrCat("partner_redeemed:", id); }

absl::Status PostTransfer(PostingRows* txn, TxnId txn_id, const std::string& debit,
                          const std::string& credit, Points points, Micros now) {
  LOYALTY_CHECK(points >= 0);
  if (points == 0) return absl::OkStatus();
  TransferRecord t;
  t.txn_id = txn_id;
  t.debit_account = debit;
  t.credit_account = credit;
  t.points = points;
  t.posted_at = now;
  return txn->InsertTransfer(t);
}

absl::StatusOr<MemberBook> MemberBook::Lock(StoreTxn* txn, MemberId id, const Clock& clock) {
  ASSIGN_OR_RETURN(MemberRecord m, txn->LockMember(id));
  // Read after the lock: a request that waited for it judges at the time it got it.
  const Micros now = std::max(clock.NowMicros(), m.last_posted_at);
  MemberBook book(txn, std::move(m), {}, now);
  // Only the lots that matter until something is taken from them (Lots()): those due by
  // now and those still pending. A member's open lots grow with every earn.
  ASSIGN_OR_RETURN(book.lots_, txn->LotsDueOrPending(id, now));
  book.lots_cover_ = now;
  RETURN_IF_ERROR(book.ReloadHolds());
  RETURN_IF_ERROR(book.ExpireDue(now));
  return book;
}

absl::Status MemberBook::ReloadHolds() {
  ASSIGN_OR_RETURN(holds_, txn_->ActiveHolds(member_.id, now_));
  return absl::OkStatus();
}

absl::Status MemberBook::AdvanceTo(Micros t) {
  if (t <= now_) return absl::OkStatus();
  now_ = t;
  RETURN_IF_ERROR(ReloadHolds());  // a hold may have timed out in between
  return ExpireDue(t);
}

absl::Status MemberBook::ExpireDue(Micros now) {
  // Lots due after the time the partial list covers may be missing from it.
  const std::vector<LotRecord>* lots = &*lots_;
  if (!lots_complete_ && now > lots_cover_) {
    ASSIGN_OR_RETURN(lots, Lots());
  }
  Points due = 0;
  int64_t count = 0;
  for (const LotRecord& l : *lots) {
    if (l.expires_at > now || l.remaining == 0) continue;
    due += l.remaining;
    ++count;
  }
  if (due == 0) return absl::OkStatus();
  // A program may keep the points of members who hold a linked co-branded card.
  ASSIGN_OR_RETURN(std::optional<ProgramRecord> program, txn_->GetProgram());
  if (program.has_value() && program->pause_expiry_for_cobranded) {
    ASSIGN_OR_RETURN(std::vector<std::string> cards, txn_->ActiveCardRefs(member_.id));
    if (!cards.empty()) return absl::OkStatus();
  }
  TxnRecord rec;
  rec.partner_id = kOperatorId;
  rec.kind = txn_kind::kExpire;
  rec.member_id = member_.id;
  rec.request_hash = Sha256Hex(txn_kind::kExpire);
  rec.posted_at = rec.occurred_at = now;
  ASSIGN_OR_RETURN(TxnId id, txn_->InsertTxn(rec));
  ASSIGN_OR_RETURN(
      Points taken,
      TakeFromLots(due, {id, consumption_kind::kExpire, std::nullopt, now}, std::nullopt, now));
  LOYALTY_CHECK(taken == due);
  RETURN_IF_ERROR(PostTransfer(txn_, id, MemberAccount(member_.id), kBreakageAccount, due, now));
  RETURN_IF_ERROR(FitHoldsToBalance());
  RETURN_IF_ERROR(Save());
  expired_lots_ += count;
  expired_points_ += due;
  return txn_->UpdateTxnResult(id, due, member_.balance, available());
}

Points MemberBook::held() const {
  Points sum = 0;
  for (const HoldRecord& h : holds_) sum += h.points;
  return sum;
}

Points MemberBook::pending() const {
  // Lock loads every lot pending after its time, and now() never moves earlier.
  LOYALTY_CHECK(lots_.has_value());
  Points sum = 0;
  for (const LotRecord& l : *lots_) {
    if (l.available_at > now_) sum += l.remaining;
  }
  return sum;
}

Micros MemberBook::next_release() const {
  LOYALTY_CHECK(lots_.has_value());
  Micros next = 0;
  for (const LotRecord& l : *lots_) {
    if (l.available_at > now_ && l.remaining > 0 && (next == 0 || l.available_at < next)) {
      next = l.available_at;
    }
  }
  return next;
}

void MemberBook::SortLots() { std::sort(lots_->begin(), lots_->end(), LotBefore); }

absl::StatusOr<std::vector<LotRecord>*> MemberBook::Lots() {
  if (!lots_complete_) {
    // Every change to lots went through txn_, so this read includes them.
    ASSIGN_OR_RETURN(std::vector<LotRecord> lots, txn_->OpenLots(member_.id));
    lots_ = std::move(lots);
    lots_complete_ = true;
  }
  return &*lots_;
}

absl::StatusOr<Points> MemberBook::TakeFromLots(Points points, const TakeRecord& how,
                                                std::optional<LotId> first_lot,
                                                std::optional<Micros> expiring_by) {
  LOYALTY_CHECK(points >= 0);
  ASSIGN_OR_RETURN(std::vector<LotRecord> * lots, Lots());
  // Visit order: the named lot first, then lot order.
  std::vector<LotRecord*> order;
  for (LotRecord& l : *lots) {
    if (first_lot.has_value() && l.id == *first_lot)
      order.insert(order.begin(), &l);
    else
      order.push_back(&l);
  }
  Points taken = 0;
  for (LotRecord* lot : order) {
    if (taken == points) break;
    if (expiring_by.has_value() && lot->expires_at > *expiring_by) continue;
    if (how.spendable_only && lot->available_at > now_) continue;
    const Points take = std::min(points - taken, lot->remaining);
    if (take == 0) continue;
    lot->remaining -= take;
    taken += take;
    RETURN_IF_ERROR(txn_->SetLotRemaining(lot->id, lot->remaining));
    ConsumptionRecord c;
    c.txn_id = how.txn_id;
    c.lot_id = lot->id;
    c.funder_id = lot->funder_id;
    c.redeemer_id = how.redeemer;
    c.kind = how.kind;
    c.points = take;
    c.posted_at = how.posted_at;
    RETURN_IF_ERROR(txn_->InsertConsumption(c));
  }
  member_.balance -= taken;
  return taken;
}

absl::Status MemberBook::RestoreToLot(LotId lot_id, Points points, const TakeRecord& how,
                                      int64_t restores) {
  LOYALTY_CHECK(points > 0);
  ASSIGN_OR_RETURN(LotRecord lot, txn_->GetLot(lot_id));
  LOYALTY_CHECK(lot.remaining + points <= lot.points);
  RETURN_IF_ERROR(txn_->SetLotRemaining(lot.id, lot.remaining + points));
  std::vector<LotRecord>* lots = &*lots_;  // complete or not, the lot belongs in it now
  auto cached =
      std::find_if(lots->begin(), lots->end(), [&](const LotRecord& l) { return l.id == lot.id; });
  if (cached != lots->end()) {
    cached->remaining += points;
  } else {  // emptied before this transaction, so not loaded
    lots->push_back(lot);
    lots->back().remaining += points;
    SortLots();
  }
  ConsumptionRecord c;
  c.txn_id = how.txn_id;
  c.lot_id = lot.id;
  c.funder_id = lot.funder_id;
  c.redeemer_id = how.redeemer;
  c.kind = how.kind;
  c.points = -points;
  c.restores_id = restores;
  c.posted_at = how.posted_at;
  RETURN_IF_ERROR(txn_->InsertConsumption(c));
  ASSIGN_OR_RETURN(member_.balance, CheckedAdd(member_.balance, points, "balance"));
  return absl::OkStatus();
}

absl::StatusOr<LotId> MemberBook::AddLot(PartnerId funder, TxnId earn_txn, Points points,
                                         Micros earned_at, Micros expires_at, Micros available_at) {
  LOYALTY_CHECK(points > 0);
  LotRecord lot;
  lot.member_id = member_.id;
  lot.funder_id = funder;
  lot.earn_txn_id = earn_txn;
  lot.points = points;
  lot.remaining = points;
  lot.earned_at = earned_at;
  lot.expires_at = expires_at;
  lot.available_at = available_at;
  ASSIGN_OR_RETURN(lot.id, txn_->InsertLot(lot));
  if (member_.debt > 0) {
    ASSIGN_OR_RETURN(std::vector<DebtRecord> debts, txn_->OpenDebts(member_.id));
    for (const DebtRecord& d : debts) {
      if (lot.remaining == 0) break;
      const Points repay = std::min(lot.remaining, d.outstanding);
      lot.remaining -= repay;
      member_.debt -= repay;
      RETURN_IF_ERROR(txn_->SetDebtOutstanding(d.id, d.outstanding - repay));
      ConsumptionRecord c;
      c.txn_id = earn_txn;
      c.lot_id = lot.id;
      c.funder_id = funder;
      c.redeemer_id = d.funder_id;
      c.kind = consumption_kind::kDebtRepay;
      c.points = repay;
      c.posted_at = earned_at;
      RETURN_IF_ERROR(txn_->InsertConsumption(c));
    }
    RETURN_IF_ERROR(txn_->SetLotRemaining(lot.id, lot.remaining));
  }
  lots_->push_back(lot);  // complete or not, the new lot belongs in it
  SortLots();
  ASSIGN_OR_RETURN(member_.balance, CheckedAdd(member_.balance, points, "balance"));
  return lot.id;
}

absl::Status MemberBook::AddDebt(PartnerId funder, TxnId txn, Points points, Micros now) {
  LOYALTY_CHECK(points > 0);
  DebtRecord d;
  d.member_id = member_.id;
  d.funder_id = funder;
  d.txn_id = txn;
  d.points = points;
  d.outstanding = points;
  d.created_at = now;
  RETURN_IF_ERROR(txn_->InsertDebt(d));
  member_.debt += points;
  member_.balance -= points;
  return absl::OkStatus();
}

absl::Status MemberBook::FitHoldsToBalance() {
  // Newest holds give way first: the oldest authorization is the likeliest to be
  // captured at a till right now.
  for (HoldRecord& h : holds_) {
    const Points excess = held() - std::max<Points>(member_.balance - pending(), 0);
    if (excess <= 0) break;
    const Points shrink = std::min(excess, h.points);
    h.points -= shrink;
    RETURN_IF_ERROR(txn_->UpdateHold(
        h.id, h.points == 0 ? hold_status::kVoided : hold_status::kActive, h.points));
  }
  return absl::OkStatus();
}

absl::Status MemberBook::AddHold(const HoldRecord& hold) {
  LOYALTY_CHECK(hold.member_id == member_.id && hold.points > 0);
  RETURN_IF_ERROR(txn_->InsertHold(hold));
  return ReloadHolds();  // with its row id
}

absl::Status MemberBook::CloseHold(int64_t hold_id, const std::string& status, Points points) {
  auto it = std::find_if(holds_.begin(), holds_.end(),
                         [&](const HoldRecord& h) { return h.id == hold_id; });
  if (it != holds_.end()) holds_.erase(it);
  return txn_->UpdateHold(hold_id, status, points);
}

absl::Status MemberBook::Save() {
  LOYALTY_CHECK(member_.debt >= 0);
  // A balance goes negative only through a debt (an earn reversal without cover).
  LOYALTY_CHECK(member_.balance >= 0 || member_.debt > 0);
  // Holds never reserve more than the member has, unless a debt explains it.
  LOYALTY_CHECK(available() >= 0 || member_.debt > 0);
  member_.last_posted_at = std::max(member_.last_posted_at, now_);
  return txn_->UpdateMember(member_);
}

}  // namespace loyalty
