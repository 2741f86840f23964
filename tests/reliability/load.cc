#include "tests/reliability/load.h"

#include <cppconn/driver.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>
#include <mysql_driver.h>

#include <random>
#include <set>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace loyalty::testing {
namespace {

constexpr int64_t kEarnAmountMinor = 1'000;  // 10 EUR: 50 points at 5%, 20 at 2%
constexpr int64_t kRedeemPoints = 30;

// The codes after which a till sends the same request again.
bool Retryable(grpc::StatusCode code) {
  return code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::DEADLINE_EXCEEDED ||
         code == grpc::StatusCode::ABORTED || code == grpc::StatusCode::RESOURCE_EXHAUSTED;
}

}  // namespace

std::vector<std::vector<std::string>> QueryRows(const MysqlOptions& o, const std::string& query) {
  sql::mysql::MySQL_Driver* driver = sql::mysql::get_mysql_driver_instance();
  sql::ConnectOptionsMap props;
  props["hostName"] = sql::SQLString("localhost");
  props["socket"] = sql::SQLString(o.socket);
  props["userName"] = sql::SQLString(o.user);
  props["password"] = sql::SQLString(o.password);
  props["schema"] = sql::SQLString(o.database);
  std::unique_ptr<sql::Connection> conn(driver->connect(props));
  std::unique_ptr<sql::Statement> st(conn->createStatement());
  std::unique_ptr<sql::ResultSet> rs(st->executeQuery(query));
  const unsigned columns = rs->getMetaData()->getColumnCount();
  std::vector<std::vector<std::string>> rows;
  while (rs->next()) {
    std::vector<std::string> row;
    for (unsigned c = 1; c <= columns; ++c) row.push_back(rs->isNull(c) ? "" : rs->getString(c));
    rows.push_back(std::move(row));
  }
  return rows;
}

namespace {

std::string Key(int64_t partner_id, const std::string& txn_id) {
  return absl::StrCat(partner_id, "/", txn_id);
}

}  // namespace

LoadDriver::LoadDriver(std::string target, Coalition coalition, LoadOptions options)
    : target_(std::move(target)), coalition_(std::move(coalition)), options_(options) {
  channel_ = FastReconnectChannel(target_);
  stub_ = v1::PartnerService::NewStub(channel_);
}

LoadDriver::~LoadDriver() { StopAndDrain(); }

void LoadDriver::Start() {
  for (int i = 0; i < options_.threads; ++i) threads_.emplace_back([this, i] { Client(i); });
}

void LoadDriver::StopAndDrain() {
  stop_ = true;
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

std::map<grpc::StatusCode, int64_t> LoadDriver::RetryableCodes() const {
  absl::MutexLock lock(&mu_);
  return retryable_;
}

std::vector<std::string> LoadDriver::Unexpected() const {
  absl::MutexLock lock(&mu_);
  return unexpected_;
}

std::vector<Ack> LoadDriver::Acks() const {
  absl::MutexLock lock(&mu_);
  return acks_;
}

void LoadDriver::Client(int index) {
  std::mt19937_64 rng(options_.seed * 1000 + index);
  const int members = static_cast<int>(coalition_.cards.size());
  for (int64_t n = 0; !stop_; ++n) {
    Ack ack;
    ack.txn_id = absl::StrCat("L", index, "-", n);
    ack.member = static_cast<int>(rng() % members);
    // Two earns for each redemption, so most redemptions find points.
    ack.earn = rng() % 3 != 0;
    // Earn at either merchant; redeem at the other one than the last earn's, any will do.
    ack.partner_id = rng() % 2 == 0 ? coalition_.grocer_id : coalition_.cinema_id;
    SendUntilAnswered(ack, ack.earn ? kEarnAmountMinor : kRedeemPoints);
  }
}

grpc::Status LoadDriver::Attempt(const Ack& ack, int64_t amount_or_points, Ack* out) {
  const std::string& key =
      ack.partner_id == coalition_.grocer_id ? coalition_.grocer_key : coalition_.cinema_key;
  const std::string& card = coalition_.cards[ack.member];
  v1::PostingResult result;
  grpc::Status s;
  if (ack.earn) {
    v1::EarnResponse resp;
    s = Invoke(stub_.get(), &v1::PartnerService::Stub::Earn, key,
               EarnOf(ack.txn_id, card, amount_or_points), &resp, options_.attempt_timeout);
    result = resp.result();
  } else {
    v1::RedeemResponse resp;
    s = Invoke(stub_.get(), &v1::PartnerService::Stub::Redeem, key,
               RedeemOf(ack.txn_id, card, amount_or_points), &resp, options_.attempt_timeout);
    result = resp.result();
  }
  *out = ack;
  out->code = s.error_code();
  out->points = result.points();
  out->hub_txn_id = result.hub_txn_id();
  out->replayed = result.replayed();
  return s;
}

void LoadDriver::SendUntilAnswered(Ack ack, int64_t amount_or_points) {
  const auto give_up = std::chrono::steady_clock::now() + options_.give_up;
  for (;;) {
    Ack answer;
    const grpc::Status s = Attempt(ack, amount_or_points, &answer);
    const bool refused =
        !ack.earn && s.error_code() == grpc::StatusCode::FAILED_PRECONDITION;  // not enough
    {
      absl::MutexLock lock(&mu_);
      if (s.ok() || refused) {
        acks_.push_back(answer);
        ++answered_;
        return;
      }
      if (!Retryable(s.error_code())) {
        unexpected_.push_back(absl::StrCat(ack.txn_id, ": ", Describe(s)));
        return;
      }
      ++retryable_[s.error_code()];
      if (std::chrono::steady_clock::now() >= give_up) {
        unexpected_.push_back(absl::StrCat(ack.txn_id, ": still unanswered after ",
                                           options_.give_up.count(), " ms: ", Describe(s)));
        return;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // back off, then resend
  }
}

void ExpectJournalMatchesAcks(const MysqlOptions& o, const Coalition& coalition,
                              const std::vector<Ack>& acks) {
  // Every posting of the load: partner_id/partner_txn_id -> (hub txn id, kind, points).
  std::map<std::string, std::vector<std::string>> journal;
  for (auto& row : QueryRows(o,
                             "SELECT partner_id, partner_txn_id, id, kind, points FROM txns "
                             "WHERE partner_txn_id LIKE 'L%'")) {
    const std::string key = absl::StrCat(row[0], "/", row[1]);
    EXPECT_EQ(journal.count(key), 0u) << "posted twice: " << key;
    journal[key] = row;
  }
  std::vector<int64_t> expected_balance(coalition.cards.size(), 0);
  size_t ok = 0;
  for (const Ack& a : acks) {
    const std::string key = Key(a.partner_id, a.txn_id);
    auto it = journal.find(key);
    if (a.code != grpc::StatusCode::OK) {
      EXPECT_EQ(it, journal.end()) << "refused request is in the journal: " << key;
      continue;
    }
    ++ok;
    expected_balance[a.member] += a.earn ? a.points : -a.points;
    if (it == journal.end()) {
      ADD_FAILURE() << "acknowledged request missing from the journal: " << key;
      continue;
    }
    EXPECT_EQ(it->second[2], absl::StrCat(a.hub_txn_id)) << key;
    EXPECT_EQ(it->second[3], a.earn ? "earn" : "redeem") << key;
    EXPECT_EQ(it->second[4], absl::StrCat(a.points)) << key;
  }
  EXPECT_EQ(journal.size(), ok) << "postings nobody was told about";
  // Balance rows == journal net per member account == what the answers imply.
  std::map<std::string, std::string> balance, net;
  for (auto& row : QueryRows(o, "SELECT id, balance FROM members")) balance[row[0]] = row[1];
  for (auto& row :
       QueryRows(o,
                 "SELECT a, SUM(p) FROM (SELECT credit_account a, points p FROM transfers "
                 "UNION ALL SELECT debit_account a, -points p FROM transfers) j "
                 "WHERE a LIKE 'member:%' GROUP BY a")) {
    net[row[0].substr(7)] = row[1];
  }
  for (size_t m = 0; m < coalition.member_ids.size(); ++m) {
    const std::string id = absl::StrCat(coalition.member_ids[m]);
    EXPECT_EQ(balance[id], absl::StrCat(expected_balance[m])) << "member " << id;
    const std::string journal_net = net.count(id) ? net[id] : "0";
    EXPECT_EQ(journal_net, balance[id]) << "member " << id << ": journal vs balance row";
  }
}

}  // namespace loyalty::testing
