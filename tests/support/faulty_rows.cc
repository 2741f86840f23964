#include "tests/support/faulty_rows.h"

#include "absl/strings/str_cat.h"
#include "hub/common/status_macros.h"
#include "hub/store/forwarding_txn.h"

namespace loyalty::testing {
namespace {

// The rows of one transaction: every call goes to the real ones unless Faults picks it.
class FaultyRows final : public ForwardingTo<BatchRows> {
 public:
  FaultyRows(BatchRows* real, Faults* faults) : ForwardingTo<BatchRows>(real), faults_(faults) {}

  absl::StatusOr<std::vector<MemberId>> MembersOfTxns(const std::vector<TxnKey>& keys) override {
    RETURN_IF_ERROR(Check("MembersOfTxns"));
    return target()->MembersOfTxns(keys);
  }
  absl::StatusOr<std::vector<CardRecord>> FindCards(
      const std::vector<std::string>& numbers) override {
    RETURN_IF_ERROR(Check("FindCards"));
    return target()->FindCards(numbers);
  }
  absl::StatusOr<std::vector<MemberRecord>> LockMembers(std::vector<MemberId> ids) override {
    RETURN_IF_ERROR(Check("LockMembers"));
    return target()->LockMembers(std::move(ids));
  }
  absl::StatusOr<std::vector<TxnRecord>> FindTxns(const std::vector<TxnKey>& keys) override {
    RETURN_IF_ERROR(Check("FindTxns"));
    return target()->FindTxns(keys);
  }
  absl::StatusOr<std::vector<CardLinkRow>> FindCardLinks(
      const std::vector<std::string>& refs) override {
    RETURN_IF_ERROR(Check("FindCardLinks"));
    return target()->FindCardLinks(refs);
  }
  absl::StatusOr<std::vector<ClearingRow>> LockClearings(
      const std::vector<std::pair<PartnerId, std::string>>& keys) override {
    RETURN_IF_ERROR(Check("LockClearings"));
    return target()->LockClearings(keys);
  }
  absl::StatusOr<std::vector<std::pair<std::pair<std::string, std::string>, Points>>>
  CardMonthTotals(const std::vector<std::pair<std::string, std::string>>& keys) override {
    RETURN_IF_ERROR(Check("CardMonthTotals"));
    return target()->CardMonthTotals(keys);
  }
  absl::Status InsertClearings(const std::vector<ClearingRow>& rows) override {
    RETURN_IF_ERROR(Check("InsertClearings"));
    return target()->InsertClearings(rows);
  }
  absl::Status UpdateClearingsRefunded(const std::vector<ClearingRow>& rows) override {
    RETURN_IF_ERROR(Check("UpdateClearingsRefunded"));
    return target()->UpdateClearingsRefunded(rows);
  }
  absl::StatusOr<std::vector<DebtRecord>> OpenDebtsOf(const std::vector<MemberId>& ids) override {
    RETURN_IF_ERROR(Check("OpenDebtsOf"));
    return target()->OpenDebtsOf(ids);
  }
  absl::Status UpsertDebts(const std::vector<DebtRecord>& rows) override {
    RETURN_IF_ERROR(Check("UpsertDebts"));
    return target()->UpsertDebts(rows);
  }
  absl::Status InsertAudits(const std::vector<AuditEntry>& rows) override {
    RETURN_IF_ERROR(Check("InsertAudits"));
    return target()->InsertAudits(rows);
  }
  absl::Status InsertPromotionAwards(const std::vector<PromotionAwardRow>& rows) override {
    RETURN_IF_ERROR(Check("InsertPromotionAwards"));
    return target()->InsertPromotionAwards(rows);
  }
  absl::StatusOr<std::vector<LotRecord>> DueOrPendingLotsOf(const std::vector<MemberId>& ids,
                                                            Micros due_by,
                                                            Micros pending_after) override {
    RETURN_IF_ERROR(Check("DueOrPendingLotsOf"));
    return target()->DueOrPendingLotsOf(ids, due_by, pending_after);
  }
  absl::StatusOr<std::vector<LotRecord>> OpenLotsOf(const std::vector<MemberId>& ids) override {
    RETURN_IF_ERROR(Check("OpenLotsOf"));
    return target()->OpenLotsOf(ids);
  }
  absl::StatusOr<std::vector<HoldRecord>> ActiveHoldsOf(const std::vector<MemberId>& ids) override {
    RETURN_IF_ERROR(Check("ActiveHoldsOf"));
    return target()->ActiveHoldsOf(ids);
  }
  absl::StatusOr<int64_t> RulesVersion() override {
    RETURN_IF_ERROR(Check("RulesVersion"));
    return target()->RulesVersion();
  }
  absl::StatusOr<std::vector<PartnerId>> EarnPartnersSince(MemberId member, Micros since) override {
    RETURN_IF_ERROR(Check("EarnPartnersSince"));
    return target()->EarnPartnersSince(member, since);
  }
  absl::Status InsertTxns(const std::vector<TxnRecord>& rows) override {
    RETURN_IF_ERROR(Check("InsertTxns"));
    return target()->InsertTxns(rows);
  }
  absl::Status InsertLots(const std::vector<LotRecord>& rows) override {
    RETURN_IF_ERROR(Check("InsertLots"));
    return target()->InsertLots(rows);
  }
  absl::Status InsertConsumptions(const std::vector<ConsumptionRecord>& rows) override {
    RETURN_IF_ERROR(Check("InsertConsumptions"));
    return target()->InsertConsumptions(rows);
  }
  absl::Status InsertTransfers(const std::vector<TransferRecord>& rows) override {
    RETURN_IF_ERROR(Check("InsertTransfers"));
    return target()->InsertTransfers(rows);
  }
  absl::Status InsertHolds(const std::vector<HoldRecord>& rows) override {
    RETURN_IF_ERROR(Check("InsertHolds"));
    return target()->InsertHolds(rows);
  }
  absl::Status UpdateMembers(const std::vector<MemberRecord>& rows) override {
    RETURN_IF_ERROR(Check("UpdateMembers"));
    return target()->UpdateMembers(rows);
  }
  absl::Status UpdateLotsRemaining(const std::vector<std::pair<LotId, Points>>& rows) override {
    RETURN_IF_ERROR(Check("UpdateLotsRemaining"));
    return target()->UpdateLotsRemaining(rows);
  }
  absl::Status UpdateHolds(const std::vector<HoldRecord>& rows) override {
    RETURN_IF_ERROR(Check("UpdateHolds"));
    return target()->UpdateHolds(rows);
  }
  absl::Status UpdateTxns(const std::vector<TxnRecord>& rows) override {
    RETURN_IF_ERROR(Check("UpdateTxns"));
    return target()->UpdateTxns(rows);
  }
  absl::Status Savepoint() override {
    RETURN_IF_ERROR(Check("Savepoint"));
    return target()->Savepoint();
  }
  absl::Status RollbackToSavepoint() override {
    RETURN_IF_ERROR(Check("RollbackToSavepoint"));
    return target()->RollbackToSavepoint();
  }
  bool Doomed() const override { return doomed_ || target()->Doomed(); }
  bool Retryable() const override { return retryable_ || target()->Retryable(); }
  void ClearRetryable() override {
    retryable_ = false;
    target()->ClearRetryable();
  }
  IdSource& ids() override { return target()->ids(); }
  absl::Status BeforeCommit() override {
    RETURN_IF_ERROR(Check("Commit"));
    return target()->BeforeCommit();
  }

 protected:
  absl::Status BeforeCall(const char* method, Access access) override {
    (void)access;
    return Check(method);
  }

 private:
  // The status the database would have given, with the transaction's state to match.
  absl::Status Check(const std::string& method) {
    if (doomed_) return absl::AbortedError("transaction already ended by an injected fault");
    std::optional<Fault> fault = faults_->Take(method);
    if (!fault.has_value()) return absl::OkStatus();
    doomed_ = true;
    if (*fault == Fault::kDeadlock) {
      retryable_ = true;  // InnoDB rolled the victim back whole; a new attempt may pass
      return absl::AbortedError(absl::StrCat(
          "mysql error 1213 (40001): Deadlock found when trying to get lock (injected at ", method,
          ")"));
    }
    return absl::UnavailableError(absl::StrCat(
        "mysql error 2013 (HY000): Lost connection to server (injected at ", method, ")"));
  }

  Faults* const faults_;
  bool doomed_ = false;
  bool retryable_ = false;
};

}  // namespace

void Faults::FailCall(const std::string& method, int nth, Fault fault) {
  absl::MutexLock lock(&mu_);
  method_ = method;
  nth_ = nth;
  fault_ = fault;
  calls_.clear();
}

int64_t Faults::Calls(const std::string& method) {
  absl::MutexLock lock(&mu_);
  return calls_[method];
}

std::optional<Fault> Faults::Take(const std::string& method) {
  absl::MutexLock lock(&mu_);
  const int64_t n = ++calls_[method];
  if (method != method_ || n != nth_) return std::nullopt;
  method_.clear();  // once
  ++injected_;
  return fault_;
}

std::function<std::unique_ptr<BatchRows>(BatchRows*)> Faults::Wrapper() {
  return [this](BatchRows* real) -> std::unique_ptr<BatchRows> {
    return std::make_unique<FaultyRows>(real, this);
  };
}

}  // namespace loyalty::testing
