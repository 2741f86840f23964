#include "hub/store/working_set.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "hub/common/money.h"
#include "hub/common/status_macros.h"

namespace loyalty {

// ---- undo log

template <typename K, typename V>
void WorkingSet::Remember(std::map<K, V>& m, const K& k) {
  if (!in_request_ || with_savepoint_) return;  // a rerun is undone by its savepoint
  auto it = m.find(k);
  if (it == m.end()) {
    undo_.push_back([&m, k] { m.erase(k); });
  } else {
    undo_.push_back([&m, k, old = it->second] { m[k] = old; });
  }
}

template <typename K>
void WorkingSet::Remember(std::set<K>& s, const K& k) {
  if (!in_request_ || with_savepoint_) return;
  const bool had = s.count(k) > 0;
  undo_.push_back([&s, k, had] {
    if (had) {
      s.insert(k);
    } else {
      s.erase(k);
    }
  });
}

template <typename T>
void WorkingSet::Remember(std::vector<T>& v) {
  if (!in_request_ || with_savepoint_) return;
  undo_.push_back([&v, n = v.size()] { v.resize(n); });
}

// ---- load

absl::Status WorkingSet::Load(const std::vector<const LockPlan*>& plans) {
  std::vector<std::string> cards;
  std::vector<TxnKey> named;           // earlier transactions the requests refer to
  std::vector<TxnKey> keys;            // named ones and the requests' own idempotency keys
  std::set<std::string> cards_taking;  // cards of requests that take from lots
  bool named_taking = false;
  std::vector<std::string> refs;  // bank card references (clearing records)
  std::set<std::string> refs_taking;
  std::vector<ClearingKey> clearing_keys;  // clearing records and refunds' purchases
  std::vector<std::pair<std::string, std::string>> card_months;  // (card ref, month)
  std::vector<MemberId> ids;                                     // members to lock
  std::set<MemberId> all_lots;
  for (const LockPlan* p : plans) {
    if (!p->card_number.empty()) cards.push_back(p->card_number);
    if (!p->second_card_number.empty()) cards.push_back(p->second_card_number);
    if (!p->txn_id.empty()) named.push_back({p->txn_partner, p->txn_id});
    if (!p->key.empty()) keys.push_back({p->key_partner, p->key});
    if (!p->card_ref.empty()) {
      refs.push_back(p->card_ref);
      if (p->takes_from_lots) refs_taking.insert(p->card_ref);
    }
    if (!p->clearing_id.empty()) clearing_keys.push_back({p->clearing_bank, p->clearing_id});
    if (p->member != 0) {
      ids.push_back(p->member);
      if (p->takes_from_lots) all_lots.insert(p->member);
    }
    if (!p->card_ref.empty() && !p->card_month.empty()) {
      card_months.push_back({p->card_ref, p->card_month});
    }
    if (!p->original_clearing_id.empty()) {
      clearing_keys.push_back({p->clearing_bank, p->original_clearing_id});
    }
    if (p->takes_from_lots) {
      cards_taking.insert(p->card_number);
      cards_taking.insert(p->second_card_number);
      named_taking = named_taking || !p->txn_id.empty();
    }
  }
  auto unique = [](auto& v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
  };
  unique(cards);
  unique(named);
  unique(refs);
  unique(clearing_keys);
  unique(card_months);
  keys.insert(keys.end(), named.begin(), named.end());
  unique(keys);

  // The rules: those of an earlier batch while their version holds.
  ASSIGN_OR_RETURN(const int64_t version, rows_->RulesVersion());
  if (cached_ != nullptr && cached_->version == version) rules_ = *cached_;
  rules_.version = version;

  // Which members: read before the locks, checked again under them.
  // Members whose requests all leave their lots alone get only the lots due or pending.
  ASSIGN_OR_RETURN(std::vector<CardRecord> before, rows_->FindCards(cards));
  for (const CardRecord& c : before) {
    ids.push_back(c.member_id);
    if (cards_taking.count(c.number) > 0) all_lots.insert(c.member_id);
  }
  if (!refs.empty()) {
    for (const std::string& r : refs) card_links_[r] = std::nullopt;
    ASSIGN_OR_RETURN(std::vector<CardLinkRow> links, rows_->FindCardLinks(refs));
    for (CardLinkRow& l : links) {
      if (l.active) {
        ids.push_back(l.member_id);
        if (refs_taking.count(l.card_ref) > 0) all_lots.insert(l.member_id);
      }
      card_links_[l.card_ref] = std::move(l);
    }
  }
  if (!named.empty()) {
    ASSIGN_OR_RETURN(std::vector<MemberId> of_txns, rows_->MembersOfTxns(named));
    ids.insert(ids.end(), of_txns.begin(), of_txns.end());
    if (named_taking) all_lots.insert(of_txns.begin(), of_txns.end());
  }
  ASSIGN_OR_RETURN(std::vector<MemberRecord> locked, rows_->LockMembers(std::move(ids)));
  RETURN_IF_ERROR(KeepMembers(locked, &all_lots));
  // Cards move only in a merge, which marks the member they left (merged_into) under
  // its lock: the card of such a member is read again when used; the others are current.
  for (const CardRecord& c : before) {
    auto m = members_.find(c.member_id);
    if (m != members_.end() && !m->second.row.merged_into.has_value()) cards_[c.number] = c;
  }
  if (!clearing_keys.empty()) {  // locked after the members, as every batch does
    for (const ClearingKey& k : clearing_keys) clearings_[k] = std::nullopt;
    ASSIGN_OR_RETURN(std::vector<ClearingRow> found, rows_->LockClearings(clearing_keys));
    for (ClearingRow& c : found) clearings_[{c.bank_id, c.clearing_id}] = std::move(c);
  }
  if (!card_months.empty()) {  // the cards' monthly totals, 0 for those with none yet
    for (const auto& k : card_months) card_months_[k] = 0;
    ASSIGN_OR_RETURN(auto totals, rows_->CardMonthTotals(card_months));
    for (const auto& [k, points] : totals) card_months_[k] = points;
  }
  for (const TxnKey& k : keys) txn_keys_[k] = std::nullopt;
  ASSIGN_OR_RETURN(std::vector<TxnRecord> txns, rows_->FindTxns(keys));
  for (TxnRecord& t : txns) {
    txn_keys_[{t.partner_id, t.partner_txn_id}] = t.id;
    txns_[t.id] = std::move(t);
  }
  return absl::OkStatus();
}

absl::Status WorkingSet::KeepMembers(const std::vector<MemberRecord>& rows,
                                     const std::set<MemberId>* all_lots) {
  std::vector<MemberId> ids, full, partial;
  // The partial lists hold every lot due by then, and every lot whose available_at is
  // after the earliest last_posted_at among them (no member is judged before its own);
  // a request judged outside that reads them all.
  const Micros due_by = absl::ToUnixMicros(absl::Now() + kPartialLotsCover);
  Micros pending_after = std::numeric_limits<Micros>::max();
  for (const MemberRecord& m : rows) {
    if (all_lots != nullptr && all_lots->count(m.id) == 0) {
      pending_after = std::min(pending_after, m.last_posted_at);
    }
  }
  for (const MemberRecord& m : rows) {
    ids.push_back(m.id);
    MemberState& state = members_[m.id] = MemberState{m, {}, {}};
    if (all_lots == nullptr || all_lots->count(m.id) > 0) {
      full.push_back(m.id);
    } else {
      partial.push_back(m.id);
      state.all_lots = false;
      state.lots_due_by = due_by;
      state.pending_after = pending_after;
    }
  }
  if (ids.empty()) return absl::OkStatus();
  std::vector<LotRecord> lots;
  if (!full.empty()) {
    ASSIGN_OR_RETURN(lots, rows_->OpenLotsOf(full));
  }
  if (!partial.empty()) {
    ASSIGN_OR_RETURN(std::vector<LotRecord> some,
                     rows_->DueOrPendingLotsOf(partial, due_by, pending_after));
    lots.insert(lots.end(), std::make_move_iterator(some.begin()),
                std::make_move_iterator(some.end()));
  }
  for (LotRecord& l : lots) {  // in lot order per member
    members_[l.member_id].lots.push_back(l.id);
    lots_[l.id] = std::move(l);
  }
  ASSIGN_OR_RETURN(std::vector<HoldRecord> holds, rows_->ActiveHoldsOf(ids));
  for (HoldRecord& h : holds) {  // newest first per member
    members_[h.member_id].holds.push_back(h.id);
    holds_[h.id] = std::move(h);
  }
  // A member's debt is the sum of its debts' outstanding points: only members in debt
  // have open debts to read.
  std::vector<MemberId> in_debt;
  for (const MemberRecord& m : rows) {
    if (m.debt > 0) in_debt.push_back(m.id);
    debts_read_.insert(m.id);
  }
  if (!in_debt.empty()) {
    ASSIGN_OR_RETURN(std::vector<DebtRecord> debts, rows_->OpenDebtsOf(in_debt));
    for (DebtRecord& d : debts) debts_.emplace(d.id, std::move(d));
  }
  return absl::OkStatus();
}

// ---- requests

absl::Status WorkingSet::BeginRequest(bool with_savepoint) {
  LOYALTY_CHECK(!in_request_ && undo_.empty());
  wants_rerun_ = false;
  savepoint_set_ = false;
  with_savepoint_ = with_savepoint;
  if (with_savepoint) {
    ++stats_.reruns_with_savepoint;
    RETURN_IF_ERROR(Flush());
    RETURN_IF_ERROR(rows_->Savepoint());
    ++stats_.savepoints;
    savepoint_set_ = true;
  }
  in_request_ = true;
  return absl::OkStatus();
}

absl::Status WorkingSet::EndRequest(bool ok) {
  LOYALTY_CHECK(in_request_);
  in_request_ = false;
  absl::Status status;
  if (!ok) {
    for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) (*it)();
    if (savepoint_set_) status = rows_->RollbackToSavepoint();
    // A rerun's changes are not in the undo log: what is kept is read again.
    if (with_savepoint_) ForgetAll();
  }
  undo_.clear();
  with_savepoint_ = false;
  savepoint_set_ = false;
  return status;
}

absl::Status WorkingSet::EnsureSavepoint() {
  if (!in_request_ || savepoint_set_) return absl::OkStatus();
  RETURN_IF_ERROR(rows_->Savepoint());
  ++stats_.savepoints;
  savepoint_set_ = true;
  return absl::OkStatus();
}

absl::Status WorkingSet::BeforeCall(const char* method, Access access) {
  (void)method;
  switch (access) {
    case Access::kRead:
      return absl::OkStatus();
    case Access::kWrite:
      return EnsureSavepoint();
    case Access::kReadBuffered:
      if (!Unwritten()) return absl::OkStatus();
      // Writing the batch out is safe when nothing of this request is in it, or when
      // the request runs under a savepoint set before the batch was written.
      if (!in_request_ || with_savepoint_ || (undo_.empty() && !savepoint_set_)) return Flush();
      wants_rerun_ = true;
      return absl::AbortedError(
          absl::StrCat(method, ": reads rows of the batch; rerun with a savepoint"));
  }
  return absl::InternalError("unknown access");
}

bool WorkingSet::Unwritten() const {
  return !new_txns_.empty() || !new_lots_.empty() || !new_holds_.empty() ||
         !consumptions_.empty() || !transfers_.empty() || !dirty_members_.empty() ||
         !dirty_txns_.empty() || !dirty_lots_.empty() || !dirty_holds_.empty() ||
         !new_clearings_.empty() || !dirty_clearings_.empty() || !dirty_debts_.empty() ||
         !audits_.empty() || !awards_.empty();
}

void WorkingSet::ForgetUnwritten() {
  new_txns_.clear();
  new_lots_.clear();
  new_holds_.clear();
  consumptions_.clear();
  transfers_.clear();
  dirty_members_.clear();
  dirty_txns_.clear();
  stored_reversed_points_.clear();
  dirty_lots_.clear();
  dirty_holds_.clear();
  new_clearings_.clear();
  dirty_clearings_.clear();
  dirty_debts_.clear();
  audits_.clear();
  awards_.clear();
}

void WorkingSet::ForgetAll() {
  card_months_.clear();
  card_links_.clear();
  clearings_.clear();
  members_.clear();
  cards_.clear();
  txn_keys_.clear();
  txns_.clear();
  lots_.clear();
  holds_.clear();
  debts_.clear();
  debts_read_.clear();
  ForgetUnwritten();
}

// ---- write

absl::Status WorkingSet::Flush() {
  if (!Unwritten()) return absl::OkStatus();
  ++stats_.flushes;
  auto rows_of = [](const auto& ids, const auto& table) {
    std::vector<typename std::decay_t<decltype(table)>::mapped_type> out;
    out.reserve(ids.size());
    for (const auto& id : ids) out.push_back(table.at(id));
    return out;
  };
  RETURN_IF_ERROR(rows_->InsertTxns(rows_of(new_txns_, txns_)));
  RETURN_IF_ERROR(rows_->InsertLots(rows_of(new_lots_, lots_)));
  RETURN_IF_ERROR(rows_->InsertConsumptions(consumptions_));
  RETURN_IF_ERROR(rows_->InsertTransfers(transfers_));
  RETURN_IF_ERROR(rows_->InsertHolds(rows_of(new_holds_, holds_)));
  std::vector<MemberRecord> members;
  for (MemberId id : dirty_members_) members.push_back(members_.at(id).row);
  RETURN_IF_ERROR(rows_->UpdateMembers(members));
  std::vector<std::pair<LotId, Points>> remaining;
  for (LotId id : dirty_lots_) remaining.emplace_back(id, lots_.at(id).remaining);
  RETURN_IF_ERROR(rows_->UpdateLotsRemaining(remaining));
  RETURN_IF_ERROR(rows_->UpdateHolds(rows_of(dirty_holds_, holds_)));
  RETURN_IF_ERROR(rows_->UpdateTxns(rows_of(dirty_txns_, txns_)));
  std::vector<ClearingRow> clearings;
  for (const ClearingKey& k : new_clearings_) clearings.push_back(*clearings_.at(k));
  RETURN_IF_ERROR(rows_->InsertClearings(clearings));
  clearings.clear();
  for (const ClearingKey& k : dirty_clearings_) clearings.push_back(*clearings_.at(k));
  RETURN_IF_ERROR(rows_->UpdateClearingsRefunded(clearings));
  RETURN_IF_ERROR(rows_->UpsertDebts(rows_of(dirty_debts_, debts_)));
  RETURN_IF_ERROR(rows_->InsertAudits(audits_));
  RETURN_IF_ERROR(rows_->InsertPromotionAwards(awards_));
  ForgetUnwritten();
  return absl::OkStatus();
}

// ---- program and rules: read once per rules version, forgotten when written

absl::StatusOr<std::optional<ProgramRecord>> WorkingSet::GetProgram() {
  if (!rules_.program.has_value()) {
    ASSIGN_OR_RETURN(rules_.program, target()->GetProgram());
  }
  return *rules_.program;
}

absl::Status WorkingSet::PutProgram(const ProgramRecord& program, Micros now) {
  rules_.program.reset();
  return ForwardingTxn::PutProgram(program, now);
}

absl::StatusOr<PartnerId> WorkingSet::InsertPartner(const PartnerRecord& partner) {
  rules_.partners.clear();
  return ForwardingTxn::InsertPartner(partner);
}

absl::StatusOr<std::optional<PartnerRecord>> WorkingSet::GetPartner(PartnerId id) {
  auto it = rules_.partners.find(id);
  if (it != rules_.partners.end()) return it->second;
  ASSIGN_OR_RETURN(std::optional<PartnerRecord> p, target()->GetPartner(id));
  rules_.partners[id] = p;
  return p;
}

absl::Status WorkingSet::SetPartnerSuspended(PartnerId id) {
  rules_.partners.clear();
  return ForwardingTxn::SetPartnerSuspended(id);
}

absl::StatusOr<std::vector<TierRow>> WorkingSet::ListTiers() {
  if (!rules_.tiers.has_value()) {
    ASSIGN_OR_RETURN(rules_.tiers, target()->ListTiers());
  }
  return *rules_.tiers;
}

absl::Status WorkingSet::ReplaceTiers(const std::vector<TierRow>& tiers) {
  rules_.tiers.reset();
  return ForwardingTxn::ReplaceTiers(tiers);
}

absl::StatusOr<std::vector<PromotionRow>> WorkingSet::ListPromotions(Micros now, bool all) {
  if (!rules_.promotions.has_value()) {
    ASSIGN_OR_RETURN(rules_.promotions, target()->ListPromotions(now, /*all=*/true));
  }
  if (all) return *rules_.promotions;
  std::vector<PromotionRow> out;  // the filter of MysqlTxn::ListPromotions, in id order
  for (const PromotionRow& p : *rules_.promotions) {
    if (p.starts_at <= now && p.ends_at > now) out.push_back(p);
  }
  return out;
}

absl::StatusOr<int64_t> WorkingSet::InsertPromotion(const PromotionRow& p) {
  rules_.promotions.reset();
  return ForwardingTxn::InsertPromotion(p);
}

absl::Status WorkingSet::EndPromotion(int64_t id, Micros now) {
  rules_.promotions.reset();
  return ForwardingTxn::EndPromotion(id, now);
}

// ---- members and cards

absl::StatusOr<MemberRecord> WorkingSet::LockMember(MemberId id) {
  auto it = members_.find(id);
  if (it != members_.end()) return it->second.row;  // locked at load, still held
  // Not planned (a merge chain, a card that moved): lock it now.
  ASSIGN_OR_RETURN(std::vector<MemberRecord> locked, rows_->LockMembers({id}));
  if (locked.empty()) return absl::NotFoundError(absl::StrCat("member ", id, " not found"));
  // Kept rows are as in the database, so a failed request need not forget them.
  RETURN_IF_ERROR(KeepMembers(locked));
  return locked.front();
}

absl::Status WorkingSet::UpdateMember(const MemberRecord& member) {
  auto it = members_.find(member.id);
  if (it == members_.end()) return ForwardingTxn::UpdateMember(member);
  Remember(members_, member.id);
  Remember(dirty_members_, member.id);
  it->second.row = member;
  dirty_members_.insert(member.id);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<CardRecord>> WorkingSet::FindCard(const std::string& number) {
  auto it = cards_.find(number);
  if (it != cards_.end()) return it->second;
  ASSIGN_OR_RETURN(std::optional<CardRecord> card, target()->FindCard(number));
  if (card.has_value() && members_.count(card->member_id) > 0) cards_[number] = *card;
  return card;
}

absl::Status WorkingSet::InsertCard(const CardRecord& card, Micros now) {
  RETURN_IF_ERROR(ForwardingTxn::InsertCard(card, now));
  if (members_.count(card.member_id) > 0) {
    Remember(cards_, card.number);
    cards_[card.number] = card;
  }
  return absl::OkStatus();
}

absl::Status WorkingSet::RepointCards(MemberId from, MemberId to) {
  RETURN_IF_ERROR(ForwardingTxn::RepointCards(from, to));
  for (auto& [number, card] : cards_) {
    if (card.member_id != from) continue;
    Remember(cards_, number);
    card.member_id = to;
  }
  return absl::OkStatus();
}

// ---- transactions and the journal

absl::StatusOr<std::optional<TxnRecord>> WorkingSet::FindTxn(PartnerId partner,
                                                             const std::string& partner_txn_id) {
  const TxnKey key{partner, partner_txn_id};
  auto it = txn_keys_.find(key);
  if (it != txn_keys_.end()) {
    if (!it->second.has_value()) return std::nullopt;
    return txns_.at(*it->second);
  }
  // Every key the batch made is in txn_keys_, so the database's answer is complete.
  ASSIGN_OR_RETURN(std::optional<TxnRecord> found, target()->FindTxn(partner, partner_txn_id));
  if (!found.has_value()) return std::nullopt;
  auto kept = txns_.find(found->id);
  if (kept != txns_.end()) return kept->second;  // changed by the batch: newer
  txns_[found->id] = *found;
  txn_keys_[key] = found->id;
  return found;
}

absl::StatusOr<std::optional<TxnRecord>> WorkingSet::GetTxn(TxnId id) {
  auto it = txns_.find(id);
  if (it != txns_.end()) return it->second;
  ASSIGN_OR_RETURN(std::optional<TxnRecord> found, target()->GetTxn(id));
  if (found.has_value()) txns_[id] = *found;
  return found;
}

absl::StatusOr<TxnId> WorkingSet::InsertTxn(const TxnRecord& txn) {
  ASSIGN_OR_RETURN(TxnId id, rows_->ids().Next(IdKind::kTxn));
  TxnRecord row = txn;
  row.id = id;
  row.reversed_points = 0;
  Remember(txns_, id);
  Remember(new_txns_, id);
  txns_[id] = std::move(row);
  new_txns_.insert(id);
  if (!txn.partner_txn_id.empty()) {
    const TxnKey key{txn.partner_id, txn.partner_txn_id};
    Remember(txn_keys_, key);
    txn_keys_[key] = id;
  }
  return id;
}

absl::Status WorkingSet::UpdateTxnResult(TxnId id, Points points, Points balance_after,
                                         Points available_after) {
  auto it = txns_.find(id);
  if (it == txns_.end()) {
    return ForwardingTxn::UpdateTxnResult(id, points, balance_after, available_after);
  }
  Remember(txns_, id);
  it->second.points = points;
  it->second.balance_after = balance_after;
  it->second.available_after = available_after;
  if (new_txns_.count(id) == 0) {
    Remember(dirty_txns_, id);
    dirty_txns_.insert(id);
  }
  return absl::OkStatus();
}

absl::Status WorkingSet::AddTxnReversed(TxnId id, Points points) {
  ASSIGN_OR_RETURN(std::optional<TxnRecord> found, GetTxn(id));
  if (!found.has_value()) return absl::InternalError(absl::StrCat("txn ", id, " missing"));
  Remember(txns_, id);
  ASSIGN_OR_RETURN(txns_[id].reversed_points,
                   CheckedAdd(found->reversed_points, points, "reversed_points"));
  if (new_txns_.count(id) == 0) {
    Remember(dirty_txns_, id);
    dirty_txns_.insert(id);
    // As the database has it until this batch writes: what SpendSince corrects for. Kept
    // past a rolled-back request too: the stored value is the same either way.
    stored_reversed_points_.try_emplace(id, found->reversed_points);
  }
  return absl::OkStatus();
}

absl::Status WorkingSet::InsertTransfer(const TransferRecord& transfer) {
  Remember(transfers_);
  transfers_.push_back(transfer);
  return absl::OkStatus();
}

// Sums over txns: the database's rows (written before this batch or by a flush) plus
// the batch's new ones, which the database does not have yet. Calls `fn` on each new
// earn of `member` posted at or after `since`.
template <typename Fn>
void WorkingSet::ForNewEarns(MemberId member, Micros since, Fn&& fn) const {
  for (TxnId id : new_txns_) {
    const TxnRecord& t = txns_.at(id);
    if (t.member_id == member && t.kind == txn_kind::kEarn && t.posted_at >= since) fn(t);
  }
}

absl::StatusOr<Points> WorkingSet::SumEarnedSince(PartnerId partner, MemberId member,
                                                  Micros since) {
  ASSIGN_OR_RETURN(Points sum, target()->SumEarnedSince(partner, member, since));
  ForNewEarns(member, since, [&](const TxnRecord& t) {
    if (t.partner_id == partner) sum += t.points;
  });
  return sum;
}

absl::StatusOr<int64_t> WorkingSet::SpendSince(MemberId member, Micros since) {
  ASSIGN_OR_RETURN(int64_t sum, target()->SpendSince(member, since));
  // Net of returns: this batch's earns as they stand now, and earlier earns returned in
  // this batch by what their returns here take off (the database still has them as
  // they were stored).
  ForNewEarns(member, since, [&](const TxnRecord& t) {
    sum += NetSpendMinor(t.amount_minor, t.points, t.reversed_points);
  });
  for (const auto& [id, stored] : stored_reversed_points_) {
    const TxnRecord& t = txns_.at(id);
    if (t.member_id != member || t.kind != txn_kind::kEarn || t.posted_at < since) continue;
    sum += NetSpendMinor(t.amount_minor, t.points, t.reversed_points) -
           NetSpendMinor(t.amount_minor, t.points, stored);
  }
  return sum;
}

absl::StatusOr<int64_t> WorkingSet::EarnCountSince(MemberId member, PartnerId partner,
                                                   Micros since) {
  ASSIGN_OR_RETURN(int64_t count, target()->EarnCountSince(member, partner, since));
  ForNewEarns(member, since, [&](const TxnRecord& t) {
    if (partner == 0 || t.partner_id == partner) ++count;
  });
  return count;
}

absl::StatusOr<int64_t> WorkingSet::DistinctEarnPartnersSince(MemberId member, Micros since) {
  ASSIGN_OR_RETURN(std::vector<PartnerId> list, rows_->EarnPartnersSince(member, since));
  std::set<PartnerId> partners(list.begin(), list.end());
  ForNewEarns(member, since, [&](const TxnRecord& t) { partners.insert(t.partner_id); });
  return static_cast<int64_t>(partners.size());
}

absl::StatusOr<std::vector<TxnRecord>> WorkingSet::BonusTxnsOf(TxnId earn) {
  ASSIGN_OR_RETURN(std::vector<TxnRecord> out, target()->BonusTxnsOf(earn));
  for (TxnRecord& t : out) {
    auto kept = txns_.find(t.id);
    if (kept != txns_.end()) t = kept->second;
  }
  for (TxnId id : new_txns_) {
    const TxnRecord& t = txns_.at(id);
    if (t.original_txn_id == earn && t.kind == txn_kind::kBonus) out.push_back(t);
  }
  std::sort(out.begin(), out.end(),
            [](const TxnRecord& a, const TxnRecord& b) { return a.id < b.id; });
  return out;
}

// ---- lots

void WorkingSet::PlaceLot(MemberState& m, LotId id) {
  const LotRecord& lot = lots_.at(id);
  auto at = std::upper_bound(m.lots.begin(), m.lots.end(), id, [&](LotId a, LotId b) {
    return LotBefore(a == id ? lot : lots_.at(a), b == id ? lot : lots_.at(b));
  });
  m.lots.insert(at, id);
}

absl::Status WorkingSet::CompleteLots(MemberId member) {
  MemberState& m = members_.at(member);
  if (m.all_lots) return absl::OkStatus();
  // The database's open lots; those the batch knows (read or changed) stay as they are.
  ASSIGN_OR_RETURN(std::vector<LotRecord> rows, rows_->OpenLotsOf({member}));
  Remember(members_, member);
  for (LotRecord& l : rows) {
    if (lots_.count(l.id) > 0) continue;
    Remember(lots_, l.id);
    const LotId id = l.id;
    lots_[id] = std::move(l);
    PlaceLot(m, id);
  }
  m.all_lots = true;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<LotRecord>> WorkingSet::LotsDueOrPending(MemberId member, Micros now) {
  auto it = members_.find(member);
  if (it == members_.end()) return ForwardingTxn::LotsDueOrPending(member, now);
  if (!it->second.all_lots && (now > it->second.lots_due_by || now < it->second.pending_after)) {
    RETURN_IF_ERROR(CompleteLots(member));  // judged at a time the partial list misses
  }
  std::vector<LotRecord> out;
  for (LotId id : it->second.lots) {
    const LotRecord& l = lots_.at(id);
    if (l.remaining > 0 && (l.expires_at <= now || l.available_at > now)) out.push_back(l);
  }
  return out;
}

absl::StatusOr<std::vector<LotRecord>> WorkingSet::OpenLots(MemberId member) {
  auto it = members_.find(member);
  if (it == members_.end()) return ForwardingTxn::OpenLots(member);
  RETURN_IF_ERROR(CompleteLots(member));
  std::vector<LotRecord> out;
  for (LotId id : it->second.lots) {
    const LotRecord& l = lots_.at(id);
    if (l.remaining > 0) out.push_back(l);
  }
  return out;
}

absl::StatusOr<std::optional<LotRecord>> WorkingSet::LotOfEarn(TxnId earn_txn) {
  for (const auto& [id, lot] : lots_) {
    if (lot.earn_txn_id == earn_txn) return lot;
  }
  ASSIGN_OR_RETURN(std::optional<LotRecord> found, target()->LotOfEarn(earn_txn));
  if (found.has_value()) lots_[found->id] = *found;
  return found;
}

absl::StatusOr<LotRecord> WorkingSet::GetLot(LotId id) {
  auto it = lots_.find(id);
  if (it != lots_.end()) return it->second;
  ASSIGN_OR_RETURN(LotRecord lot, target()->GetLot(id));
  lots_[id] = lot;
  return lot;
}

absl::StatusOr<LotId> WorkingSet::InsertLot(const LotRecord& lot) {
  ASSIGN_OR_RETURN(LotId id, rows_->ids().Next(IdKind::kLot));
  Remember(lots_, id);
  Remember(new_lots_, id);
  lots_[id] = lot;
  lots_[id].id = id;
  new_lots_.insert(id);
  auto m = members_.find(lot.member_id);
  if (m != members_.end()) {
    Remember(members_, lot.member_id);
    PlaceLot(m->second, id);
  }
  return id;
}

absl::Status WorkingSet::SetLotRemaining(LotId id, Points remaining) {
  ASSIGN_OR_RETURN(LotRecord lot, GetLot(id));
  Remember(lots_, id);
  lots_[id].remaining = remaining;
  if (new_lots_.count(id) == 0) {
    Remember(dirty_lots_, id);
    dirty_lots_.insert(id);
  }
  auto m = members_.find(lot.member_id);
  if (m != members_.end() &&
      std::find(m->second.lots.begin(), m->second.lots.end(), id) == m->second.lots.end()) {
    Remember(members_, lot.member_id);  // an emptied lot refilled: open again
    PlaceLot(m->second, id);
  }
  return absl::OkStatus();
}

absl::Status WorkingSet::MoveLots(MemberId from, MemberId to) {
  RETURN_IF_ERROR(ForwardingTxn::MoveLots(from, to));  // the rows already written
  for (auto& [id, lot] : lots_) {
    if (lot.member_id != from) continue;
    Remember(lots_, id);
    lot.member_id = to;
  }
  auto source = members_.find(from);
  auto target_member = members_.find(to);
  if (source != members_.end()) {
    Remember(members_, from);
    if (target_member != members_.end()) {
      Remember(members_, to);
      for (LotId id : source->second.lots) PlaceLot(target_member->second, id);
    }
    source->second.lots.clear();
  }
  return absl::OkStatus();
}

// ---- consumptions

absl::Status WorkingSet::InsertConsumption(const ConsumptionRecord& c) {
  ASSIGN_OR_RETURN(int64_t id, rows_->ids().Next(IdKind::kConsumption));
  Remember(consumptions_);
  consumptions_.push_back(c);
  consumptions_.back().id = id;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ConsumptionRecord>> WorkingSet::ConsumptionsOfTxn(TxnId txn) {
  ASSIGN_OR_RETURN(std::vector<ConsumptionRecord> out, target()->ConsumptionsOfTxn(txn));
  for (const ConsumptionRecord& c : consumptions_) {
    if (c.txn_id == txn) out.push_back(c);
  }
  std::sort(out.begin(), out.end(),
            [](const ConsumptionRecord& a, const ConsumptionRecord& b) { return a.id < b.id; });
  return out;
}

absl::StatusOr<Points> WorkingSet::RestoredOf(int64_t consumption_id) {
  ASSIGN_OR_RETURN(Points restored, target()->RestoredOf(consumption_id));
  for (const ConsumptionRecord& c : consumptions_) {
    if (c.restores_id == consumption_id) restored -= c.points;  // restores are negative
  }
  return restored;
}

// ---- holds

absl::Status WorkingSet::InsertHold(const HoldRecord& hold) {
  ASSIGN_OR_RETURN(int64_t id, rows_->ids().Next(IdKind::kHold));
  Remember(holds_, id);
  Remember(new_holds_, id);
  holds_[id] = hold;
  holds_[id].id = id;
  new_holds_.insert(id);
  auto m = members_.find(hold.member_id);
  if (m != members_.end() && hold.status == hold_status::kActive) {
    Remember(members_, hold.member_id);
    m->second.holds.insert(m->second.holds.begin(), id);  // the newest
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<HoldRecord>> WorkingSet::HoldOfAuthorization(TxnId auth_txn) {
  for (const auto& [id, hold] : holds_) {
    if (hold.auth_txn_id == auth_txn) return hold;
  }
  ASSIGN_OR_RETURN(std::optional<HoldRecord> found, target()->HoldOfAuthorization(auth_txn));
  if (found.has_value()) holds_[found->id] = *found;
  return found;
}

absl::Status WorkingSet::UpdateHold(int64_t id, const std::string& status, Points points) {
  auto it = holds_.find(id);
  if (it == holds_.end()) return ForwardingTxn::UpdateHold(id, status, points);
  Remember(holds_, id);
  it->second.status = status;
  it->second.points = points;
  if (new_holds_.count(id) == 0) {
    Remember(dirty_holds_, id);
    dirty_holds_.insert(id);
  }
  auto m = members_.find(it->second.member_id);
  if (m != members_.end() && status != hold_status::kActive) {
    std::vector<int64_t>& ids = m->second.holds;
    auto at = std::find(ids.begin(), ids.end(), id);
    if (at != ids.end()) {
      Remember(members_, it->second.member_id);
      ids.erase(at);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<HoldRecord>> WorkingSet::ActiveHolds(MemberId member, Micros now) {
  auto it = members_.find(member);
  if (it == members_.end()) return ForwardingTxn::ActiveHolds(member, now);
  std::vector<HoldRecord> out;
  for (int64_t id : it->second.holds) {
    const HoldRecord& h = holds_.at(id);
    if (h.status == hold_status::kActive && h.expires_at > now) out.push_back(h);
  }
  return out;
}

// ---- the bank's clearing rows (written through; the monthly sums kept)

// The points a clearing row adds to its card's monthly total (MysqlTxn keeps the same
// running total in card_month_points).
static Points MonthPointsOf(const ClearingRow& row) {
  if (row.status != clearing_status::kEarned && row.status != clearing_status::kReversed) {
    return 0;
  }
  return row.type == "purchase" ? row.points : -row.points;
}

absl::StatusOr<Points> WorkingSet::CardPointsInMonth(const std::string& ref,
                                                     const std::string& month_key) {
  const std::pair<std::string, std::string> key{ref, month_key};
  auto it = card_months_.find(key);
  if (it != card_months_.end()) return it->second;
  // The committed total plus the batch's unwritten rows of that card and month.
  ASSIGN_OR_RETURN(Points sum, ForwardingTxn::CardPointsInMonth(ref, month_key));
  for (const ClearingKey& k : new_clearings_) {
    const ClearingRow& row = *clearings_.at(k);
    if (row.card_ref == ref && row.month_key == month_key) sum += MonthPointsOf(row);
  }
  Remember(card_months_, key);
  card_months_[key] = sum;
  return sum;
}

absl::Status WorkingSet::InsertClearing(const ClearingRow& row) {
  const ClearingKey key{row.bank_id, row.clearing_id};
  auto known = clearings_.find(key);
  if (known != clearings_.end() && known->second.has_value()) {
    return absl::AlreadyExistsError("clearing_id: already posted");  // FindClearing first
  }
  Remember(clearings_, key);
  clearings_[key] = row;
  Remember(new_clearings_);
  new_clearings_.push_back(key);
  const std::pair<std::string, std::string> month{row.card_ref, row.month_key};
  auto it = card_months_.find(month);
  if (it != card_months_.end()) {
    Remember(card_months_, month);
    it->second += MonthPointsOf(row);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<ClearingRow>> WorkingSet::FindClearing(PartnerId bank,
                                                                    const std::string& id) {
  const ClearingKey key{bank, id};
  auto it = clearings_.find(key);
  if (it != clearings_.end()) return it->second;
  // Not planned: read (and lock) it now; rows the batch made are all kept.
  ASSIGN_OR_RETURN(std::optional<ClearingRow> row, ForwardingTxn::FindClearing(bank, id));
  Remember(clearings_, key);
  clearings_[key] = row;
  return row;
}

absl::Status WorkingSet::AddClearingRefunded(PartnerId bank, const std::string& id,
                                             int64_t amount_minor) {
  ASSIGN_OR_RETURN(std::optional<ClearingRow> row, FindClearing(bank, id));
  if (!row.has_value()) return absl::NotFoundError(absl::StrCat("clearing ", id, " not found"));
  const ClearingKey key{bank, id};
  Remember(clearings_, key);
  clearings_[key]->refunded_amount_minor += amount_minor;
  if (std::find(new_clearings_.begin(), new_clearings_.end(), key) == new_clearings_.end()) {
    Remember(dirty_clearings_, key);
    dirty_clearings_.insert(key);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<CardLinkRow>> WorkingSet::FindCardLink(const std::string& ref) {
  auto it = card_links_.find(ref);
  if (it != card_links_.end()) return it->second;
  return ForwardingTxn::FindCardLink(ref);
}

absl::StatusOr<std::optional<PartnerId>> WorkingSet::MerchantPartner(
    const std::string& merchant_id) {
  auto it = rules_.merchants.find(merchant_id);
  if (it != rules_.merchants.end()) return it->second;
  ASSIGN_OR_RETURN(std::optional<PartnerId> partner, target()->MerchantPartner(merchant_id));
  rules_.merchants[merchant_id] = partner;
  return partner;
}

absl::Status WorkingSet::InsertMerchantId(const std::string& merchant_id, PartnerId partner,
                                          Micros now) {
  rules_.merchants.clear();
  return ForwardingTxn::InsertMerchantId(merchant_id, partner, now);
}

absl::StatusOr<std::optional<BankRulesRow>> WorkingSet::GetBankRules(PartnerId bank) {
  auto it = rules_.bank_rules.find(bank);
  if (it != rules_.bank_rules.end()) return it->second;
  ASSIGN_OR_RETURN(std::optional<BankRulesRow> rules, target()->GetBankRules(bank));
  rules_.bank_rules[bank] = rules;
  return rules;
}

absl::Status WorkingSet::PutBankRules(PartnerId bank, const BankRulesRow& rules, Micros now) {
  rules_.bank_rules.clear();
  return ForwardingTxn::PutBankRules(bank, rules, now);
}

// ---- debts

absl::Status WorkingSet::ReadDebts(MemberId member) {
  if (debts_read_.count(member) > 0) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::vector<DebtRecord> read, rows_->OpenDebtsOf({member}));
  for (DebtRecord& d : read) debts_.emplace(d.id, std::move(d));  // kept rows are newer
  debts_read_.insert(member);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<DebtRecord>> WorkingSet::OpenDebts(MemberId member) {
  RETURN_IF_ERROR(ReadDebts(member));
  std::vector<DebtRecord> out;  // by id, as debts_ is
  for (const auto& [id, d] : debts_) {
    if (d.member_id == member && d.outstanding > 0) out.push_back(d);
  }
  return out;
}

absl::Status WorkingSet::InsertDebt(const DebtRecord& debt) {
  ASSIGN_OR_RETURN(int64_t id, rows_->ids().Next(IdKind::kDebt));
  Remember(debts_, id);
  Remember(dirty_debts_, id);
  debts_[id] = debt;
  debts_[id].id = id;
  dirty_debts_.insert(id);
  return absl::OkStatus();
}

absl::Status WorkingSet::SetDebtOutstanding(int64_t id, Points outstanding) {
  auto it = debts_.find(id);
  if (it == debts_.end()) return ForwardingTxn::SetDebtOutstanding(id, outstanding);
  Remember(debts_, id);
  Remember(dirty_debts_, id);
  it->second.outstanding = outstanding;
  dirty_debts_.insert(id);
  return absl::OkStatus();
}

absl::Status WorkingSet::MoveDebts(MemberId from, MemberId to) {
  RETURN_IF_ERROR(ForwardingTxn::MoveDebts(from, to));  // the rows already written
  RETURN_IF_ERROR(ReadDebts(from));
  RETURN_IF_ERROR(ReadDebts(to));
  for (auto& [id, d] : debts_) {
    if (d.member_id != from) continue;
    Remember(debts_, id);
    Remember(dirty_debts_, id);
    d.member_id = to;
    dirty_debts_.insert(id);
  }
  return absl::OkStatus();
}

// ---- audit log and promotion awards: written with the batch

absl::Status WorkingSet::InsertAudit(Micros at, const std::string& actor, const std::string& action,
                                     const std::string& detail, const std::string& before,
                                     const std::string& after) {
  Remember(audits_);
  audits_.push_back({0, at, actor, action, detail, before, after});
  return absl::OkStatus();
}

absl::Status WorkingSet::InsertPromotionAward(const PromotionAwardRow& a) {
  Remember(awards_);
  awards_.push_back(a);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<PromotionAwardRow>> WorkingSet::AwardsOfEarn(TxnId earn) {
  ASSIGN_OR_RETURN(std::vector<PromotionAwardRow> out, target()->AwardsOfEarn(earn));
  for (const PromotionAwardRow& a : awards_) {
    if (a.earn_txn_id == earn) out.push_back(a);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const PromotionAwardRow& a, const PromotionAwardRow& b) {
                     return a.promotion_id < b.promotion_id;
                   });
  return out;
}

absl::StatusOr<int64_t> WorkingSet::CountAwards(int64_t promotion, MemberId member) {
  ASSIGN_OR_RETURN(int64_t count, target()->CountAwards(promotion, member));
  for (const PromotionAwardRow& a : awards_) {
    if (a.promotion_id == promotion && a.member_id == member) ++count;
  }
  return count;
}

}  // namespace loyalty
