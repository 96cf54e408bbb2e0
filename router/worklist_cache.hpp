#pragma once
// The Modality Worklist cache (issue 4): what the RIS scheduled, fetched by C-FIND every
// refresh_s over a window around today and kept in memory for matching. The last good result is
// saved atomically next to the store, so a restart during a RIS outage still stamps. The RIS being
// down never blocks receiving: matching reads the cache, never the network.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <nlohmann/json.hpp>

#include "common/result.hpp"
#include "config/config.hpp"
#include "rules/worklist_match.hpp"

namespace acc::router {

struct WorklistStatus {
  std::size_t entries = 0;
  int64_t last_success_ms = 0;  // Unix ms; 0 = never
  uint64_t refreshes = 0;
  uint64_t failures = 0;
  std::string last_error;
};

class WorklistCache {
 public:
  using Listener = std::function<void()>;

  WorklistCache(asio::io_context& io, config::WorklistConfig config, std::string our_ae,
                std::filesystem::path snapshot_file);

  // Loads the snapshot of a previous run (a missing file is an empty cache).
  [[nodiscard]] Result<void> load();
  // Periodic refresh until stop(); first refresh at once.
  void start();
  void stop();
  // Called (on the cache's strand) after every successful refresh or query-on-miss.
  void set_listener(Listener l) { listener_ = std::move(l); }

  // Entries for matching (a copy: matching runs on other threads). Entries not seen in the RIS for
  // more than grace_s are marked stale, which never matches.
  [[nodiscard]] std::vector<rules::CachedEntry> entries(int64_t now_ms) const;
  // Asks the RIS for one patient's orders, without blocking the caller; the listener runs when
  // the answer is in. Repeats for the same patient within a minute are ignored.
  void query_patient(const std::string& patient_id);
  // One refresh now (tests, the admin socket).
  void refresh_now();

  [[nodiscard]] WorklistStatus status() const;

  // Merges C-FIND results into `entries` (pure: unit-tested). Items are identified by Accession
  // Number + Requested Procedure ID + SPS ID + Patient ID; a returned item updates last_seen.
  struct Entry {
    dicom::data::WorklistItem item;
    int64_t last_seen_ms = 0;
  };
  static void merge(std::vector<Entry>& entries, std::vector<dicom::data::WorklistItem> items,
                    int64_t now_ms);

 private:
  asio::awaitable<void> refresh_loop();
  asio::awaitable<Result<std::vector<dicom::data::WorklistItem>>> query(
      const dicom::data::WorklistQuery& q);
  asio::awaitable<void> refresh_once();
  asio::awaitable<void> query_patient_once(std::string patient_id);
  void save_snapshot() const;

  asio::io_context& io_;
  config::WorklistConfig config_;
  std::string our_ae_;
  std::filesystem::path snapshot_file_;
  asio::strand<asio::io_context::executor_type> strand_;
  asio::steady_timer timer_;
  Listener listener_;
  bool stopping_ = false;
  std::map<std::string, int64_t> recent_patient_queries_;  // strand only

  mutable std::mutex mutex_;  // guards entries_ and status_
  std::vector<Entry> entries_;
  WorklistStatus status_;
};

[[nodiscard]] nlohmann::json to_json(const dicom::data::WorklistItem& item);
[[nodiscard]] dicom::data::WorklistItem worklist_item_from_json(const nlohmann::json& j);

}  // namespace acc::router
