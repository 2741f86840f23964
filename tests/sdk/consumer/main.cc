// Links and runs against the installed SDK: a call to a hub that is not there must come
// back UNAVAILABLE within its deadline, not crash or hang.
#include <cstdio>

#include "loyalty/partner_client.h"

int main() {
  loyalty::sdk::Options options;
  options.target = "127.0.0.1:1";
  options.api_key = "consumer-key";
  options.retry.max_attempts = 2;
  auto conn = loyalty::sdk::MakePartnerConnection(options);
  if (!conn.ok()) return 1;
  loyalty::sdk::PartnerClient client(*conn);
  auto balance = client.GetBalance({"4000000000000002"});
  std::printf("GetBalance: %s\n", balance.status().ToString().c_str());
  return balance.status().code() == absl::StatusCode::kUnavailable ? 0 : 1;
}
