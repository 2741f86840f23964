#include "tests/load/coalition.h"

#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "loyalty/v1/admin.grpc.pb.h"
#include "tests/load/rpc.h"

namespace loyalty::load {
namespace {

constexpr int kSetupAttempts = 5;

absl::Status FromGrpc(const grpc::Status& s, const std::string& what) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      absl::StrCat(what, ": ", s.error_message()));
}

// Reads "currency C", "partner ID KEY" and "card NUMBER" lines. A missing file is an
// empty coalition.
absl::StatusOr<Coalition> LoadSetupFile(const std::string& path) {
  Coalition c;
  if (path.empty()) return c;
  std::ifstream in(path);
  if (!in) return c;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string tag;
    fields >> tag;
    bool ok = true;
    if (tag == "currency") {
      ok = static_cast<bool>(fields >> c.currency);
    } else if (tag == "partner") {
      PartnerCredential p;
      ok = static_cast<bool>(fields >> p.id >> p.api_key);
      c.partners.push_back(p);
    } else if (tag == "card") {
      std::string card;
      ok = static_cast<bool>(fields >> card);
      c.cards.push_back(card);
    } else {
      ok = false;
    }
    if (!ok) return absl::InvalidArgumentError(absl::StrCat(path, ":", line_no, ": bad line"));
  }
  return c;
}

absl::Status SaveSetupFile(const std::string& path, const Coalition& c) {
  if (path.empty()) return absl::OkStatus();
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    chmod(tmp.c_str(), 0600);
    out << "# loyalty-load coalition: program currency, partners (id, API key), cards\n";
    out << "currency " << c.currency << "\n";
    for (const PartnerCredential& p : c.partners) out << "partner " << p.id << " " << p.api_key << "\n";
    for (const std::string& card : c.cards) out << "card " << card << "\n";
    if (!out.flush()) return absl::InternalError(absl::StrCat("cannot write ", tmp));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("cannot rename ", tmp, " to ", path));
  }
  return absl::OkStatus();
}

std::unique_ptr<grpc::ClientContext> AdminCtx(const SetupOptions& o) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + o.deadline);
  ctx->AddMetadata("authorization", "Bearer " + o.admin_key);
  return ctx;
}

// The program's currency; sets a program (EUR, 1 point = 0.01 EUR) if there is none.
absl::StatusOr<std::string> EnsureProgram(v1::AdminService::Stub* admin, const SetupOptions& o) {
  v1::Program program;
  grpc::Status s = admin->GetProgram(AdminCtx(o).get(), v1::GetProgramRequest(), &program);
  if (s.ok()) return program.currency();
  if (s.error_code() != grpc::StatusCode::FAILED_PRECONDITION) return FromGrpc(s, "GetProgram");
  v1::SetProgramRequest req;
  req.mutable_program()->set_point_value_micros(10'000);
  req.mutable_program()->set_currency("EUR");
  req.mutable_program()->set_expiry_months(36);
  req.mutable_program()->set_hold_timeout_seconds(900);
  v1::SetProgramResponse resp;
  s = admin->SetProgram(AdminCtx(o).get(), req, &resp);
  if (!s.ok()) return FromGrpc(s, "SetProgram");
  return resp.program().currency();
}

// Merchants in categories of their own (unique per run), 1% earn rate, no limits.
absl::Status RegisterPartners(v1::AdminService::Stub* admin, const SetupOptions& o,
                              Coalition* c) {
  while (static_cast<int>(c->partners.size()) < o.partners) {
    const size_t n = c->partners.size();
    v1::RegisterPartnerRequest req;
    req.set_name(absl::StrCat("Load partner ", n, " (", o.id_prefix, ")"));
    std::string category = absl::StrCat("load_", o.id_prefix, "_", n);
    for (char& ch : category) {
      if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
      if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))) ch = '_';
    }
    req.set_category(category.substr(0, 40));
    req.set_role(v1::ROLE_MERCHANT);
    req.set_earn_rate_bp(100);
    v1::RegisterPartnerResponse resp;
    grpc::Status s = admin->RegisterPartner(AdminCtx(o).get(), req, &resp);
    if (!s.ok()) return FromGrpc(s, "RegisterPartner");
    c->partners.push_back({resp.partner().partner_id(), resp.api_key()});
  }
  return absl::OkStatus();
}

// Enrollment in progress, shared with the callbacks (so none of it lives on a stack
// that may be gone when the last callback returns).
struct Enrollment {
  explicit Enrollment(int limit) : limit(limit) {}
  bool HasRoom() const ABSL_SHARED_LOCKS_REQUIRED(mu) { return outstanding < limit; }
  bool Idle() const ABSL_SHARED_LOCKS_REQUIRED(mu) { return outstanding == 0; }
  void Finish(const absl::Status& s, const std::string& card) {
    absl::MutexLock lock(&mu);
    --outstanding;
    if (!s.ok() && first_error.ok()) first_error = s;
    if (s.ok()) cards.push_back(card);
  }

  absl::Mutex mu;
  const int limit;
  int outstanding ABSL_GUARDED_BY(mu) = 0;
  absl::Status first_error ABSL_GUARDED_BY(mu);
  std::vector<std::string> cards ABSL_GUARDED_BY(mu);
};

// Enrolls members until there are `o.members` cards, each followed by an earn of
// `o.start_points` at a partner chosen round-robin; `o.inflight` members at a time.
absl::Status EnrollMembers(const std::shared_ptr<grpc::Channel>& channel, const SetupOptions& o,
                           Coalition* c) {
  std::shared_ptr<v1::PartnerService::Stub> stub = v1::PartnerService::NewStub(channel);
  auto state = std::make_shared<Enrollment>(o.inflight);
  for (int i = static_cast<int>(c->cards.size()); i < o.members; ++i) {
    {
      absl::MutexLock lock(&state->mu);
      state->mu.Await(absl::Condition(state.get(), &Enrollment::HasRoom));
      if (!state->first_error.ok()) break;
      ++state->outstanding;
    }
    const std::string enroller_key = c->partners[0].api_key;
    const std::string funder_key = c->partners[i % c->partners.size()].api_key;
    v1::EnrollMemberRequest enroll;
    enroll.set_partner_txn_id(absl::StrCat("ld-", o.id_prefix, "-enroll-", i));
    v1::EarnRequest earn;
    earn.set_partner_txn_id(absl::StrCat("ld-", o.id_prefix, "-seed-", i));
    earn.mutable_amount()->set_amount_minor(100'00);
    earn.mutable_amount()->set_currency(c->currency);
    earn.set_points(o.start_points);
    const auto deadline = o.deadline;
    CallWithRetry(
        stub.get(), &PartnerAsync::EnrollMember, enroller_key, deadline, enroll, kSetupAttempts,
        [=](const grpc::Status& st, const v1::EnrollMemberResponse& member) {
          if (!st.ok()) return state->Finish(FromGrpc(st, "EnrollMember"), "");
          v1::EarnRequest seed = earn;
          seed.set_card_number(member.card_number());
          CallWithRetry(stub.get(), &PartnerAsync::Earn, funder_key, deadline, seed,
                        kSetupAttempts,
                        [state, card = member.card_number()](const grpc::Status& st2,
                                                             const v1::EarnResponse&) {
                          state->Finish(st2.ok() ? absl::OkStatus() : FromGrpc(st2, "Earn"),
                                        card);
                        });
        });
  }
  absl::MutexLock lock(&state->mu);
  state->mu.Await(absl::Condition(state.get(), &Enrollment::Idle));
  c->cards.insert(c->cards.end(), state->cards.begin(), state->cards.end());
  return state->first_error;
}

}  // namespace

absl::StatusOr<Coalition> PrepareCoalition(const std::shared_ptr<grpc::Channel>& channel,
                                           const SetupOptions& options) {
  absl::StatusOr<Coalition> loaded = LoadSetupFile(options.setup_file);
  if (!loaded.ok()) return loaded.status();
  Coalition c = *std::move(loaded);
  const bool complete = !c.currency.empty() && !c.partners.empty() &&
                        static_cast<int>(c.cards.size()) >= options.members;
  if (complete) return c;
  auto admin = v1::AdminService::NewStub(channel);
  if (c.currency.empty() || c.partners.empty()) {
    if (options.admin_key.empty()) {
      return absl::InvalidArgumentError("admin_key_file: needed to set up a coalition");
    }
    c.partners.clear();
    c.cards.clear();
    absl::StatusOr<std::string> currency = EnsureProgram(admin.get(), options);
    if (!currency.ok()) return currency.status();
    c.currency = *currency;
    if (absl::Status s = RegisterPartners(admin.get(), options, &c); !s.ok()) return s;
  }
  absl::Status enrolled = EnrollMembers(channel, options, &c);
  // Whatever was made is saved, so a retry does not make it again.
  if (absl::Status s = SaveSetupFile(options.setup_file, c); !s.ok()) return s;
  if (!enrolled.ok()) return enrolled;
  return c;
}

}  // namespace loyalty::load
