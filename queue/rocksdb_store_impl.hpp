#pragma once
// Private seam between opening the RocksDB store (rocksdb_open.cpp) and running it
// (rocksdb_instance_store.cpp).

#include <rocksdb/db.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>

#include "queue/instance_store.hpp"
#include "queue/job_index.hpp"
#include "queue/rocksdb_support.hpp"
#include "queue/segment_set.hpp"

namespace acc::queue {

struct StoreInit {
  std::unique_ptr<rocksdb::DB> db;
  Handles handles;
  bool read_only = false;
  bool sync = true;
  std::size_t max_group_bytes = 0;
  uint64_t compact_min_segment_bytes = 16ull << 20;
  std::chrono::milliseconds idle_tick{1000};
  uint64_t last_seq = 0;
  std::filesystem::path secondary_dir;  // removed on destruction (readers only)
  JobIndex index;                       // loaded by open (primary only)
  // Object bytes (issue 11). The primary owns the set (recovered, live records registered); a
  // reader only reads files in segment_dir.
  std::unique_ptr<SegmentSet> segments;
  std::filesystem::path segment_dir;
  std::function<void(const Error&)> on_fatal_io;
};

// <store>/segments: inside the store directory, so one path is the whole queue (backups, the
// free-space check, the systemd unit's ReadWritePaths).
[[nodiscard]] inline std::filesystem::path segment_dir_of(const std::filesystem::path& store) {
  return store / "segments";
}

// Takes ownership of the database and its handles; starts the commit thread unless read-only.
[[nodiscard]] std::unique_ptr<InstanceStore> make_rocksdb_store(StoreInit init);

}  // namespace acc::queue
