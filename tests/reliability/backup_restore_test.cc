// Backup and restore, as an operator runs them: data loaded through the hub by a
// concurrent earn/redeem load, deploy/backup.sh while the hub still runs, then
// deploy/restore.sh into a fresh private MariaDB server. The restored database passes
// `loyalty_hub --check_invariants` and holds the same balances, lots and journal.
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/reliability/load.h"
#include "tests/reliability/private_mariadb.h"
#include "tests/support/hub_process.h"
#include "tests/support/test_db.h"

namespace loyalty::testing {
namespace {

using ::testing::IsEmpty;

// Runs `command` through /bin/sh; returns its exit code.
int Shell(const std::string& command) {
  const int rc = std::system(command.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// What must survive a restore, one query per aspect, each as rows of text.
std::vector<std::string> Fingerprint(const MysqlOptions& o) {
  std::vector<std::string> out;
  for (const char* query :
       {"SELECT id, balance, debt FROM members ORDER BY id",
        "SELECT id, member_id, funder_id, points, remaining, expires_at FROM lots ORDER BY id",
        "SELECT id, partner_id, partner_txn_id, kind, points, request_hash FROM txns ORDER BY id",
        "SELECT COUNT(*), SUM(points), SUM(CRC32(CONCAT(debit_account, credit_account))) "
        "FROM transfers",
        "SELECT id, name, category FROM partners ORDER BY id"}) {
    std::string text;
    for (const auto& row : QueryRows(o, query)) {
      for (const std::string& cell : row) absl::StrAppend(&text, cell, "|");
      text += "\n";
    }
    out.push_back(text);
  }
  return out;
}

TEST(BackupRestoreTest, DumpOfALiveHubRestoresIntoAFreshServerWithInvariantsAndBalances) {
  TestDb db;
  HubProcess hub(db.options());
  ASSERT_NO_FATAL_FAILURE(hub.Start());
  Coalition coalition;
  ASSERT_NO_FATAL_FAILURE(SetUpCoalition(hub.target(), kHubAdminKey, 6, &coalition));
  std::vector<Ack> acks;
  {
    LoadOptions options;
    LoadDriver load(hub.target(), coalition, options);
    load.Start();
    ASSERT_TRUE(PollUntil([&] { return load.answered() >= 150; }, std::chrono::seconds(60)));
    load.StopAndDrain();
    ASSERT_THAT(load.Unexpected(), IsEmpty());
    acks = load.Acks();
  }
  const std::string dir = ::testing::TempDir() + "backup_" + std::to_string(getpid());
  ASSERT_EQ(Shell("mkdir -p '" + dir + "'"), 0);
  const std::string dump = dir + "/loyalty.sql.gz";
  // Online: the hub still runs while the dump is taken.
  ASSERT_EQ(Shell(absl::StrCat("MYSQL_SOCKET='", db.options().socket, "' '", LOYALTY_DEPLOY_DIR,
                               "/backup.sh' '", dump, "' ", db.options().database)),
            0);
  ASSERT_NO_FATAL_FAILURE(hub.StopAndExpectCleanExit());

  PrivateMariadb fresh;
  ASSERT_NO_FATAL_FAILURE(fresh.Start());
  MysqlOptions restored = db.options();
  restored.socket = fresh.socket();
  restored.database = "loyalty_restored";
  const std::string restore =
      absl::StrCat("MYSQL_SOCKET='", restored.socket, "' '", LOYALTY_DEPLOY_DIR, "/restore.sh' '",
                   dump, "' ", restored.database, " '", LOYALTY_HUB_BINARY, "'");
  ASSERT_EQ(Shell(restore), 0);
  // The restored copy is sound by the hub's own check and equal to the original.
  std::string output;
  EXPECT_EQ(RunHubOnce(restored, {"--check_invariants"}, &output), 0) << output;
  const std::vector<std::string> original = Fingerprint(db.options());
  const std::vector<std::string> copy = Fingerprint(restored);
  ASSERT_EQ(original.size(), copy.size());
  for (size_t i = 0; i < original.size(); ++i) EXPECT_EQ(original[i], copy[i]) << "query " << i;
  EXPECT_GE(std::count(original[2].begin(), original[2].end(), '\n'), 150) << "too few txns";
  // What the clients were told is in the restored journal and balances.
  ExpectJournalMatchesAcks(restored, coalition, acks);
  // A second restore into the same name is refused: nothing is overwritten.
  EXPECT_NE(Shell(restore + " 2>/dev/null"), 0);
  Shell("rm -rf '" + dir + "'");
}

}  // namespace
}  // namespace loyalty::testing
