// The earn-rule rows of MysqlTxn (hub/store/store.h): tiers, promotions and their
// awards, and the counts the rules are evaluated on.
#include <cppconn/resultset.h>

#include "absl/strings/str_cat.h"
#include "hub/common/status_macros.h"
#include "hub/store/mysql_txn.h"

namespace loyalty {
namespace {

constexpr char kPromotionColumns[] =
    "id, name, funder_id, scope, scope_value, kind, starts_at, ends_at, multiplier_bp, "
    "bonus_points, min_spend_minor, every_n, distinct_partners, window_days, ended, created_at";

PromotionRow ReadPromotion(sql::ResultSet* rs) {
  PromotionRow p;
  p.id = rs->getInt64("id");
  p.name = rs->getString("name");
  p.funder_id = rs->getInt64("funder_id");
  p.scope = rs->getString("scope");
  p.scope_value = rs->getString("scope_value");
  p.kind = rs->getString("kind");
  p.starts_at = rs->getInt64("starts_at");
  p.ends_at = rs->getInt64("ends_at");
  p.multiplier_bp = rs->getInt64("multiplier_bp");
  p.bonus_points = rs->getInt64("bonus_points");
  p.min_spend_minor = rs->getInt64("min_spend_minor");
  p.every_n = rs->getInt("every_n");
  p.distinct_partners = rs->getInt("distinct_partners");
  p.window_days = rs->getInt("window_days");
  p.ended = rs->getInt("ended") != 0;
  p.created_at = rs->getInt64("created_at");
  return p;
}

}  // namespace

absl::StatusOr<std::vector<TierRow>> MysqlTxn::ListTiers() {
  return Guard([&]() -> absl::StatusOr<std::vector<TierRow>> {
    std::unique_ptr<sql::ResultSet> rs(
        Prepare("SELECT name, threshold_minor, multiplier_bp FROM tiers ORDER BY "
                "threshold_minor, name")
            ->executeQuery());
    std::vector<TierRow> out;
    while (rs->next()) out.push_back({rs->getString(1), rs->getInt64(2), rs->getInt64(3)});
    return out;
  });
}

absl::Status MysqlTxn::ReplaceTiers(const std::vector<TierRow>& tiers) {
  return Guard([&]() -> absl::Status {
    Prepare("DELETE FROM tiers")->executeUpdate();
    auto* ins =
        Prepare("INSERT INTO tiers (name, threshold_minor, multiplier_bp) VALUES (?, ?, ?)");
    for (const TierRow& t : tiers) {
      ins->setString(1, t.name);
      ins->setInt64(2, t.threshold_minor);
      ins->setInt64(3, t.multiplier_bp);
      ins->executeUpdate();
    }
    BumpRulesVersion();
    return absl::OkStatus();
  });
}

absl::StatusOr<int64_t> MysqlTxn::InsertPromotion(const PromotionRow& p) {
  return Guard([&]() -> absl::StatusOr<int64_t> {
    auto* st = Prepare(
        "INSERT INTO promotions (name, funder_id, scope, scope_value, kind, starts_at, ends_at, "
        "multiplier_bp, bonus_points, min_spend_minor, every_n, distinct_partners, window_days, "
        "ended, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)");
    st->setString(1, p.name);
    st->setInt64(2, p.funder_id);
    st->setString(3, p.scope);
    st->setString(4, p.scope_value);
    st->setString(5, p.kind);
    st->setInt64(6, p.starts_at);
    st->setInt64(7, p.ends_at);
    st->setInt64(8, p.multiplier_bp);
    st->setInt64(9, p.bonus_points);
    st->setInt64(10, p.min_spend_minor);
    st->setInt(11, p.every_n);
    st->setInt(12, p.distinct_partners);
    st->setInt(13, p.window_days);
    st->setInt64(14, p.created_at);
    st->executeUpdate();
    const int64_t id = LastInsertId();
    BumpRulesVersion();
    return id;
  });
}

absl::StatusOr<std::vector<PromotionRow>> MysqlTxn::ListPromotions(Micros now, bool all) {
  return Guard([&]() -> absl::StatusOr<std::vector<PromotionRow>> {
    auto* st = Prepare(absl::StrCat(
        "SELECT ", kPromotionColumns,
        " FROM promotions WHERE ? = 1 OR (starts_at <= ? AND ends_at > ?) "
        "ORDER BY id"));
    st->setInt(1, all ? 1 : 0);
    st->setInt64(2, now);
    st->setInt64(3, now);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    std::vector<PromotionRow> out;
    while (rs->next()) out.push_back(ReadPromotion(rs.get()));
    return out;
  });
}

absl::StatusOr<std::vector<PromotionRow>> MysqlTxn::ListPromotionsAfter(Micros now, bool all,
                                                                        int64_t after_id,
                                                                        int limit) {
  return Guard([&]() -> absl::StatusOr<std::vector<PromotionRow>> {
    auto* st = Prepare(absl::StrCat(
        "SELECT ", kPromotionColumns,
        " FROM promotions WHERE id > ? AND (? = 1 OR (ended = 0 AND starts_at <= ? AND "
        "ends_at > ?)) ORDER BY id LIMIT ?"));
    st->setInt64(1, after_id);
    st->setInt(2, all ? 1 : 0);
    st->setInt64(3, now);
    st->setInt64(4, now);
    st->setInt(5, limit);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    std::vector<PromotionRow> out;
    while (rs->next()) out.push_back(ReadPromotion(rs.get()));
    return out;
  });
}

absl::Status MysqlTxn::EndPromotion(int64_t id, Micros now) {
  return Guard([&]() -> absl::Status {
    auto* st = Prepare("UPDATE promotions SET ended = 1, ends_at = LEAST(ends_at, ?) WHERE id = ?");
    st->setInt64(1, now);
    st->setInt64(2, id);
    if (st->executeUpdate() == 0) {
      return absl::NotFoundError(absl::StrCat("promotion_id: no promotion ", id));
    }
    BumpRulesVersion();
    return absl::OkStatus();
  });
}

absl::Status MysqlTxn::InsertPromotionAward(const PromotionAwardRow& a) {
  return InsertPromotionAwards({a});
}

absl::StatusOr<std::vector<PromotionAwardRow>> MysqlTxn::AwardsOfEarn(TxnId earn) {
  return Guard([&]() -> absl::StatusOr<std::vector<PromotionAwardRow>> {
    auto* st = Prepare(
        "SELECT promotion_id, member_id, earn_txn_id, bonus_txn_id, points, awarded_at FROM "
        "promotion_awards WHERE earn_txn_id = ? ORDER BY promotion_id");
    st->setInt64(1, earn);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    std::vector<PromotionAwardRow> out;
    while (rs->next()) {
      out.push_back({rs->getInt64(1), rs->getInt64(2), rs->getInt64(3), rs->getInt64(4),
                     rs->getInt64(5), rs->getInt64(6)});
    }
    return out;
  });
}

absl::StatusOr<int64_t> MysqlTxn::CountAwards(int64_t promotion, MemberId member) {
  auto sums = SumsByKey(
      "SELECT promotion_id, COUNT(*) FROM promotion_awards WHERE promotion_id = ? AND "
      "member_id = ? GROUP BY promotion_id",
      {promotion, member});
  if (!sums.ok()) return sums.status();
  return sums->empty() ? 0 : sums->begin()->second;
}

absl::StatusOr<int64_t> MysqlTxn::SpendSince(MemberId member, Micros since) {
  // Net of returns (NetSpendMinor): the reversed share of an earn's amount, floored;
  // DECIMAL keeps amount x reversed points exact.
  auto sums = SumsByKey(
      "SELECT member_id, CAST(SUM(CASE WHEN reversed_points <= 0 OR points <= 0 THEN "
      "amount_minor WHEN reversed_points >= points THEN 0 ELSE amount_minor - "
      "CAST(amount_minor AS DECIMAL(38,0)) * reversed_points DIV points END) AS SIGNED) "
      "FROM txns WHERE member_id = ? AND kind = 'earn' AND posted_at >= ? GROUP BY member_id",
      {member, since});
  if (!sums.ok()) return sums.status();
  return sums->empty() ? 0 : sums->begin()->second;
}

absl::StatusOr<int64_t> MysqlTxn::EarnCountSince(MemberId member, PartnerId partner, Micros since) {
  auto sums = SumsByKey(
      "SELECT member_id, COUNT(*) FROM txns WHERE member_id = ? AND (? = 0 OR partner_id = ?) "
      "AND kind = 'earn' AND posted_at >= ? GROUP BY member_id",
      {member, partner, partner, since});
  if (!sums.ok()) return sums.status();
  return sums->empty() ? 0 : sums->begin()->second;
}

absl::StatusOr<int64_t> MysqlTxn::DistinctEarnPartnersSince(MemberId member, Micros since) {
  auto sums = SumsByKey(
      "SELECT member_id, COUNT(DISTINCT partner_id) FROM txns WHERE member_id = ? AND "
      "kind = 'earn' AND posted_at >= ? GROUP BY member_id",
      {member, since});
  if (!sums.ok()) return sums.status();
  return sums->empty() ? 0 : sums->begin()->second;
}

absl::StatusOr<std::vector<ExpiringRow>> MysqlTxn::ExpiringBetween(Micros from, Micros to,
                                                                   const ExpiringRow& after,
                                                                   int limit) {
  return Guard([&]() -> absl::StatusOr<std::vector<ExpiringRow>> {
    // Keyset on (first expiry, member id): the HAVING clause skips what earlier pages held.
    auto* st = Prepare(
        "SELECT member_id, CAST(SUM(remaining) AS SIGNED), MIN(expires_at) AS first_expiry "
        "FROM lots WHERE remaining > 0 AND expires_at >= ? AND expires_at < ? "
        "GROUP BY member_id HAVING first_expiry > ? OR (first_expiry = ? AND member_id > ?) "
        "ORDER BY first_expiry, member_id LIMIT ?");
    st->setInt64(1, from);
    st->setInt64(2, to);
    st->setInt64(3, after.first_expiry);
    st->setInt64(4, after.first_expiry);
    st->setInt64(5, after.member_id);
    st->setInt(6, limit);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    std::vector<ExpiringRow> out;
    while (rs->next()) out.push_back({rs->getInt64(1), rs->getInt64(2), rs->getInt64(3)});
    return out;
  });
}

absl::StatusOr<std::vector<MemberId>> MysqlTxn::MembersForTierReview(Micros since, MemberId after,
                                                                     int limit) {
  return Guard([&]() -> absl::StatusOr<std::vector<MemberId>> {
    auto* st = Prepare(
        "SELECT id FROM members WHERE id > ? AND (tier <> '' OR id IN (SELECT member_id FROM "
        "txns WHERE kind = 'earn' AND posted_at >= ?)) ORDER BY id LIMIT ?");
    st->setInt64(1, after);
    st->setInt64(2, since);
    st->setInt(3, limit);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    std::vector<MemberId> out;
    while (rs->next()) out.push_back(rs->getInt64(1));
    return out;
  });
}

}  // namespace loyalty
