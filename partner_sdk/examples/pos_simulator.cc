// pos_simulator: a point-of-sale till on the partner SDK. It enrolls a customer, earns on
// a sale, pays part of a basket with points (hold, then capture), takes back a returned
// item (reversal), then keeps selling: stop the hub while it runs and the sales go on,
// their earns queued on disk, and posted in order once the hub is back.
//
//   export LOYALTY_API_KEY=<a merchant key from .run/demo.txt>
//   build/partner_sdk/examples/pos_simulator --hub=127.0.0.1:50051 --sales=20
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "loyalty/partner_client.h"

ABSL_FLAG(std::string, hub, "127.0.0.1:50051", "hub host:port");
ABSL_FLAG(std::string, queue_file, "pos_queue.db", "offline queue (SQLite) of this till");
ABSL_FLAG(std::string, currency, "EUR", "the program's currency");
ABSL_FLAG(int, sales, 10, "sales in the selling loop");
ABSL_FLAG(int, sale_interval_ms, 1000, "pause between sales in the loop");

namespace {

using loyalty::sdk::PartnerClient;

std::string Money(int64_t minor) {
  return absl::StrFormat("%d.%02d %s", minor / 100, minor % 100, absl::GetFlag(FLAGS_currency));
}

// Stops the demo on an error the till cannot work around (a bad key, a bug).
template <typename T>
T OrDie(absl::StatusOr<T> r, const char* what) {
  if (!r.ok()) {
    std::fprintf(stderr, "pos: %s failed: %s\n", what, r.status().ToString().c_str());
    std::exit(1);
  }
  return *std::move(r);
}

// A sale: earn on the amount. Offline, the SDK queues it and the till goes on.
void Sell(PartnerClient& till, const std::string& card, int64_t amount_minor) {
  loyalty::sdk::EarnParams sale;
  sale.card_number = card;
  sale.amount = {amount_minor, absl::GetFlag(FLAGS_currency)};
  absl::StatusOr<loyalty::sdk::EarnResult> r = till.Earn(sale);
  if (!r.ok()) {
    std::printf("sale %s: earn failed (%s); the sale stands, no points\n",
                Money(amount_minor).c_str(), r.status().ToString().c_str());
  } else if (r->queued) {
    std::printf("sale %s: hub unreachable, earn %s queued (%lld waiting)\n",
                Money(amount_minor).c_str(), r->posting.partner_txn_id.c_str(),
                static_cast<long long>(till.QueuedEarns().value_or(-1)));
  } else {
    std::printf("sale %s: +%lld points, balance %lld (txn %s)\n", Money(amount_minor).c_str(),
                static_cast<long long>(r->posting.points),
                static_cast<long long>(r->posting.balance_after),
                r->posting.partner_txn_id.c_str());
  }
}

// The customer pays part of a basket with points: hold, then capture less than held.
void PayWithPoints(PartnerClient& till, const std::string& card) {
  loyalty::sdk::AuthorizeRedemptionParams hold;
  hold.card_number = card;
  hold.points = 40;
  auto held = OrDie(till.AuthorizeRedemption(hold), "AuthorizeRedemption");
  std::printf("hold 40 points (txn %s), available now %lld\n", held.posting.partner_txn_id.c_str(),
              static_cast<long long>(held.posting.available_after));
  loyalty::sdk::CaptureRedemptionParams capture;
  capture.authorization_partner_txn_id = held.posting.partner_txn_id;
  capture.points = 30;  // the basket came to less than expected: 10 points released
  auto captured = OrDie(till.CaptureRedemption(capture), "CaptureRedemption");
  std::printf("captured 30 points, balance %lld\n", static_cast<long long>(captured.balance_after));
}

void TakeReturn(PartnerClient& till, const std::string& card) {
  loyalty::sdk::EarnParams sale;
  sale.card_number = card;
  sale.amount = {59'90, absl::GetFlag(FLAGS_currency)};
  auto earned = OrDie(till.Earn(sale), "Earn");
  std::printf("sale %s: +%lld points\n", Money(59'90).c_str(),
              static_cast<long long>(earned.posting.points));
  if (earned.queued) return;  // nothing posted yet to reverse
  loyalty::sdk::ReverseParams ret;
  ret.original_partner_txn_id = earned.posting.partner_txn_id;  // 0 points = all of it
  auto reversed = OrDie(till.Reverse(ret), "Reverse");
  std::printf("item returned: -%lld points, balance %lld\n",
              static_cast<long long>(reversed.posting.points),
              static_cast<long long>(reversed.posting.balance_after));
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("A till on the partner SDK; key from LOYALTY_API_KEY.");
  absl::ParseCommandLine(argc, argv);
  const char* key = std::getenv("LOYALTY_API_KEY");
  if (key == nullptr || *key == '\0') {
    std::fprintf(stderr, "pos: set LOYALTY_API_KEY to a merchant key\n");
    return 2;
  }
  loyalty::sdk::Options options;
  options.target = absl::GetFlag(FLAGS_hub);
  options.api_key = key;
  options.offline_queue_path = absl::GetFlag(FLAGS_queue_file);
  options.retry.total_timeout = absl::Seconds(3);  // a customer is waiting
  PartnerClient till(OrDie(loyalty::sdk::MakePartnerConnection(options), "connect"));

  auto member = OrDie(till.EnrollMember(), "EnrollMember");
  std::printf("enrolled member %lld, card %s\n", static_cast<long long>(member.member_id),
              member.card_number.c_str());
  Sell(till, member.card_number, 250'00);
  PayWithPoints(till, member.card_number);
  TakeReturn(till, member.card_number);

  std::printf("selling %d more (stop the hub now to see offline mode)\n",
              absl::GetFlag(FLAGS_sales));
  for (int i = 1; i <= absl::GetFlag(FLAGS_sales); ++i) {
    Sell(till, member.card_number, 10'00 + 137 * i);
    absl::SleepFor(absl::Milliseconds(absl::GetFlag(FLAGS_sale_interval_ms)));
  }
  auto drained = OrDie(till.Drain(), "Drain");
  std::printf("end of day: %lld queued earns posted, %lld still waiting, %lld refused\n",
              static_cast<long long>(drained.posted), static_cast<long long>(drained.remaining),
              static_cast<long long>(drained.rejected));
  if (drained.remaining > 0) {
    std::printf("hub still unreachable (%s): run again later to send them\n",
                drained.stopped_by.ToString().c_str());
    return 3;
  }
  auto balance = OrDie(till.GetBalance({member.card_number}), "GetBalance");
  std::printf("balance %lld, available %lld\n", static_cast<long long>(balance.balance),
              static_cast<long long>(balance.available));
  return 0;
}
