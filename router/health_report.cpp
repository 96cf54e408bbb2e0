#include "router/health_report.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "common/clock.hpp"
#include "router/job_json.hpp"

namespace acc::router {

using nlohmann::json;

std::vector<RouterMetrics::ScrapeValues::Queue> HealthReport::queues() const {
  std::vector<RouterMetrics::ScrapeValues::Queue> out;
  for (const auto& d : parts_.config.destinations) {
    out.push_back({.destination = d.name});
  }
  auto stats = parts_.store.forward_queue().stats();
  if (!stats) {
    return out;
  }
  const int64_t now = unix_now_ms();
  for (const auto& s : *stats) {
    auto it = std::find_if(out.begin(), out.end(),
                           [&s](const auto& q) { return q.destination == s.destination; });
    if (it == out.end()) {
      it = out.insert(out.end(), {.destination = s.destination});
    }
    it->pending = s.pending;
    it->in_flight = s.in_flight;
    it->waiting_retry = s.waiting_retry;
    it->dead = s.dead;
    it->oldest_pending_age_seconds =
        s.oldest_enqueued_at_ms > 0 ? static_cast<double>(now - s.oldest_enqueued_at_ms) / 1000.0
                                    : 0.0;
  }
  return out;
}

std::string HealthReport::metrics() {
  RouterMetrics::ScrapeValues v;
  v.associations_active = parts_.listener.active_associations();
  v.held_studies = parts_.stamping != nullptr ? parts_.stamping->held_count() : 0;
  v.storage_writable = parts_.disk.has_room() && parts_.store.probe_writable().has_value();
  v.queues = queues();
  if (parts_.worklist != nullptr) {
    const WorklistStatus w = parts_.worklist->status();
    v.worklist = true;
    v.worklist_entries = w.entries;
    v.worklist_last_success_seconds = static_cast<double>(w.last_success_ms) / 1000.0;
    v.worklist_refreshes = w.refreshes;
    v.worklist_failures = w.failures;
  }
  return parts_.metrics.render(v);
}

Readiness HealthReport::readiness() {
  std::string reasons;
  auto add = [&reasons](const std::string& reason) {
    reasons += reasons.empty() ? "" : "; ";
    reasons += reason;
  };
  if (!parts_.listener.is_open()) {
    add("DICOM listener not bound");
  }
  // The probe writes, so it is not tried below the floor: the floor is what keeps RocksDB from
  // meeting ENOSPC, and a failed WAL write is not something it recovers from.
  if (!parts_.disk.has_room()) {
    std::string text = "storage below its free-space floor (";
    text += std::to_string(parts_.disk.last_free_bytes() >> 20);
    text += " MiB free, floor ";
    text += std::to_string(parts_.disk.floor_bytes() >> 20);
    text += " MiB)";
    add(text);
  } else if (auto probe = parts_.store.probe_writable(); !probe) {
    add("storage not writable: " + probe.error().message());
  }
  return {reasons.empty(), reasons};
}

std::string HealthReport::status() const {
  const auto& c = parts_.config;
  json destinations = json::array();
  for (const auto& q : queues()) {
    destinations.push_back({{"name", q.destination},
                            {"pending", q.pending},
                            {"in_flight", q.in_flight},
                            {"waiting_retry", q.waiting_retry},
                            {"dead", q.dead},
                            {"oldest_pending_age_s", q.oldest_pending_age_seconds}});
  }
  json worklist = {{"configured", parts_.worklist != nullptr}};
  if (parts_.worklist != nullptr) {
    const WorklistStatus w = parts_.worklist->status();
    worklist["entries"] = w.entries;
    worklist["last_success"] =
        w.last_success_ms > 0 ? json(iso_time_ms(w.last_success_ms)) : json();
    worklist["refreshes"] = w.refreshes;
    worklist["failures"] = w.failures;
  }
  const auto uptime = std::chrono::steady_clock::now() - started_;
  return json{{"version", ACC_VERSION},
              {"uptime_s", std::chrono::duration_cast<std::chrono::seconds>(uptime).count()},
              {"listener",
               {{"ae_title", c.server.ae_title},
                {"bind", c.server.bind},
                {"port", parts_.listener.port()},
                {"open", parts_.listener.is_open()},
                {"active_associations", parts_.listener.active_associations()}}},
              {"destinations", destinations},
              {"worklist", worklist},
              {"held_studies", parts_.stamping != nullptr ? parts_.stamping->held_count() : 0},
              {"rules_loaded", parts_.rules.current()->rules().size()}}
      .dump();
}

}  // namespace acc::router
