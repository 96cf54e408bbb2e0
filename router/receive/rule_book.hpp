#pragma once
// The site rules in force (issue 5) and what they say for one instance. The rule set is swapped
// whole on reload (SIGHUP, `accessioner reload`): each instance reads the set once, so an
// association in flight simply gets the new rules for its next instance.
#include <atomic>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "config/config.hpp"
#include "dicom/data/data_set.hpp"
#include "rules/rule_set.hpp"

namespace acc::router {

// Loads the files of `config.rules` (globs relative to the configuration file's directory),
// checking routes against the configured destinations.
[[nodiscard]] std::variant<rules::RuleSet, std::vector<rules::RuleError>> load_rule_set(
    const config::RouterConfig& config);

// What the rules decided for one instance.
struct InstancePlan {
  rules::RuleOutcome outcome;
  std::vector<std::string> destinations;  // the route, or every configured destination
};

class RuleBook {
 public:
  RuleBook(std::shared_ptr<const rules::RuleSet> rules, std::vector<std::string> all_destinations);

  [[nodiscard]] std::shared_ptr<const rules::RuleSet> current() const { return rules_.load(); }
  void replace(std::shared_ptr<const rules::RuleSet> rules) { rules_.store(std::move(rules)); }

  // Evaluates the rules in force on the instance as parsed (incoming values).
  [[nodiscard]] InstancePlan plan(const dicom::data::DataSet& ds, const std::string& calling_ae,
                                  const std::string& peer_address) const;
  [[nodiscard]] const std::vector<std::string>& all_destinations() const {
    return all_destinations_;
  }

 private:
  std::atomic<std::shared_ptr<const rules::RuleSet>> rules_;
  std::vector<std::string> all_destinations_;
};

}  // namespace acc::router
