// The ledger invariants of DESIGN.md section 5 (docs/ledger.md, "Invariants"), as
// queries that list violating rows.
#include <cppconn/resultset.h>
#include <cppconn/resultset_metadata.h>

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "hub/store/mysql_txn.h"
#include "hub/store/records.h"

namespace loyalty {
namespace {

struct InvariantQuery {
  std::string name;
  std::string sql;         // one row per violation; each column printed as label=value
  bool takes_now = false;  // the query has two parameters, both now
};

// The kinds whose postings move points, each by transfers that add up to the absolute
// value of txns.points: earn, bonus and reverse_* by PostTransfer of the points they
// record (hub/ledger/ledger_posting.cc, ledger_corrections.cc), redeem and capture of the
// points taken, adjust of |points| (negative for a debit), expire of the points swept
// (member_book.cc), merge of |balance moved| in whichever direction (ledger_members.cc).
// A posting of 0 points posts no transfer (PostTransfer), which the sum also requires.
constexpr std::initializer_list<const char*> kMovingKinds = {
    txn_kind::kEarn,    txn_kind::kBonus,       txn_kind::kRedeem,
    txn_kind::kCapture, txn_kind::kReverseEarn, txn_kind::kReverseRedeem,
    txn_kind::kAdjust,  txn_kind::kExpire,      txn_kind::kMerge};
// The kinds that record points without moving any: an authorization holds them, a void
// releases the hold; enrolment and card links carry none. They post no transfer.
constexpr std::initializer_list<const char*> kStillKinds = {txn_kind::kEnroll, txn_kind::kLinkCard,
                                                            txn_kind::kAuthorize, txn_kind::kVoid};

std::string SqlList(std::initializer_list<const char*> kinds) {
  return absl::StrCat("('", absl::StrJoin(kinds, "', '"), "')");
}

// A row that names another by id: every such id must exist. Each is a scan of the
// referring table's index on the id (or of the table when it has none) probing the
// referred table's primary key.
InvariantQuery MissingReference(std::string name, const char* table, const char* row_label,
                                const char* column, const char* target, const char* label) {
  return {std::move(name),
          absl::StrCat("SELECT r.id AS ", row_label, ", r.", column, " AS ", label, " FROM ", table,
                       " r LEFT JOIN ", target, " x ON x.id = r.", column, " WHERE x.id IS NULL")};
}

std::vector<InvariantQuery> MakeQueries() {
  std::vector<InvariantQuery> q = {
      {"card monthly points differ from the card's clearings",
       // card_month_points is the running total of the monthly cap (mysql_bank.cc).
       "SELECT s.card_ref AS card, s.month_key AS month, s.points AS counted,"
       " COALESCE(t.points, 0) AS running_total FROM"
       " (SELECT card_ref, month_key,"
       "   SUM(CASE WHEN type = 'purchase' THEN points ELSE -points END) AS points"
       "   FROM card_clearings WHERE status IN ('earned', 'reversed')"
       "   GROUP BY card_ref, month_key) s"
       " LEFT JOIN card_month_points t ON t.card_ref = s.card_ref AND t.month_key = s.month_key"
       " WHERE COALESCE(t.points, 0) <> s.points"
       " UNION ALL SELECT t.card_ref, t.month_key, 0, t.points FROM card_month_points t"
       " WHERE t.points <> 0 AND NOT EXISTS (SELECT 1 FROM card_clearings c"
       "   WHERE c.card_ref = t.card_ref AND c.month_key = t.month_key"
       "   AND c.status IN ('earned', 'reversed'))"},
      {"transfer not positive or to itself",
       "SELECT id AS transfer, points FROM transfers"
       " WHERE points <= 0 OR debit_account = credit_account"},
      {"member balance differs from its journal account",
       // Each side summed per account on its own index first: no temporary table of the
       // whole journal (a 5M-entry journal made MariaDB spill a union of 10M rows to disk).
       "SELECT m.id AS member, m.balance AS balance,"
       " COALESCE(c.s, 0) - COALESCE(d.s, 0) AS journal FROM members m"
       " LEFT JOIN (SELECT credit_account AS acct, SUM(points) AS s FROM transfers"
       "   WHERE credit_account LIKE 'member:%' GROUP BY credit_account) c"
       "   ON c.acct = CONCAT('member:', m.id)"
       " LEFT JOIN (SELECT debit_account AS acct, SUM(points) AS s FROM transfers"
       "   WHERE debit_account LIKE 'member:%' GROUP BY debit_account) d"
       "   ON d.acct = CONCAT('member:', m.id)"
       " WHERE m.balance <> COALESCE(c.s, 0) - COALESCE(d.s, 0)"},
      {"member balance differs from lots remaining minus debt",
       "SELECT m.id AS member, m.balance AS balance, m.debt AS debt,"
       " COALESCE(l.r, 0) AS lots_remaining, COALESCE(d.o, 0) AS debts_outstanding"
       " FROM members m"
       " LEFT JOIN (SELECT member_id, SUM(remaining) r FROM lots GROUP BY member_id) l"
       "   ON l.member_id = m.id"
       " LEFT JOIN (SELECT member_id, SUM(outstanding) o FROM debts GROUP BY member_id) d"
       "   ON d.member_id = m.id"
       " WHERE m.balance <> COALESCE(l.r, 0) - COALESCE(d.o, 0) OR m.debt <> COALESCE(d.o, 0)"},
      {"available below zero without debt",
       "SELECT m.id AS member, m.balance AS balance, h.held AS held,"
       " COALESCE(p.pending, 0) AS pending FROM members m JOIN ("
       "  SELECT member_id, SUM(points) held FROM holds WHERE status = 'active'"
       "  AND expires_at > ? GROUP BY member_id) h ON h.member_id = m.id"
       " LEFT JOIN (SELECT member_id, SUM(remaining) pending FROM lots WHERE available_at > ?"
       "  GROUP BY member_id) p ON p.member_id = m.id"
       " WHERE m.balance - h.held - COALESCE(p.pending, 0) < 0 AND m.debt = 0",
       true},
      {"lot remaining outside [0, points]",
       "SELECT id AS lot, points, remaining FROM lots WHERE remaining < 0 OR remaining > points"},
      {"lot remaining differs from points minus consumptions",
       "SELECT l.id AS lot, l.points AS points, l.remaining AS remaining,"
       " COALESCE(c.taken, 0) AS consumed FROM lots l LEFT JOIN ("
       "  SELECT lot_id, SUM(points) taken FROM consumptions GROUP BY lot_id) c"
       "  ON c.lot_id = l.id WHERE l.points - COALESCE(c.taken, 0) <> l.remaining"},
      {"debt outstanding outside [0, points]",
       "SELECT id AS debt, points, outstanding FROM debts"
       " WHERE outstanding < 0 OR outstanding > points"},
      // Rows of a transaction that is gone (a txns row deleted behind the ledger, a bad
      // restore): the journal and the lots must each be explained by a txns row.
      MissingReference("transfer of a missing txn", "transfers", "transfer", "txn_id", "txns",
                       "txn"),
      MissingReference("lot of a missing txn", "lots", "lot", "earn_txn_id", "txns", "txn"),
      MissingReference("consumption of a missing txn", "consumptions", "consumption", "txn_id",
                       "txns", "txn"),
      MissingReference("consumption of a missing lot", "consumptions", "consumption", "lot_id",
                       "lots", "lot"),
      MissingReference("debt of a missing txn", "debts", "debt", "txn_id", "txns", "txn"),
      MissingReference("hold of a missing txn", "holds", "hold", "auth_txn_id", "txns", "txn"),
  };
  // Each txn's transfers, summed per txn: the txns primary key read in order, each txn's
  // transfers by transfers.ix_txn, grouped as they come (no temporary table). A txn of a
  // kind this check does not know is reported too (expected NULL): classify it above.
  q.push_back({"txn transfers differ from what its kind and points post",
               absl::StrCat("SELECT t.id AS txn, t.kind AS kind, t.points AS points,"
                            " CASE WHEN t.kind IN ",
                            SqlList(kMovingKinds), " THEN ABS(t.points) WHEN t.kind IN ",
                            SqlList(kStillKinds),
                            " THEN 0 END AS expected, COALESCE(SUM(tr.points), 0) AS transferred,"
                            " COUNT(tr.id) AS transfers"
                            " FROM txns t LEFT JOIN transfers tr ON tr.txn_id = t.id GROUP BY t.id"
                            " HAVING expected IS NULL OR transferred <> expected")});
  return q;
}

const std::vector<InvariantQuery>& Queries() {
  static const std::vector<InvariantQuery>* const queries =
      new std::vector<InvariantQuery>(MakeQueries());
  return *queries;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> MysqlTxn::FindInvariantViolations(Micros now) {
  return Guard([&]() -> absl::StatusOr<std::vector<std::string>> {
    std::vector<std::string> out;
    for (const InvariantQuery& q : Queries()) {
      auto* st = Prepare(q.sql);
      if (q.takes_now) {
        st->setInt64(1, now);
        st->setInt64(2, now);
      }
      std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
      sql::ResultSetMetaData* meta = rs->getMetaData();
      const unsigned cols = meta->getColumnCount();
      while (rs->next()) {
        std::string line = absl::StrCat(q.name, ":");
        for (unsigned i = 1; i <= cols; ++i) {
          absl::StrAppend(&line, " ", meta->getColumnLabel(i).c_str(), "=",
                          rs->isNull(i) ? "NULL" : rs->getString(i).c_str());
        }
        out.push_back(std::move(line));
      }
    }
    return out;
  });
}

}  // namespace loyalty
