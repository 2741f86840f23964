// Members' own side of the hub (issue 15): sign-in with a card and a one-time code (or a
// token the operator issues), their balance across partners, history, points expiring
// by month, promotions, contact details and preferences, a copy of their data and
// erasure; and missing-points claims, from the member's filing to the partner's answer
// or the operator's escalation. MemberService and ClaimService (hub/api) call it; the
// notifier (hub/notifier) mails what it queues.
//
// A member is only ever the member of the session token: no call takes a member id
// from the member, so no parameter reaches another member's data. Every call by a
// member is written to the audit log (actor "member:<id>").
//
// Thread-safe.
#ifndef LOYALTY_HUB_MEMBERS_MEMBERS_H_
#define LOYALTY_HUB_MEMBERS_MEMBERS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "hub/common/clock.h"
#include "hub/ledger/ledger.h"
#include "hub/store/member_rows.h"
#include "hub/store/store.h"

namespace loyalty {

struct MembersOptions {
  // A sign-in code's lifetime and the wrong guesses it survives. Default: 10 min, 5.
  absl::Duration code_ttl = absl::Minutes(10);
  int max_code_attempts = 5;
  // The least time between two codes for one member (the rest are dropped silently).
  // Default: 30 s.
  absl::Duration code_interval = absl::Seconds(30);
  // A session token's lifetime. Default: 30 days.
  absl::Duration session_ttl = absl::Hours(24 * 30);
  // How long a partner has to answer a claim before it goes to the operator.
  // Default: 14 days.
  absl::Duration claim_answer_time = absl::Hours(24 * 14);
};

// What a member sees first: the ledger's balance view of their account.
struct MemberOverview {
  MemberId member_id = 0;
  BalanceView balance;
  std::vector<std::string> cards;  // masked: all but the last 4 digits
};

struct ExpiringMonth {
  std::string month;  // "YYYY-MM" in the program's time zone
  Points points = 0;
};

struct MemberPromotion {
  PromotionRow promotion;
  std::string funder_name;
  bool at_partner_visited = false;  // the member earned at the funder in the last year
};

// Who answers a claim: a partner for its own claims, or the operator for any.
struct ClaimActor {
  bool is_operator = false;
  PartnerId partner = 0;
  std::string name;  // for the audit log
};

class Members {
 public:
  // REQUIRES: all outlive this object. `ledger` posts accepted claims.
  Members(Store* store, Ledger* ledger, const Clock* clock, MembersOptions options = {});

  // Queues a one-time code for the card's member (mailed by the notifier). OK whatever
  // the card, so the answer tells nobody which cards exist; nothing is sent for an
  // unknown card, a member without an e-mail address, or within code_interval of the
  // last code.
  absl::Status RequestSignInCode(const std::string& card_number);
  // A session token for the card's member if `code` is their current code;
  // UNAUTHENTICATED (the same answer for every failure) otherwise.
  absl::StatusOr<std::string> SignIn(const std::string& card_number, const std::string& code);
  // A session token the operator hands a member (a call centre, a kiosk).
  absl::StatusOr<std::string> IssueToken(const std::string& actor, const std::string& card_number);
  // The member of a session token; UNAUTHENTICATED if unknown, expired or erased.
  absl::StatusOr<MemberId> Authenticate(const std::string& token);

  absl::StatusOr<MemberOverview> Overview(MemberId member);
  // Newest first, ids below before_id (0 = from the newest).
  absl::StatusOr<std::vector<HistoryRow>> History(MemberId member, TxnId before_id, int limit);
  absl::StatusOr<std::vector<ExpiringMonth>> ExpiringByMonth(MemberId member);
  absl::StatusOr<std::vector<MemberPromotion>> Promotions(MemberId member);
  absl::StatusOr<MemberProfileRow> GetProfile(MemberId member);
  // Validates and stores; INVALID_ARGUMENT naming the field.
  absl::StatusOr<MemberProfileRow> SetProfile(MemberId member, MemberProfileRow profile);
  // Everything the hub holds about the member, as one JSON document.
  absl::StatusOr<std::string> Export(MemberId member);
  // Removes the member's personal data (member_rows.h EraseMember); the journal and
  // settlement are unchanged.
  absl::Status Erase(MemberId member);

  // Claims.
  absl::StatusOr<ClaimRow> OpenClaim(MemberId member, PartnerId partner, Micros purchased_at,
                                     int64_t amount_minor, const std::string& currency,
                                     const std::string& receipt_ref);
  absl::StatusOr<std::vector<ClaimRow>> MemberClaims(MemberId member);
  absl::StatusOr<std::vector<ClaimRow>> ListClaims(const ClaimActor& actor,
                                                   std::vector<std::string> statuses,
                                                   int64_t before_id, int limit);
  // Posts the earn (idempotent on the claim: accepting again answers the same claim)
  // and closes the claim. FAILED_PRECONDITION for a rejected claim.
  absl::StatusOr<ClaimRow> AcceptClaim(const ClaimActor& actor, int64_t claim_id);
  // FAILED_PRECONDITION for an accepted claim; rejecting twice answers the first.
  absl::StatusOr<ClaimRow> RejectClaim(const ClaimActor& actor, int64_t claim_id,
                                       const std::string& reason);
  // Escalates open claims past their due time to the operator; returns how many.
  absl::StatusOr<int64_t> EscalateDueClaims();

 private:
  // Runs `fn` in one transaction with an audit entry for `member`'s `action`.
  absl::Status RunAudited(MemberId member, const char* action, const std::string& detail,
                          const std::function<absl::Status(MemberRows&)>& fn);
  absl::StatusOr<std::string> NewSession(MemberRows& rows, MemberId member,
                                         const std::string& issued_by);

  Store* const store_;
  Ledger* const ledger_;
  const Clock* const clock_;
  const MembersOptions options_;
};

}  // namespace loyalty

#endif  // LOYALTY_HUB_MEMBERS_MEMBERS_H_
