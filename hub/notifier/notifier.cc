#include "hub/notifier/notifier.h"

#include <algorithm>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "hub/common/status_macros.h"
#include "absl/strings/numbers.h"
#include "hub/members/templates.h"

namespace loyalty {
namespace {

absl::TimeZone ZoneOf(const std::string& name) {
  absl::TimeZone tz;
  if (!absl::LoadTimeZone(name, &tz)) tz = absl::UTCTimeZone();
  return tz;
}

std::string Date(Micros t, const std::string& zone) {
  return absl::FormatTime("%Y-%m-%d", absl::FromUnixMicros(t), ZoneOf(zone));
}

int64_t JsonInt(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

std::string JsonText(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

Micros NotBefore(Micros now, const std::string& time_zone, int quiet_start_minute,
                 int quiet_end_minute) {
  if (quiet_start_minute == quiet_end_minute) return now;
  const absl::TimeZone tz = ZoneOf(time_zone);
  const absl::CivilSecond local = absl::ToCivilSecond(absl::FromUnixMicros(now), tz);
  const int minute = local.hour() * 60 + local.minute();
  const bool wraps = quiet_start_minute > quiet_end_minute;  // e.g. 22:00 .. 08:00
  const bool quiet = wraps ? (minute >= quiet_start_minute || minute < quiet_end_minute)
                           : (minute >= quiet_start_minute && minute < quiet_end_minute);
  if (!quiet) return now;
  // The end of this quiet spell: today's end time, or tomorrow's when it is still ahead
  // only after midnight.
  absl::CivilDay day = absl::CivilDay(local);
  if (wraps && minute >= quiet_start_minute) day += 1;
  const absl::CivilSecond end(day.year(), day.month(), day.day(), quiet_end_minute / 60,
                              quiet_end_minute % 60, 0);
  return std::max(now, absl::ToUnixMicros(absl::FromCivil(end, tz)));
}

Notifier::Notifier(Store* store, const Clock* clock, NotifierOptions options)
    : store_(store), clock_(clock), options_(std::move(options)) {}

absl::Status Notifier::QueueNotice(MemberRows& rows, MemberId member, const std::string& kind,
                                   bool marketing, const EventRow& e,
                                   std::map<std::string, std::string> fields, NotifierRun* run) {
  ASSIGN_OR_RETURN(std::optional<MemberProfileRow> profile, rows.GetProfile(member));
  // No mail without an address, the e-mail channel and the member's consent to this kind.
  if (!profile.has_value() || profile->email.empty() || !profile->channel_email) {
    return absl::OkStatus();
  }
  if (marketing ? !profile->consent_marketing : !profile->consent_notices) {
    return absl::OkStatus();
  }
  const Micros now = clock_->NowMicros();
  if (fields.count("date_micros") > 0) {
    int64_t t = 0;
    if (absl::SimpleAtoi(fields["date_micros"], &t)) fields["date"] = Date(t, profile->time_zone);
    fields.erase("date_micros");
  }
  if (fields.count("status") > 0) {
    fields["outcome"] = ClaimOutcomeWord(fields["status"], profile->language);
  }
  const RenderedNotice text = RenderNotice(kind, profile->language, fields);
  NotificationRow n;
  n.member_id = member;
  n.kind = kind;
  n.event_id = e.id;
  n.language = profile->language;
  n.recipient = profile->email;
  n.subject = text.subject;
  n.body = text.body;
  n.send_after = NotBefore(now, profile->time_zone, profile->quiet_start_minute,
                           profile->quiet_end_minute);
  n.created_at = now;
  RETURN_IF_ERROR(rows.InsertNotification(n));
  ++run->queued;
  return absl::OkStatus();
}

absl::Status Notifier::QueueFor(MemberRows& rows, const EventRow& e, NotifierRun* run) {
  const nlohmann::json d = nlohmann::json::parse(e.detail, nullptr, /*allow_exceptions=*/false);
  const std::string partner = partner_names_.count(e.partner_id) > 0
                                  ? partner_names_[e.partner_id]
                                  : absl::StrCat("partner ", e.partner_id);
  if (e.type == event_type::kPointsExpiring) {
    return QueueNotice(rows, e.member_id, notice_kind::kPointsExpiring, false, e,
                       {{"points", absl::StrCat(e.points)},
                        {"date_micros", absl::StrCat(JsonInt(d, "first_expires_at"))}},
                       run);
  }
  if (e.type == event_type::kTierChanged) {
    const std::string from = JsonText(d, "from");
    return QueueNotice(rows, e.member_id, notice_kind::kTierChanged, false, e,
                       {{"from", from.empty() ? "-" : from}, {"to", JsonText(d, "to")}}, run);
  }
  if (e.type == event_type::kClaimOpened || e.type == event_type::kClaimEscalated ||
      e.type == event_type::kClaimResolved) {
    const char* kind = e.type == event_type::kClaimOpened      ? notice_kind::kClaimOpened
                       : e.type == event_type::kClaimEscalated ? notice_kind::kClaimEscalated
                                                               : notice_kind::kClaimResolved;
    return QueueNotice(rows, e.member_id, kind, false, e,
                       {{"claim_id", absl::StrCat(JsonInt(d, "claim_id"))},
                        {"partner", partner},
                        {"points", absl::StrCat(e.points)},
                        {"status", JsonText(d, "status")},
                        {"reason", JsonText(d, "reason")}},
                       run);
  }
  if (e.type == event_type::kPromotionStarted && e.partner_id != kOperatorId) {
    // To the members who shop at the promoting partner (coalition-wide promotions are
    // for the app's promotions page, not the mailbox).
    const Micros since = clock_->NowMicros() - absl::ToInt64Microseconds(options_.promotion_audience);
    for (MemberId after = 0;;) {
      ASSIGN_OR_RETURN(std::vector<MemberId> members,
                       rows.MembersVisiting(e.partner_id, since, after, 1000));
      for (MemberId m : members) {
        RETURN_IF_ERROR(QueueNotice(rows, m, notice_kind::kPromotion, true, e,
                                    {{"name", JsonText(d, "name")},
                                     {"partner", partner},
                                     {"ends", Date(JsonInt(d, "ends_at"), "UTC")}},
                                    run));
      }
      if (members.size() < 1000) break;
      after = members.back();
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<NotifierRun> Notifier::QueueFromEvents() {
  RETURN_IF_ERROR(store_->RunInTransaction([&](StoreTxn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<PartnerRecord> partners, txn.ListPartners());
    for (const PartnerRecord& p : partners) partner_names_[p.id] = p.name;
    return absl::OkStatus();
  }));
  NotifierRun total;
  for (;;) {
    NotifierRun run;
    bool more = false;
    RETURN_IF_ERROR(store_->RunEventTransaction([&](MemberRows& rows) -> absl::Status {
      run = NotifierRun{};
      ASSIGN_OR_RETURN(int64_t cursor, rows.LockConsumerCursor(options_.consumer));
      ASSIGN_OR_RETURN(int64_t last, rows.LastSeq());
      if (cursor >= last) return absl::OkStatus();
      EventQuery q;
      q.is_operator = true;
      q.after_seq = cursor;
      q.until_seq = std::min(last, cursor + 20000);
      q.limit = options_.batch;
      q.types = {event_type::kPointsExpiring, event_type::kTierChanged,
                 event_type::kPromotionStarted, event_type::kClaimOpened,
                 event_type::kClaimEscalated, event_type::kClaimResolved};
      ASSIGN_OR_RETURN(std::vector<EventRow> events, rows.ReadEvents(q));
      for (const EventRow& e : events) RETURN_IF_ERROR(QueueFor(rows, e, &run));
      run.events = static_cast<int64_t>(events.size());
      const int64_t next =
          static_cast<int>(events.size()) >= q.limit ? events.back().seq : *q.until_seq;
      more = next < last;
      return rows.SetConsumerCursor(options_.consumer, next);
    }));
    total.events += run.events;
    total.queued += run.queued;
    if (!more) return total;
  }
}

absl::StatusOr<NotifierRun> Notifier::SendDue() {
  NotifierRun run;
  for (;;) {
    int64_t taken = 0;
    RETURN_IF_ERROR(store_->RunEventTransaction([&](MemberRows& rows) -> absl::Status {
      const Micros now = clock_->NowMicros();
      ASSIGN_OR_RETURN(std::vector<NotificationRow> due, rows.LockDueNotifications(now, 20));
      taken = static_cast<int64_t>(due.size());
      for (NotificationRow& n : due) {
        const absl::Status sent = SendMail(options_.smtp, n.recipient, n.subject, n.body,
                                           absl::StrCat("notification-", n.id, "@loyalty"));
        ++n.attempts;
        if (sent.ok()) {
          n.status = "sent";
          n.sent_at = clock_->NowMicros();
          n.last_error.clear();
          if (n.kind == notice_kind::kSignInCode) n.body.clear();  // the code is spent
          ++run.sent;
        } else if (n.attempts >= options_.max_attempts) {
          n.status = "failed";
          n.last_error = std::string(sent.message());
          ++run.failed;
        } else {
          const absl::Duration wait =
              std::min(options_.retry_backoff * (1 << std::min(n.attempts - 1, 16)),
                       absl::Hours(1));
          n.send_after = now + absl::ToInt64Microseconds(wait);
          n.last_error = std::string(sent.message());
          ++run.retried;
        }
        RETURN_IF_ERROR(rows.UpdateNotification(n));
      }
      return absl::OkStatus();
    }));
    if (taken < 20 || run.retried > 0) return run;
  }
}

}  // namespace loyalty
