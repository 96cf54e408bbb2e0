#pragma once
// What /metrics, /readyz and /status report about the running server (issue 6), read from its
// parts at request time. Call on the work pool: the storage write probe is a synced write, and
// statvfs and the queue statistics may block. Nothing here shows patient data or UIDs.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "queue/instance_store.hpp"
#include "router/dicom_listener.hpp"
#include "router/disk_space_guard.hpp"
#include "router/metrics.hpp"
#include "router/metrics_server.hpp"
#include "router/rule_book.hpp"
#include "router/stamping_service.hpp"
#include "router/worklist_cache.hpp"

namespace acc::router {

class HealthReport {
 public:
  struct Parts {
    const config::RouterConfig& config;
    queue::InstanceStore& store;
    DiskSpaceGuard& disk;
    const DicomListener& listener;
    const RuleBook& rules;
    RouterMetrics& metrics;
    const WorklistCache* worklist = nullptr;    // null without [worklist]
    const StampingService* stamping = nullptr;  // null without [worklist]
  };
  explicit HealthReport(Parts parts) : parts_(parts) {}

  // Prometheus text with the scrape-time values (queue, listener, worklist, storage probe).
  [[nodiscard]] std::string metrics();
  // Ready when the DICOM listener is bound, the storage is above its free-space floor and a
  // synced probe write succeeds (tried only above the floor); otherwise the reasons, one line.
  [[nodiscard]] Readiness readiness();
  // /status: version, uptime, listener, destinations' queues, worklist, held studies, rules.
  [[nodiscard]] std::string status() const;

 private:
  // Every configured destination (zeros when it has no jobs) plus any other with jobs left.
  [[nodiscard]] std::vector<RouterMetrics::ScrapeValues::Queue> queues() const;

  Parts parts_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace acc::router
