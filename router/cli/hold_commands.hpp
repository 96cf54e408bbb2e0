#pragma once
// `accessioner hold ...`: studies held for a person's decision. Needs the running server.
#include <string>

#include "config/config.hpp"

namespace acc::router {

int hold_list(const config::RouterConfig& config, bool json);
// What a person says with `hold assign` / `hold release` (see ManualDecision in the server).
struct HoldChoice {
  std::string study;
  std::string patient;  // --patient: which patient's held instances of the study
  std::string accession;
  bool correct_patient = false;  // --correct-patient
  bool force = false;            // --force
  std::string reason;            // --reason
};

int hold_assign(const config::RouterConfig& config, const HoldChoice& choice);
int hold_release(const config::RouterConfig& config, const HoldChoice& choice);

}  // namespace acc::router
