#pragma once
// One PACS destination (Envoy's "cluster"): up to max_associations worker coroutines lease jobs
// from the ForwardQueue in arrival order and deliver them by C-STORE over reused associations.
// All workers of a destination share one strand, so its backoff state needs no locks; blocking
// work (reading the object, decompressing) goes to the worker pool.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/thread_pool.hpp>

#include "config/config.hpp"
#include "dicom/net/association.hpp"
#include "dicom/net/tls.hpp"
#include "queue/instance_store.hpp"
#include "router/forward/destination_health.hpp"
#include "router/observability/metrics.hpp"

namespace acc::router {

// A point-in-time view for logs, status and metrics.
struct DestinationState {
  std::string name;
  bool backing_off = false;
  uint32_t consecutive_failures = 0;
  int64_t paused_until_ms = 0;  // Unix ms; 0 when not paused
  std::string last_error;
  uint64_t delivered = 0;
  uint64_t retried = 0;
  uint64_t dead_lettered = 0;
};

class Destination {
 public:
  Destination(asio::io_context& io, asio::thread_pool& work_pool, config::DestinationConfig config,
              queue::InstanceStore& store, std::atomic<uint64_t>& association_ids, uint64_t seed,
              RouterMetrics& metrics);
  ~Destination();

  // Reads the destination's TLS files (tls = true): at start, before start(), and on a reload
  // (associations opened from then on use them). A no-op without TLS. Thread-safe.
  [[nodiscard]] Result<void> reload_tls();
  // Spawns the workers. Call once, from any thread.
  void start();
  // New jobs may be ready: wake sleeping workers. Thread-safe (called from the commit thread).
  void wake();
  // Finish the C-STORE in progress, give leases back, release associations, let workers exit.
  // Thread-safe.
  void stop();
  [[nodiscard]] bool stopped() const { return running_->load() == 0; }
  [[nodiscard]] const std::string& name() const { return config_.name; }
  // Thread-safe snapshot (the strand updates it under a small mutex).
  [[nodiscard]] DestinationState state() const;

 private:
  struct Worker;

  asio::awaitable<void> run_worker(std::shared_ptr<Worker> worker);
  asio::awaitable<void> sleep(Worker& w, std::chrono::steady_clock::time_point until);
  asio::awaitable<void> deliver(Worker& w, queue::Job job);
  [[nodiscard]] asio::awaitable<Result<void>> ensure_association(Worker& w, const queue::Job& job,
                                                                 bool force_new);
  // Each settles one delivery attempt (and counts it); `round_trip_s` is the C-STORE's round trip
  // when one was sent.
  // Reading the stored object failed: corrupt -> dead_letter_corrupt, else a destination failure.
  void read_failed(const queue::Job& job, const DestinationHealth::Attempt& attempt,
                   const Error& error);
  // A stored object whose bytes are gone or fail their checksum: dead-lettered, counted.
  void dead_letter_corrupt(const queue::Job& job, const Error& error);
  void on_destination_failure(const queue::Job& job, const DestinationHealth::Attempt& attempt,
                              const std::string& error,
                              std::optional<double> round_trip_s = std::nullopt);
  void record_success(const queue::Job& job, const DestinationHealth::Attempt& attempt,
                      double round_trip_s);
  void settle(const queue::Job& job, int64_t retry_at_ms, std::string error, bool dead,
              std::optional<double> round_trip_s = std::nullopt);

  asio::io_context& io_;
  asio::thread_pool& work_pool_;
  config::DestinationConfig config_;
  queue::InstanceStore& store_;
  queue::ForwardQueue& queue_;
  std::atomic<uint64_t>& association_ids_;
  RouterMetrics& metrics_;
  asio::strand<asio::io_context::executor_type> strand_;
  std::optional<dicom::net::TlsContextSource> tls_;  // tls = true

  // Strand-only state.
  std::vector<std::shared_ptr<Worker>> workers_;
  DestinationHealth health_;
  bool stopping_ = false;
  std::set<std::pair<std::string, std::string>> contexts_wanted_;  // (SOP class, stored TS)
  // SOP Instance UIDs being sent; shared with worker frames (they may outlive this object).
  std::shared_ptr<std::set<std::string>> in_flight_uids_ =
      std::make_shared<std::set<std::string>>();

  mutable std::mutex state_mutex_;
  DestinationState state_;
  // Shared with worker frames, which may outlive this object when the io_context is torn down.
  std::shared_ptr<std::atomic<unsigned>> running_ = std::make_shared<std::atomic<unsigned>>(0);
};

}  // namespace acc::router
