#pragma once
// What ops watch (issue 6): Prometheus metrics kept with prometheus-cpp (core library: metric
// types and the text exposition format), updated from the data path with atomic increments,
// and a few gauges read at scrape time. Labels never carry patient data or UIDs: only calling AE
// titles (capped, see kMaxCallingAeLabels), destination names from the configuration, outcomes
// and status classes.
//
// Names (the contract docs/operations.md and the alert rules rely on):
//   accessioner_build_info{version}                                   gauge, 1
//   accessioner_start_time_seconds                                    gauge
//   accessioner_associations_active                                   gauge (scrape)
//   accessioner_associations_total{result="accepted|rejected"}        counter (rejected: an
//       A-ASSOCIATE-RJ, or the connection ended before an association was established)
//   accessioner_associations_closed_total{reason="released|aborted|idle_timeout|error"}
//   accessioner_instances_received_total{calling_ae}                  counter (stored and acked)
//   accessioner_received_bytes_total{calling_ae}                      counter
//   accessioner_store_responses_total{status_class="success|warning|failure"}
//   accessioner_commit_latency_seconds                                histogram: receive -> durable
//   accessioner_stamping_decisions_total{outcome}                     counter, one per instance
//       decided or released and one per study quarantined; every rules::StampOutcome
//       (rules/stamp_outcome.hpp) is present from the start, at 0
//   accessioner_held_studies                                          gauge (scrape)
//   accessioner_forward_attempts_total{destination,result="delivered|retry|dead_letter"}
//       every settled attempt, also those that failed before a C-STORE (connect refused)
//   accessioner_forward_latency_seconds{destination}                  histogram: one C-STORE
//   accessioner_receive_to_delivered_seconds{destination}             histogram (from the
//       durable commit, i.e. receipt + commit latency, to the destination's success)
//   accessioner_queue_jobs{destination,state="pending|in_flight|waiting_retry|dead"}  (scrape)
//   accessioner_queue_oldest_pending_age_seconds{destination}         gauge (scrape), 0 = empty
//   accessioner_worklist_entries                                      gauge (scrape)
//   accessioner_worklist_last_success_timestamp_seconds               gauge (scrape), 0 = never
//   accessioner_worklist_refreshes_total / _refresh_failures_total    counter (scrape)
//   accessioner_rules_loaded                                          gauge
//   accessioner_rule_reloads_total{result="applied|refused"}          counter
//   accessioner_storage_writable                                      gauge (scrape), 1 or 0
//       (0: the synced probe write failed, or was not tried: storage below its free-space floor)
//   accessioner_segment_files                                         gauge (scrape)
//   accessioner_segment_bytes{kind="file|live"}                       gauge (scrape): the segment
//       files' size on disk, and the object bytes records still point at (file - live = space
//       that comes back when the segments holding it are deleted)
//   accessioner_receive_memory_bytes{kind="budget|in_use"}            gauge (scrape): memory for
//       data sets being received, all associations together ([server] receive_memory_budget_mb);
//       a data set that would pass the budget is answered 0xA700 and counted in
//       accessioner_store_responses_total{status_class="failure"}
//   accessioner_receive_spooled_total                                 counter: data sets past
//       [server] spool_above_kb, received into a spool file on the storage volume, not memory
//   accessioner_objects_corrupt_total                                 counter: stored objects
//       whose bytes failed their checksum (or were missing) when read to forward; each is
//       dead-lettered with the reason, never sent
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/enum_names.hpp"
#include "rules/stamp_outcome.hpp"

namespace acc::router {

enum class ForwardResult { Delivered, Retry, DeadLetter };

// How an accepted association ended: the reason label of accessioner_associations_closed_total.
// Why a TCP connection was closed at once, before any PDU was read (router/receive's
// ConnectionGate): the reason label of accessioner_connections_refused_total.
enum class ConnectionRefusal {
  process_limit,       // server.max_connections open already
  source_limit,        // server.max_connections_per_source open from this address already
  source_not_allowed,  // the address is in none of server.allowed_sources
};

enum class AssociationEnd {
  released,      // A-RELEASE
  aborted,       // A-ABORT from the peer, or the connection dropped
  idle_timeout,  // nothing arrived for idle_timeout_s
  no_progress,   // under min_progress_bytes in progress_window_s (issue 12)
  slow_reader,   // did not take a PDU we sent within idle_timeout_s (issue 12)
  error,         // anything else (protocol error, local abort)
};

// How a DICOM TLS handshake on the TLS listener ended: the result label of
// accessioner_tls_handshakes_total (issue 12).
enum class TlsHandshake {
  ok,
  failed,       // no TLS (plain DICOM, a bad, expired or missing certificate, a timeout)
  not_allowed,  // verified, but the subject is not in allowed_client_subjects
};

}  // namespace acc::router

namespace acc {
template <>
struct EnumNames<router::ConnectionRefusal> {
  using E = router::ConnectionRefusal;
  static constexpr std::array names{
      std::pair{E::process_limit, std::string_view("process_limit")},
      std::pair{E::source_limit, std::string_view("source_limit")},
      std::pair{E::source_not_allowed, std::string_view("source_not_allowed")}};
};
template <>
struct EnumNames<router::TlsHandshake> {
  using E = router::TlsHandshake;
  static constexpr std::array names{std::pair{E::ok, std::string_view("ok")},
                                    std::pair{E::failed, std::string_view("failed")},
                                    std::pair{E::not_allowed, std::string_view("not_allowed")}};
};
template <>
struct EnumNames<router::AssociationEnd> {
  using E = router::AssociationEnd;
  static constexpr std::array names{std::pair{E::released, std::string_view("released")},
                                    std::pair{E::aborted, std::string_view("aborted")},
                                    std::pair{E::idle_timeout, std::string_view("idle_timeout")},
                                    std::pair{E::no_progress, std::string_view("no_progress")},
                                    std::pair{E::slow_reader, std::string_view("slow_reader")},
                                    std::pair{E::error, std::string_view("error")}};
};
}  // namespace acc

namespace acc::router {

class RouterMetrics {
 public:
  // Distinct calling AE label values kept; further AEs are counted under calling_ae="_other"
  // (a misconfigured or hostile peer must not grow the registry without bound).
  static constexpr std::size_t kMaxCallingAeLabels = 256;

  explicit RouterMetrics(std::string version);
  ~RouterMetrics();
  RouterMetrics(const RouterMetrics&) = delete;
  RouterMetrics& operator=(const RouterMetrics&) = delete;

  // Data path (any thread): atomic increments; a label value (AE title, destination) is found
  // under a shared reader lock after its first use.
  void association_accepted();
  void association_rejected();
  void connection_refused(ConnectionRefusal why);
  void tls_handshake(TlsHandshake result);
  void association_closed(AssociationEnd end);
  void instance_received(const std::string& calling_ae, uint64_t bytes);
  void store_response(uint16_t status);
  void commit_latency(double seconds);
  void stamping_decision(rules::StampOutcome outcome);
  // One settled delivery attempt; `seconds` is its C-STORE round trip. The overload without it is
  // for attempts that failed before a C-STORE was sent (connect, association, reading the object):
  // counted, not timed.
  void forward_attempt(const std::string& destination, ForwardResult result, double seconds);
  void forward_attempt(const std::string& destination, ForwardResult result);
  void delivered(const std::string& destination, double receive_to_delivered_seconds);
  void rules_loaded(std::size_t rules);
  void object_corrupt();
  void data_set_spooled();
  void rule_reload(bool applied);

  // Scrape time: values read from the queue, listener, worklist and store just before rendering.
  struct ScrapeValues {
    std::size_t associations_active = 0;
    std::size_t held_studies = 0;
    bool storage_writable = true;
    uint64_t segment_files = 0;
    uint64_t segment_file_bytes = 0;
    uint64_t segment_live_bytes = 0;
    uint64_t receive_budget_bytes = 0;
    uint64_t receive_budget_in_use_bytes = 0;
    uint64_t pdu_read_buffer_bytes = 0;  // kind="pdu_buffers": every connection's PDU read buffer
    struct Queue {
      std::string destination;
      uint64_t pending = 0, in_flight = 0, waiting_retry = 0, dead = 0;
      double oldest_pending_age_seconds = 0;
    };
    std::vector<Queue> queues;
    bool worklist = false;  // [worklist] configured
    std::size_t worklist_entries = 0;
    double worklist_last_success_seconds = 0;
    uint64_t worklist_refreshes = 0;
    uint64_t worklist_failures = 0;
  };
  // Text exposition format (version 0.0.4) of every metric, after applying `values`.
  [[nodiscard]] std::string render(const ScrapeValues& values);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace acc::router
