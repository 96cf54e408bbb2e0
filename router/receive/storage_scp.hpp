#pragma once
// The Verification and Storage SCP: serves DIMSE requests on an accepted association. A C-STORE
// is answered Success only after the instance is durable in the InstanceStore.
#include <cstdint>
#include <string>
#include <vector>

#include <asio/awaitable.hpp>
#include <asio/thread_pool.hpp>

#include "dicom/dimse/message.hpp"
#include "dicom/net/association.hpp"
#include "queue/instance_store.hpp"
#include "router/observability/metrics.hpp"
#include "router/receive/disk_space_guard.hpp"
#include "router/receive/instance_filter.hpp"
#include "router/receive/rule_book.hpp"

namespace acc::router {

// Counts for the association's closing log line.
struct SessionSummary {
  uint64_t echoes = 0;
  uint64_t stored = 0;
  uint64_t failed = 0;
  uint64_t bytes = 0;
  std::error_code end;  // how the association ended (AssocErrc::released when orderly)
};

class StorageScp {
 public:
  // `rules` route each instance (every destination when no rule says otherwise).
  // `filter` (accession stamping) is null when no [worklist] is configured: instances are
  // forwarded as received.
  StorageScp(queue::InstanceStore& store, asio::thread_pool& work_pool, DiskSpaceGuard& disk,
             const RuleBook& rules, RouterMetrics& metrics, std::string our_ae,
             InstanceFilter* filter = nullptr)
      : store_(store),
        work_pool_(work_pool),
        disk_(disk),
        rules_(rules),
        metrics_(metrics),
        our_ae_(std::move(our_ae)),
        filter_(filter) {}

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
  InstanceFilter* filter_;
};

}  // namespace acc::router
