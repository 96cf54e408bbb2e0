#include "queue/rocksdb_support.hpp"

#include <rocksdb/options.h>
#include <rocksdb/utilities/table_properties_collectors.h>

#include <algorithm>
#include <memory>
#include <string>

namespace acc::queue {

Error status_error(QueueErrc op, const rocksdb::Status& s, std::string_view what) {
  QueueErrc code = op;
  if (s.IsCorruption() && op == QueueErrc::read_failed) {
    code = QueueErrc::corrupt_record;
  } else if (s.IsShutdownInProgress()) {
    code = QueueErrc::shutting_down;
  }
  return Error{make_error_code(code), std::string(what) + ": " + s.ToString()};
}

rocksdb::DBOptions make_db_options() {
  rocksdb::DBOptions o;
  o.create_if_missing = true;
  o.create_missing_column_families = true;
  // Our commit thread is RocksDB's only heavy writer, so this mostly matters for probe writes
  // racing a group; the 1 MB default would still split them (performance-notes §0.4a).
  o.max_write_batch_group_size_bytes = 64u << 20;
  // Recycled WAL files would save an inode update per fdatasync; left off until tested with the
  // secondary reader, which tails the primary's WAL files.
  o.recycle_log_file_num = 0;
  o.manual_wal_flush = false;
  // meta, object, seq and jobs are always written together. Flushing them together lets a WAL
  // file be dropped as soon as the object memtable fills, instead of being pinned by small CFs.
  o.atomic_flush = true;
  o.keep_log_file_num = 10;
  o.max_background_jobs = 2;
  return o;
}

std::vector<rocksdb::ColumnFamilyDescriptor> make_cf_descriptors(const StoreTuning& tuning) {
  rocksdb::ColumnFamilyOptions small;
  // Records only (~1 KB per instance with its jobs): object bytes live in segment files, so a
  // few MB of memtable hold thousands of instances. RocksDB's 64 MB default per family, times
  // eight families and two memtables each, was memory nobody needed (issue 11).
  small.write_buffer_size = tuning.record_write_buffer;
  // Every instance and every job is deleted once delivered, so the flushed files of meta, object
  // and jobs are mostly tombstones. Files dense in them are compacted early, which is where the
  // tombstones (and the values they shadow) are dropped, instead of waiting for size triggers.
  rocksdb::ColumnFamilyOptions deleting = small;
  if (tuning.compact_on_deletion) {
    deleting.table_properties_collector_factories.push_back(
        rocksdb::NewCompactOnDeletionCollectorFactory(128, 64, 0.5));
  }
  rocksdb::ColumnFamilyOptions object = deleting;
  object.write_buffer_size = tuning.object_write_buffer;
  // Pixel data is dense or already compressed: compressing it costs CPU on the receive cores
  // for little gain.
  object.compression = rocksdb::kNoCompression;
  if (tuning.blob_files) {
    object.enable_blob_files = true;
    object.min_blob_size = tuning.min_blob_size;
    object.blob_file_size = std::max<uint64_t>(tuning.object_write_buffer, 64u << 20);
    object.blob_compression_type = rocksdb::kNoCompression;
    object.enable_blob_garbage_collection = tuning.blob_garbage_collection;
  }
  return {
      {rocksdb::kDefaultColumnFamilyName, small}, {std::string(kMetaCf), deleting},
      {std::string(kObjectCf), object},           {std::string(kSeqCf), small},
      {std::string(kJobsCf), deleting},           {std::string(kStudiesCf), small},
      {std::string(kDecisionsCf), small},         {std::string(kWorklistCf), small},
  };
}

[[nodiscard]] Result<void> scan_jobs(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* jobs,
                                     std::string_view destination,
                                     const std::function<void(JobKey&&, JobValue&&)>& visit) {
  // Bounded on both sides: the iterator then never walks tombstones outside the range
  // (performance-notes §3, "Implement Queue Service Using RocksDB").
  const std::string lower = destination.empty() ? std::string() : job_range_begin(destination);
  const std::string upper = destination.empty() ? std::string() : job_range_end(destination);
  rocksdb::Slice lower_slice(lower);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;  // one pass over everything: keep the block cache for point lookups
  if (!destination.empty()) {
    ro.iterate_lower_bound = &lower_slice;
    ro.iterate_upper_bound = &upper_slice;
  }
  std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(ro, jobs));
  for (it->Seek(lower_slice); it->Valid(); it->Next()) {
    auto key = decode_job_key(it->key().ToStringView());
    if (!key) {
      return fail(std::move(key.error()));
    }
    auto value = decode_job_value(it->value().ToStringView());
    if (!value) {
      value.error().detail +=
          " (job " + key->destination + "/" + std::to_string(key->arrival_seq) + ")";
      return fail(std::move(value.error()));
    }
    visit(std::move(*key), std::move(*value));
  }
  if (!it->status().ok()) {
    return fail(status_error(QueueErrc::read_failed, it->status(), "scan jobs"));
  }
  return {};
}

}  // namespace acc::queue
