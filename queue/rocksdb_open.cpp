// Opening the RocksDB store: column families, counter recovery, the jobs index scan, and the
// secondary instance behind open_reader().
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "queue/job_index.hpp"
#include "queue/record_codec.hpp"
#include "queue/rocksdb_instance_store.hpp"
#include "queue/rocksdb_store_impl.hpp"
#include "queue/rocksdb_support.hpp"

namespace acc::queue {
namespace {

void destroy_handles(rocksdb::DB* db, Handles& handles) {
  for (auto* h : handles) {
    if (h != nullptr) {
      db->DestroyColumnFamilyHandle(h);
    }
  }
  handles.clear();
}

// The persisted counter, or, for a store written without one, the highest arrival_seq found in
// the meta records.
[[nodiscard]] Result<uint64_t> recover_last_seq(rocksdb::DB& db, const Handles& handles) {
  std::string value;
  auto s = db.Get(rocksdb::ReadOptions(), handles[kSeq], as_slice(kArrivalSeqKey), &value);
  if (s.ok()) {
    return decode_u64_be(value);
  }
  if (!s.IsNotFound()) {
    return fail(status_error(QueueErrc::open_failed, s, "read arrival_seq"));
  }
  uint64_t max_seq = 0;
  std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(rocksdb::ReadOptions(), handles[kMeta]));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto record = decode_record(it->value().ToStringView());
    if (record) {
      max_seq = std::max(max_seq, record->arrival_seq);
    }
  }
  if (!it->status().ok()) {
    return fail(status_error(QueueErrc::open_failed, it->status(), "scan meta"));
  }
  return max_seq;
}

// The one scan of `jobs` per process lifetime; every job starts pending (or dead): leases did not
// survive the previous process. The jobs of one instance share one InstanceInfo.
[[nodiscard]] Result<JobIndex> load_index(rocksdb::DB& db, const Handles& handles) {
  JobIndex index;
  std::unordered_map<uint64_t, std::shared_ptr<const InstanceInfo>> instances;
  auto scanned = scan_jobs(db, handles[kJobs], "", [&](JobKey&& key, JobValue&& value) {
    auto& instance = instances[key.arrival_seq];
    if (!instance) {
      instance = instance_of(value);
    }
    index.upsert(key.destination, key.arrival_seq, from_value(value, instance),
                 JobIndex::Lease::Clear);
  });
  if (!scanned) {
    return fail(std::move(scanned.error()));
  }
  return index;
}

// The segment files, recovered against what the index references: a segment's synced watermark
// is the end of the furthest object a record points at (the record was written after the
// segment's fdatasync returned), so only the tail past it, which no record references, is read
// and cut where torn. Segments no record points into hold nothing anybody was promised: they are
// deleted without being read. Every referenced range is registered live.
[[nodiscard]] Result<std::unique_ptr<SegmentSet>> open_segments(rocksdb::DB& db,
                                                                const Handles& handles,
                                                                const StoreOptions& options) {
  std::vector<ObjectRef> refs;
  std::map<uint64_t, uint64_t> synced_through;
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(ro, handles[kMeta]));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto record = decode_record(it->value().ToStringView());
    if (record && record->object) {
      const ObjectRef& ref = *record->object;
      refs.push_back(ref);
      uint64_t& mark = synced_through[ref.segment];
      mark = std::max(mark, ref.offset + ref.length);
    }
  }
  if (!it->status().ok()) {
    return fail(status_error(QueueErrc::open_failed, it->status(), "scan meta for segments"));
  }
  auto set =
      SegmentSet::open(SegmentSet::Options{segment_dir_of(options.path), options.max_segment_bytes},
                       synced_through, SegmentSet::Unlisted::dead);
  if (!set) {
    return fail(QueueErrc::open_failed, "segments: " + set.error().message());
  }
  auto owned = std::make_unique<SegmentSet>(std::move(*set));
  for (const auto& ref : refs) {
    owned->add_live(ref);
  }
  if (auto deleted = owned->delete_dead(); !deleted) {
    return fail(QueueErrc::open_failed, "segments: " + deleted.error().message());
  }
  return owned;
}

// See StoreTuning: a secondary must not read blob files, so a store that has them is refused
// rather than crashing the CLI.
bool has_blob_files(const std::filesystem::path& dir) {
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".blob") {
      return true;
    }
  }
  return false;
}

[[nodiscard]] Result<std::filesystem::path> make_secondary_dir() {
  std::error_code ec;
  auto base = std::filesystem::temp_directory_path(ec);
  if (ec) {
    return fail(QueueErrc::open_failed, "no temp directory: " + ec.message());
  }
  std::string tmpl = (base / "acc-queue-reader-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    return fail(QueueErrc::open_failed, "mkdtemp " + tmpl + " failed");
  }
  return std::filesystem::path(tmpl);
}

// A secondary cannot create column families, and a store last written before studies and
// decisions existed lacks them: open those present, leaving nullptr in the slots of the others.
struct SecondaryFamilies {
  std::vector<rocksdb::ColumnFamilyDescriptor> present;
  std::vector<std::size_t> slots;  // index into the Cf-ordered handles, per present descriptor
  std::size_t total = 0;
};

[[nodiscard]] Result<SecondaryFamilies> secondary_families(const rocksdb::DBOptions& options,
                                                           const std::filesystem::path& path) {
  std::vector<std::string> names;
  auto s = rocksdb::DB::ListColumnFamilies(options, path.string(), &names);
  if (!s.ok()) {
    return fail(status_error(QueueErrc::open_failed, s, path.string()));
  }
  SecondaryFamilies out;
  auto all = make_cf_descriptors(StoreTuning{});
  out.total = all.size();
  for (std::size_t i = 0; i < all.size(); ++i) {
    const bool present = std::find(names.begin(), names.end(), all[i].name) != names.end();
    if (!present && i < kStudies) {
      return fail(QueueErrc::open_failed,
                  path.string() + ": not an instance store (no " + all[i].name + " family)");
    }
    if (present) {
      out.slots.push_back(i);
      out.present.push_back(std::move(all[i]));
    }
  }
  return out;
}

}  // namespace

[[nodiscard]] Result<std::unique_ptr<InstanceStore>> open_rocksdb_store(const StoreOptions& options,
                                                                        const StoreTuning& tuning) {
  std::error_code ec;
  std::filesystem::create_directories(options.path, ec);
  if (ec) {
    return fail(QueueErrc::open_failed, options.path.string() + ": " + ec.message());
  }
  rocksdb::DB* raw = nullptr;
  Handles handles;
  rocksdb::DBOptions db_options = make_db_options();
  // A torn last record (the write in progress when the process died) is cut; damage before it
  // fails the open. The default, point-in-time recovery, would stop replaying at the damage and
  // open without the synced (acknowledged) records after it, silently.
  db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  auto s = rocksdb::DB::Open(db_options, options.path.string(), make_cf_descriptors(tuning),
                             &handles, &raw);
  if (!s.ok()) {
    return fail(status_error(QueueErrc::open_failed, s, options.path.string()));
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  auto last_seq = recover_last_seq(*db, handles);
  if (!last_seq) {
    destroy_handles(db.get(), handles);
    return fail(QueueErrc::open_failed, last_seq.error().message());
  }
  auto index = load_index(*db, handles);
  if (!index) {
    destroy_handles(db.get(), handles);
    return fail(QueueErrc::open_failed, index.error().message());
  }
  auto segments = open_segments(*db, handles, options);
  if (!segments) {
    destroy_handles(db.get(), handles);
    return fail(std::move(segments.error()));
  }
  return make_rocksdb_store(StoreInit{
      .db = std::move(db),
      .handles = std::move(handles),
      .read_only = false,
      .sync = options.sync,
      .max_group_bytes = options.max_group_bytes,
      .compact_min_segment_bytes = options.compact_min_segment_bytes,
      .idle_tick = options.idle_tick,
      .last_seq = *last_seq,
      .secondary_dir = {},
      .index = std::move(*index),
      .segments = std::move(*segments),
      .segment_dir = segment_dir_of(options.path),
      .on_fatal_io = options.on_fatal_io,
  });
}

[[nodiscard]] Result<std::unique_ptr<InstanceStore>> open_rocksdb_reader(
    const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) {
    return fail(QueueErrc::open_failed, path.string() + ": not a store directory");
  }
  if (has_blob_files(path)) {
    return fail(QueueErrc::open_failed,
                path.string() + ": store has BlobDB files, which RocksDB secondaries cannot read");
  }
  rocksdb::DBOptions db_options = make_db_options();
  db_options.create_if_missing = false;
  db_options.create_missing_column_families = false;
  db_options.max_open_files = -1;  // required for secondary instances
  auto families = secondary_families(db_options, path);
  if (!families) {
    return fail(std::move(families.error()));
  }
  auto dir = make_secondary_dir();
  if (!dir) {
    return fail(std::move(dir.error()));
  }
  rocksdb::DB* raw = nullptr;
  Handles opened;
  auto s = rocksdb::DB::OpenAsSecondary(db_options, path.string(), dir->string(), families->present,
                                        &opened, &raw);
  Handles handles(families->total, nullptr);
  if (s.ok()) {
    for (std::size_t i = 0; i < opened.size(); ++i) {
      handles[families->slots[i]] = opened[i];
    }
    // Open already replays the WAL; catching up once more narrows the window for writes that
    // landed while the secondary was opening.
    s = raw->TryCatchUpWithPrimary();
    if (!s.ok()) {
      destroy_handles(raw, handles);
      delete raw;
    }
  }
  if (!s.ok()) {
    std::filesystem::remove_all(*dir, ec);
    return fail(status_error(QueueErrc::open_failed, s, path.string()));
  }
  return make_rocksdb_store(StoreInit{
      .db = std::unique_ptr<rocksdb::DB>(raw),
      .handles = std::move(handles),
      .read_only = true,
      .sync = false,
      .max_group_bytes = 0,
      .last_seq = 0,
      .secondary_dir = std::move(*dir),
      .index = {},
      .segments = {},
      .segment_dir = segment_dir_of(path),
      .on_fatal_io = {},
  });
}

}  // namespace acc::queue
