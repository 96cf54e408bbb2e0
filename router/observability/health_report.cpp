#include "router/observability/health_report.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "common/clock.hpp"

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
  const ServerSnapshot s = parts_.snapshot();
  RouterMetrics::ScrapeValues v;
  v.associations_active = s.listener.active_associations;
  v.held_studies = s.held_studies.value_or(0);
  v.storage_writable = s.storage.has_room && parts_.store.probe_writable().has_value();
  const auto segments = parts_.store.segment_stats();
  v.segment_files = segments.segments;
  v.segment_file_bytes = segments.file_bytes;
  v.segment_live_bytes = segments.live_bytes;
  v.receive_budget_bytes = s.receive_budget.limit_bytes;
  v.receive_budget_in_use_bytes = s.receive_budget.in_use_bytes;
  v.pdu_read_buffer_bytes = s.receive_budget.pdu_read_buffer_bytes;
  v.queues = queues();
  if (s.worklist) {
    v.worklist = true;
    v.worklist_entries = s.worklist->entries;
    v.worklist_last_success_seconds = static_cast<double>(s.worklist->last_success_ms) / 1000.0;
    v.worklist_refreshes = s.worklist->refreshes;
    v.worklist_failures = s.worklist->failures;
  }
  return parts_.metrics.render(v);
}

Readiness HealthReport::readiness() {
  std::string reasons;
  auto add = [&reasons](const std::string& reason) {
    reasons += reasons.empty() ? "" : "; ";
    reasons += reason;
  };
  const ServerSnapshot s = parts_.snapshot();
  if (!s.listener.open) {
    add("DICOM listener not bound");
  }
  // The probe writes, so it is not tried below the floor: the floor is what keeps RocksDB from
  // meeting ENOSPC, and a failed WAL write is not something it recovers from.
  if (!s.storage.has_room) {
    std::string text = "storage below its free-space floor (";
    text += std::to_string(s.storage.free_bytes >> 20);
    text += " MiB free, floor ";
    text += std::to_string(s.storage.floor_bytes >> 20);
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
  const ServerSnapshot s = parts_.snapshot();
  json worklist = {{"configured", s.worklist.has_value()}};
  if (s.worklist) {
    worklist["entries"] = s.worklist->entries;
    worklist["last_success"] =
        s.worklist->last_success_ms > 0 ? json(iso_time_ms(s.worklist->last_success_ms)) : json();
    worklist["refreshes"] = s.worklist->refreshes;
    worklist["failures"] = s.worklist->failures;
  }
  const auto segments = parts_.store.segment_stats();
  const json storage = {{"path", c.storage.path},
                        {"free_bytes", s.storage.free_bytes},
                        {"free_space_floor_bytes", s.storage.floor_bytes},
                        {"segment_files", segments.segments},
                        {"segment_bytes", segments.file_bytes},
                        {"segment_live_bytes", segments.live_bytes},
                        {"segments_deleted", segments.deleted},
                        {"segments_compacted", segments.compacted},
                        {"max_instance_bytes", c.storage.max_instance_bytes}};
  const json memory = {{"receive_budget_bytes", s.receive_budget.limit_bytes},
                       {"receive_in_use_bytes", s.receive_budget.in_use_bytes},
                       {"receive_budget_refusals", s.receive_budget.refusals},
                       {"spool_above_bytes", c.server.spool_above_kb << 10},
                       {"receive_spooled", s.receive_budget.spooled},
                       {"pdu_read_buffer_bytes", s.receive_budget.pdu_read_buffer_bytes}};
  const auto uptime = std::chrono::steady_clock::now() - started_;
  return json{{"version", ACC_VERSION},
              {"uptime_s", std::chrono::duration_cast<std::chrono::seconds>(uptime).count()},
              {"listener",
               {{"ae_title", c.server.ae_title},
                {"bind", c.server.bind},
                {"port", s.listener.port},
                {"open", s.listener.open},
                {"active_associations", s.listener.active_associations}}},
              {"destinations", destinations},
              {"storage", storage},
              {"memory", memory},
              {"worklist", worklist},
              {"held_studies", s.held_studies.value_or(0)},
              {"rules_loaded", s.rules_loaded}}
      .dump();
}

}  // namespace acc::router
