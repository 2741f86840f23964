#include "hub/members/members.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "hub/common/secure_random.h"
#include "hub/common/status_macros.h"
#include "hub/ledger/validate.h"
#include "hub/members/templates.h"

namespace loyalty {
namespace {

constexpr char kTokenPrefix[] = "mbr_";
constexpr Micros kYear = 365LL * 86'400'000'000;

Micros Of(absl::Duration d) { return absl::ToInt64Microseconds(d); }

std::string Actor(MemberId member) { return absl::StrCat("member:", member); }

std::string Mask(const std::string& card) {
  if (card.size() <= 4) return card;
  return std::string(card.size() - 4, '*') + card.substr(card.size() - 4);
}

// A 6-digit code from the operating system's CSPRNG (NewApiKey's hex).
std::string NewCode() {
  const std::string hex = NewApiKey("").substr(0, 12);  // 48 bits
  uint64_t v = 0;
  LOYALTY_CHECK(absl::SimpleHexAtoi(hex, &v));
  return absl::StrFormat("%06d", static_cast<int>(v % 1'000'000));
}

std::string CodeHash(MemberId member, const std::string& code) {
  return Sha256Hex(absl::StrCat(member, ":", code));
}

std::string ClaimEarnKey(const ClaimRow& c) {
  return absl::StrCat("claim-", c.id, "-", c.created_at);
}

absl::Status SignInFailed() {
  return absl::UnauthenticatedError("card_number or code: not a valid sign-in");
}

nlohmann::json ClaimJson(const ClaimRow& c) {
  nlohmann::json j = {{"claim_id", c.id},
                      {"partner_id", c.partner_id},
                      {"purchased_at_micros", c.purchased_at},
                      {"amount_minor", c.amount_minor},
                      {"currency", c.currency},
                      {"receipt_ref", c.receipt_ref},
                      {"status", c.status},
                      {"reason", c.reason},
                      {"created_at_micros", c.created_at},
                      {"due_at_micros", c.due_at}};
  if (c.earn_txn_id.has_value()) j["hub_txn_id"] = *c.earn_txn_id;
  return j;
}

// The claim's event (claim.opened, claim.escalated, claim.resolved).
EventRow ClaimEvent(const char* type, const ClaimRow& c, Points points, Micros now) {
  EventRow e;
  e.type = type;
  e.member_id = c.member_id;
  e.partner_id = c.partner_id;
  e.txn_id = c.earn_txn_id;
  e.points = points;
  e.amount_minor = c.amount_minor;
  e.currency = c.currency;
  nlohmann::json d = {{"claim_id", c.id}, {"receipt_ref", c.receipt_ref}, {"status", c.status}};
  if (!c.reason.empty()) d["reason"] = c.reason;
  e.detail = d.dump();
  e.occurred_at = now;
  return e;
}

// An IANA zone name ("Asia/Seoul", "UTC", "America/Argentina/Buenos_Aires"): letters,
// digits, _ + - in parts joined by '/'. Anything else (a path, "..") never reaches the
// zone loader, which would read it as a file name.
bool IsZoneName(const std::string& name) {
  if (name.empty() || name.size() > 64 || name.front() == '/' || name.back() == '/' ||
      name.find("..") != std::string::npos || name.find("//") != std::string::npos) {
    return false;
  }
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '+' && c != '-' &&
        c != '/') {
      return false;
    }
  }
  return true;
}

absl::Status ValidateEmail(const std::string& email) {
  if (email.empty()) return absl::OkStatus();
  const size_t at = email.find('@');
  if (email.size() > 254 || at == std::string::npos || at == 0 || at + 1 >= email.size() ||
      email.find('@', at + 1) != std::string::npos ||
      email.find_first_of(" \t\r\n<>,;\"") != std::string::npos) {
    return InvalidField("email", "not an e-mail address");
  }
  return absl::OkStatus();
}

}  // namespace

Members::Members(Store* store, Ledger* ledger, const Clock* clock, MembersOptions options)
    : store_(store), ledger_(ledger), clock_(clock), options_(options) {}

absl::Status Members::RunAudited(MemberId member, const char* action, const std::string& detail,
                                 const std::function<absl::Status(MemberRows&)>& fn) {
  return store_->RunEventTransaction([&](MemberRows& rows) -> absl::Status {
    RETURN_IF_ERROR(fn(rows));
    return rows.InsertAudit(clock_->NowMicros(), Actor(member), action, detail, "", "");
  });
}

absl::StatusOr<std::string> Members::NewSession(MemberRows& rows, MemberId member,
                                                const std::string& issued_by) {
  const std::string token = NewApiKey(kTokenPrefix);
  const Micros now = clock_->NowMicros();
  RETURN_IF_ERROR(rows.InsertSession(Sha256Hex(token), member, issued_by, now,
                                     now + Of(options_.session_ttl)));
  return token;
}

absl::Status Members::RequestSignInCode(const std::string& card_number) {
  RETURN_IF_ERROR(ValidateCardNumber("card_number", card_number));
  return store_->RunEventTransaction([&](MemberRows& rows) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<MemberId> member, rows.MemberOfCard(card_number));
    if (!member.has_value()) return absl::OkStatus();
    ASSIGN_OR_RETURN(std::optional<MemberProfileRow> profile, rows.GetProfile(*member));
    if (!profile.has_value() || profile->email.empty()) return absl::OkStatus();
    const Micros now = clock_->NowMicros();
    ASSIGN_OR_RETURN(std::optional<SignInCodeRow> last, rows.LockCode(*member));
    if (last.has_value() && now - last->created_at < Of(options_.code_interval)) {
      return absl::OkStatus();
    }
    const std::string code = NewCode();
    // Wrong guesses count per member over an hour, not per code: asking for a new code
    // does not buy more guesses.
    const int attempts =
        last.has_value() && now - last->created_at < Of(absl::Hours(1)) ? last->attempts : 0;
    RETURN_IF_ERROR(rows.PutCode(
        {*member, CodeHash(*member, code), now, now + Of(options_.code_ttl), attempts}));
    const RenderedNotice text = RenderNotice(
        notice_kind::kSignInCode, profile->language,
        {{"code", code}, {"minutes", absl::StrCat(absl::ToInt64Minutes(options_.code_ttl))}});
    NotificationRow n;
    n.member_id = *member;
    n.kind = notice_kind::kSignInCode;
    n.language = profile->language;
    n.recipient = profile->email;
    n.subject = text.subject;
    n.body = text.body;
    n.send_after = now;  // asked for: not held for quiet hours
    n.created_at = now;
    RETURN_IF_ERROR(rows.InsertNotification(n));
    return rows.InsertAudit(now, Actor(*member), "member.request_code", "", "", "");
  });
}

absl::StatusOr<std::string> Members::SignIn(const std::string& card_number,
                                            const std::string& code) {
  if (!ValidateCardNumber("card_number", card_number).ok() || code.size() != 6) {
    return SignInFailed();
  }
  std::string token;
  bool failed = false;
  if (absl::Status s = store_->RunEventTransaction([&](MemberRows& rows) -> absl::Status {
    failed = true;
    ASSIGN_OR_RETURN(std::optional<MemberId> member, rows.MemberOfCard(card_number));
    if (!member.has_value()) return absl::OkStatus();
    ASSIGN_OR_RETURN(std::optional<SignInCodeRow> c, rows.LockCode(*member));
    const Micros now = clock_->NowMicros();
    if (!c.has_value() || c->expires_at <= now || c->attempts >= options_.max_code_attempts) {
      return absl::OkStatus();
    }
    if (c->code_hash != CodeHash(*member, code)) {
      // Counted in this transaction, which commits: the failure is the answer.
      RETURN_IF_ERROR(rows.SetCodeAttempts(*member, c->attempts + 1));
      return rows.InsertAudit(now, Actor(*member), "member.sign_in_failed", "", "", "");
    }
    RETURN_IF_ERROR(rows.DeleteCode(*member));
    ASSIGN_OR_RETURN(token, NewSession(rows, *member, "code"));
    failed = false;
    return rows.InsertAudit(now, Actor(*member), "member.sign_in", "code", "", "");
  }); !s.ok()) return s;
  if (failed) return SignInFailed();
  return token;
}

absl::StatusOr<std::string> Members::IssueToken(const std::string& actor,
                                                const std::string& card_number) {
  RETURN_IF_ERROR(ValidateCardNumber("card_number", card_number));
  std::string token;
  if (absl::Status s = store_->RunEventTransaction([&](MemberRows& rows) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<MemberId> member, rows.MemberOfCard(card_number));
    if (!member.has_value()) return absl::NotFoundError("card_number: no such member card");
    ASSIGN_OR_RETURN(token, NewSession(rows, *member, actor));
    return rows.InsertAudit(clock_->NowMicros(), actor, "member.issue_token",
                            absl::StrCat("member=", *member), "", "");
  }); !s.ok()) return s;
  return token;
}

absl::StatusOr<MemberId> Members::Authenticate(const std::string& token) {
  if (!absl::StartsWith(token, kTokenPrefix) || token.size() > 128) {
    return absl::UnauthenticatedError("authorization: not a member session token");
  }
  std::optional<MemberId> member;
  if (absl::Status s = store_->RunEventTransaction([&](MemberRows& rows) -> absl::Status {
    ASSIGN_OR_RETURN(member, rows.SessionMember(Sha256Hex(token), clock_->NowMicros()));
    return absl::OkStatus();
  }); !s.ok()) return s;
  if (!member.has_value()) {
    return absl::UnauthenticatedError("authorization: unknown or expired member session");
  }
  return *member;
}

absl::StatusOr<MemberOverview> Members::Overview(MemberId member) {
  MemberOverview out;
  out.member_id = member;
  if (absl::Status s = RunAudited(member, "member.overview", "", [&](MemberRows& rows) -> absl::Status {
    ASSIGN_OR_RETURN(out.cards, rows.CardsOf(member));
    return absl::OkStatus();
  }); !s.ok()) return s;
  if (out.cards.empty()) return absl::FailedPreconditionError("the member has no card");
  ASSIGN_OR_RETURN(out.balance, ledger_->GetBalance(out.cards.front()));
  for (std::string& c : out.cards) c = Mask(c);
  return out;
}

absl::StatusOr<std::vector<HistoryRow>> Members::History(MemberId member, TxnId before_id,
                                                         int limit) {
  if (before_id < 0) return InvalidField("page_token", "not a page of this history");
  if (limit < 1 || limit > 1001) return InvalidField("page_size", "must be 1..1000");
  std::vector<HistoryRow> out;
  if (absl::Status s = RunAudited(member, "member.history", "", [&](MemberRows& rows) -> absl::Status {
    ASSIGN_OR_RETURN(out, rows.MemberHistory(member, before_id == 0 ? INT64_MAX : before_id,
                                             limit));
    return absl::OkStatus();
  }); !s.ok()) return s;
  return out;
}

absl::StatusOr<std::vector<ExpiringMonth>> Members::ExpiringByMonth(MemberId member) {
  ASSIGN_OR_RETURN(ProgramRecord program, ledger_->GetProgram());
  absl::TimeZone tz;
  if (!absl::LoadTimeZone(program.time_zone, &tz)) tz = absl::UTCTimeZone();
  std::vector<std::pair<Micros, Points>> lots;
  if (absl::Status s = RunAudited(member, "member.expiring", "", [&](MemberRows& rows) -> absl::Status {
    ASSIGN_OR_RETURN(lots, rows.ExpiringLotsOf(member));
    return absl::OkStatus();
  }); !s.ok()) return s;
  std::vector<ExpiringMonth> out;
  for (const auto& [at, points] : lots) {
    const std::string month = absl::FormatTime("%Y-%m", absl::FromUnixMicros(at), tz);
    if (out.empty() || out.back().month != month) out.push_back({month, 0});
    out.back().points += points;
  }
  return out;
}

absl::StatusOr<std::vector<MemberPromotion>> Members::Promotions(MemberId member) {
  ASSIGN_OR_RETURN(std::vector<PromotionRow> promotions, ledger_->ListPromotions(false));
  ASSIGN_OR_RETURN(std::vector<PartnerRecord> partners, ledger_->ListPartners());
  std::map<PartnerId, std::string> names;
  for (const PartnerRecord& p : partners) names[p.id] = p.name;
  std::vector<PartnerId> visited;
  if (absl::Status s = RunAudited(member, "member.promotions", "", [&](MemberRows& rows) -> absl::Status {
    ASSIGN_OR_RETURN(visited, rows.PartnersVisited(member, clock_->NowMicros() - kYear));
    return absl::OkStatus();
  }); !s.ok()) return s;
  const std::set<PartnerId> seen(visited.begin(), visited.end());
  std::vector<MemberPromotion> out;
  for (const PromotionRow& p : promotions) {
    MemberPromotion m;
    m.promotion = p;
    m.funder_name = p.funder_id == kOperatorId ? "" : names[p.funder_id];
    m.at_partner_visited = seen.count(p.funder_id) > 0;
    out.push_back(std::move(m));
  }
  // Promotions where the member already shops first, then by start.
  std::stable_sort(out.begin(), out.end(), [](const MemberPromotion& a, const MemberPromotion& b) {
    return a.at_partner_visited > b.at_partner_visited;
  });
  return out;
}

absl::StatusOr<MemberProfileRow> Members::GetProfile(MemberId member) {
  std::optional<MemberProfileRow> p;
  if (absl::Status s = RunAudited(member, "member.get_profile", "", [&](MemberRows& rows) -> absl::Status {
    ASSIGN_OR_RETURN(p, rows.GetProfile(member));
    return absl::OkStatus();
  }); !s.ok()) return s;
  if (!p.has_value()) {
    p = MemberProfileRow{};
    p->member_id = member;
  }
  return *p;
}

absl::StatusOr<MemberProfileRow> Members::SetProfile(MemberId member, MemberProfileRow p) {
  p.email = std::string(absl::StripAsciiWhitespace(p.email));
  RETURN_IF_ERROR(ValidateEmail(p.email));
  if (!IsNoticeLanguage(p.language)) {
    return InvalidField("language", "one of en, ko, zh");
  }
  absl::TimeZone tz;
  if (!IsZoneName(p.time_zone) || !absl::LoadTimeZone(p.time_zone, &tz)) {
    return InvalidField("time_zone", "an IANA time zone name such as Asia/Seoul");
  }
  if (p.quiet_start_minute < 0 || p.quiet_start_minute >= 1440) {
    return InvalidField("quiet_start_minute", "must be 0..1439");
  }
  if (p.quiet_end_minute < 0 || p.quiet_end_minute >= 1440) {
    return InvalidField("quiet_end_minute", "must be 0..1439");
  }
  p.member_id = member;
  p.updated_at = clock_->NowMicros();
  if (absl::Status s = RunAudited(member, "member.set_profile",
                             absl::StrCat("notices=", p.consent_notices,
                                          " marketing=", p.consent_marketing,
                                          " email_channel=", p.channel_email),
                             [&](MemberRows& rows) { return rows.PutProfile(p); }); !s.ok()) return s;
  return p;
}

absl::StatusOr<std::string> Members::Export(MemberId member) {
  ASSIGN_OR_RETURN(MemberProfileRow profile, GetProfile(member));
  ASSIGN_OR_RETURN(MemberOverview overview, Overview(member));
  ASSIGN_OR_RETURN(std::vector<ExpiringMonth> expiring, ExpiringByMonth(member));
  nlohmann::json doc;
  doc["member_id"] = member;
  doc["exported_at_micros"] = clock_->NowMicros();
  doc["profile"] = {{"email", profile.email},
                    {"language", profile.language},
                    {"consent_notices", profile.consent_notices},
                    {"consent_marketing", profile.consent_marketing},
                    {"channel_email", profile.channel_email},
                    {"quiet_start_minute", profile.quiet_start_minute},
                    {"quiet_end_minute", profile.quiet_end_minute},
                    {"time_zone", profile.time_zone}};
  const BalanceView& b = overview.balance;
  doc["balance"] = {{"balance", b.balance}, {"available", b.available}, {"held", b.held},
                    {"pending", b.pending}, {"debt", b.debt},           {"tier", b.tier}};
  nlohmann::json expiring_json = nlohmann::json::array();
  for (const ExpiringMonth& m : expiring) {
    expiring_json.push_back({{"month", m.month}, {"points", m.points}});
  }
  doc["expiring"] = expiring_json;
  nlohmann::json cards = nlohmann::json::array();
  nlohmann::json history = nlohmann::json::array();
  nlohmann::json claims = nlohmann::json::array();
  nlohmann::json mail = nlohmann::json::array();
  if (absl::Status s = RunAudited(member, "member.export", "", [&](MemberRows& rows) -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<std::string> numbers, rows.CardsOf(member));
    for (const std::string& c : numbers) cards.push_back(c);
    for (TxnId before = INT64_MAX;;) {
      ASSIGN_OR_RETURN(std::vector<HistoryRow> page, rows.MemberHistory(member, before, 1000));
      for (const HistoryRow& h : page) {
        history.push_back({{"hub_txn_id", h.txn.id},
                           {"kind", h.txn.kind},
                           {"partner_id", h.txn.partner_id},
                           {"partner_name", h.partner_name},
                           {"points", h.txn.points},
                           {"amount_minor", h.txn.amount_minor},
                           {"currency", h.txn.currency},
                           {"balance_after", h.txn.balance_after},
                           {"posted_at_micros", h.txn.posted_at}});
      }
      if (page.size() < 1000) break;
      before = page.back().txn.id;
    }
    ClaimQuery q;
    q.member = member;
    q.limit = 100000;
    ASSIGN_OR_RETURN(std::vector<ClaimRow> rows_claims, rows.ListClaims(q));
    for (const ClaimRow& c : rows_claims) claims.push_back(ClaimJson(c));
    ASSIGN_OR_RETURN(std::vector<NotificationRow> notes, rows.NotificationsOf(member));
    for (const NotificationRow& n : notes) {
      mail.push_back({{"kind", n.kind},
                      {"to", n.recipient},
                      {"subject", n.subject},
                      {"status", n.status},
                      {"created_at_micros", n.created_at}});
    }
    return absl::OkStatus();
  }); !s.ok()) return s;
  doc["cards"] = cards;
  doc["history"] = history;
  doc["claims"] = claims;
  doc["notifications"] = mail;
  return doc.dump(2);
}

absl::Status Members::Erase(MemberId member) {
  const Micros now = clock_->NowMicros();
  return RunAudited(member, "member.erase", "", [&](MemberRows& rows) -> absl::Status {
    return rows.EraseMember(member, now);
  });
}

absl::StatusOr<ClaimRow> Members::OpenClaim(MemberId member, PartnerId partner,
                                            Micros purchased_at, int64_t amount_minor,
                                            const std::string& currency,
                                            const std::string& receipt_ref) {
  const Micros now = clock_->NowMicros();
  if (partner <= 0) return InvalidField("partner_id", "must name a partner");
  if (purchased_at <= 0 || purchased_at > now) {
    return InvalidField("purchased_at_micros", "must be a time in the past");
  }
  if (purchased_at < now - kYear) {
    return InvalidField("purchased_at_micros", "claims are taken for purchases of the last year");
  }
  if (amount_minor <= 0 || amount_minor > kMaxAmountMinor) {
    return InvalidField("amount.amount_minor", "must be positive");
  }
  RETURN_IF_ERROR(ValidateIdempotencyKey("receipt_ref", receipt_ref));
  ASSIGN_OR_RETURN(ProgramRecord program, ledger_->GetProgram());
  if (currency != program.currency) {
    return InvalidField("amount.currency", absl::StrCat("the program's currency is ",
                                                        program.currency));
  }
  ASSIGN_OR_RETURN(std::vector<PartnerRecord> partners, ledger_->ListPartners());
  auto p = std::find_if(partners.begin(), partners.end(),
                        [&](const PartnerRecord& r) { return r.id == partner; });
  if (p == partners.end() || p->role != Role::kMerchant || p->suspended) {
    return absl::NotFoundError("partner_id: no such merchant");
  }
  ClaimRow c;
  c.member_id = member;
  c.partner_id = partner;
  c.purchased_at = purchased_at;
  c.amount_minor = amount_minor;
  c.currency = currency;
  c.receipt_ref = receipt_ref;
  c.status = claim_status::kOpen;
  c.created_at = now;
  c.due_at = now + Of(options_.claim_answer_time);
  if (absl::Status s = RunAudited(member, "member.open_claim", receipt_ref,
                             [&](MemberRows& rows) -> absl::Status {
                               ASSIGN_OR_RETURN(c.id, rows.InsertClaim(c));
                               return rows.InsertEvents(
                                   {ClaimEvent(event_type::kClaimOpened, c, 0, now)});
                             }); !s.ok()) return s;
  return c;
}

absl::StatusOr<std::vector<ClaimRow>> Members::MemberClaims(MemberId member) {
  std::vector<ClaimRow> out;
  if (absl::Status s = RunAudited(member, "member.claims", "", [&](MemberRows& rows) -> absl::Status {
    ClaimQuery q;
    q.member = member;
    q.limit = 1000;
    ASSIGN_OR_RETURN(out, rows.ListClaims(q));
    return absl::OkStatus();
  }); !s.ok()) return s;
  return out;
}

absl::StatusOr<std::vector<ClaimRow>> Members::ListClaims(const ClaimActor& actor,
                                                          std::vector<std::string> statuses,
                                                          int64_t before_id, int limit) {
  if (limit < 1 || limit > 1000) return InvalidField("page_size", "must be 1..1000");
  if (before_id < 0) return InvalidField("page_token", "not a page of this list");
  for (const std::string& s : statuses) {
    if (s != claim_status::kOpen && s != claim_status::kEscalated &&
        s != claim_status::kAccepted && s != claim_status::kRejected) {
      return InvalidField("statuses", "each one of open, escalated, accepted, rejected");
    }
  }
  ClaimQuery q;
  if (!actor.is_operator) q.partner = actor.partner;
  q.statuses = std::move(statuses);
  q.before_id = before_id == 0 ? INT64_MAX : before_id;
  q.limit = limit;
  std::vector<ClaimRow> out;
  if (absl::Status s = store_->RunEventTransaction([&](MemberRows& rows) -> absl::Status {
    ASSIGN_OR_RETURN(out, rows.ListClaims(q));
    return absl::OkStatus();
  }); !s.ok()) return s;
  return out;
}

absl::StatusOr<ClaimRow> Members::AcceptClaim(const ClaimActor& actor, int64_t claim_id) {
  // First, under the claim's lock, mark it `accepting` (so a rejection can no longer
  // slip in between the earn and the claim's update) and find the member's card.
  std::optional<ClaimRow> claim;
  std::string before_status;
  std::vector<std::string> cards;
  if (absl::Status s = store_->RunEventTransaction([&](MemberRows& rows) -> absl::Status {
        ASSIGN_OR_RETURN(claim, rows.GetClaim(claim_id, /*for_update=*/true));
        if (!claim.has_value() || (!actor.is_operator && claim->partner_id != actor.partner)) {
          return absl::NotFoundError("claim_id: no such claim of this partner");
        }
        if (claim->status == claim_status::kAccepted) return absl::OkStatus();
        if (claim->status == claim_status::kRejected) {
          return absl::FailedPreconditionError("claim_id: the claim was rejected");
        }
        ASSIGN_OR_RETURN(cards, rows.CardsOf(claim->member_id));
        if (cards.empty()) {
          return absl::FailedPreconditionError("claim_id: the member has no card (erased?)");
        }
        before_status = claim->status;
        if (claim->status == claim_status::kAccepting) return absl::OkStatus();
        claim->status = claim_status::kAccepting;
        return rows.UpdateClaim(*claim);
      });
      !s.ok()) {
    return s;
  }
  if (claim->status == claim_status::kAccepted) return *claim;
  // The earn, keyed by the claim: a second accept (or a retry after a crash between the
  // steps) replays it instead of crediting twice. The key carries the claim's creation
  // time so it cannot meet a key the partner chose itself.
  EarnParams earn;
  earn.req.partner_id = claim->partner_id;
  earn.req.partner_txn_id = ClaimEarnKey(*claim);
  earn.req.occurred_at = claim->purchased_at;
  earn.card_number = cards.front();
  earn.amount_minor = claim->amount_minor;
  earn.currency = claim->currency;
  absl::StatusOr<Posting> posted = ledger_->Earn(earn);
  const Micros now = clock_->NowMicros();
  if (!posted.ok()) {
    // Back to where it was, so it can be answered again (best effort: a retry of the
    // accept goes on from `accepting` anyway).
    (void)store_->RunEventTransaction([&](MemberRows& rows) -> absl::Status {
      ASSIGN_OR_RETURN(std::optional<ClaimRow> c, rows.GetClaim(claim_id, true));
      // Only the accept that set `accepting` puts it back; another may be posting.
      if (!c.has_value() || c->status != claim_status::kAccepting ||
          before_status == claim_status::kAccepting) {
        return absl::OkStatus();
      }
      c->status = before_status;
      return rows.UpdateClaim(*c);
    });
    return posted.status();
  }
  if (absl::Status s = store_->RunEventTransaction([&](MemberRows& rows) -> absl::Status {
        ASSIGN_OR_RETURN(claim, rows.GetClaim(claim_id, true));
        if (claim->status == claim_status::kAccepted) return absl::OkStatus();
        claim->status = claim_status::kAccepted;
        claim->resolved_at = now;
        claim->resolved_by = actor.name;
        claim->earn_txn_id = posted->txn_id;
        RETURN_IF_ERROR(rows.UpdateClaim(*claim));
        RETURN_IF_ERROR(rows.InsertEvents(
            {ClaimEvent(event_type::kClaimResolved, *claim, posted->points, now)}));
        return rows.InsertAudit(now, actor.name, "claim.accept",
                                absl::StrCat("claim=", claim_id, " txn=", posted->txn_id), "", "");
      });
      !s.ok()) {
    return s;
  }
  return *claim;
}

absl::StatusOr<ClaimRow> Members::RejectClaim(const ClaimActor& actor, int64_t claim_id,
                                              const std::string& reason) {
  RETURN_IF_ERROR(ValidateText("reason", reason, 300));
  std::optional<ClaimRow> claim;
  const Micros now = clock_->NowMicros();
  if (absl::Status s = store_->RunEventTransaction([&](MemberRows& rows) -> absl::Status {
    ASSIGN_OR_RETURN(claim, rows.GetClaim(claim_id, true));
    if (!claim.has_value() || (!actor.is_operator && claim->partner_id != actor.partner)) {
      return absl::NotFoundError("claim_id: no such claim of this partner");
    }
    if (claim->status == claim_status::kRejected) return absl::OkStatus();
    if (claim->status == claim_status::kAccepted || claim->status == claim_status::kAccepting) {
      return absl::FailedPreconditionError("claim_id: the claim was accepted");
    }
    claim->status = claim_status::kRejected;
    claim->reason = reason;
    claim->resolved_at = now;
    claim->resolved_by = actor.name;
    RETURN_IF_ERROR(rows.UpdateClaim(*claim));
    RETURN_IF_ERROR(rows.InsertEvents({ClaimEvent(event_type::kClaimResolved, *claim, 0, now)}));
    return rows.InsertAudit(now, actor.name, "claim.reject", absl::StrCat("claim=", claim_id),
                            "", "");
  }); !s.ok()) return s;
  return *claim;
}

absl::StatusOr<int64_t> Members::EscalateDueClaims() {
  int64_t escalated = 0;
  const Micros now = clock_->NowMicros();
  if (absl::Status s = store_->RunEventTransaction([&](MemberRows& rows) -> absl::Status {
    escalated = 0;
    ASSIGN_OR_RETURN(std::vector<ClaimRow> due, rows.LockClaimsDue(now, 500));
    std::vector<EventRow> events;
    for (ClaimRow& c : due) {
      c.status = claim_status::kEscalated;
      c.escalated_at = now;
      RETURN_IF_ERROR(rows.UpdateClaim(c));
      events.push_back(ClaimEvent(event_type::kClaimEscalated, c, 0, now));
    }
    escalated = static_cast<int64_t>(due.size());
    return rows.InsertEvents(events);
  }); !s.ok()) return s;
  return escalated;
}

}  // namespace loyalty
