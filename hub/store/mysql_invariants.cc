// The ledger invariants of DESIGN.md section 5, as queries that list violating rows.
#include <cppconn/resultset.h>
#include <cppconn/resultset_metadata.h>

#include "absl/strings/str_cat.h"
#include "hub/store/mysql_txn.h"

namespace loyalty {
namespace {

struct InvariantQuery {
  const char* name;
  const char* sql;         // one row per violation; columns are printed as found
  bool takes_now = false;  // the query has two parameters, both now
};

constexpr InvariantQuery kQueries[] = {
    {"transfer not positive or to itself",
     "SELECT id, points FROM transfers WHERE points <= 0 OR debit_account = credit_account"},
    {"member balance differs from its journal account",
     // Each side summed per account on its own index first: no temporary table of the
     // whole journal (a 5M-entry journal made MariaDB spill a union of 10M rows to disk).
     "SELECT m.id, m.balance, COALESCE(c.s, 0) - COALESCE(d.s, 0) FROM members m"
     " LEFT JOIN (SELECT credit_account AS acct, SUM(points) AS s FROM transfers"
     "   WHERE credit_account LIKE 'member:%' GROUP BY credit_account) c"
     "   ON c.acct = CONCAT('member:', m.id)"
     " LEFT JOIN (SELECT debit_account AS acct, SUM(points) AS s FROM transfers"
     "   WHERE debit_account LIKE 'member:%' GROUP BY debit_account) d"
     "   ON d.acct = CONCAT('member:', m.id)"
     " WHERE m.balance <> COALESCE(c.s, 0) - COALESCE(d.s, 0)"},
    {"member balance differs from lots remaining minus debt",
     "SELECT m.id, m.balance, m.debt, COALESCE(l.r, 0), COALESCE(d.o, 0) FROM members m"
     " LEFT JOIN (SELECT member_id, SUM(remaining) r FROM lots GROUP BY member_id) l"
     "   ON l.member_id = m.id"
     " LEFT JOIN (SELECT member_id, SUM(outstanding) o FROM debts GROUP BY member_id) d"
     "   ON d.member_id = m.id"
     " WHERE m.balance <> COALESCE(l.r, 0) - COALESCE(d.o, 0) OR m.debt <> COALESCE(d.o, 0)"},
    {"available below zero without debt",
     "SELECT m.id, m.balance, h.held, COALESCE(p.pending, 0) FROM members m JOIN ("
     "  SELECT member_id, SUM(points) held FROM holds WHERE status = 'active'"
     "  AND expires_at > ? GROUP BY member_id) h ON h.member_id = m.id"
     " LEFT JOIN (SELECT member_id, SUM(remaining) pending FROM lots WHERE available_at > ?"
     "  GROUP BY member_id) p ON p.member_id = m.id"
     " WHERE m.balance - h.held - COALESCE(p.pending, 0) < 0 AND m.debt = 0",
     true},
    {"lot remaining outside [0, points]",
     "SELECT id, points, remaining FROM lots WHERE remaining < 0 OR remaining > points"},
    {"lot remaining differs from points minus consumptions",
     "SELECT l.id, l.points, l.remaining, COALESCE(c.taken, 0) FROM lots l LEFT JOIN ("
     "  SELECT lot_id, SUM(points) taken FROM consumptions GROUP BY lot_id) c"
     "  ON c.lot_id = l.id WHERE l.points - COALESCE(c.taken, 0) <> l.remaining"},
    {"debt outstanding outside [0, points]",
     "SELECT id, points, outstanding FROM debts WHERE outstanding < 0 OR outstanding > points"},
};

}  // namespace

absl::StatusOr<std::vector<std::string>> MysqlTxn::FindInvariantViolations(Micros now) {
  return Guard([&]() -> absl::StatusOr<std::vector<std::string>> {
    std::vector<std::string> out;
    for (const InvariantQuery& q : kQueries) {
      auto* st = Prepare(q.sql);
      if (q.takes_now) {
        st->setInt64(1, now);
        st->setInt64(2, now);
      }
      std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
      const unsigned cols = rs->getMetaData()->getColumnCount();
      while (rs->next()) {
        std::string line = absl::StrCat(q.name, ":");
        for (unsigned i = 1; i <= cols; ++i) absl::StrAppend(&line, " ", rs->getString(i).c_str());
        out.push_back(std::move(line));
      }
    }
    return out;
  });
}

}  // namespace loyalty
