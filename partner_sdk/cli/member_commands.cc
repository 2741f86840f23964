// Members' commands (MemberService, as the member of a session token) and the claims
// commands of partners and the operator (ClaimService). A member's session token comes
// from --token_file or $LOYALTY_MEMBER_TOKEN (`member-sign-in` prints one); partner and
// operator keys as for every other command.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "command.h"
#include "hub/common/status_macros.h"
#include "loyalty/member_client.h"

namespace loyalty::cli {
namespace {

absl::StatusOr<std::string> MemberToken(const Args& args) {
  const std::string file = args.Str("token_file");
  if (file.empty()) {
    const char* env = std::getenv("LOYALTY_MEMBER_TOKEN");
    if (env == nullptr || *env == '\0') {
      return absl::InvalidArgumentError(
          "no member session: set LOYALTY_MEMBER_TOKEN or --token_file (see member-sign-in)");
    }
    return std::string(env);
  }
  std::ifstream in(file);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("--token_file: cannot read ", file));
  std::stringstream ss;
  ss << in.rdbuf();
  return std::string(absl::StripAsciiWhitespace(ss.str()));
}

// A MemberClient calling as `token` ("" for the sign-in calls).
absl::StatusOr<std::shared_ptr<sdk::MemberClient>> Member(Clients& clients,
                                                          const std::string& token) {
  sdk::Options o = clients.options();
  o.api_key = token;
  return sdk::MakeMemberClient(o);
}

absl::StatusOr<std::shared_ptr<sdk::MemberClient>> SignedIn(const Args& args, Clients& clients) {
  ASSIGN_OR_RETURN(std::string token, MemberToken(args));
  return Member(clients, token);
}

std::string Day(int64_t micros) {
  return micros == 0 ? "" : absl::FormatTime("%Y-%m-%d", absl::FromUnixMicros(micros),
                                             absl::UTCTimeZone());
}

Record ClaimRecord(const v1::Claim& c) {
  Record r;
  r.Add("claim_id", c.claim_id()).Add("status", c.status()).Add("member_id", c.member_id());
  r.Add("partner_id", c.partner_id()).Add("receipt_ref", c.receipt_ref());
  r.Add("amount_minor", c.amount().amount_minor()).Add("currency", c.amount().currency());
  r.Add("purchased_on", Day(c.purchased_at_micros())).Add("due_on", Day(c.due_at_micros()));
  if (!c.reason().empty()) r.Add("reason", c.reason());
  if (c.hub_txn_id() != 0) r.Add("hub_txn_id", c.hub_txn_id());
  return r;
}

Record ClaimsRecord(const v1::ListClaimsResponse& list) {
  std::vector<Record> rows;
  for (const v1::Claim& c : list.claims()) rows.push_back(ClaimRecord(c));
  Record r;
  r.Add("claims", rows);
  if (!list.next_page_token().empty()) r.Add("next_page_token", list.next_page_token());
  return r;
}

absl::StatusOr<Record> RequestCode(const Args& args, Clients& clients) {
  ASSIGN_OR_RETURN(auto member, Member(clients, ""));
  v1::RequestSignInCodeRequest req;
  req.set_card_number(args.Str("card"));
  RETURN_IF_ERROR(member->RequestSignInCode(req).status());
  Record r;
  r.Add("sent", "a code goes to the member's e-mail address, if the card has one");
  return r;
}

absl::StatusOr<Record> SignIn(const Args& args, Clients& clients) {
  ASSIGN_OR_RETURN(auto member, Member(clients, ""));
  v1::SignInRequest req;
  req.set_card_number(args.Str("card"));
  req.set_code(args.Str("code"));
  ASSIGN_OR_RETURN(v1::SignInResponse resp, member->SignIn(req));
  const std::string out = args.Str("out");
  Record r;
  if (!out.empty()) {
    // The token is the member's password for 30 days: readable by the owner only.
    { std::ofstream create(out, std::ios::trunc); }
    std::error_code ec;
    std::filesystem::permissions(out, std::filesystem::perms::owner_read |
                                          std::filesystem::perms::owner_write, ec);
    std::ofstream f(out);
    f << resp.session_token() << "\n";
    if (!f) return LocalFileError(absl::StatusCode::kInternal, absl::StrCat("cannot write ", out));
    r.Add("token_file", out);
  } else {
    r.Add("session_token", resp.session_token());
  }
  return r;
}

absl::StatusOr<Record> Overview(const Args& args, Clients& clients) {
  ASSIGN_OR_RETURN(auto member, SignedIn(args, clients));
  ASSIGN_OR_RETURN(v1::MemberOverview o, member->GetOverview());
  const v1::Balance& b = o.balance();
  Record r;
  r.Add("member_id", o.member_id()).Add("balance", b.balance()).Add("available", b.available());
  r.Add("pending", b.pending()).Add("held", b.held()).Add("debt", b.debt());
  r.Add("tier", b.tier()).Add("next_tier", b.next_tier());
  r.Add("spend_12m_minor", b.spend_12m_minor());
  r.Add("next_tier_threshold_minor", b.next_tier_threshold_minor());
  r.Add("cards", std::vector<std::string>(o.cards().begin(), o.cards().end()));
  return r;
}

absl::StatusOr<Record> History(const Args& args, Clients& clients) {
  ASSIGN_OR_RETURN(auto member, SignedIn(args, clients));
  v1::ListHistoryRequest req;
  ASSIGN_OR_RETURN(int64_t size, args.Int("page_size", 0));
  req.set_page_size(static_cast<int32_t>(size));
  req.set_page_token(args.Str("page_token"));
  ASSIGN_OR_RETURN(v1::ListHistoryResponse page, member->ListHistory(req));
  std::vector<Record> rows;
  for (const v1::HistoryEntry& e : page.entries()) {
    Record row;
    row.Add("hub_txn_id", e.hub_txn_id()).Add("kind", e.kind()).Add("partner", e.partner_name());
    row.Add("points", e.points()).Add("balance_after", e.balance_after());
    row.Add("posted_on", Day(e.posted_at_micros()));
    rows.push_back(std::move(row));
  }
  Record r;
  r.Add("entries", rows);
  if (!page.next_page_token().empty()) r.Add("next_page_token", page.next_page_token());
  return r;
}

absl::StatusOr<Record> Expiring(const Args& args, Clients& clients) {
  ASSIGN_OR_RETURN(auto member, SignedIn(args, clients));
  ASSIGN_OR_RETURN(v1::MemberExpiringPoints e, member->GetExpiringPoints());
  std::vector<Record> rows;
  for (const v1::ExpiringPointsMonth& m : e.months()) {
    Record row;
    row.Add("month", m.month()).Add("points", m.points());
    rows.push_back(std::move(row));
  }
  Record r;
  r.Add("months", rows);
  return r;
}

absl::StatusOr<Record> Promotions(const Args& args, Clients& clients) {
  ASSIGN_OR_RETURN(auto member, SignedIn(args, clients));
  ASSIGN_OR_RETURN(v1::ListMemberPromotionsResponse list, member->ListPromotions());
  std::vector<Record> rows;
  for (const v1::MemberPromotion& p : list.promotions()) {
    Record row;
    row.Add("promotion_id", p.promotion_id()).Add("name", p.name());
    row.Add("partner", p.partner_name()).Add("ends_on", Day(p.ends_at_micros()));
    row.Add("at_partner_visited", p.at_partner_visited());
    rows.push_back(std::move(row));
  }
  Record r;
  r.Add("promotions", rows);
  return r;
}

Record ProfileRecord(const v1::MemberProfile& p) {
  Record r;
  r.Add("email", p.email()).Add("language", p.language()).Add("time_zone", p.time_zone());
  r.Add("consent_notices", p.consent_notices()).Add("consent_marketing", p.consent_marketing());
  r.Add("channel_email", p.channel_email());
  r.Add("quiet_start_minute", static_cast<int64_t>(p.quiet_start_minute()));
  r.Add("quiet_end_minute", static_cast<int64_t>(p.quiet_end_minute()));
  return r;
}

// Shows the profile; with any of its flags, changes those fields and stores it.
absl::StatusOr<Record> Profile(const Args& args, Clients& clients) {
  ASSIGN_OR_RETURN(auto member, SignedIn(args, clients));
  ASSIGN_OR_RETURN(v1::MemberProfile p, member->GetProfile());
  bool changed = false;
  auto text = [&](const char* flag, void (v1::MemberProfile::*set)(const std::string&)) {
    if (args.Has(flag)) {
      (p.*set)(args.Str(flag));
      changed = true;
    }
  };
  text("email", &v1::MemberProfile::set_email);
  text("language", &v1::MemberProfile::set_language);
  text("time_zone", &v1::MemberProfile::set_time_zone);
  auto flag = [&](const char* name, void (v1::MemberProfile::*set)(bool)) {
    if (args.Has(name)) {
      (p.*set)(args.Bool(name));
      changed = true;
    }
  };
  flag("consent_notices", &v1::MemberProfile::set_consent_notices);
  flag("consent_marketing", &v1::MemberProfile::set_consent_marketing);
  flag("channel_email", &v1::MemberProfile::set_channel_email);
  for (const char* name : {"quiet_start_minute", "quiet_end_minute"}) {
    if (!args.Has(name)) continue;
    ASSIGN_OR_RETURN(int64_t v, args.Int(name));
    if (std::string(name) == "quiet_start_minute") {
      p.set_quiet_start_minute(static_cast<int32_t>(v));
    } else {
      p.set_quiet_end_minute(static_cast<int32_t>(v));
    }
    changed = true;
  }
  if (changed) {
    ASSIGN_OR_RETURN(p, member->UpdateProfile(p));
  }
  return ProfileRecord(p);
}

absl::StatusOr<Record> Export(const Args& args, Clients& clients) {
  ASSIGN_OR_RETURN(auto member, SignedIn(args, clients));
  ASSIGN_OR_RETURN(v1::ExportDataResponse e, member->ExportData());
  Record r;
  const std::string out = args.Str("out");
  if (out.empty()) {
    std::fputs(e.json().c_str(), stdout);
    std::fputs("\n", stdout);
    r.Add("exported", true);
    return r;
  }
  std::ofstream f(out);
  f << e.json() << "\n";
  if (!f) return LocalFileError(absl::StatusCode::kInternal, absl::StrCat("cannot write ", out));
  r.Add("exported_to", out);
  return r;
}

absl::StatusOr<Record> Erase(const Args& args, Clients& clients) {
  ASSIGN_OR_RETURN(auto member, SignedIn(args, clients));
  v1::EraseDataRequest req;
  req.set_confirm(args.Str("confirm"));
  RETURN_IF_ERROR(member->EraseData(req).status());
  Record r;
  r.Add("erased", true);
  return r;
}

absl::StatusOr<Record> OpenClaim(const Args& args, Clients& clients) {
  ASSIGN_OR_RETURN(auto member, SignedIn(args, clients));
  v1::OpenClaimRequest req;
  ASSIGN_OR_RETURN(int64_t partner, args.Int("partner_id"));
  ASSIGN_OR_RETURN(int64_t amount, args.Int("amount_minor"));
  req.set_partner_id(partner);
  req.mutable_amount()->set_amount_minor(amount);
  req.mutable_amount()->set_currency(args.Str("currency"));
  req.set_receipt_ref(args.Str("receipt_ref"));
  absl::Time when;
  std::string err;
  if (!absl::ParseTime("%Y-%m-%d", args.Str("purchased_on"), absl::UTCTimeZone(), &when, &err)) {
    return absl::InvalidArgumentError("--purchased_on: a date YYYY-MM-DD");
  }
  // Noon UTC of that day (the date reads the same in every time zone near UTC), or a
  // minute ago for a purchase today before noon.
  req.set_purchased_at_micros(
      absl::ToUnixMicros(std::min(when + absl::Hours(12), absl::Now() - absl::Minutes(1))));
  ASSIGN_OR_RETURN(v1::Claim c, member->OpenClaim(req));
  return ClaimRecord(c);
}

absl::StatusOr<Record> MyClaims(const Args& args, Clients& clients) {
  ASSIGN_OR_RETURN(auto member, SignedIn(args, clients));
  ASSIGN_OR_RETURN(v1::ListClaimsResponse list, member->ListClaims());
  return ClaimsRecord(list);
}

absl::StatusOr<Record> Claims(const Args& args, Clients& clients) {
  ASSIGN_OR_RETURN(auto claims, sdk::MakeClaimsClient(clients.options()));
  v1::ListClaimsRequest req;
  for (absl::string_view s : absl::StrSplit(args.Str("status"), ',', absl::SkipWhitespace())) {
    req.add_statuses(std::string(s));
  }
  ASSIGN_OR_RETURN(int64_t size, args.Int("page_size", 0));
  req.set_page_size(static_cast<int32_t>(size));
  req.set_page_token(args.Str("page_token"));
  ASSIGN_OR_RETURN(v1::ListClaimsResponse list, claims->ListClaims(req));
  return ClaimsRecord(list);
}

absl::StatusOr<Record> AcceptClaim(const Args& args, Clients& clients) {
  ASSIGN_OR_RETURN(auto claims, sdk::MakeClaimsClient(clients.options()));
  v1::AcceptClaimRequest req;
  ASSIGN_OR_RETURN(int64_t id, args.Int("claim_id"));
  req.set_claim_id(id);
  ASSIGN_OR_RETURN(v1::Claim c, claims->AcceptClaim(req));
  return ClaimRecord(c);
}

absl::StatusOr<Record> RejectClaim(const Args& args, Clients& clients) {
  ASSIGN_OR_RETURN(auto claims, sdk::MakeClaimsClient(clients.options()));
  v1::RejectClaimRequest req;
  ASSIGN_OR_RETURN(int64_t id, args.Int("claim_id"));
  req.set_claim_id(id);
  req.set_reason(args.Str("reason"));
  ASSIGN_OR_RETURN(v1::Claim c, claims->RejectClaim(req));
  return ClaimRecord(c);
}

const FlagSpec kTokenFile = {"token_file",
                             "file holding the member's session token; default "
                             "$LOYALTY_MEMBER_TOKEN"};

}  // namespace

std::vector<Command> MemberCommands() {
  return {
      {"member-request-code", "mail a one-time sign-in code to the card's member",
       {{"card", "the member's card number", true}}, RequestCode, false},
      {"member-sign-in", "sign in with the mailed code; prints the session token",
       {{"card", "the member's card number", true},
        {"code", "the 6-digit code", true},
        {"out", "write the token to this file instead (then use --token_file)"}},
       SignIn, false},
      {"member-overview", "the member's balance across partners, tier and cards", {kTokenFile},
       Overview, false},
      {"member-history", "the member's transactions at every partner, newest first",
       {kTokenFile, {"page_size", "1..500; default 50"}, {"page_token", "from the last page"}},
       History, false},
      {"member-expiring", "the member's points that will expire, by month", {kTokenFile},
       Expiring, false},
      {"member-promotions", "running promotions, those at the member's partners first",
       {kTokenFile}, Promotions, false},
      {"member-profile",
       "show the member's contact details and preferences; with flags, change them",
       {kTokenFile,
        {"email", "e-mail address (\"\" removes it)"},
        {"language", "en, ko or zh"},
        {"time_zone", "IANA name, e.g. Asia/Seoul"},
        {"consent_notices", "true/false: expiring points, tier, claims mail"},
        {"consent_marketing", "true/false: promotions mail"},
        {"channel_email", "true/false"},
        {"quiet_start_minute", "no mail from this minute of the day (0..1439)"},
        {"quiet_end_minute", "to this one; equal to the start = no quiet hours"}},
       Profile, false},
      {"member-export", "everything the hub holds about the member, as JSON",
       {kTokenFile, {"out", "write it to this file"}}, Export, false},
      {"member-erase", "erase the member's personal data (the journal stays, pseudonymous)",
       {kTokenFile, {"confirm", "must be ERASE", true}}, Erase, false},
      {"member-claim", "claim missing points for a purchase at a partner",
       {kTokenFile,
        {"partner_id", "where the purchase was", true},
        {"purchased_on", "YYYY-MM-DD", true},
        {"amount_minor", "the purchase in minor units", true},
        {"currency", "the program's currency, e.g. EUR", true},
        {"receipt_ref", "the receipt's number", true}},
       OpenClaim, false},
      {"member-claims", "the member's claims and their state", {kTokenFile}, MyClaims, false},
      {"claims", "members' missing-points claims at this partner (operator: all)",
       {{"status", "comma-separated: open, escalated, accepted, rejected; default all"},
        {"page_size", "default 100"},
        {"page_token", "from the last page"}},
       Claims},
      {"accept-claim", "accept a claim: posts the earn for the purchase (safe to repeat)",
       {{"claim_id", "the claim", true}}, AcceptClaim, true, "claim_id"},
      {"reject-claim", "reject a claim with a reason the member is told",
       {{"claim_id", "the claim", true}, {"reason", "why", true}}, RejectClaim, true, "claim_id"},
  };
}

}  // namespace loyalty::cli
