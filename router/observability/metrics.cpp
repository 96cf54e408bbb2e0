#include "router/observability/metrics.hpp"

#include <array>
#include <chrono>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <sstream>
#include <unordered_map>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

namespace acc::router {

namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;

// One C-STORE's group commit: a fsync is 0.5..20 ms on SSDs, seconds on a struggling disk.
const Histogram::BucketBoundaries kCommitBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                    0.1,    0.25,  0.5,    1,     2.5,  5,     10};
// Forwarding: one C-STORE round trip (ms..s), and receipt to delivery, which includes queueing,
// retries and PACS outages (up to an hour and beyond: +Inf).
const Histogram::BucketBoundaries kForwardBuckets = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 1800, 3600};

template <class T>
Family<T>& family(prometheus::detail::Builder<T> builder, prometheus::Registry& registry,
                  const std::string& name, const std::string& help) {
  return builder.Name(name).Help(help).Register(registry);
}

// AE titles come from the peer: keep them printable ASCII so the exposition stays valid UTF-8.
std::string label_safe(const std::string& ae) {
  std::string out;
  for (const char c : ae) {
    const auto u = static_cast<unsigned char>(c);
    out += (u >= 0x20 && u < 0x7F) ? c : '_';
  }
  return out.empty() ? std::string("_empty") : out;
}

const char* result_name(ForwardResult r) {
  switch (r) {
    case ForwardResult::Delivered:
      return "delivered";
    case ForwardResult::Retry:
      return "retry";
    case ForwardResult::DeadLetter:
      return "dead_letter";
  }
  return "unknown";
}

// Metrics of one label value, created on first use and then found under a shared (reader) lock:
// label sets are few (AE titles, destinations) and never removed, so the map only grows.
template <class V>
class LabelCache {
 public:
  template <class Make>
  V& get(const std::string& key, Make make) {
    {
      std::shared_lock lock(mutex_);
      if (auto it = map_.find(key); it != map_.end()) {
        return it->second;
      }
    }
    std::unique_lock lock(mutex_);
    auto [it, inserted] = map_.try_emplace(key);
    if (inserted) {
      it->second = make(key);
    }
    return it->second;
  }
  [[nodiscard]] bool contains(const std::string& key) const {
    std::shared_lock lock(mutex_);
    return map_.contains(key);
  }
  [[nodiscard]] std::size_t size() const {
    std::shared_lock lock(mutex_);
    return map_.size();
  }

 private:
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, V> map_;
};

}  // namespace

struct RouterMetrics::Impl {
  explicit Impl(const std::string& version)
      : build_info(family(prometheus::BuildGauge(), registry, "accessioner_build_info",
                          "Always 1; the version label says which build runs")),
        start_time(family(prometheus::BuildGauge(), registry, "accessioner_start_time_seconds",
                          "Unix time the process started")),
        associations_active(family(prometheus::BuildGauge(), registry,
                                   "accessioner_associations_active",
                                   "Inbound DICOM associations (and connections being "
                                   "negotiated) right now")),
        associations(family(prometheus::BuildCounter(), registry, "accessioner_associations_total",
                            "Inbound connections: accepted as associations, or rejected "
                            "(A-ASSOCIATE-RJ, or ended before an association was established)")),
        connections_refused(family(prometheus::BuildCounter(), registry,
                                   "accessioner_connections_refused_total",
                                   "TCP connections closed at once, before any PDU was read "
                                   "([server] max_connections, max_connections_per_source)")),
        tls_handshakes(family(prometheus::BuildCounter(), registry,
                              "accessioner_tls_handshakes_total",
                              "DICOM TLS handshakes on the [server.tls] port, by result")),
        associations_closed(family(prometheus::BuildCounter(), registry,
                                   "accessioner_associations_closed_total",
                                   "Accepted associations that ended, by how")),
        instances(family(prometheus::BuildCounter(), registry,
                         "accessioner_instances_received_total",
                         "Instances stored durably and acknowledged, by calling AE title")),
        bytes(family(prometheus::BuildCounter(), registry, "accessioner_received_bytes_total",
                     "Bytes of instances stored durably (Part-10), by calling AE title")),
        store_responses(family(prometheus::BuildCounter(), registry,
                               "accessioner_store_responses_total",
                               "C-STORE responses sent, by status class")),
        commit_latency(family(prometheus::BuildHistogram(), registry,
                              "accessioner_commit_latency_seconds",
                              "From a complete data set received to the instance durable "
                              "(parse, rules, stamping, group commit with fsync)")
                           .Add({}, kCommitBuckets)),
        stamping(family(prometheus::BuildCounter(), registry,
                        "accessioner_stamping_decisions_total",
                        "Accession stamping decisions, by outcome: one per instance decided "
                        "or released, one per study quarantined")),
        held_studies(family(prometheus::BuildGauge(), registry, "accessioner_held_studies",
                            "Studies with instances held for a worklist match or a person")
                         .Add({})),
        forward_attempts(family(prometheus::BuildCounter(), registry,
                                "accessioner_forward_attempts_total",
                                "C-STORE attempts towards destinations, by result")),
        forward_latency(family(prometheus::BuildHistogram(), registry,
                               "accessioner_forward_latency_seconds",
                               "One C-STORE round trip to a destination")),
        receive_to_delivered(family(prometheus::BuildHistogram(), registry,
                                    "accessioner_receive_to_delivered_seconds",
                                    "From the durable commit of an instance (its receipt plus "
                                    "the commit latency) to its delivery to a destination")),
        queue_jobs(family(prometheus::BuildGauge(), registry, "accessioner_queue_jobs",
                          "Delivery jobs by destination and state (pending includes "
                          "waiting_retry)")),
        oldest_pending(family(prometheus::BuildGauge(), registry,
                              "accessioner_queue_oldest_pending_age_seconds",
                              "Age of the oldest undelivered job of a destination; 0 when none")),
        worklist_entries(family(prometheus::BuildGauge(), registry, "accessioner_worklist_entries",
                                "Modality Worklist entries in the cache")
                             .Add({})),
        worklist_last_success(family(prometheus::BuildGauge(), registry,
                                     "accessioner_worklist_last_success_timestamp_seconds",
                                     "Unix time of the last successful worklist refresh; 0 = "
                                     "never")
                                  .Add({})),
        worklist_refreshes(family(prometheus::BuildCounter(), registry,
                                  "accessioner_worklist_refreshes_total",
                                  "Successful worklist refreshes")
                               .Add({})),
        worklist_failures(family(prometheus::BuildCounter(), registry,
                                 "accessioner_worklist_refresh_failures_total",
                                 "Failed worklist refreshes (the cache is kept)")
                              .Add({})),
        rules_loaded(family(prometheus::BuildGauge(), registry, "accessioner_rules_loaded",
                            "Site rules in force")
                         .Add({})),
        rule_reloads(family(prometheus::BuildCounter(), registry, "accessioner_rule_reloads_total",
                            "Rule reloads, applied or refused (the previous rules stay)")),
        storage_writable(
            family(prometheus::BuildGauge(), registry, "accessioner_storage_writable",
                   "1 when a synced probe write succeeded at scrape time; 0 when it failed "
                   "or the storage is below its free-space floor")
                .Add({})),
        segment_files(family(prometheus::BuildGauge(), registry, "accessioner_segment_files",
                             "Segment files holding object bytes")
                          .Add({})),
        segment_bytes(family(prometheus::BuildGauge(), registry, "accessioner_segment_bytes",
                             "Segment files' size on disk (file) and the object bytes records "
                             "still point at (live)")),
        receive_memory(family(prometheus::BuildGauge(), registry,
                              "accessioner_receive_memory_bytes",
                              "Memory for data sets being received: the budget, what is in use, "
                              "and the PDU read buffers")),
        objects_corrupt(family(prometheus::BuildCounter(), registry,
                               "accessioner_objects_corrupt_total",
                               "Stored objects that failed their checksum when read to forward "
                               "(dead-lettered, never sent)")
                            .Add({})),
        receive_spooled(family(prometheus::BuildCounter(), registry,
                               "accessioner_receive_spooled_total",
                               "Data sets received into a spool file instead of memory "
                               "([server] spool_above_kb)")
                            .Add({})) {
    segment_file_bytes = &segment_bytes.Add({{"kind", "file"}});
    segment_live_bytes = &segment_bytes.Add({{"kind", "live"}});
    receive_budget = &receive_memory.Add({{"kind", "budget"}});
    receive_in_use = &receive_memory.Add({{"kind", "in_use"}});
    pdu_read_buffers = &receive_memory.Add({{"kind", "pdu_buffers"}});
    build_info.Add({{"version", version}}).Set(1);
    start_time.Add({}).Set(
        static_cast<double>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count()) /
        1000.0);
    active = &associations_active.Add({});
    accepted = &associations.Add({{"result", "accepted"}});
    rejected = &associations.Add({{"result", "rejected"}});
    for (const AssociationEnd end : enum_values<AssociationEnd>()) {
      closed[static_cast<std::size_t>(end)] =
          &associations_closed.Add({{"reason", std::string(enum_name(end))}});
    }
    for (const TlsHandshake result : enum_values<TlsHandshake>()) {
      tls_handshake_results[static_cast<std::size_t>(result)] =
          &tls_handshakes.Add({{"result", std::string(enum_name(result))}});
    }
    for (const ConnectionRefusal why : enum_values<ConnectionRefusal>()) {
      connection_refusals[static_cast<std::size_t>(why)] =
          &connections_refused.Add({{"reason", std::string(enum_name(why))}});
    }
    // Every outcome the stamper can produce, at zero from the start: the label set is the enum.
    for (const rules::StampOutcome outcome : enum_values<rules::StampOutcome>()) {
      stamping_outcomes[static_cast<std::size_t>(outcome)] =
          &stamping.Add({{"outcome", std::string(enum_name(outcome))}});
    }
    for (const char* c : {"success", "warning", "failure"}) {
      store_status[c] = &store_responses.Add({{"status_class", c}});
    }
    applied = &rule_reloads.Add({{"result", "applied"}});
    refused = &rule_reloads.Add({{"result", "refused"}});
  }

  struct PerAe {
    Counter* instances = nullptr;
    Counter* bytes = nullptr;
  };
  struct PerDestination {
    std::map<std::string, Counter*> attempts;  // by result name
    Histogram* latency = nullptr;
    Histogram* to_delivered = nullptr;
  };
  struct QueueGauges {
    Gauge* pending = nullptr;
    Gauge* in_flight = nullptr;
    Gauge* waiting_retry = nullptr;
    Gauge* dead = nullptr;
    Gauge* oldest = nullptr;
  };

  PerAe& ae(const std::string& calling_ae) {
    std::string key = label_safe(calling_ae);
    // Full: every new title goes to "_other" (one more entry), so the map and the registry stay
    // bounded. Several first uses at once may overshoot by a few, which is harmless.
    if (aes.size() >= kMaxCallingAeLabels && !aes.contains(key)) {
      key = "_other";
    }
    return aes.get(key, [this](const std::string& k) { return ae_series(k); });
  }
  PerAe ae_series(const std::string& label) {
    return {&instances.Add({{"calling_ae", label}}), &bytes.Add({{"calling_ae", label}})};
  }

  PerDestination& destination(const std::string& name) {
    return destinations.get(name, [this](const std::string& n) {
      PerDestination d;
      for (const auto r :
           {ForwardResult::Delivered, ForwardResult::Retry, ForwardResult::DeadLetter}) {
        d.attempts[result_name(r)] =
            &forward_attempts.Add({{"destination", n}, {"result", result_name(r)}});
      }
      d.latency = &forward_latency.Add({{"destination", n}}, kForwardBuckets);
      d.to_delivered = &receive_to_delivered.Add({{"destination", n}}, kForwardBuckets);
      return d;
    });
  }

  // Scrape only (under render_mutex).
  QueueGauges& queue(const std::string& name) {
    auto [it, inserted] = queues.try_emplace(name);
    if (inserted) {
      auto state = [&](const char* s) {
        return &queue_jobs.Add({{"destination", name}, {"state", s}});
      };
      it->second = {state("pending"), state("in_flight"), state("waiting_retry"), state("dead"),
                    &oldest_pending.Add({{"destination", name}})};
    }
    return it->second;
  }

  prometheus::Registry registry;
  Family<Gauge>& build_info;
  Family<Gauge>& start_time;
  Family<Gauge>& associations_active;
  Family<Counter>& associations;
  Family<Counter>& connections_refused;
  Family<Counter>& tls_handshakes;
  Family<Counter>& associations_closed;
  Family<Counter>& instances;
  Family<Counter>& bytes;
  Family<Counter>& store_responses;
  Histogram& commit_latency;
  Family<Counter>& stamping;
  Gauge& held_studies;
  Family<Counter>& forward_attempts;
  Family<Histogram>& forward_latency;
  Family<Histogram>& receive_to_delivered;
  Family<Gauge>& queue_jobs;
  Family<Gauge>& oldest_pending;
  Gauge& worklist_entries;
  Gauge& worklist_last_success;
  Counter& worklist_refreshes;
  Counter& worklist_failures;
  Gauge& rules_loaded;
  Family<Counter>& rule_reloads;
  Gauge& storage_writable;
  Gauge& segment_files;
  Family<Gauge>& segment_bytes;
  Family<Gauge>& receive_memory;
  Counter& objects_corrupt;
  Counter& receive_spooled;
  Gauge* receive_budget = nullptr;
  Gauge* receive_in_use = nullptr;
  Gauge* pdu_read_buffers = nullptr;
  Gauge* segment_file_bytes = nullptr;
  Gauge* segment_live_bytes = nullptr;

  Gauge* active = nullptr;
  Counter* accepted = nullptr;
  Counter* rejected = nullptr;
  std::array<Counter*, EnumNames<AssociationEnd>::names.size()> closed{};  // by AssociationEnd
  std::array<Counter*, EnumNames<ConnectionRefusal>::names.size()> connection_refusals{};
  std::array<Counter*, EnumNames<TlsHandshake>::names.size()> tls_handshake_results{};
  std::map<std::string, Counter*, std::less<>> store_status;
  Counter* applied = nullptr;
  Counter* refused = nullptr;
  LabelCache<PerAe> aes;
  LabelCache<PerDestination> destinations;
  std::array<Counter*, EnumNames<rules::StampOutcome>::names.size()> stamping_outcomes{};

  std::mutex render_mutex;
  std::map<std::string, QueueGauges> queues;
};

RouterMetrics::RouterMetrics(std::string version) : impl_(std::make_unique<Impl>(version)) {}
RouterMetrics::~RouterMetrics() = default;

void RouterMetrics::association_accepted() {
  impl_->accepted->Increment();
}
void RouterMetrics::association_rejected() {
  impl_->rejected->Increment();
}
void RouterMetrics::tls_handshake(TlsHandshake result) {
  impl_->tls_handshake_results.at(static_cast<std::size_t>(result))->Increment();
}
void RouterMetrics::connection_refused(ConnectionRefusal why) {
  impl_->connection_refusals.at(static_cast<std::size_t>(why))->Increment();
}
void RouterMetrics::association_closed(AssociationEnd end) {
  impl_->closed.at(static_cast<std::size_t>(end))->Increment();
}

void RouterMetrics::instance_received(const std::string& calling_ae, uint64_t bytes) {
  auto& series = impl_->ae(calling_ae);
  series.instances->Increment();
  series.bytes->Increment(static_cast<double>(bytes));
}

void RouterMetrics::store_response(uint16_t status) {
  // PS3.7 C.4.2.1.4: 0x0000 success; 0x0001, 0xB000..0xBFFF warning; everything else failure
  // (pending 0xFF00/0xFF01 is never a C-STORE status).
  const char* c = "failure";
  if (status == 0x0000) {
    c = "success";
  } else if (status == 0x0001 || (status & 0xF000) == 0xB000) {
    c = "warning";
  }
  impl_->store_status.find(c)->second->Increment();
}

void RouterMetrics::commit_latency(double seconds) {
  impl_->commit_latency.Observe(seconds);
}

void RouterMetrics::stamping_decision(rules::StampOutcome outcome) {
  impl_->stamping_outcomes.at(static_cast<std::size_t>(outcome))->Increment();
}

void RouterMetrics::forward_attempt(const std::string& destination, ForwardResult result,
                                    double seconds) {
  auto& d = impl_->destination(destination);
  d.attempts.at(result_name(result))->Increment();
  d.latency->Observe(seconds);
}

void RouterMetrics::forward_attempt(const std::string& destination, ForwardResult result) {
  impl_->destination(destination).attempts.at(result_name(result))->Increment();
}

void RouterMetrics::delivered(const std::string& destination, double receive_to_delivered_seconds) {
  impl_->destination(destination).to_delivered->Observe(receive_to_delivered_seconds);
}

void RouterMetrics::rules_loaded(std::size_t rules) {
  impl_->rules_loaded.Set(static_cast<double>(rules));
}

void RouterMetrics::data_set_spooled() {
  impl_->receive_spooled.Increment();
}

void RouterMetrics::object_corrupt() {
  impl_->objects_corrupt.Increment();
}

void RouterMetrics::rule_reload(bool applied) {
  (applied ? impl_->applied : impl_->refused)->Increment();
}

std::string RouterMetrics::render(const ScrapeValues& values) {
  auto& m = *impl_;
  std::lock_guard lock(m.render_mutex);
  m.active->Set(static_cast<double>(values.associations_active));
  m.held_studies.Set(static_cast<double>(values.held_studies));
  m.storage_writable.Set(values.storage_writable ? 1 : 0);
  m.segment_files.Set(static_cast<double>(values.segment_files));
  m.segment_file_bytes->Set(static_cast<double>(values.segment_file_bytes));
  m.segment_live_bytes->Set(static_cast<double>(values.segment_live_bytes));
  m.receive_budget->Set(static_cast<double>(values.receive_budget_bytes));
  m.receive_in_use->Set(static_cast<double>(values.receive_budget_in_use_bytes));
  m.pdu_read_buffers->Set(static_cast<double>(values.pdu_read_buffer_bytes));
  // A destination missing from `values` has no jobs: its gauges go to 0, not stay stale.
  for (auto& [name, g] : m.queues) {
    for (Gauge* gauge : {g.pending, g.in_flight, g.waiting_retry, g.dead, g.oldest}) {
      gauge->Set(0);
    }
  }
  for (const auto& q : values.queues) {
    auto& g = m.queue(q.destination);
    g.pending->Set(static_cast<double>(q.pending));
    g.in_flight->Set(static_cast<double>(q.in_flight));
    g.waiting_retry->Set(static_cast<double>(q.waiting_retry));
    g.dead->Set(static_cast<double>(q.dead));
    g.oldest->Set(q.oldest_pending_age_seconds);
  }
  if (values.worklist) {
    m.worklist_entries.Set(static_cast<double>(values.worklist_entries));
    m.worklist_last_success.Set(values.worklist_last_success_seconds);
    // Counters kept by the worklist cache itself: bring ours up to them.
    auto catch_up = [](Counter& c, uint64_t total) {
      if (const double delta = static_cast<double>(total) - c.Value(); delta > 0) {
        c.Increment(delta);
      }
    };
    catch_up(m.worklist_refreshes, values.worklist_refreshes);
    catch_up(m.worklist_failures, values.worklist_failures);
  }
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, m.registry.Collect());
  return std::move(out).str();
}

}  // namespace acc::router
