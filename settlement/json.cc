#include "settlement/json.h"

#include <cstdint>
#include <exception>
#include <limits>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "settlement/report.h"

namespace loyalty::settlement {
namespace {

using nlohmann::json;

// Bumped when a field changes meaning; readers refuse other versions.
constexpr int64_t kSchemaVersion = 1;

// ---------------------------------------------------------------------------------
// Writing. nlohmann::json objects are std::map-backed, so keys come out sorted.

std::string Dump(const json& j) {
  // Invalid UTF-8 becomes U+FFFD rather than an exception.
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

void PutMoney(json& o, const std::string& name, int64_t minor, int exponent) {
  o[name + "_minor"] = minor;
  o[name] = FormatMinor(minor, exponent);
}

// unset_when_zero: 0 means "not yet" (finalized_at) and formats as null, not 1970.
void PutTime(json& o, const std::string& name, Micros t, bool unset_when_zero = false) {
  o[name + "_micros"] = t;
  o[name] = (unset_when_zero && t == 0) ? json(nullptr) : json(FormatUtc(t));
}

json PeriodJson(const Period& p) {
  json o = json::object();
  o["label"] = p.label;
  PutTime(o, "start", p.start);
  PutTime(o, "end", p.end);
  return o;
}

json PointsByPartner(const std::map<PartnerId, Points>& m) {
  json a = json::array();
  for (const auto& [partner, points] : m) a.push_back({{"partner", partner}, {"points", points}});
  return a;
}

json QuantitiesJson(const Quantities& q) {
  json consumed = json::array();
  for (const auto& [key, points] : q.consumed) {
    consumed.push_back({{"funder", key.first}, {"redeemer", key.second}, {"points", points}});
  }
  return json{{"earned", PointsByPartner(q.earned)},
              {"reversed", PointsByPartner(q.reversed)},
              {"issued", PointsByPartner(q.issued)},
              {"consumed", consumed},
              {"till", PointsByPartner(q.till)},
              {"expired", PointsByPartner(q.expired)},
              {"opening", PointsByPartner(q.opening)},
              {"closing_from_lots", PointsByPartner(q.closing_from_lots)}};
}

json LineJson(const Line& l, int exp) {
  json o = {{"kind", l.kind},
            {"payer", l.payer},
            {"payee", l.payee},
            {"points", l.points},
            {"price_micros", l.price_micros},
            {"internal", l.internal}};
  PutMoney(o, "amount", l.amount_minor, exp);
  return o;
}

json PositionJson(const NetPosition& p, int exp) {
  json o = {{"participant", p.participant}};
  PutMoney(o, "received", p.received_minor, exp);
  PutMoney(o, "paid", p.paid_minor, exp);
  PutMoney(o, "net", p.net_minor, exp);
  return o;
}

json PaymentJson(const Payment& p, int exp) {
  json o = {{"participant", p.participant}, {"to_hub", p.to_hub}};
  PutMoney(o, "amount", p.amount_minor, exp);
  return o;
}

json RollForwardJson(const RollForward& r, int exp) {
  json o = {{"funder", r.funder},
            {"opening", r.opening},
            {"earned", r.earned},
            {"reversed", r.reversed},
            {"consumed", r.consumed},
            {"expired", r.expired},
            {"closing", r.closing},
            {"breakage_rate_bp", r.breakage_rate_bp},
            {"breakage_rate", FormatBasisPoints(r.breakage_rate_bp)}};
  PutMoney(o, "opening_value", r.opening_value_minor, exp);
  PutMoney(o, "closing_value", r.closing_value_minor, exp);
  return o;
}

template <typename T, typename F>
json ArrayOf(const std::vector<T>& v, F to_json) {
  json a = json::array();
  for (const T& x : v) a.push_back(to_json(x));
  return a;
}

// ---------------------------------------------------------------------------------
// Reading. Never throws: every access checks the type first and records the first
// problem with the path of the field.

class Reader {
 public:
  // o[key], or nullptr (recording an error) when o is not an object or lacks key.
  const json* Field(const json& o, const std::string& path, const char* key) {
    if (!o.is_object()) {
      Fail(path, "expected an object");
      return nullptr;
    }
    auto it = o.find(key);
    if (it == o.end()) {
      Fail(Join(path, key), "missing");
      return nullptr;
    }
    return &*it;
  }

  void Get(const json& o, const std::string& path, const char* key, int64_t* out) {
    const json* v = Field(o, path, key);
    if (v == nullptr) return;
    if (v->is_number_unsigned()) {
      uint64_t u = v->get<uint64_t>();
      if (u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        *out = static_cast<int64_t>(u);
        return;
      }
    } else if (v->is_number_integer()) {
      *out = v->get<int64_t>();
      return;
    }
    Fail(Join(path, key), "expected an int64");
  }

  void Get(const json& o, const std::string& path, const char* key, int* out) {
    int64_t v = 0;
    Get(o, path, key, &v);
    if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max()) {
      Fail(Join(path, key), "out of range for int");
      return;
    }
    *out = static_cast<int>(v);
  }

  void Get(const json& o, const std::string& path, const char* key, std::string* out) {
    const json* v = Field(o, path, key);
    if (v == nullptr) return;
    if (!v->is_string()) return Fail(Join(path, key), "expected a string");
    *out = v->get<std::string>();
  }

  void Get(const json& o, const std::string& path, const char* key, bool* out) {
    const json* v = Field(o, path, key);
    if (v == nullptr) return;
    if (!v->is_boolean()) return Fail(Join(path, key), "expected a boolean");
    *out = v->get<bool>();
  }

  // Calls each(element, element_path) for every element of the array o[key].
  template <typename F>
  void ForEach(const json& o, const std::string& path, const char* key, F each) {
    const json* a = Field(o, path, key);
    if (a == nullptr) return;
    if (!a->is_array()) return Fail(Join(path, key), "expected an array");
    for (size_t i = 0; i < a->size(); ++i) {
      each((*a)[i], absl::StrCat(Join(path, key), "[", i, "]"));
    }
  }

  void Fail(const std::string& where, const char* what) {
    if (error_.empty()) error_ = absl::StrCat(where.empty() ? "document" : where, ": ", what);
  }

  absl::Status status() const {
    return error_.empty() ? absl::OkStatus() : absl::InvalidArgumentError(error_);
  }

  static std::string Join(const std::string& path, const char* key) {
    return path.empty() ? std::string(key) : absl::StrCat(path, ".", key);
  }

 private:
  std::string error_;
};

void ReadPeriod(Reader& r, const json& o, const std::string& path, Period* p) {
  const json* v = r.Field(o, path, "period");
  if (v == nullptr) return;
  std::string at = Reader::Join(path, "period");
  r.Get(*v, at, "label", &p->label);
  r.Get(*v, at, "start_micros", &p->start);
  r.Get(*v, at, "end_micros", &p->end);
}

void ReadPointsMap(Reader& r, const json& o, const std::string& path, const char* key,
                   std::map<PartnerId, Points>* m) {
  r.ForEach(o, path, key, [&](const json& e, const std::string& at) {
    PartnerId partner = 0;
    Points points = 0;
    r.Get(e, at, "partner", &partner);
    r.Get(e, at, "points", &points);
    if (!m->emplace(partner, points).second) r.Fail(at, "duplicate partner");
  });
}

void ReadQuantities(Reader& r, const json& o, Quantities* q) {
  const json* v = r.Field(o, "", "quantities");
  if (v == nullptr) return;
  const std::string at = "quantities";
  ReadPointsMap(r, *v, at, "earned", &q->earned);
  ReadPointsMap(r, *v, at, "reversed", &q->reversed);
  ReadPointsMap(r, *v, at, "issued", &q->issued);
  r.ForEach(*v, at, "consumed", [&](const json& e, const std::string& e_at) {
    PartnerId funder = 0, redeemer = 0;
    Points points = 0;
    r.Get(e, e_at, "funder", &funder);
    r.Get(e, e_at, "redeemer", &redeemer);
    r.Get(e, e_at, "points", &points);
    if (!q->consumed.emplace(std::make_pair(funder, redeemer), points).second) {
      r.Fail(e_at, "duplicate (funder, redeemer)");
    }
  });
  ReadPointsMap(r, *v, at, "till", &q->till);
  ReadPointsMap(r, *v, at, "expired", &q->expired);
  ReadPointsMap(r, *v, at, "opening", &q->opening);
  ReadPointsMap(r, *v, at, "closing_from_lots", &q->closing_from_lots);
}

void ReadModel(Reader& r, const json& o, Model* m) {
  std::string name;
  r.Get(o, "", "model", &name);
  if (name == ModelName(Model::kOperator)) {
    *m = Model::kOperator;
  } else if (name == ModelName(Model::kFunderPays)) {
    *m = Model::kFunderPays;
  } else {
    r.Fail("model", "expected \"operator\" or \"funder_pays\"");
  }
}

void ReadSchemaVersion(Reader& r, const json& o) {
  int64_t version = 0;
  r.Get(o, "", "schema_version", &version);
  if (r.status().ok() && version != kSchemaVersion) {
    r.Fail("schema_version", "unsupported version");
  }
}

void ReadSettlementLists(Reader& r, const json& o, Settlement* s) {
  r.ForEach(o, "", "participants", [&](const json& e, const std::string& at) {
    Participant& p = s->participants.emplace_back();
    r.Get(e, at, "id", &p.id);
    r.Get(e, at, "name", &p.name);
  });
  r.ForEach(o, "", "lines", [&](const json& e, const std::string& at) {
    Line& l = s->lines.emplace_back();
    r.Get(e, at, "kind", &l.kind);
    r.Get(e, at, "payer", &l.payer);
    r.Get(e, at, "payee", &l.payee);
    r.Get(e, at, "points", &l.points);
    r.Get(e, at, "price_micros", &l.price_micros);
    r.Get(e, at, "amount_minor", &l.amount_minor);
    r.Get(e, at, "internal", &l.internal);
  });
  r.ForEach(o, "", "positions", [&](const json& e, const std::string& at) {
    NetPosition& p = s->positions.emplace_back();
    r.Get(e, at, "participant", &p.participant);
    r.Get(e, at, "received_minor", &p.received_minor);
    r.Get(e, at, "paid_minor", &p.paid_minor);
    r.Get(e, at, "net_minor", &p.net_minor);
  });
  r.ForEach(o, "", "payments", [&](const json& e, const std::string& at) {
    Payment& p = s->payments.emplace_back();
    r.Get(e, at, "participant", &p.participant);
    r.Get(e, at, "to_hub", &p.to_hub);
    r.Get(e, at, "amount_minor", &p.amount_minor);
  });
  r.ForEach(o, "", "roll_forward", [&](const json& e, const std::string& at) {
    RollForward& f = s->roll_forward.emplace_back();
    r.Get(e, at, "funder", &f.funder);
    r.Get(e, at, "opening", &f.opening);
    r.Get(e, at, "earned", &f.earned);
    r.Get(e, at, "reversed", &f.reversed);
    r.Get(e, at, "consumed", &f.consumed);
    r.Get(e, at, "expired", &f.expired);
    r.Get(e, at, "closing", &f.closing);
    r.Get(e, at, "opening_value_minor", &f.opening_value_minor);
    r.Get(e, at, "closing_value_minor", &f.closing_value_minor);
    r.Get(e, at, "breakage_rate_bp", &f.breakage_rate_bp);
  });
}

// Parses `text` into *out, or returns why not. Never throws.
absl::Status Parse(const std::string& text, json* out) {
  if (text.size() > kMaxJsonDocumentBytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "JSON document of ", text.size(), " bytes exceeds the limit of ", kMaxJsonDocumentBytes));
  }
  *out = json::parse(text, /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (out->is_discarded()) return absl::InvalidArgumentError("document: not valid JSON");
  if (!out->is_object()) return absl::InvalidArgumentError("document: expected an object");
  return absl::OkStatus();
}

absl::StatusOr<Settlement> SettlementFromJsonImpl(const std::string& text) {
  json o;
  absl::Status parsed = Parse(text, &o);
  if (!parsed.ok()) return parsed;
  Reader r;
  ReadSchemaVersion(r, o);
  Settlement s;
  r.Get(o, "", "run_id", &s.run_id);
  r.Get(o, "", "status", &s.status);
  ReadPeriod(r, o, "", &s.period);
  ReadModel(r, o, &s.model);
  r.Get(o, "", "currency", &s.currency);
  r.Get(o, "", "currency_exponent", &s.currency_exponent);
  if (s.currency_exponent < 0 || s.currency_exponent > kMaxFormatExponent) {
    r.Fail("currency_exponent", "out of range [0, 18]");
  }
  r.Get(o, "", "point_value_micros", &s.point_value_micros);
  ReadQuantities(r, o, &s.quantities);
  ReadSettlementLists(r, o, &s);
  r.Get(o, "", "gross_total_minor", &s.gross_total_minor);
  r.Get(o, "", "net_total_minor", &s.net_total_minor);
  r.Get(o, "", "checksum", &s.checksum);
  r.Get(o, "", "created_at_micros", &s.created_at);
  r.Get(o, "", "finalized_at_micros", &s.finalized_at);
  if (!r.status().ok()) return r.status();
  return s;
}

absl::StatusOr<Reconciliation> ReconciliationFromJsonImpl(const std::string& text) {
  json o;
  absl::Status parsed = Parse(text, &o);
  if (!parsed.ok()) return parsed;
  Reader r;
  ReadSchemaVersion(r, o);
  Reconciliation rec;
  r.Get(o, "", "partner", &rec.partner);
  r.Get(o, "", "partner_name", &rec.partner_name);
  ReadPeriod(r, o, "", &rec.period);
  r.Get(o, "", "file", &rec.file);
  r.ForEach(o, "", "items", [&](const json& e, const std::string& at) {
    ReconItem& item = rec.items.emplace_back();
    r.Get(e, at, "partner_txn_id", &item.partner_txn_id);
    r.Get(e, at, "status", &item.status);
    r.ForEach(e, at, "mismatched_fields", [&](const json& f, const std::string& f_at) {
      if (!f.is_string()) return r.Fail(f_at, "expected a string");
      item.mismatched_fields.push_back(f.get<std::string>());
    });
    r.Get(e, at, "line", &item.line);
    r.Get(e, at, "hub_txn_id", &item.hub_txn_id);
    r.Get(e, at, "detail", &item.detail);
  });
  r.ForEach(o, "", "bad_rows", [&](const json& e, const std::string& at) {
    ReconBadRow& row = rec.bad_rows.emplace_back();
    r.Get(e, at, "line", &row.line);
    r.Get(e, at, "reason", &row.reason);
  });
  r.Get(o, "", "matched", &rec.matched);
  r.Get(o, "", "missing_at_hub", &rec.missing_at_hub);
  r.Get(o, "", "missing_at_partner", &rec.missing_at_partner);
  r.Get(o, "", "mismatched", &rec.mismatched);
  if (!r.status().ok()) return r.status();
  return rec;
}

}  // namespace

std::string SettlementToJson(const Settlement& s) {
  const int exp = s.currency_exponent;
  json o = {{"schema_version", kSchemaVersion},
            {"run_id", s.run_id},
            {"status", s.status},
            {"period", PeriodJson(s.period)},
            {"model", ModelName(s.model)},
            {"currency", s.currency},
            {"currency_exponent", exp},
            {"point_value_micros", s.point_value_micros},
            {"checksum", s.checksum}};
  o["participants"] = ArrayOf(s.participants, [](const Participant& p) {
    return json{{"id", p.id}, {"name", p.name}};
  });
  o["quantities"] = QuantitiesJson(s.quantities);
  o["lines"] = ArrayOf(s.lines, [exp](const Line& l) { return LineJson(l, exp); });
  o["positions"] =
      ArrayOf(s.positions, [exp](const NetPosition& p) { return PositionJson(p, exp); });
  o["payments"] = ArrayOf(s.payments, [exp](const Payment& p) { return PaymentJson(p, exp); });
  o["roll_forward"] =
      ArrayOf(s.roll_forward, [exp](const RollForward& r) { return RollForwardJson(r, exp); });
  PutMoney(o, "gross_total", s.gross_total_minor, exp);
  PutMoney(o, "net_total", s.net_total_minor, exp);
  PutMoney(o, "netting_saved", NettingSavedMinor(s), exp);
  PutTime(o, "created_at", s.created_at);
  PutTime(o, "finalized_at", s.finalized_at, /*unset_when_zero=*/true);
  return Dump(o);
}

std::string ReconciliationToJson(const Reconciliation& r) {
  json o = {{"schema_version", kSchemaVersion},
            {"partner", r.partner},
            {"partner_name", r.partner_name},
            {"period", PeriodJson(r.period)},
            {"file", r.file},
            {"matched", r.matched},
            {"missing_at_hub", r.missing_at_hub},
            {"missing_at_partner", r.missing_at_partner},
            {"mismatched", r.mismatched}};
  o["items"] = ArrayOf(r.items, [](const ReconItem& i) {
    return json{{"partner_txn_id", i.partner_txn_id},
                {"status", i.status},
                {"mismatched_fields", i.mismatched_fields},
                {"line", i.line},
                {"hub_txn_id", i.hub_txn_id},
                {"detail", i.detail}};
  });
  o["bad_rows"] = ArrayOf(r.bad_rows, [](const ReconBadRow& b) {
    return json{{"line", b.line}, {"reason", b.reason}};
  });
  return Dump(o);
}

// nlohmann::json reports allocation failure (and nothing else, given the checks above)
// by exception; it stops here rather than crossing the module boundary.
absl::StatusOr<Settlement> SettlementFromJson(const std::string& json_text) {
  try {
    return SettlementFromJsonImpl(json_text);
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("SettlementFromJson: ", e.what()));
  }
}

absl::StatusOr<Reconciliation> ReconciliationFromJson(const std::string& json_text) {
  try {
    return ReconciliationFromJsonImpl(json_text);
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("ReconciliationFromJson: ", e.what()));
  }
}

}  // namespace loyalty::settlement
