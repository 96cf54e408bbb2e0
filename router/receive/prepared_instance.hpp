#pragma once
// One received data set on its way from the network to the durable commit: what the checks,
// the site rules and the receive filters (stamping) decided, and the bytes to store.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dicom/data/data_set.hpp"
#include "queue/instance_store.hpp"
#include "rules/rule_set.hpp"
#include "rules/worklist_match.hpp"

namespace acc::router {

struct PreparedInstance {
  uint16_t status = 0;        // DIMSE status to answer if not committed (0 = commit it)
  std::string error_comment;  // (0000,0902) for failures
  queue::InstanceRecord record;
  std::vector<uint8_t> part10;
  rules::InstanceAttributes attributes;          // for worklist matching
  std::string existing_accession;                // (0008,0050) as received
  std::optional<dicom::data::DataSet> data_set;  // parsed; dropped once the rules have run
  rules::RuleOutcome rules;                      // what the site rules said (defaults: none)
};

}  // namespace acc::router
