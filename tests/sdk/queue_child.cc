// sdk_queue_child: a till process for the offline-queue kill test. With the hub down it
// makes the earns named on the command line (each is queued), prints "queued <id>" after
// each, then SIGKILLs itself: no destructor, no flush, no clean close of the SQLite
// file, as in a crash.
//   sdk_queue_child <target> <queue_file> <card> <id>:<amount_minor>...
// The key comes from LOYALTY_API_KEY.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "loyalty/partner_client.h"

int main(int argc, char** argv) {
  if (argc < 5) return 2;
  loyalty::sdk::Options o;
  o.target = argv[1];
  o.offline_queue_path = argv[2];
  const char* key = std::getenv("LOYALTY_API_KEY");
  o.api_key = key == nullptr ? "" : key;
  o.retry.max_attempts = 2;
  o.retry.total_timeout = absl::Seconds(2);
  auto conn = loyalty::sdk::MakePartnerConnection(o);
  if (!conn.ok()) return 3;
  loyalty::sdk::PartnerClient till(*conn);
  for (int i = 4; i < argc; ++i) {
    std::pair<std::string, std::string> parts = absl::StrSplit(argv[i], ':');
    loyalty::sdk::EarnParams sale;
    sale.partner_txn_id = parts.first;
    sale.card_number = argv[3];
    sale.amount.currency = "EUR";
    if (!absl::SimpleAtoi(parts.second, &sale.amount.amount_minor)) return 2;
    auto r = till.Earn(sale);
    if (!r.ok() || !r->queued) {
      std::printf("not queued %s\n", sale.partner_txn_id.c_str());
      return 4;
    }
    std::printf("queued %s\n", sale.partner_txn_id.c_str());
    std::fflush(stdout);
  }
  kill(getpid(), SIGKILL);
  return 5;  // not reached
}
