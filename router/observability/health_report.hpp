#pragma once
// What /metrics, /readyz and /status report about the running server (issue 6), read from its
// parts at request time. Call on the work pool: the storage write probe is a synced write, and
// statvfs and the queue statistics may block. Nothing here shows patient data or UIDs.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <functional>
#include <optional>

#include "config/config.hpp"
#include "queue/instance_store.hpp"
#include "router/observability/metrics.hpp"
#include "router/observability/metrics_server.hpp"

namespace acc::router {

// What the running parts say at request time, read by the wiring (router/server.cpp), so this
// room knows no other: listener, storage floor, rules, held studies, worklist.
struct ServerSnapshot {
  struct Listener {
    bool open = false;
    uint16_t port = 0;
    uint32_t active_associations = 0;
  } listener;
  struct Storage {
    bool has_room = true;  // above the free-space floor (a fresh statvfs)
    uint64_t free_bytes = 0;
    uint64_t floor_bytes = 0;
  } storage;
  struct ReceiveBudget {
    uint64_t limit_bytes = 0;
    uint64_t in_use_bytes = 0;
    uint64_t refusals = 0;  // reservations refused since start (each drops one data set)
    uint64_t spooled = 0;   // data sets received into a spool file since start
    uint64_t pdu_read_buffer_bytes = 0;  // every connection's PDU read buffer (what arrived)
  } receive_budget;
  std::size_t rules_loaded = 0;
  std::optional<std::size_t> held_studies;  // absent without [worklist]
  struct Worklist {
    std::size_t entries = 0;
    int64_t last_success_ms = 0;  // 0 = never
    uint64_t refreshes = 0;
    uint64_t failures = 0;
  };
  std::optional<Worklist> worklist;  // absent without [worklist]
};

class HealthReport {
 public:
  struct Parts {
    const config::RouterConfig& config;
    queue::InstanceStore& store;
    RouterMetrics& metrics;
    std::function<ServerSnapshot()> snapshot;  // runs on the work pool, like everything here
  };
  explicit HealthReport(Parts parts) : parts_(std::move(parts)) {}

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
