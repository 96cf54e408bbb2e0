#pragma once
// One received data set on its way from the network to the durable commit: what the checks,
// the site rules and the receive filters (stamping) decided, and the bytes to store.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/spool_file.hpp"
#include "dicom/data/data_set.hpp"
#include "queue/instance_store.hpp"
#include "rules/rule_set.hpp"
#include "rules/worklist_match.hpp"

namespace acc::router {

struct PreparedInstance {
  uint16_t status = 0;        // DIMSE status to answer if not committed (0 = commit it)
  std::string error_comment;  // (0000,0902) for failures
  queue::InstanceRecord record;
  // The Part-10 object; for a data set received through a spool, its header and the data set up
  // to the bulk only: rules and stamping edit these bytes, the bulk follows unchanged.
  std::vector<uint8_t> part10;
  // A spooled data set's bulk (from the first element of group 7FE0 on): a range of the spool,
  // committed from there (issue 11). Null spool: part10 is the whole object.
  std::shared_ptr<const SpoolFile> spool;
  uint64_t bulk_offset = 0;
  uint64_t bulk_length = 0;
  rules::InstanceAttributes attributes;          // for worklist matching
  std::string existing_accession;                // (0008,0050) as received
  std::optional<dicom::data::DataSet> data_set;  // parsed; dropped once the rules have run
  rules::RuleOutcome rules;                      // what the site rules said (defaults: none)

  [[nodiscard]] uint64_t object_size() const { return part10.size() + bulk_length; }
  // What the store commits: the (edited) head and the spooled bulk behind it.
  [[nodiscard]] queue::ObjectBytes take_object() {
    return queue::ObjectBytes{std::move(part10), std::move(spool), bulk_offset, bulk_length};
  }
};

}  // namespace acc::router
