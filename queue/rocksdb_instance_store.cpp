#include "queue/rocksdb_instance_store.hpp"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/slice.h>
#include <rocksdb/write_batch.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "queue/record_codec.hpp"

namespace acc::queue {
namespace {

// Indices into the handle vector: the order of make_cf_descriptors().
enum Cf : std::size_t { kDefault = 0, kMeta, kObject, kSeq };

// The single place where a RocksDB status becomes an acc::Error. `op` says what was being done;
// corruption found while reading is reported as such so callers can tell it from an I/O error.
Error status_error(QueueErrc op, const rocksdb::Status& s, std::string_view what) {
  QueueErrc code = op;
  if (s.IsCorruption() && op == QueueErrc::read_failed) {
    code = QueueErrc::corrupt_record;
  } else if (s.IsShutdownInProgress()) {
    code = QueueErrc::shutting_down;
  }
  return Error{make_error_code(code), std::string(what) + ": " + s.ToString()};
}

rocksdb::Slice as_slice(std::string_view s) {
  return {s.data(), s.size()};
}
rocksdb::Slice as_slice(const std::vector<uint8_t>& v) {
  return {reinterpret_cast<const char*>(v.data()), v.size()};
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
  // meta, object and seq are always written together. Flushing them together lets a WAL file be
  // dropped as soon as the object memtable fills, instead of being pinned by the small meta CF.
  o.atomic_flush = true;
  o.keep_log_file_num = 10;
  o.max_background_jobs = 2;
  return o;
}

std::vector<rocksdb::ColumnFamilyDescriptor> make_cf_descriptors(const StoreTuning& tuning) {
  rocksdb::ColumnFamilyOptions small;
  rocksdb::ColumnFamilyOptions object;
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
      {rocksdb::kDefaultColumnFamilyName, small},
      {std::string(kMetaCf), small},
      {std::string(kObjectCf), object},
      {std::string(kSeqCf), small},
  };
}

class RocksInstanceStore final : public InstanceStore {
 public:
  struct Init {
    std::unique_ptr<rocksdb::DB> db;
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    bool read_only = false;
    bool sync = true;
    std::size_t max_group_bytes = 0;
    uint64_t last_seq = 0;
    std::filesystem::path secondary_dir;  // removed on destruction (readers only)
  };

  explicit RocksInstanceStore(Init init)
      : db_(std::move(init.db)),
        handles_(std::move(init.handles)),
        read_only_(init.read_only),
        sync_(init.sync),
        max_group_bytes_(init.max_group_bytes),
        last_seq_(init.last_seq),
        secondary_dir_(std::move(init.secondary_dir)) {
    if (!read_only_) {
      thread_ = std::thread([this] { run_commits(); });
    }
  }

  RocksInstanceStore(const RocksInstanceStore&) = delete;
  RocksInstanceStore& operator=(const RocksInstanceStore&) = delete;

  ~RocksInstanceStore() override {
    close();
    for (auto* h : handles_) {
      db_->DestroyColumnFamilyHandle(h);
    }
    db_->Close();
    db_.reset();
    if (!secondary_dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(secondary_dir_, ec);
    }
  }

  void commit_async(InstanceRecord record, std::vector<uint8_t> part10,
                    CommitCallback done) override {
    if (read_only_) {
      done(fail(QueueErrc::write_failed, "store was opened read-only"));
      return;
    }
    // An empty key would be stored but then fail to decode, breaking list() for good.
    if (record.sop_instance_uid.empty()) {
      done(fail(QueueErrc::write_failed, "empty SOP Instance UID"));
      return;
    }
    {
      std::lock_guard lock(mu_);
      if (!closing_) {
        pending_.push_back({std::move(record), std::move(part10), std::move(done)});
        cv_.notify_one();
        return;
      }
    }
    done(fail(QueueErrc::shutting_down, "commit after close()"));
  }

  Result<std::vector<InstanceRecord>> list() const override {
    std::vector<InstanceRecord> out;
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions(), handles_[kMeta]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      auto record = decode_record(it->value().ToStringView());
      if (!record) {
        record.error().detail += " (key " + it->key().ToString() + ")";
        return fail(std::move(record.error()));
      }
      out.push_back(std::move(*record));
    }
    if (!it->status().ok()) {
      return fail(status_error(QueueErrc::read_failed, it->status(), "list meta"));
    }
    // Sorted in memory: a separate arrival index would need a read-modify-write on replace in
    // the commit thread. Revisit when stores hold millions of records.
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a.arrival_seq < b.arrival_seq; });
    return out;
  }

  Result<std::optional<InstanceRecord>> find(std::string_view sop_instance_uid) const override {
    std::string value;
    auto s = db_->Get(rocksdb::ReadOptions(), handles_[kMeta], as_slice(sop_instance_uid), &value);
    if (s.IsNotFound()) {
      return std::nullopt;
    }
    if (!s.ok()) {
      return fail(status_error(QueueErrc::read_failed, s, "get meta"));
    }
    auto record = decode_record(value);
    if (!record) {
      return fail(std::move(record.error()));
    }
    return std::optional<InstanceRecord>(std::move(*record));
  }

  Result<std::optional<std::vector<uint8_t>>> read_object(
      std::string_view sop_instance_uid) const override {
    rocksdb::PinnableSlice value;
    auto s =
        db_->Get(rocksdb::ReadOptions(), handles_[kObject], as_slice(sop_instance_uid), &value);
    if (s.IsNotFound()) {
      return std::nullopt;
    }
    if (!s.ok()) {
      return fail(status_error(QueueErrc::read_failed, s, "get object"));
    }
    const auto* data = reinterpret_cast<const uint8_t*>(value.data());
    return std::optional<std::vector<uint8_t>>(std::in_place, data, data + value.size());
  }

  Result<void> probe_writable() override {
    if (read_only_) {
      return fail(QueueErrc::write_failed, "store was opened read-only");
    }
    rocksdb::WriteOptions wo;
    wo.sync = true;
    auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    auto s = db_->Put(wo, handles_[kDefault], as_slice(kProbeKey), std::to_string(now));
    if (!s.ok()) {
      return fail(status_error(QueueErrc::write_failed, s, "probe"));
    }
    return {};
  }

  CommitStats stats() const override {
    return {instances_.load(std::memory_order_relaxed), groups_.load(std::memory_order_relaxed),
            bytes_.load(std::memory_order_relaxed)};
  }

  // Must not be called from a commit callback (it would join the thread running it).
  void close() override {
    {
      std::lock_guard lock(mu_);
      closing_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) {
      thread_.join();
    }
  }

 private:
  struct Pending {
    InstanceRecord record;
    std::vector<uint8_t> bytes;
    CommitCallback done;
  };

  void run_commits() {
    std::vector<Pending> group;
    while (take_group(group)) {
      commit_group(group);
      group.clear();
    }
  }

  // Waits for work and moves the queued commits that fit in max_group_bytes into `group` (always
  // at least one, however large). Returns false once closing and fully drained.
  bool take_group(std::vector<Pending>& group) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return !pending_.empty() || closing_; });
    if (pending_.empty()) {
      return false;
    }
    std::size_t bytes = 0;
    do {
      bytes += pending_.front().bytes.size();
      group.push_back(std::move(pending_.front()));
      pending_.pop_front();
    } while (!pending_.empty() && bytes + pending_.front().bytes.size() <= max_group_bytes_);
    return true;
  }

  void commit_group(std::vector<Pending>& group) {
    std::size_t payload = 0;
    for (const auto& p : group) {
      payload += p.bytes.size() + 1024;  // meta JSON and batch framing fit in 1 KiB
    }
    rocksdb::WriteBatch batch(payload + 64);
    uint64_t seq = last_seq_;
    rocksdb::Status s;
    for (auto& p : group) {
      p.record.arrival_seq = ++seq;
      p.record.size_bytes = p.bytes.size();
      const auto& uid = p.record.sop_instance_uid;
      s = batch.Put(handles_[kMeta], as_slice(uid), encode_record(p.record));
      if (s.ok()) {
        s = batch.Put(handles_[kObject], as_slice(uid), as_slice(p.bytes));
      }
      if (!s.ok()) {
        break;
      }
    }
    if (s.ok()) {
      auto counter = encode_u64_be(seq);
      s = batch.Put(handles_[kSeq], as_slice(kArrivalSeqKey),
                    rocksdb::Slice(counter.data(), counter.size()));
    }
    if (s.ok()) {
      rocksdb::WriteOptions wo;
      wo.sync = sync_;
      s = db_->Write(wo, &batch);
    }
    // Numbers of a failed group are not reused: arrival_seq is increasing, not dense, and a
    // failed WAL write may still surface after recovery.
    last_seq_ = seq;
    if (s.ok()) {
      uint64_t bytes = 0;
      for (const auto& p : group) {
        bytes += p.bytes.size();
      }
      instances_.fetch_add(group.size(), std::memory_order_relaxed);
      groups_.fetch_add(1, std::memory_order_relaxed);
      bytes_.fetch_add(bytes, std::memory_order_relaxed);
      for (auto& p : group) {
        p.done(p.record.arrival_seq);
      }
      return;
    }
    Error error = status_error(QueueErrc::write_failed, s, "group commit");
    for (auto& p : group) {
      p.done(fail(error));
    }
  }

  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  const bool read_only_;
  const bool sync_;
  const std::size_t max_group_bytes_;
  uint64_t last_seq_;  // commit thread only
  std::filesystem::path secondary_dir_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> pending_;
  bool closing_ = false;
  std::thread thread_;

  std::atomic<uint64_t> instances_{0};
  std::atomic<uint64_t> groups_{0};
  std::atomic<uint64_t> bytes_{0};
};

void destroy_handles(rocksdb::DB* db, std::vector<rocksdb::ColumnFamilyHandle*>& handles) {
  for (auto* h : handles) {
    db->DestroyColumnFamilyHandle(h);
  }
  handles.clear();
}

// The persisted counter, or, for a store written without one, the highest arrival_seq found in
// the meta records.
Result<uint64_t> recover_last_seq(rocksdb::DB& db,
                                  const std::vector<rocksdb::ColumnFamilyHandle*>& handles) {
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

Result<std::filesystem::path> make_secondary_dir() {
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

}  // namespace

Result<std::unique_ptr<InstanceStore>> open_rocksdb_store(const StoreOptions& options,
                                                          const StoreTuning& tuning) {
  std::error_code ec;
  std::filesystem::create_directories(options.path, ec);
  if (ec) {
    return fail(QueueErrc::open_failed, options.path.string() + ": " + ec.message());
  }
  rocksdb::DB* raw = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  auto s = rocksdb::DB::Open(make_db_options(), options.path.string(), make_cf_descriptors(tuning),
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
  return std::make_unique<RocksInstanceStore>(RocksInstanceStore::Init{
      .db = std::move(db),
      .handles = std::move(handles),
      .read_only = false,
      .sync = options.sync,
      .max_group_bytes = options.max_group_bytes,
      .last_seq = *last_seq,
      .secondary_dir = {},
  });
}

Result<std::unique_ptr<InstanceStore>> open_rocksdb_reader(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) {
    return fail(QueueErrc::open_failed, path.string() + ": not a store directory");
  }
  if (has_blob_files(path)) {
    return fail(QueueErrc::open_failed,
                path.string() + ": store has BlobDB files, which RocksDB secondaries cannot read");
  }
  auto dir = make_secondary_dir();
  if (!dir) {
    return fail(std::move(dir.error()));
  }
  rocksdb::DBOptions db_options = make_db_options();
  db_options.create_if_missing = false;
  db_options.create_missing_column_families = false;
  db_options.max_open_files = -1;  // required for secondary instances
  rocksdb::DB* raw = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  auto s = rocksdb::DB::OpenAsSecondary(db_options, path.string(), dir->string(),
                                        make_cf_descriptors(StoreTuning{}), &handles, &raw);
  if (s.ok()) {
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
  return std::make_unique<RocksInstanceStore>(RocksInstanceStore::Init{
      .db = std::unique_ptr<rocksdb::DB>(raw),
      .handles = std::move(handles),
      .read_only = true,
      .sync = false,
      .max_group_bytes = 0,
      .last_seq = 0,
      .secondary_dir = std::move(*dir),
  });
}

}  // namespace acc::queue
