// The analytics reads of MysqlTxn (hub/store/analytics_rows.h). Each is one grouped
// statement; MysqlStore::RunAnalytics runs them in a read-only consistent snapshot.
#include <cppconn/resultset.h>

#include "absl/strings/str_cat.h"
#include "hub/store/mysql_txn.h"

namespace loyalty {
namespace {

// An earn's spend net of its returns (NetSpendMinor in hub/common/money.h; the same
// expression as tier spend): DECIMAL keeps amount x reversed points exact.
std::string NetSpend(const std::string& t) {
  return absl::StrCat("CASE WHEN ", t, ".reversed_points <= 0 OR ", t, ".points <= 0 THEN ", t,
                      ".amount_minor WHEN ", t, ".reversed_points >= ", t,
                      ".points THEN 0 ELSE ", t, ".amount_minor - CAST(", t,
                      ".amount_minor AS DECIMAL(38,0)) * ", t, ".reversed_points DIV ", t,
                      ".points END");
}

// The bucket of `column` among `starts` (INTERVAL() - 1: -1 before the first start);
// "0" when there are no starts. Binds nothing itself: BindStarts does.
std::string BucketOf(const std::string& column, const std::vector<Micros>& starts) {
  if (starts.empty()) return "0";
  std::string out = absl::StrCat("INTERVAL(", column);
  for (size_t i = 0; i < starts.size(); ++i) out += ", ?";
  return out + ") - 1";
}

// A statement of a report: prepared for this one use and closed after it. The bucket
// lists make the SQL text vary with the request, and the connection's statement cache
// (MysqlConnection::Prepare) keeps every text it sees for the connection's life.
std::unique_ptr<sql::PreparedStatement> PrepareOnce(MysqlConnection* c, const std::string& sql) {
  return std::unique_ptr<sql::PreparedStatement>(c->conn->prepareStatement(sql));
}

// A grouping SELECT that may hold a row per member: its temporary table stays in memory
// up to 256 MiB (the server's 16 MiB default sends a 500,000-member grouping to disk, two
// times slower), for this statement only.
std::string Grouped(const std::string& select) {
  return absl::StrCat(
      "SET STATEMENT tmp_table_size = 268435456, max_heap_table_size = 268435456 FOR ", select);
}

int BindStarts(sql::PreparedStatement* st, int i, const std::vector<Micros>& starts) {
  for (Micros s : starts) st->setInt64(i++, s);
  return i;
}

}  // namespace

absl::StatusOr<std::vector<ActivityRow>> MysqlTxn::MemberActivity(const ActivityQuery& q) {
  return Guard([&]() -> absl::StatusOr<std::vector<ActivityRow>> {
    // With a partner, ix_partner_member_kind_time reads that partner's rows only.
    auto st = PrepareOnce(c_, Grouped(absl::StrCat(
        "SELECT t.member_id, ", BucketOf("t.posted_at", q.bucket_starts),
        " AS b, COUNT(*), CAST(SUM(", NetSpend("t"), ") AS SIGNED), MAX(t.posted_at) "
        // Without a partner, reading rows in member order through ix_member_time costs a
        // random lookup per row; a scan (or ix_posted for a short range) and an
        // in-memory grouping is several times faster on a large journal.
        "FROM txns t ", q.partner != 0 ? "" : "IGNORE INDEX (ix_member_time) ", "WHERE ",
        q.partner != 0 ? "t.partner_id = ? AND " : "",
        "t.kind = 'earn' AND t.posted_at >= ? AND t.posted_at < ? "
        "GROUP BY t.member_id, b ORDER BY t.member_id, b")));
    int i = BindStarts(st.get(), 1, q.bucket_starts);
    if (q.partner != 0) st->setInt64(i++, q.partner);
    st->setInt64(i++, q.from);
    st->setInt64(i++, q.until);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    std::vector<ActivityRow> out;
    out.reserve(rs->rowsCount());
    while (rs->next()) {
      out.push_back({rs->getInt64(1), rs->getInt(2), rs->getInt64(3), rs->getInt64(4),
                     rs->getInt64(5)});
    }
    return out;
  });
}

absl::StatusOr<std::vector<AwardRow>> MysqlTxn::PromotionAwards(int64_t promotion,
                                                                PartnerId partner) {
  return Guard([&]() -> absl::StatusOr<std::vector<AwardRow>> {
    auto st = PrepareOnce(c_,
        "SELECT a.member_id, CAST(SUM(GREATEST(b.points - b.reversed_points, 0)) AS SIGNED) "
        "FROM promotion_awards a JOIN txns e ON e.id = a.earn_txn_id "
        "JOIN txns b ON b.id = a.bonus_txn_id "
        "WHERE a.promotion_id = ? AND e.partner_id = ? "
        "GROUP BY a.member_id ORDER BY a.member_id");
    st->setInt64(1, promotion);
    st->setInt64(2, partner);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    std::vector<AwardRow> out;
    while (rs->next()) out.push_back({rs->getInt64(1), rs->getInt64(2)});
    return out;
  });
}

absl::StatusOr<std::vector<JoinerWindowRow>> MysqlTxn::JoinerWindows(PartnerId partner,
                                                                     Micros from, Micros until,
                                                                     Micros window) {
  return Guard([&]() -> absl::StatusOr<std::vector<JoinerWindowRow>> {
    const std::string first_earns =
        "SELECT member_id, MIN(posted_at) AS first_at FROM txns "
        "WHERE partner_id = ? AND kind = 'earn' GROUP BY member_id "
        "HAVING first_at >= ? AND first_at < ?";
    // ix_member_time (member_id, posted_at) reads each joiner's earns in its window.
    auto st = PrepareOnce(c_, Grouped(absl::StrCat(
        "SELECT t.partner_id = ? AS at_p, t.posted_at >= f.first_at AS after_first, "
        "COUNT(DISTINCT f.member_id), COUNT(*), CAST(SUM(", NetSpend("t"), ") AS SIGNED) "
        "FROM (", first_earns, ") f JOIN txns t ON t.member_id = f.member_id "
        "AND t.kind = 'earn' AND t.posted_at >= f.first_at - ? AND t.posted_at < f.first_at + ? "
        "GROUP BY at_p, after_first ORDER BY at_p, after_first")));
    st->setInt64(1, partner);
    st->setInt64(2, partner);
    st->setInt64(3, from);
    st->setInt64(4, until);
    st->setInt64(5, window);
    st->setInt64(6, window);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    std::vector<JoinerWindowRow> out;
    while (rs->next()) {
      out.push_back({rs->getInt(1) != 0, rs->getInt(2) != 0, rs->getInt64(3), rs->getInt64(4),
                     rs->getInt64(5)});
    }
    return out;
  });
}

absl::StatusOr<std::vector<ConsumptionSumRow>> MysqlTxn::ConsumptionSums(
    Micros from, Micros until, const std::vector<Micros>& bucket_starts) {
  return Guard([&]() -> absl::StatusOr<std::vector<ConsumptionSumRow>> {
    auto st = PrepareOnce(c_, Grouped(absl::StrCat(
        "SELECT ", BucketOf("posted_at", bucket_starts),
        " AS b, funder_id, COALESCE(redeemer_id, 0) AS r, kind, CAST(SUM(points) AS SIGNED), "
        "COUNT(*) FROM consumptions WHERE posted_at >= ? AND posted_at < ? "
        "GROUP BY b, funder_id, r, kind ORDER BY b, funder_id, r, kind")));
    int i = BindStarts(st.get(), 1, bucket_starts);
    st->setInt64(i++, from);
    st->setInt64(i++, until);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    std::vector<ConsumptionSumRow> out;
    while (rs->next()) {
      out.push_back({rs->getInt(1), rs->getInt64(2), rs->getInt64(3), rs->getString(4),
                     rs->getInt64(5), rs->getInt64(6)});
    }
    return out;
  });
}

absl::StatusOr<int64_t> MysqlTxn::FlowCellMembers(const FlowCellKey& cell, int64_t limit) {
  return Guard([&]() -> absl::StatusOr<int64_t> {
    // DISTINCT with LIMIT stops reading once `limit` members are found.
    auto st = PrepareOnce(c_, absl::StrCat(
        "SELECT COUNT(*) FROM (SELECT DISTINCT l.member_id FROM consumptions c "
        "JOIN lots l ON l.id = c.lot_id WHERE c.posted_at >= ? AND c.posted_at < ? "
        "AND c.kind IN ('redeem', 'restore') AND c.funder_id = ? AND c.redeemer_id = ?",
        limit > 0 ? " LIMIT ?" : "", ") m"));
    st->setInt64(1, cell.from);
    st->setInt64(2, cell.until);
    st->setInt64(3, cell.funder);
    st->setInt64(4, cell.redeemer);
    if (limit > 0) st->setInt64(5, limit);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    return rs->next() ? rs->getInt64(1) : 0;
  });
}

absl::StatusOr<std::vector<FunderLotsRow>> MysqlTxn::FunderLots(Micros from, Micros until) {
  return Guard([&]() -> absl::StatusOr<std::vector<FunderLotsRow>> {
    auto st = PrepareOnce(c_, Grouped(
        "SELECT funder_id, CAST(SUM(points) AS SIGNED), COUNT(DISTINCT member_id) FROM lots "
        "WHERE earned_at >= ? AND earned_at < ? GROUP BY funder_id ORDER BY funder_id"));
    st->setInt64(1, from);
    st->setInt64(2, until);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    std::vector<FunderLotsRow> out;
    while (rs->next()) out.push_back({rs->getInt64(1), rs->getInt64(2), rs->getInt64(3)});
    return out;
  });
}

absl::StatusOr<std::vector<OutstandingRow>> MysqlTxn::Outstanding(
    const std::vector<Micros>& bucket_starts) {
  return Guard([&]() -> absl::StatusOr<std::vector<OutstandingRow>> {
    auto st = PrepareOnce(c_, Grouped(absl::StrCat(
        "SELECT IF(expires_at = ?, -2, ", BucketOf("expires_at", bucket_starts),
        ") AS b, funder_id, CAST(SUM(remaining) AS SIGNED), COUNT(DISTINCT member_id) "
        "FROM lots WHERE remaining > 0 GROUP BY b, funder_id ORDER BY b, funder_id")));
    st->setInt64(1, kNeverExpires);
    BindStarts(st.get(), 2, bucket_starts);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    std::vector<OutstandingRow> out;
    while (rs->next()) {
      out.push_back({rs->getInt(1), rs->getInt64(2), rs->getInt64(3), rs->getInt64(4)});
    }
    return out;
  });
}

absl::StatusOr<std::vector<std::pair<MemberId, std::string>>> MysqlTxn::MemberTiers() {
  return Guard([&]() -> absl::StatusOr<std::vector<std::pair<MemberId, std::string>>> {
    std::unique_ptr<sql::ResultSet> rs(
        Prepare("SELECT id, tier FROM members WHERE tier <> '' ORDER BY id")->executeQuery());
    std::vector<std::pair<MemberId, std::string>> out;
    while (rs->next()) out.emplace_back(rs->getInt64(1), rs->getString(2));
    return out;
  });
}

absl::StatusOr<std::optional<PromotionRow>> MysqlTxn::GetPromotion(int64_t id) {
  if (id <= 0) return std::nullopt;
  ASSIGN_OR_RETURN(std::vector<PromotionRow> rows, ListPromotionsAfter(0, true, id - 1, 1));
  if (rows.empty() || rows.front().id != id) return std::nullopt;
  return rows.front();
}

}  // namespace loyalty
