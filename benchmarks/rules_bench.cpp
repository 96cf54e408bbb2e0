// Issue-5 figures: what site rules add to the receive path. Rule evaluation per instance for 1, 100
// and 1,000 rules (through RuleBook::plan on a DCMTK-parsed instance, and raw RuleSet::evaluate
// with a cheap attribute function to separate the look-up cost), against the DCMTK parse every
// instance pays anyway; apply_rules with one `set` (coercion + re-parse) against pass-through; and
// the load time of a 1,000-rule file (reload on SIGHUP). Inputs are built in memory.
#include <benchmark/benchmark.h>

#include <time.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcostrmb.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcxfer.h>

#include "benchmarks/synthetic_ct.hpp"
#include "dicom/data/data_set.hpp"
#include "dicom/data/dictionary.hpp"
#include "dicom/dimse/command.hpp"
#include "dicom/net/association.hpp"
#include "router/receive/prepare_instance.hpp"
#include "router/receive/rule_book.hpp"
#include "rules/rule_set.hpp"

namespace {

using acc::dicom::data::Tag;
using acc::rules::RuleSet;

using acc::bench::kExplicitLe;
// The sending modality: matched by the rules that match, refused by the others.
constexpr const char* kCallingAe = "CT_ED1";
constexpr const char* kPeer = "10.20.30.40";
constexpr int64_t kNowMs = 1'795'430'100'000;  // fixed, so every iteration stamps the same time
const std::set<std::string> kDestinations = {"pacs", "research", "archive"};
const std::vector<std::string> kAllDestinations = {"pacs", "research", "archive"};

struct Instance {
  std::string sop_class_uid;
  std::string sop_instance_uid;
  std::vector<uint8_t> data_set;
};

// A 512x512x16-bit CT slice (525 KB), Explicit VR LE, with the descriptive attributes rules look
// at (station, institution, study description, body part, protocol).
Instance make_ct() {
  DcmDataset ds;
  char uid[100];
  Instance out;
  out.sop_class_uid = UID_CTImageStorage;
  out.sop_instance_uid = dcmGenerateUniqueIdentifier(uid, SITE_INSTANCE_UID_ROOT);
  ds.putAndInsertString(DCM_SpecificCharacterSet, "ISO_IR 100");
  ds.putAndInsertString(DCM_SOPClassUID, out.sop_class_uid.c_str());
  ds.putAndInsertString(DCM_SOPInstanceUID, out.sop_instance_uid.c_str());
  ds.putAndInsertString(DCM_StudyDate, "20261123");
  ds.putAndInsertString(DCM_StudyTime, "101500");
  ds.putAndInsertString(DCM_AccessionNumber, "");
  ds.putAndInsertString(DCM_Modality, "CT");
  ds.putAndInsertString(DCM_InstitutionName, "General Hospital");
  ds.putAndInsertString(DCM_ReferringPhysicianName, "Ref^Doctor");
  ds.putAndInsertString(DCM_StationName, "CTED1");
  ds.putAndInsertString(DCM_StudyDescription, "CT CHEST WITH CONTRAST");
  ds.putAndInsertString(DCM_PatientName, "Bench^Patient");
  ds.putAndInsertString(DCM_PatientID, "PAT-0001");
  ds.putAndInsertString(DCM_BodyPartExamined, "CHEST");
  ds.putAndInsertString(DCM_ProtocolName, "Chest routine 2.0");
  ds.putAndInsertString(DCM_StudyInstanceUID,
                        dcmGenerateUniqueIdentifier(uid, SITE_STUDY_UID_ROOT));
  ds.putAndInsertString(DCM_SeriesInstanceUID,
                        dcmGenerateUniqueIdentifier(uid, SITE_SERIES_UID_ROOT));
  acc::bench::put_ct_pixels(ds, 512, 512, 1);
  out.data_set = acc::bench::encode_explicit_le(ds);
  return out;
}

const Instance& ct() {
  static const Instance kInstance = make_ct();
  return kInstance;
}

// ---- Rule files ---------------------------------------------------------------------------------

const char* const kTagKeys[] = {"StationName", "InstitutionName", "StudyDescription",
                                "BodyPartExamined", "ProtocolName"};
// Regexes that are searched in the value and do not match it.
const char* const kMissRegexes[] = {"re:^WARD[0-9]+$", "re:^[Ss][Tt]\\.? [Mm]ary",
                                    "re:^(MR|PET) .*BRAIN", "re:^(HEAD|NECK)_[0-9]+$",
                                    "re:[Pp]ediatric|PAED"};

void append_quoted(std::string& out, const std::string& text) {
  out += '"';
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  out += '"';
}

void append_list(std::string& out, const std::vector<std::string>& items) {
  out += '[';
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) {
      out += ", ";
    }
    append_quoted(out, items[i]);
  }
  out += ']';
}

// A rule the instance does not match. Every rule has all four kinds of condition and a full set
// of actions; which condition refuses the instance rotates, as on a site where most rules are for
// other modalities, other networks, other modality types or other stations:
//   i % 4 == 0  calling AE (first check; nothing else is read)
//   i % 4 == 1  source network
//   i % 4 == 2  modality
//   i % 4 == 3  the tag condition (the only one that reads an attribute): a "re:" regex on odd
//               quarters, a wildcard on even ones.
void append_miss(std::string& out, std::size_t i, bool regex) {
  const std::size_t kind = i % 4;
  const std::string n = std::to_string(i);
  out += "[[rule]]\nname = ";
  std::string name = "site-rule-";
  name += n;
  append_quoted(out, name);
  out += "\n[rule.when]\ncalling_ae = ";
  if (kind == 0) {
    std::string ward = "US_WARD";
    ward += n;
    ward += '*';
    append_list(out, {"MR_*", "XA??", ward});
  } else {
    append_list(out, {"CT_*", "PET?*", "DX_*"});
  }
  out += "\nsource = ";
  std::string lan = "192.168.";
  lan += std::to_string(i % 250);
  lan += ".0/24";
  if (kind == 1) {
    append_list(out, {lan, "172.16.0.0/12", "fd00:10::/32"});
  } else {
    append_list(out, {"10.20.0.0/16", lan, "fd00:10::/32"});
  }
  out += "\nmodality = ";
  if (kind == 2) {
    append_list(out, {"MR", "PT", "NM"});
  } else {
    append_list(out, {"CT", "PT"});
  }
  const std::size_t t = (i / 4) % 5;
  out += "\ntags.";
  out += kTagKeys[t];
  out += " = ";
  if (kind == 3 && (i / 4) % 2 == 1 && regex) {
    append_quoted(out, kMissRegexes[t]);
  } else {
    std::string wildcard = "*SITE";
    wildcard += n;
    wildcard += "?*";
    append_quoted(out, wildcard);
  }
  out += "\n[rule.then]\nroute = ";
  append_list(out, i % 2 == 0 ? std::vector<std::string>{"research"}
                              : std::vector<std::string>{"pacs", "archive"});
  out += "\nstamp = ";
  out += i % 3 == 0 ? "false" : "true";
  out += "\nset.InstitutionName = ";
  std::string institution = "Site ";
  institution += n;
  institution += " (${StationName})";
  append_quoted(out, institution);
  out += "\nmatching.on_unmatched = \"hold\"\nmatching.date_window_days = 3\n\n";
}

// A rule the instance matches: wildcard AE list, CIDR list, modality and a regex on the station.
// `set` adds one attribute change whose value comes from a ${} template.
void append_hit(std::string& out, const std::string& name, bool route, bool set) {
  out += "[[rule]]\nname = ";
  append_quoted(out, name);
  out += "\n[rule.when]\ncalling_ae = [\"CT_*\", \"CT?ED*\"]\n";
  out += "source = [\"10.20.0.0/16\", \"fd00:10::/32\"]\nmodality = \"CT\"\n";
  out += "tags.StationName = \"re:^CTED[0-9]$\"\n[rule.then]\n";
  if (route) {
    out += "route = [\"pacs\", \"archive\"]\nstamp = true\n";
  }
  if (set) {
    out += "set.InstitutionName = \"General Hospital (${StationName})\"\n";
    out += "matching.existing_accession = \"verify\"\n";
  }
  out += '\n';
}

enum class Hits {
  Typical,         // rule 0 routes, rule n/2 sets one attribute: matches one or two rules
  Last,            // only the last rule matches (route and set)
  TypicalNoRegex,  // Typical with the "re:" conditions of the other rules made wildcards
};

std::string make_rules_toml(std::size_t n, Hits hits) {
  const bool typical = hits != Hits::Last;
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    if (typical && i == 0) {
      append_hit(out, "ct-ed-route", true, n == 1);
    } else if (typical && i == n / 2) {
      append_hit(out, "ct-ed-institution", false, true);
    } else if (hits == Hits::Last && i + 1 == n) {
      append_hit(out, "ct-ed-last", true, true);
    } else {
      append_miss(out, i, hits != Hits::TypicalNoRegex);
    }
  }
  return out;
}

RuleSet parse_rules(const std::string& toml) {
  auto result = RuleSet::parse(toml, "bench.toml", kDestinations);
  if (auto* errors = std::get_if<std::vector<acc::rules::RuleError>>(&result)) {
    for (const auto& e : *errors) {
      std::fprintf(stderr, "%s\n", e.to_string().c_str());
    }
    std::abort();
  }
  return std::get<RuleSet>(std::move(result));
}

std::shared_ptr<const RuleSet> rules_for(std::size_t n, Hits hits) {
  return std::make_shared<const RuleSet>(parse_rules(make_rules_toml(n, hits)));
}

acc::dicom::data::DataSet parsed_ct() {
  auto parsed = acc::dicom::data::DataSet::parse(ct().data_set, kExplicitLe);
  if (!parsed) {
    std::fprintf(stderr, "parse failed: %s\n", parsed.error().detail.c_str());
    std::abort();
  }
  return std::move(*parsed);
}

// The instance must match exactly the rules the variant says, and get one change.
void check_outcome(benchmark::State& state, const acc::rules::RuleOutcome& out, std::size_t n,
                   Hits hits) {
  const std::size_t expected = hits != Hits::Last && n > 1 ? 2 : 1;
  if (out.matched.size() != expected || out.changes.size() != 1 || !out.route) {
    state.SkipWithError("unexpected rule outcome");
  }
}

// ---- 1. Evaluation ------------------------------------------------------------------------------

// RuleBook::plan on the parsed instance: attribute look-ups go to DCMTK (DataSet::find_text),
// plus the summary() plan takes for modality and SOP class.
void plan(benchmark::State& state, Hits hits) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const acc::router::RuleBook book(n == 0 ? std::make_shared<const RuleSet>() : rules_for(n, hits),
                                   kAllDestinations);
  const auto ds = parsed_ct();
  if (n > 0) {
    check_outcome(state, book.plan(ds, kCallingAe, kPeer).outcome, n, hits);
  }
  for (auto _ : state) {
    auto p = book.plan(ds, kCallingAe, kPeer);
    benchmark::DoNotOptimize(p.destinations.data());
  }
  state.counters["rules"] = static_cast<double>(n);
}

// The instance's attributes copied once into a small vector: evaluate() without DCMTK.
struct CheapAttributes {
  std::vector<std::pair<Tag, std::string>> values;
  mutable uint64_t lookups = 0;
  std::optional<std::string> operator()(Tag tag) const {
    ++lookups;
    for (const auto& [t, v] : values) {
      if (t == tag) {
        return v;
      }
    }
    return std::nullopt;
  }
};

void evaluate(benchmark::State& state, Hits hits) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto rules = rules_for(n, hits);
  const auto ds = parsed_ct();
  const auto summary = ds.summary();
  auto attributes = std::make_shared<CheapAttributes>();
  for (const char* key : kTagKeys) {
    const Tag tag = *acc::dicom::data::tag_from_text(key);
    attributes->values.emplace_back(tag, ds.find_text(tag.group, tag.element).value_or(""));
  }
  acc::rules::RuleSubject subject;
  subject.calling_ae = kCallingAe;
  subject.peer_address = kPeer;
  subject.modality = summary.modality;
  subject.sop_class_uid = summary.sop_class_uid;
  subject.attribute = [attributes](Tag t) { return (*attributes)(t); };
  check_outcome(state, rules->evaluate(subject), n, hits);
  attributes->lookups = 0;
  for (auto _ : state) {
    auto out = rules->evaluate(subject);
    benchmark::DoNotOptimize(out.changes.data());
  }
  state.counters["rules"] = static_cast<double>(n);
  state.counters["lookups_per_eval"] =
      static_cast<double>(attributes->lookups) / static_cast<double>(state.iterations());
}

void BM_Plan(benchmark::State& state) {
  plan(state, Hits::Typical);
}
void BM_Plan_LastMatches(benchmark::State& state) {
  plan(state, Hits::Last);
}
void BM_Evaluate(benchmark::State& state) {
  evaluate(state, Hits::Typical);
}
void BM_Evaluate_LastMatches(benchmark::State& state) {
  evaluate(state, Hits::Last);
}
BENCHMARK(BM_Plan)->Arg(0)->Arg(1)->Arg(100)->Arg(1'000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Plan_LastMatches)->Arg(1'000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Evaluate)->Arg(1)->Arg(100)->Arg(1'000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Evaluate_LastMatches)->Arg(1'000)->Unit(benchmark::kMicrosecond);

// What the 125 "re:" conditions of the 1,000 rules cost: the same rules with wildcards instead.
void BM_Evaluate_NoRegex(benchmark::State& state) {
  evaluate(state, Hits::TypicalNoRegex);
}
BENCHMARK(BM_Evaluate_NoRegex)->Arg(1'000)->Unit(benchmark::kMicrosecond);

// ---- 2. The peer: what the receive path pays anyway ---------------------------------------------

// DCMTK parse of the 525 KB CT data set (prepare_instance's DataSet::parse).
void BM_ParseCT512(benchmark::State& state) {
  for (auto _ : state) {
    auto parsed = acc::dicom::data::DataSet::parse(ct().data_set, kExplicitLe);
    if (!parsed) {
      state.SkipWithError(parsed.error().detail.c_str());
      return;
    }
    benchmark::DoNotOptimize(&*parsed);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * ct().data_set.size()));
  state.counters["instance_bytes"] = static_cast<double>(ct().data_set.size());
}
BENCHMARK(BM_ParseCT512)->Unit(benchmark::kMicrosecond);

// One rule that matches. RouteOnly changes nothing (apply_rules: plan, drop the data set);
// OneSet changes InstitutionName (plan, coerce_attributes with its audit item, re-parse,
// make_part10).
enum class Apply : int64_t { NoRules = 0, RouteOnly = 1, OneSet = 2, Rules1000 = 3 };

std::shared_ptr<const RuleSet> apply_rules_for(Apply kind) {
  switch (kind) {
    case Apply::NoRules:
      return std::make_shared<const RuleSet>();
    case Apply::RouteOnly: {
      std::string toml;
      append_hit(toml, "ct-ed-route", true, false);
      return std::make_shared<const RuleSet>(parse_rules(toml));
    }
    case Apply::OneSet: {
      std::string toml;
      append_hit(toml, "ct-ed-institution", false, true);
      return std::make_shared<const RuleSet>(parse_rules(toml));
    }
    case Apply::Rules1000:
      return rules_for(1'000, Hits::Typical);
  }
  return nullptr;
}

const char* apply_label(Apply kind) {
  switch (kind) {
    case Apply::NoRules:
      return "no rules";
    case Apply::RouteOnly:
      return "1 rule, route only";
    case Apply::OneSet:
      return "1 rule, one set";
    case Apply::Rules1000:
      return "1000 rules, route + one set";
  }
  return "";
}

acc::router::PreparedInstance prepare(const acc::dicom::dimse::Command& rq,
                                      const acc::dicom::net::AcceptedContext& context) {
  auto p = acc::router::prepare_instance(rq, context, ct().data_set);
  p.record.calling_ae = kCallingAe;
  p.record.called_ae = "ACCESSIONER";
  p.record.peer_address = kPeer;
  p.record.received_at_ms = kNowMs;
  return p;
}

struct StoreRequest {
  acc::dicom::dimse::Command rq;
  acc::dicom::net::AcceptedContext context;
};

StoreRequest store_request() {
  StoreRequest s;
  s.rq.CommandField = acc::dicom::dimse::CommandField::CStoreRq;
  s.rq.AffectedSOPClassUID = ct().sop_class_uid;
  s.rq.AffectedSOPInstanceUID = ct().sop_instance_uid;
  s.rq.MessageID = 1;
  s.context = {1, ct().sop_class_uid, kExplicitLe};
  return s;
}

bool check_applied(benchmark::State& state, const acc::router::PreparedInstance& p, Apply kind) {
  const std::size_t changes = kind == Apply::OneSet || kind == Apply::Rules1000 ? 1 : 0;
  if (p.status != 0 || p.rules.changes.size() != changes) {
    state.SkipWithError(p.status != 0 ? p.error_comment.c_str() : "unexpected change count");
    return false;
  }
  return true;
}

// The receive path's work-pool step as StorageScp::handle_store runs it, without stamping:
// prepare_instance (parse, checks, Part 10) + apply_rules.
void BM_Receive(benchmark::State& state) {
  const auto kind = static_cast<Apply>(state.range(0));
  const acc::router::RuleBook book(apply_rules_for(kind), kAllDestinations);
  const auto s = store_request();
  {
    auto p = prepare(s.rq, s.context);
    acc::router::apply_rules(p, book, "ACCESSIONER", kNowMs);
    if (!check_applied(state, p, kind)) {
      return;
    }
  }
  for (auto _ : state) {
    auto p = prepare(s.rq, s.context);
    acc::router::apply_rules(p, book, "ACCESSIONER", kNowMs);
    benchmark::DoNotOptimize(p.part10.data());
  }
  state.SetLabel(apply_label(kind));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * ct().data_set.size()));
}
BENCHMARK(BM_Receive)->DenseRange(0, 3)->Unit(benchmark::kMicrosecond);

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// apply_rules alone, timed by hand around the call (UseManualTime) with this thread's CPU clock:
// prepare_instance and freeing the instance stay outside the figure, and so does time the thread
// spends preempted by other work on the shared cores (wall time is in BM_Receive).
void BM_ApplyRules(benchmark::State& state) {
  const auto kind = static_cast<Apply>(state.range(0));
  const acc::router::RuleBook book(apply_rules_for(kind), kAllDestinations);
  const auto s = store_request();
  {
    auto p = prepare(s.rq, s.context);
    acc::router::apply_rules(p, book, "ACCESSIONER", kNowMs);
    if (!check_applied(state, p, kind)) {
      return;
    }
  }
  for (auto _ : state) {
    auto p = prepare(s.rq, s.context);
    const double start = thread_cpu_seconds();
    acc::router::apply_rules(p, book, "ACCESSIONER", kNowMs);
    const double stop = thread_cpu_seconds();
    benchmark::DoNotOptimize(p.part10.data());
    state.SetIterationTime(stop - start);
  }
  state.SetLabel(apply_label(kind));
}
BENCHMARK(BM_ApplyRules)->DenseRange(0, 3)->UseManualTime()->Unit(benchmark::kMicrosecond);

// ---- 3. Loading (start-up, SIGHUP reload) -------------------------------------------------------

void BM_LoadRules(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::string toml = make_rules_toml(n, Hits::Typical);
  for (auto _ : state) {
    auto result = RuleSet::parse(toml, "bench.toml", kDestinations);
    if (!std::holds_alternative<RuleSet>(result)) {
      state.SkipWithError("rule file refused");
      return;
    }
    benchmark::DoNotOptimize(&result);
  }
  state.counters["rules"] = static_cast<double>(n);
  state.counters["toml_bytes"] = static_cast<double>(toml.size());
}
BENCHMARK(BM_LoadRules)->Arg(100)->Arg(1'000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
