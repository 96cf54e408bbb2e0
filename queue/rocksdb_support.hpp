#pragma once
// RocksDB plumbing shared by the store, its group builder and the open paths: options, column
// families, status conversion and the `jobs` scan.

#include <rocksdb/db.h>
#include <rocksdb/slice.h>

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "queue/record_codec.hpp"
#include "queue/rocksdb_instance_store.hpp"

namespace acc::queue {

// Indices into the handle vector: the order of make_cf_descriptors().
enum Cf : std::size_t {
  kDefault = 0,
  kMeta,
  kObject,
  kSeq,
  kJobs,
  kStudies,
  kDecisions,
  kWorklist
};

// A reader opens only the families present (a store written before studies/decisions existed
// lacks them); the handle of an absent one is nullptr.
using Handles = std::vector<rocksdb::ColumnFamilyHandle*>;

// The single place where a RocksDB status becomes an acc::Error. `op` says what was being done;
// corruption found while reading is reported as such so callers can tell it from an I/O error.
[[nodiscard]] Error status_error(QueueErrc op, const rocksdb::Status& s, std::string_view what);

inline rocksdb::Slice as_slice(std::string_view s) {
  return {s.data(), s.size()};
}
inline rocksdb::Slice as_slice(const std::vector<uint8_t>& v) {
  return {reinterpret_cast<const char*>(v.data()), v.size()};
}

[[nodiscard]] rocksdb::DBOptions make_db_options();
[[nodiscard]] std::vector<rocksdb::ColumnFamilyDescriptor> make_cf_descriptors(
    const StoreTuning& tuning);

// Visits the jobs of `destination` (empty = all) in key order. Fails with corrupt_record on a key
// or value that does not decode, naming the key.
[[nodiscard]] Result<void> scan_jobs(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* jobs,
                                     std::string_view destination,
                                     const std::function<void(JobKey&&, JobValue&&)>& visit);

}  // namespace acc::queue
