#include "router/cli/rules_commands.hpp"

#include <fstream>
#include <iostream>
#include <iterator>
#include <variant>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dicom/data/data_set.hpp"
#include "dicom/data/dictionary.hpp"
#include "dicom/data/part10.hpp"
#include "dicom/data/sop_classes.hpp"
#include "router/cli/admin_request.hpp"
#include "router/receive/rule_book.hpp"

namespace acc::router {

using nlohmann::json;

namespace {

std::optional<rules::RuleSet> load_or_print(const config::RouterConfig& config) {
  auto loaded = load_rule_set(config);
  if (auto* errors = std::get_if<std::vector<rules::RuleError>>(&loaded)) {
    for (const auto& e : *errors) {
      std::cerr << e.to_string() << "\n";
    }
    return std::nullopt;
  }
  return std::move(std::get<rules::RuleSet>(loaded));
}

std::string shown(const std::optional<std::string>& v) {
  if (!v) {
    return "(absent)";
  }
  std::string out = "\"";
  out += *v;
  out += '"';
  return out;
}

// Where each matching parameter comes from: the rule that set it, or the configuration.
struct Parameter {
  const char* key;
  std::string value;
  bool from_rule;
};

std::vector<Parameter> matching_parameters(const config::MatchingConfig& m,
                                           const rules::MatchingOverrides& o) {
  return {
      {"date_window_days", std::to_string(o.date_window_days.value_or(m.date_window_days)),
       o.date_window_days.has_value()},
      {"existing_accession",
       std::string(enum_name(o.existing_accession.value_or(m.existing_accession))),
       o.existing_accession.has_value()},
      {"on_unmatched", std::string(enum_name(o.on_unmatched.value_or(m.on_unmatched))),
       o.on_unmatched.has_value()},
      {"on_ambiguous", std::string(enum_name(o.on_ambiguous.value_or(m.on_ambiguous))),
       o.on_ambiguous.has_value()},
  };
}

const rules::Rule* find_rule(const rules::RuleSet& set, const std::string& name) {
  for (const auto& r : set.rules()) {
    if (r.name == name) {
      return &r;
    }
  }
  return nullptr;
}

}  // namespace

bool check_rules(const config::RouterConfig& config) {
  return load_or_print(config).has_value();
}

int rules_test(const config::RouterConfig& config, const RulesTestOptions& options) {
  auto set = load_or_print(config);
  if (!set) {
    return 1;
  }
  std::ifstream in(options.file, std::ios::binary);
  if (!in) {
    std::cerr << options.file << ": cannot read file\n";
    return 1;
  }
  const std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(in),
                                   std::istreambuf_iterator<char>()};
  auto view = dicom::data::split_part10(bytes);
  if (!view) {
    std::cerr << options.file << ": not a DICOM Part-10 file: " << view.error().message() << "\n";
    return 1;
  }
  auto parsed = dicom::data::DataSet::parse(view->data_set, view->meta.transfer_syntax_uid);
  if (!parsed) {
    std::cerr << options.file << ": unparsable: " << parsed.error().message() << "\n";
    return 1;
  }
  std::vector<std::string> all;
  for (const auto& d : config.destinations) {
    all.push_back(d.name);
  }
  RuleBook book(std::make_shared<const rules::RuleSet>(std::move(*set)), all);
  const auto& current = *book.current();
  const InstancePlan plan = book.plan(*parsed, options.calling_ae, options.source);
  const auto& o = plan.outcome;
  const auto params = matching_parameters(config.matching, o.matching);
  const bool stamping = config.worklist.enabled && o.stamp;

  if (options.json) {
    json j;
    j["file"] = options.file;
    j["sop_class"] = dicom::data::uid_name(parsed->summary().sop_class_uid);
    j["calling_ae"] = options.calling_ae;
    j["source"] = options.source;
    j["rules_loaded"] = current.rules().size();
    j["matched"] = json::array();
    for (const auto& name : o.matched) {
      const rules::Rule* r = find_rule(current, name);
      j["matched"].push_back(
          {{"name", name}, {"file", r ? r->file : ""}, {"line", r ? r->line : 0}});
    }
    j["changes"] = json::array();
    for (const auto& c : o.changes) {
      j["changes"].push_back({{"tag", dicom::data::tag_text(c.tag)},
                              {"keyword", dicom::data::tag_keyword(c.tag)},
                              {"before", c.before ? json(*c.before) : json(nullptr)},
                              {"after", c.after ? json(*c.after) : json(nullptr)},
                              {"rule", c.rule}});
    }
    j["stamp"] = stamping;
    j["matching"] = json::object();
    for (const auto& p : params) {
      j["matching"][p.key] = {{"value", p.value}, {"from_rule", p.from_rule}};
    }
    j["destinations"] = plan.destinations;
    std::cout << j.dump(2) << "\n";
    return 0;
  }

  fmt::print("{}: {}, calling AE '{}', source {}\n", options.file,
             dicom::data::uid_name(parsed->summary().sop_class_uid), options.calling_ae,
             options.source.empty() ? "(none)" : options.source);
  fmt::print("{} rule(s) loaded from {} file(s)\n", current.rules().size(), current.files().size());
  if (o.matched.empty()) {
    fmt::print("matching rules: none (defaults apply)\n");
  } else {
    fmt::print("matching rules:\n");
    for (const auto& name : o.matched) {
      const rules::Rule* r = find_rule(current, name);
      fmt::print("  '{}' ({}:{})\n", name, r ? r->file : "?", r ? r->line : 0);
    }
  }
  if (o.changes.empty()) {
    fmt::print("attribute changes: none\n");
  } else {
    fmt::print("attribute changes:\n");
    for (const auto& c : o.changes) {
      fmt::print("  {} {}: {} -> {}  (rule '{}')\n", dicom::data::tag_text(c.tag),
                 dicom::data::tag_keyword(c.tag), shown(c.before),
                 c.after ? shown(c.after) : std::string("(removed)"), c.rule);
    }
  }
  if (!config.worklist.enabled) {
    fmt::print("stamping: off (no [worklist] configured)\n");
  } else {
    fmt::print("stamping: {}\n", o.stamp ? "on" : "off (stamp = false)");
  }
  fmt::print("matching:");
  for (const auto& p : params) {
    fmt::print(" {} = {}{}", p.key, p.value, p.from_rule ? " (rule)" : "");
  }
  fmt::print("\n");
  std::string destinations;
  for (const auto& d : plan.destinations) {
    if (!destinations.empty()) {
      destinations += ", ";
    }
    destinations += d;
  }
  fmt::print("destinations: {}\n", destinations.empty() ? "(none)" : destinations);
  fmt::print("nothing was sent or stored\n");
  return 0;
}

int reload(const config::RouterConfig& config) {
  const auto reply =
      server_request(config, {{"op", "reload"}}, "reload acts on the running server");
  if (!reply) {
    return 1;
  }
  if (!reply->value("ok", false)) {
    std::cerr << reply->value("error", std::string("reload failed"))
              << "reload refused: the rules in force stay\n";
    return 1;
  }
  fmt::print("rules reloaded: {} rule(s) from {} file(s)\n", reply->value("rules", 0),
             reply->value("files", 0));
  return 0;
}

}  // namespace acc::router
