#pragma once
// The Modality Worklist cache (issue 4): what the RIS scheduled, fetched by C-FIND every
// refresh_s over a window around today and kept in memory for matching. Entries are persisted in
// the store's `worklist` column family (only those that changed), so a restart during a RIS
// outage still stamps. The RIS being down never blocks receiving: matching reads the cache, never
// the network.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
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
#include "dicom/net/tls.hpp"
#include "queue/instance_store.hpp"
#include "rules/worklist_match.hpp"

namespace acc::router {

struct WorklistStatus {
  std::size_t entries = 0;
  std::size_t undecodable = 0;  // placeholders for items the RIS sent that could not be decoded
  int64_t last_success_ms = 0;  // Unix ms; 0 = never
  uint64_t refreshes = 0;
  uint64_t failures = 0;
  std::string last_error;
};

class WorklistCache {
 public:
  using Listener = std::function<void()>;

  WorklistCache(asio::io_context& io, config::WorklistConfig config, std::string our_ae,
                queue::InstanceStore& store);

  // Loads the entries a previous run persisted (none: an empty cache). Undecodable values are
  // skipped with a warning; only a store read error fails.
  [[nodiscard]] Result<void> load();
  // Reads the worklist's TLS files (tls = true): at start and on a reload; queries from then on
  // use them. A no-op without TLS. Thread-safe.
  [[nodiscard]] Result<void> reload_tls();
  // Periodic refresh until stop(); first refresh at once.
  void start();
  void stop();
  // Called (on the cache's strand) after every successful refresh or query-on-miss.
  void set_listener(Listener l) { listener_ = std::move(l); }

  // Entries for matching: an immutable snapshot shared with every caller (no copy per instance),
  // replaced when a refresh changes the cache. Entries not seen in the RIS for more than grace_s
  // are marked stale, which never matches; the snapshot is rebuilt when the next one expires.
  using Snapshot = std::shared_ptr<const std::vector<rules::CachedEntry>>;
  [[nodiscard]] Snapshot entries(int64_t now_ms) const;
  // Asks the RIS for one patient's orders, without blocking the caller; the listener runs when
  // the answer is in. Repeats for the same patient within a minute are ignored.
  void query_patient(const std::string& patient_id);
  // One refresh now (tests, the admin socket).
  void refresh_now();

  [[nodiscard]] WorklistStatus status() const;

  // Takes in the items of a C-FIND: merges them, persists what changed, publishes a new snapshot.
  // A full refresh also forgets week-old entries and counts as a successful refresh. Returns how
  // many keys were written or deleted in the store. (Public for tests and benchmarks.)
  std::size_t absorb(std::vector<dicom::data::WorklistItem> items, bool full_refresh);
  // The same, with the patients of the answer's items that could not be decoded (one per item).
  // Each becomes a placeholder in the snapshot (CachedEntry::undecodable, only the patient set),
  // so the matcher never takes the patient's one decodable order for the only one. Placeholders
  // live in memory only: a full refresh's replace all previous ones; a query-on-miss answer
  // (full_refresh false) replaces those of `queried_patient_id` and of the patients it names.
  std::size_t absorb(std::vector<dicom::data::WorklistItem> items, bool full_refresh,
                     std::vector<dicom::data::IssuedPatientId> undecodable,
                     const std::string& queried_patient_id = {});

  // Merges C-FIND results into `entries` (pure: unit-tested). Items are identified by Accession
  // Number + Requested Procedure ID + SPS ID + Patient ID; a returned item updates last_seen.
  // Returns the indices of entries that are new or whose item changed (to be persisted).
  struct Entry {
    dicom::data::WorklistItem item;
    int64_t last_seen_ms = 0;
    int64_t persisted_seen_ms = 0;  // last_seen_ms as last written to the store; 0 = never
  };
  static std::vector<std::size_t> merge(std::vector<Entry>& entries,
                                        std::vector<dicom::data::WorklistItem> items,
                                        int64_t now_ms);
  // The store key of an entry ("e/" + identity).
  [[nodiscard]] static std::string store_key(const dicom::data::WorklistItem& item);

 private:
  asio::awaitable<void> refresh_loop();
  struct Answer {
    std::vector<dicom::data::WorklistItem> items;
    std::vector<dicom::data::IssuedPatientId> undecodable;  // items decoded no further
  };
  [[nodiscard]] asio::awaitable<Result<Answer>> query(const dicom::data::WorklistQuery& q);
  asio::awaitable<void> refresh_once();
  asio::awaitable<void> query_patient_once(std::string patient_id);
  void rebuild_snapshot_locked(int64_t now_ms) const;

  asio::io_context& io_;
  config::WorklistConfig config_;
  std::string our_ae_;
  queue::InstanceStore& store_;
  asio::strand<asio::io_context::executor_type> strand_;
  asio::steady_timer timer_;
  std::optional<dicom::net::TlsContextSource> tls_;  // tls = true
  Listener listener_;
  bool stopping_ = false;
  std::map<std::string, int64_t> recent_patient_queries_;  // strand only

  mutable std::mutex mutex_;  // guards entries_, undecodable_, status_ and the snapshot
  std::vector<Entry> entries_;
  std::vector<dicom::data::IssuedPatientId> undecodable_;  // placeholders, never persisted
  WorklistStatus status_;
  mutable Snapshot snapshot_;
  mutable int64_t snapshot_expires_ms_ = 0;  // when the next non-stale entry turns stale
};

[[nodiscard]] nlohmann::json to_json(const dicom::data::WorklistItem& item);
[[nodiscard]] dicom::data::WorklistItem worklist_item_from_json(const nlohmann::json& j);

}  // namespace acc::router
