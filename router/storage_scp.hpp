#pragma once
// The Verification and Storage SCP: serves DIMSE requests on an accepted association. A C-STORE
// is answered Success only after the instance is durable in the InstanceStore.
#include <cstdint>
#include <string>
#include <vector>

#include <asio/awaitable.hpp>
#include <asio/thread_pool.hpp>

#include <optional>

#include "dicom/data/data_set.hpp"
#include "dicom/dimse/message.hpp"
#include "dicom/net/association.hpp"
#include "queue/instance_store.hpp"
#include "router/disk_space_guard.hpp"
#include "router/metrics.hpp"
#include "router/rule_book.hpp"
#include "rules/worklist_match.hpp"

namespace acc::router {

class StampingService;

// Counts for the association's closing log line.
struct SessionSummary {
  uint64_t echoes = 0;
  uint64_t stored = 0;
  uint64_t failed = 0;
  uint64_t bytes = 0;
  std::error_code end;  // how the association ended (AssocErrc::released when orderly)
};

// The outcome of checking one received data set, decided off the network thread.
struct PreparedInstance {
  uint16_t status = 0;        // DIMSE status to answer if not committed
  std::string error_comment;  // (0000,0902) for failures
  queue::InstanceRecord record;
  std::vector<uint8_t> part10;
  rules::InstanceAttributes attributes;          // for worklist matching
  std::string existing_accession;                // (0008,0050) as received
  std::optional<dicom::data::DataSet> data_set;  // parsed; dropped once the rules have run
  rules::RuleOutcome rules;                      // what the site rules said (defaults: none)
};

// Runs the site rules on a prepared instance: sets the record's destinations, applies the
// attribute changes (one Original Attributes item, Reason COERCE) and refreshes what matching
// reads from the changed instance. A change that cannot be made (a value invalid for its VR
// after ${...} expansion) refuses the instance with kRuleFailedStatus rather than forwarding
// something the site said must be corrected.
inline constexpr uint16_t kRuleFailedStatus = 0xC101;
void apply_rules(PreparedInstance& p, const RuleBook& rules, const std::string& our_ae,
                 int64_t now_ms);

// Parses the data set with DCMTK, checks it against the C-STORE-RQ and frames it as Part-10 with
// the received bytes unchanged. Status 0 means "commit it". Pure: unit-tested with real files.
[[nodiscard]] PreparedInstance prepare_instance(const dicom::dimse::Command& rq,
                                                const dicom::net::AcceptedContext& context,
                                                std::span<const uint8_t> data_set);

class StorageScp {
 public:
  // `rules` route each instance (every destination when no rule says otherwise).
  // `stamping` is null when no [worklist] is configured: instances are forwarded as received.
  StorageScp(queue::InstanceStore& store, asio::thread_pool& work_pool, DiskSpaceGuard& disk,
             const RuleBook& rules, RouterMetrics& metrics, std::string our_ae,
             StampingService* stamping = nullptr)
      : store_(store),
        work_pool_(work_pool),
        disk_(disk),
        rules_(rules),
        metrics_(metrics),
        our_ae_(std::move(our_ae)),
        stamping_(stamping) {}

  // Serves requests until the association ends. Never throws for anything the peer does.
  [[nodiscard]] asio::awaitable<SessionSummary> serve(dicom::net::Association& assoc);

 private:
  asio::awaitable<dicom::dimse::Command> handle_store(dicom::net::Association& assoc,
                                                      const dicom::net::AcceptedContext& context,
                                                      dicom::dimse::Message& message,
                                                      SessionSummary& summary);

  queue::InstanceStore& store_;
  asio::thread_pool& work_pool_;
  DiskSpaceGuard& disk_;
  const RuleBook& rules_;
  RouterMetrics& metrics_;
  std::string our_ae_;
  StampingService* stamping_;
};

}  // namespace acc::router
