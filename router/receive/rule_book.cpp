#include "router/receive/rule_book.hpp"

#include <filesystem>
#include <set>

namespace acc::router {

std::variant<rules::RuleSet, std::vector<rules::RuleError>> load_rule_set(
    const config::RouterConfig& config) {
  if (config.rules.files.empty()) {
    return rules::RuleSet();
  }
  std::set<std::string> names;
  for (const auto& d : config.destinations) {
    names.insert(d.name);
  }
  // Relative rule paths follow the configuration file, wherever the process was started from.
  std::filesystem::path base = std::filesystem::path(config.source).parent_path();
  if (base.empty()) {
    base = ".";
  }
  return rules::RuleSet::load(config.rules.files, base, names);
}

RuleBook::RuleBook(std::shared_ptr<const rules::RuleSet> rules,
                   std::vector<std::string> all_destinations)
    : rules_(std::move(rules)), all_destinations_(std::move(all_destinations)) {}

InstancePlan RuleBook::plan(const dicom::data::DataSet& ds, const std::string& calling_ae,
                            const std::string& peer_address) const {
  const auto rules = current();
  InstancePlan plan;
  if (rules->rules().empty()) {
    plan.destinations = all_destinations_;  // most sites: no rules, nothing to look up
    return plan;
  }
  const auto summary = ds.summary();
  rules::RuleSubject subject;
  subject.calling_ae = calling_ae;
  subject.peer_address = peer_address;
  subject.modality = summary.modality;
  subject.sop_class_uid = summary.sop_class_uid;
  subject.attribute = [&ds](dicom::data::Tag t) { return ds.find_text(t.group, t.element); };
  plan.outcome = rules->evaluate(subject);
  plan.destinations = plan.outcome.route ? *plan.outcome.route : all_destinations_;
  return plan;
}

}  // namespace acc::router
