// The card-issuing bank's subcommands (an issuer key): co-branded cards, statements and
// `bank-ingest`, which streams an end-of-day clearing file (CSV, format in
// docs/partner-integration.md, "Bank") through SubmitCardTransactions. The operator's
// set-bank-rules / get-bank-rules (admin key) and a partner's register-merchant-id are
// here too, as they exist for the bank.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "command.h"
#include "hub/common/csv.h"
#include "hub/common/status_macros.h"

namespace loyalty::cli {
namespace {

// The clearing file's header, exactly (docs/partner-integration.md, "Bank").
constexpr char kCsvHeader[] =
    "clearing_id,card_token,pan,amount_minor,currency,mcc,merchant_id,type,"
    "original_clearing_id,occurred_at";
constexpr int kCsvFields = 10;
// A record longer than this is malformed (a file that is not CSV does not fill memory).
constexpr size_t kMaxRecordBytes = 4096;

const char* StatusName(sdk::ClearingStatus s) {
  switch (s) {
    case sdk::ClearingStatus::kEarned:
      return "EARNED";
    case sdk::ClearingStatus::kNoEarn:
      return "NO_EARN";
    case sdk::ClearingStatus::kReversed:
      return "REVERSED";
    case sdk::ClearingStatus::kUnmatchedRefund:
      return "UNMATCHED_REFUND";
    case sdk::ClearingStatus::kRejected:
      return "REJECTED";
    default:
      return "UNSPECIFIED";
  }
}

// --token, or --pan (--pan=- reads it from stdin, so it shows in neither `ps` nor the
// shell history).
absl::StatusOr<sdk::CardRef> CardFromFlags(const Args& a) {
  if (a.Has("token") == a.Has("pan")) {
    return absl::InvalidArgumentError("card: give exactly one of --token and --pan");
  }
  if (a.Has("token")) return sdk::CardRef::Token(a.Str("token"));
  std::string pan = a.Str("pan");
  if (pan == "-") {
    std::getline(std::cin, pan);
    pan = std::string(absl::StripAsciiWhitespace(pan));
  }
  return sdk::CardRef::Pan(pan);
}

absl::StatusOr<Record> UnlinkCard(const Args& a, Clients& c) {
  ASSIGN_OR_RETURN(sdk::BankClient * bank, c.Bank());
  ASSIGN_OR_RETURN(sdk::CardRef card, CardFromFlags(a));
  RETURN_IF_ERROR(bank->UnlinkCoBrandedCard({card}));
  Record out;
  out.Add("unlinked", true);
  return out;
}

absl::StatusOr<Record> ListCards(const Args& a, Clients& c) {
  ASSIGN_OR_RETURN(sdk::BankClient * bank, c.Bank());
  sdk::ListCoBrandedCardsParams p;
  p.card_number = a.Str("card");
  sdk::CoBrandedCardPage page;
  if (HasPageFlags(a)) {
    ASSIGN_OR_RETURN(p.page_size, PageSizeOf(a));
    p.page_token = a.Str("page_token");
    ASSIGN_OR_RETURN(page, bank->ListCoBrandedCardsPage(p));
  } else {
    ASSIGN_OR_RETURN(page.card_refs, bank->ListCoBrandedCards(p));
  }
  Record out;
  out.Add("card_refs", std::move(page.card_refs)).Add("next_page_token", page.next_page_token);
  return out;
}

absl::StatusOr<Record> CardStatement(const Args& a, Clients& c) {
  ASSIGN_OR_RETURN(sdk::BankClient * bank, c.Bank());
  ASSIGN_OR_RETURN(sdk::CardRef card, CardFromFlags(a));
  ASSIGN_OR_RETURN(sdk::CardStatement s, bank->GetCardStatement({card, a.Str("month")}));
  std::vector<Record> lines;
  for (const sdk::StatementLine& l : s.lines) {
    Record r;
    r.Add("merchant_id", l.merchant_id).Add("partner_id", l.partner_id);
    r.Add("partner_name", l.partner_name);
    r.Add("purchases", l.purchases).Add("amount_minor", l.amount_minor);
    r.Add("points_earned", l.points_earned).Add("points_reversed", l.points_reversed);
    lines.push_back(std::move(r));
  }
  Record out;
  out.Add("card_ref", s.card_ref).Add("month", s.month).Add("currency", s.currency);
  out.Add("points_earned", s.points_earned).Add("points_reversed", s.points_reversed);
  out.Add("monthly_cap_points", s.monthly_cap_points).Add("lines", std::move(lines));
  return out;
}

// "5411:300,5541:200,6011:x": MCC:rate_bp, or MCC:x for an excluded MCC.
absl::StatusOr<std::vector<sdk::MccRule>> ParseMccRules(const std::string& text) {
  std::vector<sdk::MccRule> rules;
  if (text.empty()) return rules;
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    std::vector<std::string> parts = absl::StrSplit(absl::StripAsciiWhitespace(item), ':');
    sdk::MccRule rule;
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &rule.mcc) ||
        (parts[1] != "x" && !absl::SimpleAtoi(parts[1], &rule.rate_bp))) {
      return absl::InvalidArgumentError(
          absl::StrCat("--mcc_rules: \"", item, "\" is not MCC:rate_bp or MCC:x"));
    }
    rule.excluded = parts[1] == "x";
    rules.push_back(rule);
  }
  return rules;
}

Record RulesRecord(int64_t bank_id, const sdk::BankEarnRules& r) {
  std::vector<Record> mcc;
  for (const sdk::MccRule& m : r.mcc_rules) {
    Record row;
    row.Add("mcc", int64_t{m.mcc}).Add("rate_bp", m.rate_bp).Add("excluded", m.excluded);
    mcc.push_back(std::move(row));
  }
  Record out;
  out.Add("bank_partner_id", bank_id).Add("default_rate_bp", r.default_rate_bp);
  out.Add("partner_merchant_rate_bp", r.partner_merchant_rate_bp);
  out.Add("monthly_cap_points", r.monthly_cap_points).Add("mcc_rules", std::move(mcc));
  return out;
}

absl::StatusOr<Record> SetBankRules(const Args& a, Clients& c) {
  ASSIGN_OR_RETURN(sdk::AdminClient * admin, c.Admin());
  sdk::SetBankEarnRulesParams p;
  ASSIGN_OR_RETURN(p.bank_partner_id, a.Int("bank_partner_id"));
  ASSIGN_OR_RETURN(p.rules.default_rate_bp, a.Int("default_rate_bp"));
  ASSIGN_OR_RETURN(p.rules.partner_merchant_rate_bp, a.Int("partner_merchant_rate_bp"));
  ASSIGN_OR_RETURN(p.rules.monthly_cap_points, a.Int("monthly_cap_points"));
  ASSIGN_OR_RETURN(p.rules.mcc_rules, ParseMccRules(a.Str("mcc_rules")));
  ASSIGN_OR_RETURN(sdk::BankEarnRules r, admin->SetBankEarnRules(p));
  return RulesRecord(p.bank_partner_id, r);
}

absl::StatusOr<Record> GetBankRules(const Args& a, Clients& c) {
  ASSIGN_OR_RETURN(sdk::AdminClient * admin, c.Admin());
  ASSIGN_OR_RETURN(const int64_t bank, a.Int("bank_partner_id"));
  ASSIGN_OR_RETURN(sdk::BankEarnRules r, admin->GetBankEarnRules({bank}));
  return RulesRecord(bank, r);
}

absl::StatusOr<Record> RegisterMerchantId(const Args& a, Clients& c) {
  ASSIGN_OR_RETURN(sdk::PartnerClient * partner, c.Partner());
  ASSIGN_OR_RETURN(sdk::RegisterMerchantIdResult r,
                   partner->RegisterMerchantId({a.Str("merchant_id")}));
  Record out;
  out.Add("merchant_id", a.Str("merchant_id")).Add("replayed", r.replayed);
  return out;
}

// ---- bank-ingest ----

struct CsvRow {
  int64_t line = 0;
  sdk::ClearingRecord record;
};

struct MalformedRow {
  int64_t line = 0;
  std::string clearing_id;
  std::string reason;
};

// ISO-8601 UTC ("2026-11-03T14:05:00Z", optional fraction, "+00:00" accepted) or "".
absl::StatusOr<int64_t> ParseOccurredAt(const std::string& s) {
  if (s.empty()) return 0;
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, s, &t, &err)) {
    return absl::InvalidArgumentError(
        absl::StrCat("occurred_at: \"", s, "\" is not ISO-8601 (2026-11-03T14:05:00Z)"));
  }
  const bool utc = absl::EndsWith(s, "Z") || absl::EndsWith(s, "+00:00");
  if (!utc) return absl::InvalidArgumentError("occurred_at: must be UTC (Z)");
  return absl::ToUnixMicros(t);
}

// One data record of the file; INVALID_ARGUMENT naming the column if it cannot be a
// clearing record.
absl::StatusOr<sdk::ClearingRecord> ParseRow(std::vector<std::string> f) {
  if (static_cast<int>(f.size()) != kCsvFields) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected ", kCsvFields, " fields, got ", f.size()));
  }
  for (std::string& field : f) field = std::string(absl::StripAsciiWhitespace(field));
  sdk::ClearingRecord r;
  r.clearing_id = f[0];
  if (r.clearing_id.empty()) return absl::InvalidArgumentError("clearing_id: empty");
  if (f[1].empty() == f[2].empty()) {
    return absl::InvalidArgumentError("card_token, pan: set exactly one");
  }
  r.card = f[1].empty() ? sdk::CardRef::Pan(f[2]) : sdk::CardRef::Token(f[1]);
  if (!absl::SimpleAtoi(f[3], &r.amount.amount_minor)) {
    return absl::InvalidArgumentError(
        absl::StrCat("amount_minor: \"", f[3], "\" is not an integer"));
  }
  r.amount.currency = f[4];
  if (!absl::SimpleAtoi(f[5], &r.mcc)) {
    return absl::InvalidArgumentError(absl::StrCat("mcc: \"", f[5], "\" is not an integer"));
  }
  r.merchant_id = f[6];
  if (f[7] == "purchase") {
    r.type = sdk::ClearingType::kPurchase;
  } else if (f[7] == "refund") {
    r.type = sdk::ClearingType::kRefund;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("type: \"", f[7], "\" is not purchase or refund"));
  }
  r.original_clearing_id = f[8];
  ASSIGN_OR_RETURN(r.occurred_at_micros, ParseOccurredAt(f[9]));
  return r;
}

// Reads the whole file: the rows to send, and the lines that cannot be sent.
absl::Status ReadClearingFile(const std::string& path, std::vector<CsvRow>* rows,
                              std::vector<MalformedRow>* malformed) {
  std::ifstream in(path);
  if (!in) return LocalFileError(absl::StatusCode::kNotFound, absl::StrCat(path, ": cannot read"));
  CsvReader reader(&in, kMaxRecordBytes);
  std::vector<std::string> fields;
  std::string error;
  CsvReader::Result got = reader.Next(&fields, &error);
  if (got == CsvReader::Result::kEnd && !reader.stream_failed()) {
    return LocalFileError(absl::StatusCode::kInvalidArgument, absl::StrCat(path, ": empty file"));
  }
  if (got != CsvReader::Result::kRecord || absl::StrJoin(fields, ",") != kCsvHeader) {
    return LocalFileError(absl::StatusCode::kInvalidArgument,
                          absl::StrCat(path, ": line 1 must be the header ", kCsvHeader));
  }
  while ((got = reader.Next(&fields, &error)) != CsvReader::Result::kEnd) {
    if (got == CsvReader::Result::kRecord && fields.size() == 1 &&
        absl::StripAsciiWhitespace(fields[0]).empty()) {
      continue;  // a blank line
    }
    std::string id = fields.empty() ? "" : fields[0].substr(0, 64);
    absl::StatusOr<sdk::ClearingRecord> r = got == CsvReader::Result::kRecord
                                                ? ParseRow(std::move(fields))
                                                : absl::InvalidArgumentError(error);
    if (r.ok()) {
      rows->push_back(CsvRow{reader.line(), *std::move(r)});
    } else {
      malformed->push_back(
          MalformedRow{reader.line(), std::move(id), std::string(r.status().message())});
    }
  }
  if (reader.stream_failed()) {
    return LocalFileError(absl::StatusCode::kDataLoss, absl::StrCat(path, ": read error"));
  }
  return absl::OkStatus();
}

// The progress bar: one updating line on a terminal, a plain line every few seconds
// otherwise (logs of a cron job).
class ProgressPrinter {
 public:
  explicit ProgressPrinter(bool enabled)
      : enabled_(enabled), tty_(isatty(STDERR_FILENO) == 1), start_(absl::Now()) {}

  absl::Duration interval() const { return tty_ ? absl::Milliseconds(200) : absl::Seconds(2); }

  void Update(const sdk::ClearingProgress& p) {
    if (!enabled_ || p.total == 0) return;
    const double secs = absl::ToDoubleSeconds(absl::Now() - start_);
    const double rate = secs > 0 ? p.answered / secs : 0;
    const double frac = static_cast<double>(p.answered) / p.total;
    const std::string retry = p.streams > 1 ? absl::StrCat(" (stream ", p.streams, ")") : "";
    if (tty_) {
      constexpr int kWidth = 30;
      const int filled = static_cast<int>(frac * kWidth);
      std::string bar(filled, '=');
      if (filled < kWidth) bar += '>' + std::string(kWidth - filled - 1, ' ');
      std::fprintf(stderr, "\r[%s] %lld/%lld records %5.1f%% %.0f rec/s%s   ", bar.c_str(),
                   static_cast<long long>(p.answered), static_cast<long long>(p.total), 100 * frac,
                   rate, retry.c_str());
      drawn_ = true;
    } else {
      std::fprintf(stderr, "loyalty: bank-ingest: %lld/%lld records answered, %.0f rec/s%s\n",
                   static_cast<long long>(p.answered), static_cast<long long>(p.total), rate,
                   retry.c_str());
    }
    std::fflush(stderr);
  }

  void Done() {
    if (drawn_) std::fputs("\n", stderr);
    drawn_ = false;
  }

 private:
  const bool enabled_;
  const bool tty_;
  const absl::Time start_;
  bool drawn_ = false;
};

absl::StatusOr<Record> BankIngest(const Args& a, Clients& c) {
  const absl::Time start = absl::Now();
  const std::string path = a.Str("file");
  std::vector<CsvRow> rows;
  std::vector<MalformedRow> malformed;
  RETURN_IF_ERROR(ReadClearingFile(path, &rows, &malformed));
  ASSIGN_OR_RETURN(sdk::BankClient * bank, c.Bank());

  std::vector<sdk::ClearingRecord> records;
  records.reserve(rows.size());
  for (CsvRow& r : rows) records.push_back(std::move(r.record));
  ProgressPrinter progress(!a.Bool("no_progress"));
  sdk::SubmitCardTransactionsOptions options;
  options.progress_interval = progress.interval();
  options.on_progress = [&](const sdk::ClearingProgress& p) { progress.Update(p); };
  absl::StatusOr<std::vector<sdk::ClearingResult>> results =
      bank->SubmitCardTransactions(records, options);
  progress.Done();
  if (!results.ok()) return results.status();
  const double elapsed = absl::ToDoubleSeconds(absl::Now() - start);

  int64_t earned = 0, earned_points = 0, reversed = 0, reversed_points = 0, no_earn = 0;
  int64_t unmatched = 0, rejected = 0, replayed = 0;
  std::map<std::string, int64_t> no_earn_by_reason;
  std::vector<Record> unmatched_rows;
  std::map<int64_t, Record> errors;  // by line
  for (const MalformedRow& m : malformed) {
    Record r;
    r.Add("line", m.line).Add("clearing_id", m.clearing_id).Add("error", "MALFORMED");
    r.Add("reason", m.reason);
    errors.emplace(m.line, std::move(r));
  }
  for (size_t i = 0; i < results->size(); ++i) {
    const sdk::ClearingResult& res = (*results)[i];
    if (res.replayed) ++replayed;
    switch (res.status) {
      case sdk::ClearingStatus::kEarned:
        ++earned;
        earned_points += res.points;
        break;
      case sdk::ClearingStatus::kReversed:
        ++reversed;
        reversed_points += res.points;
        break;
      case sdk::ClearingStatus::kNoEarn:
        ++no_earn;
        ++no_earn_by_reason[res.reason];
        break;
      case sdk::ClearingStatus::kUnmatchedRefund: {
        ++unmatched;
        Record r;
        r.Add("line", rows[i].line).Add("clearing_id", res.clearing_id);
        r.Add("original_clearing_id", records[i].original_clearing_id);
        unmatched_rows.push_back(std::move(r));
        break;
      }
      default: {
        ++rejected;
        Record r;
        r.Add("line", rows[i].line).Add("clearing_id", res.clearing_id);
        r.Add("error", res.status == sdk::ClearingStatus::kRejected
                           ? absl::StatusCodeToString(res.code)
                           : std::string(StatusName(res.status)));
        r.Add("reason", res.reason);
        if (!res.error_reason.empty()) r.Add("error_reason", res.error_reason);
        if (!res.field.empty()) r.Add("field", res.field);
        errors.emplace(rows[i].line, std::move(r));
      }
    }
  }
  std::vector<Record> reasons;
  for (const auto& [reason, count] : no_earn_by_reason) {
    Record r;
    r.Add("reason", reason).Add("count", count);
    reasons.push_back(std::move(r));
  }
  std::vector<Record> error_rows;
  for (auto& [line, r] : errors) error_rows.push_back(std::move(r));

  const int64_t data_rows = static_cast<int64_t>(rows.size() + malformed.size());
  Record out;
  out.Add("file", path).Add("records", data_rows).Add("sent", static_cast<int64_t>(rows.size()));
  out.Add("earned", earned).Add("earned_points", earned_points);
  out.Add("reversed", reversed).Add("reversed_points", reversed_points);
  out.Add("no_earn", no_earn).Add("no_earn_by_reason", std::move(reasons));
  out.Add("unmatched_refunds", unmatched).Add("unmatched", std::move(unmatched_rows));
  out.Add("rejected", rejected).Add("malformed", static_cast<int64_t>(malformed.size()));
  out.Add("replayed", replayed).Add("errors", std::move(error_rows));
  out.Add("elapsed_seconds", elapsed);
  out.Add("records_per_second", elapsed > 0 ? static_cast<double>(rows.size()) / elapsed : 0.0);
  return out;
}

}  // namespace

FlagSpec TokenFlag() { return {"token", "the co-branded card's token (preferred over --pan)"}; }
FlagSpec PanFlag() {
  return {"pan", "the card's PAN, hashed by the hub; --pan=- reads it from stdin"};
}

bool HasCardRefFlags(const Args& a) { return a.Has("token") || a.Has("pan"); }

absl::StatusOr<Record> LinkCoBrandedCard(const Args& a, Clients& c) {
  if (a.Has("new_card")) {
    return absl::InvalidArgumentError("link-card: give --new_card, or --token / --pan, not both");
  }
  ASSIGN_OR_RETURN(sdk::BankClient * bank, c.Bank());
  ASSIGN_OR_RETURN(sdk::CardRef card, CardFromFlags(a));
  ASSIGN_OR_RETURN(sdk::LinkCoBrandedCardResult r, bank->LinkCoBrandedCard({a.Str("card"), card}));
  Record out;
  out.Add("member_id", r.member_id).Add("card_ref", r.card_ref);
  return out;
}

std::vector<Command> BankCommands() {
  const FlagSpec kTokenFlag = TokenFlag();
  const FlagSpec kPanFlag = PanFlag();
  const FlagSpec bank_id{"bank_partner_id", "the bank's (issuer's) partner id", true};
  return {
      {"unlink-card", "unlink a co-branded card (issuer key)", {kTokenFlag, kPanFlag}, UnlinkCard},
      {"list-cards",
       "the co-branded cards linked to the member of --card (issuer key); one page with "
       "--page_size/--page_token",
       {{"card", "a loyalty card number of the member", true}, PageSizeFlag(), PageTokenFlag()},
       ListCards},
      {"card-statement",
       "points earned on a co-branded card in a month, by merchant (issuer key)",
       {kTokenFlag, kPanFlag, {"month", "YYYY-MM (UTC)", true}},
       CardStatement},
      {"set-bank-rules",
       "set a bank's earn rules, replacing them as a whole (admin key)",
       {bank_id,
        {"default_rate_bp", "rate for any merchant and MCC without a rule, 0..10000", true},
        {"partner_merchant_rate_bp", "rate at merchant ids of coalition partners"},
        {"monthly_cap_points", "points per card and month; 0 = no cap"},
        {"mcc_rules", "MCC:rate_bp or MCC:x (excluded), comma-separated: 5411:300,6011:x"}},
       SetBankRules},
      {"get-bank-rules", "a bank's earn rules (admin key)", {bank_id}, GetBankRules},
      {"register-merchant-id",
       "register a merchant id of this partner: card spend there earns the bank's "
       "partner-merchant rate",
       {{"merchant_id", "the acquirer's merchant id, 1..32 of [A-Za-z0-9._:-]", true}},
       RegisterMerchantId},
      {"bank-ingest",
       "stream an end-of-day clearing file (CSV) to the hub and summarize (issuer key)",
       {{"file", "the CSV file (or give it as the argument)", true},
        {"no_progress", "no progress bar on stderr", false, true}},
       BankIngest,
       true,
       "file"},
  };
}

}  // namespace loyalty::cli
