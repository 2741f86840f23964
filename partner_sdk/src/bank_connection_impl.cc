// The real BankConnection: gRPC to the hub's BankService. The unary calls go through the
// CallRunner like every other call; SubmitCardTransactions runs one bidirectional stream
// (sync API: this thread reads, a writer thread writes) and opens a new one for the
// records not answered yet when a stream breaks.
#include <algorithm>
#include <cassert>
#include <memory>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "call_runner.h"
#include "convert.h"
#include "hub/common/status_macros.h"
#include "loyalty/bank_client.h"
#include "loyalty/bank_connection.h"
#include "loyalty/v1/bank.grpc.pb.h"
#include "pages.h"

namespace loyalty::sdk::internal {
namespace {

constexpr int kMaxInFlightLimit = 100'000;

// Where a SubmitCardTransactions call is, across its streams.
struct Submission {
  absl::Span<const ClearingRecord> records;
  const SubmitCardTransactionsOptions* options = nullptr;
  // False for records the SDK answered itself (not sent).
  std::vector<bool> wire;
  std::vector<ClearingResult> results;
  size_t answered = 0;  // results[0, answered) are final
  int streams = 0;
  absl::Time last_progress_report = absl::InfinitePast();

  // Moves `answered` over records the SDK answered itself.
  void SkipLocal() {
    while (answered < records.size() && !wire[answered]) ++answered;
  }

  void Report(size_t sent, bool final) {
    if (!options->on_progress) return;
    const absl::Time now = absl::Now();
    if (!final && now - last_progress_report < options->progress_interval) return;
    last_progress_report = now;
    options->on_progress(ClearingProgress{static_cast<int64_t>(records.size()),
                                          static_cast<int64_t>(sent),
                                          static_cast<int64_t>(answered), streams});
  }
};

// State shared by the reading (calling) thread and the writer thread of one stream.
struct StreamState {
  absl::Mutex mu;
  size_t written = 0;       // records on the wire in this stream
  size_t acknowledged = 0;  // of which answered
  size_t sent_through = 0;  // index after the last record written (for progress)
  bool reader_done = false;
  bool timed_out = false;
  absl::Time last_answer = absl::Now();
};

class BankConnectionImpl : public BankConnection {
 public:
  BankConnectionImpl(Options options, const std::shared_ptr<grpc::Channel>& channel)
      : runner_(std::move(options), channel), stub_(v1::BankService::NewStub(channel)) {}

  absl::StatusOr<LinkCoBrandedCardResult> LinkCoBrandedCard(
      const LinkCoBrandedCardParams& p) override {
    RETURN_IF_ERROR(CheckCardRef("card", p.card));
    v1::LinkCoBrandedCardRequest req;
    req.set_card_number(p.card_number);
    *req.mutable_card() = ToProto(p.card);
    ASSIGN_OR_RETURN(v1::LinkCoBrandedCardResponse r,
                     Call("LinkCoBrandedCard", &Stub::LinkCoBrandedCard, req));
    return LinkCoBrandedCardResult{r.member_id(), r.card_ref()};
  }

  absl::Status UnlinkCoBrandedCard(const UnlinkCoBrandedCardParams& p) override {
    RETURN_IF_ERROR(CheckCardRef("card", p.card));
    v1::UnlinkCoBrandedCardRequest req;
    *req.mutable_card() = ToProto(p.card);
    return Call("UnlinkCoBrandedCard", &Stub::UnlinkCoBrandedCard, req).status();
  }

  // Every page from p.page_token on.
  absl::StatusOr<std::vector<std::string>> ListCoBrandedCards(
      const ListCoBrandedCardsParams& p) override {
    ListCoBrandedCardsParams each = p;
    if (each.page_size == 0) each.page_size = kWholeListPageSize;
    return AllPages<std::string>(p.page_token,
                                 [&](const std::string& token,
                                     std::vector<std::string>* out) -> absl::StatusOr<std::string> {
                                   each.page_token = token;
                                   ASSIGN_OR_RETURN(CoBrandedCardPage page,
                                                    ListCoBrandedCardsPage(each));
                                   for (std::string& ref : page.card_refs)
                                     out->push_back(std::move(ref));
                                   return page.next_page_token;
                                 });
  }

  absl::StatusOr<CoBrandedCardPage> ListCoBrandedCardsPage(
      const ListCoBrandedCardsParams& p) override {
    v1::ListCoBrandedCardsRequest req;
    req.set_card_number(p.card_number);
    req.set_page_size(p.page_size);
    req.set_page_token(p.page_token);
    ASSIGN_OR_RETURN(v1::ListCoBrandedCardsResponse r,
                     Call("ListCoBrandedCards", &Stub::ListCoBrandedCards, req));
    CoBrandedCardPage page;
    page.card_refs.assign(r.card_refs().begin(), r.card_refs().end());
    page.next_page_token = r.next_page_token();
    return page;
  }

  absl::StatusOr<CardStatement> GetCardStatement(const GetCardStatementParams& p) override {
    RETURN_IF_ERROR(CheckCardRef("card", p.card));
    v1::GetCardStatementRequest req;
    *req.mutable_card() = ToProto(p.card);
    req.set_month(p.month);
    ASSIGN_OR_RETURN(v1::CardStatement r, Call("GetCardStatement", &Stub::GetCardStatement, req));
    return FromProto(r);
  }

  absl::StatusOr<std::vector<ClearingResult>> SubmitCardTransactions(
      absl::Span<const ClearingRecord> records, const SubmitCardTransactionsOptions& o) override;

 private:
  using Stub = v1::BankService::Stub;
  template <typename Req, typename Resp>
  using Method = grpc::Status (Stub::*)(grpc::ClientContext*, const Req&, Resp*);

  template <typename Req, typename Resp>
  absl::StatusOr<Resp> Call(const char* name, Method<Req, Resp> method, const Req& req) {
    return runner_.Unary(CallSpec{name, "", true}, stub_.get(), method, req);
  }

  // One stream from s->answered on: returns how it ended. Results land in s->results.
  absl::Status RunStream(Submission* s);

  const CallRunner runner_;
  const std::unique_ptr<Stub> stub_;
};

absl::Status BankConnectionImpl::RunStream(Submission* s) {
  const size_t n = s->records.size();
  const size_t window = static_cast<size_t>(s->options->max_in_flight);
  const absl::Duration idle_limit = runner_.options().call_timeout;
  const size_t start = s->answered;
  StreamState st;
  st.sent_through = start;
  grpc::ClientContext ctx;
  runner_.PrepareStream(&ctx);
  std::unique_ptr<grpc::ClientReaderWriter<v1::ClearingRecord, v1::ClearingResult>> stream =
      stub_->SubmitCardTransactions(&ctx);

  // The writer: keeps at most `window` records unanswered, and cancels the stream when
  // records are outstanding and no answer came for `idle_limit`.
  std::thread writer([&] {
    v1::ClearingRecord msg;
    auto wait_for_room_or_end = [&](bool all_written) {
      // Returns false when the stream is over (reader finished or we cancelled it).
      absl::MutexLock lock(&st.mu);
      for (;;) {
        if (st.reader_done) return false;
        const size_t outstanding = st.written - st.acknowledged;
        if (!all_written && outstanding < window) return true;
        if (all_written && outstanding == 0) return false;
        const absl::Time idle_deadline = st.last_answer + idle_limit;
        auto ready = [&] {
          return st.reader_done || st.written - st.acknowledged < (all_written ? 1 : window);
        };
        if (st.mu.AwaitWithDeadline(absl::Condition(&ready), idle_deadline)) continue;
        if (absl::Now() >= st.last_answer + idle_limit && st.written > st.acknowledged) {
          st.timed_out = true;
          ctx.TryCancel();
          return false;
        }
      }
    };
    for (size_t i = start; i < n; ++i) {
      if (!s->wire[i]) continue;
      if (!wait_for_room_or_end(false)) return;
      ToProto(s->records[i], &msg);
      if (!stream->Write(msg)) return;  // broken: the reader sees why
      absl::MutexLock lock(&st.mu);
      ++st.written;
      st.sent_through = i + 1;
    }
    {
      absl::MutexLock lock(&st.mu);
      st.sent_through = n;
    }
    stream->WritesDone();
    wait_for_room_or_end(true);  // only to watch for a hub that stops answering
  });

  absl::Status protocol_error;
  v1::ClearingResult msg;
  size_t next = start;  // the record the next result belongs to
  while (stream->Read(&msg)) {
    while (next < n && !s->wire[next]) ++next;
    if (next >= n || msg.clearing_id() != s->records[next].clearing_id) {
      protocol_error = absl::InternalError(
          absl::StrCat("the hub answered clearing id '", msg.clearing_id(), "' out of order"));
      ctx.TryCancel();
      break;
    }
    s->results[next] = FromProto(msg);
    s->answered = ++next;
    s->SkipLocal();
    size_t sent;
    {
      absl::MutexLock lock(&st.mu);
      ++st.acknowledged;
      st.last_answer = absl::Now();
      sent = std::max(st.sent_through, s->answered);
    }
    s->Report(sent, false);
  }
  {
    absl::MutexLock lock(&st.mu);
    st.reader_done = true;
  }
  writer.join();
  absl::Status status = FromGrpc(stream->Finish());
  if (!protocol_error.ok()) return protocol_error;
  if (st.timed_out) {
    return absl::DeadlineExceededError(
        absl::StrCat("no clearing result for ", absl::FormatDuration(idle_limit)));
  }
  if (status.ok() && s->answered < n) {
    return absl::AbortedError("the clearing stream ended before every record was answered");
  }
  return status;
}

absl::StatusOr<std::vector<ClearingResult>> BankConnectionImpl::SubmitCardTransactions(
    absl::Span<const ClearingRecord> records, const SubmitCardTransactionsOptions& o) {
  if (o.max_in_flight < 1 || o.max_in_flight > kMaxInFlightLimit) {
    return absl::InvalidArgumentError("max_in_flight: must be 1..100000");
  }
  Submission s;
  s.records = records;
  s.options = &o;
  s.wire.assign(records.size(), true);
  s.results.resize(records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    absl::Status card = CheckCardRef("card", records[i].card);
    if (card.ok()) continue;
    s.wire[i] = false;
    ClearingResult& r = s.results[i];
    r.clearing_id = records[i].clearing_id;
    r.status = ClearingStatus::kRejected;
    r.code = card.code();
    r.reason = std::string(card.message());
    r.error_reason = "INVALID_ARGUMENT";  // as the hub would answer it
    r.field = "card";
  }
  s.SkipLocal();

  const RetryPolicy& policy = runner_.options().retry;
  absl::Time give_up = absl::Now() + policy.total_timeout;
  int failures = 0;  // streams in a row that answered nothing
  while (s.answered < records.size()) {
    const size_t before = s.answered;
    ++s.streams;
    absl::Status status = RunStream(&s);
    if (status.ok()) break;
    if (s.answered > before) {
      failures = 0;
      give_up = absl::Now() + policy.total_timeout;
    }
    ++failures;
    const absl::Duration wait = RetryWait(policy, failures, status);
    if (!IsRetryable(status.code()) || failures >= policy.max_attempts ||
        absl::Now() + wait >= give_up) {
      s.Report(s.answered, true);
      return WithMessage(status, absl::StrCat(status.message(), " (", s.answered, " of ",
                                              records.size(), " records answered, ", s.streams,
                                              s.streams == 1 ? " stream)" : " streams)"));
    }
    if (runner_.options().on_retry) {
      runner_.options().on_retry(RetryEvent{
          "SubmitCardTransactions", records[s.answered].clearing_id, failures, status, wait});
    }
    absl::SleepFor(wait);
  }
  s.Report(records.size(), true);
  return std::move(s.results);
}

}  // namespace
}  // namespace loyalty::sdk::internal

namespace loyalty::sdk {

absl::StatusOr<std::shared_ptr<BankConnection>> MakeBankConnection(Options options) {
  RETURN_IF_ERROR(internal::ValidateOptions(options));
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel, internal::MakeChannel(options));
  return std::shared_ptr<BankConnection>(
      new internal::BankConnectionImpl(std::move(options), channel));
}

BankClient::BankClient(std::shared_ptr<BankConnection> connection) : conn_(std::move(connection)) {
  assert(conn_ != nullptr);
}

}  // namespace loyalty::sdk
