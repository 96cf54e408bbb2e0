#include "queue/rocksdb_store_impl.hpp"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/slice.h>
#include <rocksdb/write_batch.h>
#include <stdlib.h>

#include <cstdio>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "queue/decision_log.hpp"
#include "queue/group_builder.hpp"
#include "queue/job_index.hpp"
#include "queue/record_codec.hpp"
#include "queue/rocksdb_support.hpp"

namespace acc::queue {
namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Error read_only_error() {
  return Error{make_error_code(QueueErrc::write_failed),
               "store was opened read-only; send changes through the server"};
}

class RocksInstanceStore final : public InstanceStore {
 public:
  explicit RocksInstanceStore(StoreInit init)
      : db_(std::move(init.db)),
        handles_(std::move(init.handles)),
        read_only_(init.read_only),
        sync_(init.sync),
        max_group_bytes_(init.max_group_bytes),
        compact_min_segment_bytes_(init.compact_min_segment_bytes),
        idle_tick_(init.idle_tick),
        last_seq_(init.last_seq),
        secondary_dir_(std::move(init.secondary_dir)),
        index_(std::move(init.index)),
        queue_(*this),
        segments_(std::move(init.segments)),
        segment_dir_(std::move(init.segment_dir)),
        on_fatal_io_(std::move(init.on_fatal_io)) {
    if (!read_only_) {
      thread_ = std::thread([this] { run_commits(); });
    }
  }

  RocksInstanceStore(const RocksInstanceStore&) = delete;
  RocksInstanceStore& operator=(const RocksInstanceStore&) = delete;

  ~RocksInstanceStore() override {
    close();
    for (auto* h : handles_) {
      if (h != nullptr) {
        db_->DestroyColumnFamilyHandle(h);
      }
    }
    db_->Close();
    db_.reset();
    if (!secondary_dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(secondary_dir_, ec);
    }
  }

  void commit_object_async(InstanceRecord record, ObjectBytes object,
                           CommitCallback done) override {
    if (read_only_) {
      done(fail(read_only_error()));
      return;
    }
    // An empty key would be stored but then fail to decode, breaking list() for good; a
    // destination name becomes a key prefix and must not contain its separator.
    if (record.sop_instance_uid.empty()) {
      done(fail(QueueErrc::write_failed, "empty SOP Instance UID"));
      return;
    }
    for (const auto& destination : record.destinations) {
      if (!is_valid_destination(destination)) {
        done(fail(QueueErrc::write_failed, "invalid destination name"));
        return;
      }
    }
    Op op = CommitOp{std::move(record), std::move(object), std::move(done)};
    if (!enqueue(op)) {
      std::get<CommitOp>(op).done(fail(QueueErrc::shutting_down, "commit after close()"));
    }
  }

  [[nodiscard]] Result<std::vector<InstanceRecord>> list() const override {
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

  [[nodiscard]] Result<std::optional<InstanceRecord>> find(
      std::string_view sop_instance_uid) const override {
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

  [[nodiscard]] Result<std::optional<std::vector<uint8_t>>> read_object(
      std::string_view sop_instance_uid) const override {
    auto opened = open_object(sop_instance_uid);
    if (!opened) {
      return fail(std::move(opened.error()));
    }
    if (!opened->has_value()) {
      return std::nullopt;
    }
    ObjectStream& stream = ***opened;
    std::vector<uint8_t> out;
    out.reserve(stream.size());
    while (stream.remaining() > 0) {
      auto piece = stream.next(kReadChunk);
      if (!piece) {
        return fail(std::move(piece.error()));
      }
      out.insert(out.end(), piece->begin(), piece->end());
    }
    return std::optional<std::vector<uint8_t>>(std::move(out));
  }

  [[nodiscard]] Result<std::optional<std::shared_ptr<const ByteSource>>> object_source(
      std::string_view sop_instance_uid, ObjectCheck check) const override {
    auto record = find(sop_instance_uid);
    if (!record) {
      return fail(std::move(record.error()));
    }
    if (!record->has_value()) {
      return std::nullopt;
    }
    if ((*record)->object) {
      const ObjectRef ref = *(*record)->object;
      // Checked whole first: a copy of unchecked bytes would get a fresh, matching checksum.
      if (check == ObjectCheck::whole || !checked_recently(ref)) {
        if (auto checked = verify_object(segment_dir_, ref); !checked) {
          forget_checked(ref);  // what failed once is never trusted on an older check
          return fail(segment_read_error(checked.error(), segment_gone(ref)));
        }
        remember_checked(ref);
      }
      return std::optional<std::shared_ptr<const ByteSource>>(
          std::make_shared<SegmentObjectSource>(segment_dir_, ref));
    }
    auto inline_bytes = read_object(sop_instance_uid);
    if (!inline_bytes || !inline_bytes->has_value()) {
      return inline_bytes ? Result<std::optional<std::shared_ptr<const ByteSource>>>(std::nullopt)
                          : fail(std::move(inline_bytes.error()));
    }
    return std::optional<std::shared_ptr<const ByteSource>>(
        std::make_shared<MemoryObjectSource>(std::move(**inline_bytes)));
  }

  [[nodiscard]] Result<std::optional<std::unique_ptr<ObjectStream>>> open_object(
      std::string_view sop_instance_uid) const override {
    auto record = find(sop_instance_uid);
    if (!record) {
      return fail(std::move(record.error()));
    }
    if (!record->has_value()) {
      return std::nullopt;
    }
    if ((*record)->object) {
      ObjectRef ref = *(*record)->object;
      auto reader = ObjectReader::open(segment_dir_, ref);
      if (!reader && segment_gone(ref)) {
        // Compaction may have moved the object between the lookup and the open: look again.
        auto again = find(sop_instance_uid);
        if (again && *again && (*again)->object && *(*again)->object != ref) {
          ref = *(*again)->object;
          reader = ObjectReader::open(segment_dir_, ref);
        }
      }
      if (!reader) {
        return fail(segment_read_error(reader.error(), segment_gone(ref)));
      }
      return std::optional<std::unique_ptr<ObjectStream>>(
          std::make_unique<SegmentObjectStream>(std::move(*reader), ref.length));
    }
    // Written before issue 11: the bytes are inline in the object family.
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
    return std::optional<std::unique_ptr<ObjectStream>>(
        std::make_unique<InlineObjectStream>(std::vector<uint8_t>(data, data + value.size())));
  }

  [[nodiscard]] Result<std::optional<std::string>> study_decision(
      std::string_view study_instance_uid) const override {
    return read_study_decision(*db_, handles_[kStudies], study_instance_uid);
  }

  [[nodiscard]] Result<std::vector<std::pair<std::string, std::string>>> study_decisions()
      const override {
    return read_study_decisions(*db_, handles_[kStudies]);
  }

  [[nodiscard]] Result<std::vector<std::string>> decisions(
      std::string_view study_instance_uid) const override {
    return read_decisions(*db_, handles_[kDecisions], study_instance_uid);
  }

  [[nodiscard]] Result<void> write_worklist(const KeyedWrite& write) override {
    if (read_only_) {
      return fail(QueueErrc::write_failed, "store was opened read-only");
    }
    rocksdb::WriteBatch batch;
    for (const auto& key : write.erase) {
      batch.Delete(handles_[kWorklist], as_slice(key));
    }
    for (const auto& [key, value] : write.put) {
      batch.Put(handles_[kWorklist], as_slice(key), as_slice(value));
    }
    auto s = db_->Write(rocksdb::WriteOptions(), &batch);
    if (!s.ok()) {
      return fail(status_error(QueueErrc::write_failed, s, "worklist"));
    }
    return {};
  }

  [[nodiscard]] Result<std::vector<std::pair<std::string, std::string>>> read_worklist()
      const override {
    std::vector<std::pair<std::string, std::string>> out;
    if (handles_[kWorklist] == nullptr) {
      return out;  // a reader of a store written before the family existed
    }
    rocksdb::ReadOptions ro;
    ro.fill_cache = false;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, handles_[kWorklist]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      out.emplace_back(it->key().ToString(), it->value().ToString());
    }
    if (!it->status().ok()) {
      return fail(status_error(QueueErrc::read_failed, it->status(), "read worklist"));
    }
    return out;
  }

  [[nodiscard]] Result<void> probe_writable() override {
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

  SegmentStats segment_stats() const override {
    SegmentStats out;
    if (!segments_) {
      return out;
    }
    for (const auto& info : segments_->segments()) {
      ++out.segments;
      out.live_bytes += info.live_bytes;
      out.file_bytes += info.sealed ? info.size : 0;
    }
    out.file_bytes += writer_bytes_.load(std::memory_order_relaxed);
    out.deleted = segments_->deleted();
    out.compacted = compacted_.load(std::memory_order_relaxed);
    return out;
  }

  ForwardQueue& forward_queue() override { return queue_; }

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
  // The ForwardQueue face of the store. A separate object because InstanceStore::stats() and
  // ForwardQueue::stats() cannot both be overridden by one class.
  class Queue final : public ForwardQueue {
   public:
    explicit Queue(RocksInstanceStore& store) : s_(store) {}

    std::optional<Job> lease_next(std::string_view destination, int64_t now_ms) override {
      std::lock_guard lock(s_.index_mu_);
      return s_.index_.lease(destination, now_ms);
    }

    std::optional<int64_t> next_due_ms(std::string_view destination) const override {
      std::lock_guard lock(s_.index_mu_);
      return s_.index_.next_due(destination);
    }

    void complete(const Job& job, DoneCallback done) override {
      s_.job_op(JobOpKind::Complete, job, 0, {}, std::move(done));
    }
    void retry_at(const Job& job, int64_t next_attempt_at_ms, std::string error,
                  DoneCallback done) override {
      s_.job_op(JobOpKind::RetryAt, job, next_attempt_at_ms, std::move(error), std::move(done));
    }
    void dead_letter(const Job& job, std::string reason, DoneCallback done) override {
      s_.job_op(JobOpKind::DeadLetter, job, 0, std::move(reason), std::move(done));
    }

    void release(const Job& job) override {
      std::lock_guard lock(s_.index_mu_);
      s_.index_.release(job.destination, job.arrival_seq);
    }

    void set_ready_listener(std::function<void(const std::string&)> l) override {
      std::lock_guard lock(s_.listener_mu_);
      s_.listener_ = std::move(l);
    }

    [[nodiscard]] Result<std::vector<Job>> jobs(std::string_view destination) const override {
      if (!s_.read_only_) {
        std::lock_guard lock(s_.index_mu_);
        return s_.index_.jobs(destination);
      }
      // A reader knows nothing of the server's leases: what is not dead is pending.
      std::vector<Job> out;
      auto scanned = scan_jobs(
          *s_.db_, s_.handles_[kJobs], destination, [&out](JobKey&& key, JobValue&& value) {
            const JobState state = value.dead ? JobState::Dead : JobState::Pending;
            out.push_back(make_job(key, value, state));
          });
      if (!scanned) {
        return fail(std::move(scanned.error()));
      }
      return out;
    }

    [[nodiscard]] Result<std::vector<DestinationStats>> stats() const override {
      const int64_t now = now_ms();
      if (!s_.read_only_) {
        std::lock_guard lock(s_.index_mu_);
        return s_.index_.stats(now);
      }
      StatsBuilder builder(now);
      auto scanned =
          scan_jobs(*s_.db_, s_.handles_[kJobs], "", [&builder](JobKey&& key, JobValue&& value) {
            builder.add(key.destination, value.dead ? JobState::Dead : JobState::Pending,
                        value.next_attempt_at_ms, value.enqueued_at_ms);
          });
      if (!scanned) {
        return fail(std::move(scanned.error()));
      }
      return std::move(builder).finish();
    }

    [[nodiscard]] Result<uint64_t> retry_instances(const std::vector<std::string>& uids) override {
      return s_.admin(AdminKind::RetryInstances, uids, {});
    }
    [[nodiscard]] Result<uint64_t> retry_dead() override {
      return s_.admin(AdminKind::RetryDead, {}, {});
    }
    Result<uint64_t> retry_destination(std::string_view destination) override {
      return s_.admin(AdminKind::RetryDestination, {}, std::string(destination));
    }
    [[nodiscard]] Result<uint64_t> purge() override { return s_.admin(AdminKind::Purge, {}, {}); }

   private:
    RocksInstanceStore& s_;
  };

  // False once close() began; the caller then fails the operation itself.
  bool enqueue(Op& op) {
    {
      std::lock_guard lock(mu_);
      if (closing_) {
        return false;
      }
      pending_.push_back(std::move(op));
    }
    cv_.notify_one();
    return true;
  }

  void job_op(JobOpKind kind, const Job& job, int64_t next_attempt_at_ms, std::string error,
              DoneCallback done) {
    if (read_only_) {
      done(fail(read_only_error()));
      return;
    }
    Op op = JobOp{.kind = kind,
                  .key = JobKey{job.destination, job.arrival_seq},
                  .next_attempt_at_ms = next_attempt_at_ms,
                  .error = std::move(error),
                  .done = std::move(done)};
    if (!enqueue(op)) {
      std::get<JobOp>(op).done(fail(QueueErrc::shutting_down, "job update after close()"));
    }
  }

  // Blocks until the commit thread ran the operation: must not be called from a commit callback
  // or a ready listener.
  [[nodiscard]] Result<uint64_t> admin(AdminKind kind, std::vector<std::string> uids,
                                       std::string destination) {
    if (read_only_) {
      return fail(read_only_error());
    }
    AdminOp request;
    request.kind = kind;
    request.uids = std::move(uids);
    request.destination = std::move(destination);
    auto result = request.result.get_future();
    Op op = std::move(request);
    if (!enqueue(op)) {
      return fail(QueueErrc::shutting_down, "admin operation after close()");
    }
    return result.get();
  }

  static std::size_t op_bytes(const Op& op) {
    const auto* commit = std::get_if<CommitOp>(&op);
    return commit != nullptr ? commit->bytes.size() : 0;  // a spooled tail counts: it is copied
  }

  enum class Took { work, idle, closed };

  void run_commits() {
    std::vector<Op> group;
    for (;;) {
      const Took took = take_group(group);
      if (took == Took::closed) {
        break;
      }
      if (took == Took::idle) {
        on_idle();
        continue;
      }
      idle_ticks_ = 0;
      commit_group(group);
      group.clear();
      if (!pending_release_.empty() &&
          std::chrono::steady_clock::now() - last_release_ >= kReleaseEvery) {
        release_after_wal_sync();
      }
    }
    release_after_wal_sync();
  }

  // Waits for work (at most idle_tick_) and moves queued operations into `group`: an admin
  // operation alone, otherwise the commits and job updates in front of the next admin operation
  // that fit in max_group_bytes (always at least one, however large).
  Took take_group(std::vector<Op>& group) {
    std::unique_lock lock(mu_);
    const bool woken =
        cv_.wait_for(lock, idle_tick_, [this] { return !pending_.empty() || closing_; });
    if (!woken) {
      return Took::idle;
    }
    if (pending_.empty()) {
      return Took::closed;
    }
    auto is_admin = [](const Op& op) { return std::holds_alternative<AdminOp>(op); };
    if (is_admin(pending_.front())) {
      group.push_back(std::move(pending_.front()));
      pending_.pop_front();
      return Took::work;
    }
    std::size_t bytes = 0;
    do {
      bytes += op_bytes(pending_.front());
      group.push_back(std::move(pending_.front()));
      pending_.pop_front();
    } while (!pending_.empty() && !is_admin(pending_.front()) &&
             bytes + op_bytes(pending_.front()) <= max_group_bytes_);
    return Took::work;
  }

  // Nothing arrived for a tick: give back the space of delivered instances, and seal a segment
  // that intake has stopped writing so that it can go once its records are delivered (issue 11:
  // disk back to its baseline within a minute after a backlog drains).
  void on_idle() {
    ++idle_ticks_;
    release_after_wal_sync();
    if (writer_ && writer_->size() > 0 &&
        (writer_->size() >= kSealWhenIdleBytes || idle_ticks_ >= kSealAfterIdleTicks ||
         segments_->live_bytes(writer_->id()) == 0)) {
      seal_writer();  // a segment without live bytes is deleted right away
    }
    // The records' side of the same promise: after deliveries, the WAL file and the SSTs hold the
    // deleted records and their tombstones until a memtable fills. A flush once the store has
    // been idle for a while lets RocksDB drop the WAL and compact the tombstones away
    // (deletion-triggered compaction), so the directory returns to its size before the backlog.
    if (idle_ticks_ == kFlushAfterIdleTicks && deletes_since_flush_ > 0) {
      rocksdb::FlushOptions options;
      options.wait = true;
      std::vector<rocksdb::ColumnFamilyHandle*> families;
      for (auto* h : handles_) {
        if (h != nullptr) {
          families.push_back(h);
        }
      }
      if (db_->Flush(options, families).ok()) {
        deletes_since_flush_ = 0;
      }
    }
    if (idle_ticks_ >= kCompactAfterIdleTicks && pending_release_.empty()) {
      compact_sparse_segment();
    }
  }

  // Sparse segments are compacted (issue 11): a few held, dead-lettered or undeliverable
  // instances must not pin whole segments. One segment per idle tick, on the commit thread, the
  // only writer of meta records, so no record changes underneath: each live object of the
  // sparsest segment is copied to the writer (its XXH3-64 checked as it is read), the segment is
  // fdatasynced, the records are repointed in one synced batch, and only then are the old ranges
  // released, which deletes the segment. A crash before the batch leaves copies no record points
  // at (cut off at open); after it, a segment no record points into (deleted at open).
  void compact_sparse_segment() {
    const auto id = segments_ ? segments_->sparsest(compact_min_segment_bytes_) : std::nullopt;
    if (!id) {
      return;
    }
    std::vector<InstanceRecord> moving;
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions(), handles_[kMeta]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      auto record = decode_record(it->value().ToStringView());
      if (record && record->object && record->object->segment == *id) {
        moving.push_back(std::move(*record));
      }
    }
    if (!it->status().ok() || moving.empty()) {
      return;
    }
    rocksdb::WriteBatch batch;
    std::vector<std::pair<ObjectRef, ObjectRef>> moved;  // from, to
    for (auto& record : moving) {
      if (!writer_ || segments_->full(*writer_)) {
        seal_writer();
        auto w = segments_->new_writer();
        if (!w) {
          fatal_io(w.error());
          return;
        }
        writer_.emplace(std::move(*w));
      }
      const ObjectRef from = *record.object;
      auto to = copy_object(from);
      if (!to) {
        if (to.error().code != QueueErrc::read_failed) {
          fatal_io(to.error());
          return;
        }
        // Unreadable or corrupt: it stays where it is (forwarding dead-letters it).
        if (auto cut = writer_->abandon(); !cut) {
          fatal_io(cut.error());
          return;
        }
        continue;
      }
      record.object = *to;
      batch.Put(handles_[kMeta], as_slice(record.sop_instance_uid), encode_record(record));
      moved.emplace_back(from, *to);
    }
    if (moved.empty()) {
      return;
    }
    writer_bytes_.store(writer_->size(), std::memory_order_relaxed);
    if (sync_) {
      if (auto synced = writer_->sync(); !synced) {
        fatal_io(synced.error());
        return;
      }
    }
    rocksdb::WriteOptions wo;
    wo.sync = sync_;
    if (!db_->Write(wo, &batch).ok()) {
      return;  // the records still point at the old copies; the new ones are dead bytes
    }
    for (const auto& [from, to] : moved) {
      segments_->add_live(to);
      if (auto r = segments_->release(from); !r) {
        release_errors_.fetch_add(1, std::memory_order_relaxed);
      }
    }
    compacted_.fetch_add(1, std::memory_order_relaxed);
  }

  // One stored object appended to the writer, checked as it is read. QueueErrc::read_failed for
  // the source's errors (a checksum mismatch included); the writer's errors as they are.
  Result<ObjectRef> copy_object(const ObjectRef& from) {
    auto reader = ObjectReader::open(segment_dir_, from);
    if (!reader) {
      return fail(QueueErrc::read_failed, reader.error().message());
    }
    if (auto b = writer_->begin(); !b) {
      return fail(b.error());
    }
    while (reader->remaining() > 0) {
      auto piece = reader->next(kSpoolCopyBytes);
      if (!piece) {
        return fail(QueueErrc::read_failed, piece.error().message());
      }
      if (auto a = writer_->append(*piece); !a) {
        return fail(a.error());
      }
    }
    return writer_->finish();
  }

  // Deleted records' segment ranges are released only once their deletion is durable: job
  // completions are written without a sync (forward_queue.hpp), so a WAL sync comes first.
  void release_after_wal_sync() {
    last_release_ = std::chrono::steady_clock::now();
    if (pending_release_.empty() || !segments_) {
      return;
    }
    if (sync_) {
      if (auto s = db_->SyncWAL(); !s.ok()) {
        return;  // kept for the next attempt; RocksDB reports its own background error
      }
    }
    release(pending_release_);
    pending_release_.clear();
  }

  void release(const std::vector<ObjectRef>& refs) {
    for (const auto& ref : refs) {
      if (auto r = segments_->release(ref); !r) {
        // The file stays; the next start deletes segments nothing points into.
        release_errors_.fetch_add(1, std::memory_order_relaxed);
      }
    }
  }

  void seal_writer() {
    if (!writer_) {
      return;
    }
    const uint64_t id = writer_->id();
    writer_.reset();
    writer_bytes_.store(0, std::memory_order_relaxed);
    if (auto r = segments_->seal(id); !r) {
      release_errors_.fetch_add(1, std::memory_order_relaxed);
    }
  }

  // The group's objects, appended to the current segment and made durable (one fdatasync for the
  // group). False after a fatal I/O error: nothing of the group may be acknowledged. An object
  // whose spool cannot be read is cut back out of the segment and fails alone (errors[i]).
  bool write_objects(std::vector<Op>& group, std::vector<std::optional<Error>>& errors) {
    bool any = false;
    for (std::size_t i = 0; i < group.size(); ++i) {
      auto* c = std::get_if<CommitOp>(&group[i]);
      if (c == nullptr) {
        continue;
      }
      if (!writer_ || segments_->full(*writer_)) {
        seal_writer();
        auto w = segments_->new_writer();
        if (!w) {
          return fatal_io(w.error());
        }
        writer_.emplace(std::move(*w));
      }
      auto ref = append_object(*writer_, c->bytes, copy_buffer_);
      if (!ref) {
        if (ref.error().code != QueueErrc::read_failed) {
          return fatal_io(ref.error());
        }
        if (auto cut = writer_->abandon(); !cut) {
          return fatal_io(cut.error());
        }
        errors[i] = std::move(ref.error());
        continue;
      }
      c->record.object = *ref;
      c->record.size_bytes = c->bytes.size();
      // The page cache holds the bytes now: the group's memory (and its spool) goes back before
      // the sync.
      c->bytes = ObjectBytes{};
      any = true;
    }
    if (any) {
      writer_bytes_.store(writer_->size(), std::memory_order_relaxed);
      if (sync_) {
        if (auto synced = writer_->sync(); !synced) {
          return fatal_io(synced.error());
        }
      }
    }
    return true;
  }

  // Appends one object; a spooled tail goes through `buffer` (kSpoolCopyBytes) chunk by chunk.
  // QueueErrc::read_failed when the spool could not be read (that object alone fails); any
  // other error is the segment's, which is fatal.
  static Result<ObjectRef> append_object(SegmentWriter& writer, const ObjectBytes& object,
                                         std::vector<uint8_t>& buffer) {
    if (auto b = writer.begin(); !b) {
      return fail(b.error());
    }
    if (auto a = writer.append(object.head); !a) {
      return fail(a.error());
    }
    if (object.tail && object.tail_length > 0) {
      buffer.resize(kSpoolCopyBytes);
      for (uint64_t done = 0; done < object.tail_length;) {
        const auto n =
            static_cast<std::size_t>(std::min<uint64_t>(buffer.size(), object.tail_length - done));
        std::span<uint8_t> chunk(buffer.data(), n);
        if (auto r = object.tail->read_at(object.tail_offset + done, chunk); !r) {
          return fail(QueueErrc::read_failed, "bulk source: " + r.error().message());
        }
        if (auto a = writer.append(chunk); !a) {
          return fail(a.error());
        }
        done += n;
      }
    }
    return writer.finish();
  }

  bool fatal_io(const Error& error) {
    writer_.reset();  // its file's state is unknown: never append to it again
    if (on_fatal_io_) {
      on_fatal_io_(error);
    } else {
      std::fprintf(stderr, "accessioner: fatal: segment write failed: %s; exiting\n",
                   error.message().c_str());
      std::fflush(stderr);
      std::_Exit(74);  // EX_IOERR
    }
    return false;
  }

  [[nodiscard]] bool segment_gone(const ObjectRef& ref) const {
    std::error_code ec;
    return !std::filesystem::exists(segment_path(segment_dir_, ref.segment), ec) && !ec;
  }

  // Pieces of a segment-backed object, checked as they are read (ObjectReader).
  class SegmentObjectStream final : public ObjectStream {
   public:
    SegmentObjectStream(ObjectReader reader, uint64_t size)
        : reader_(std::move(reader)), size_(size) {}
    uint64_t size() const override { return size_; }
    uint64_t remaining() const override { return reader_.remaining(); }
    Result<std::span<const uint8_t>> next(std::size_t max_bytes) override {
      auto piece = reader_.next(max_bytes);
      if (!piece) {
        return fail(segment_read_error(piece.error(), false));
      }
      return *piece;
    }

   private:
    ObjectReader reader_;
    uint64_t size_;
  };

  // Whole-object checks of the last kCheckedFor (object_source's ObjectCheck::recent).
  [[nodiscard]] bool checked_recently(const ObjectRef& ref) const {
    std::lock_guard lock(checked_mu_);
    const auto it = checked_.find({ref.segment, ref.offset, ref.xxh3});
    return it != checked_.end() && std::chrono::steady_clock::now() - it->second < kCheckedFor;
  }
  void remember_checked(const ObjectRef& ref) const {
    std::lock_guard lock(checked_mu_);
    if (checked_.size() >= kMaxChecked) {
      checked_.clear();  // bounded; the next looks check again
    }
    checked_[{ref.segment, ref.offset, ref.xxh3}] = std::chrono::steady_clock::now();
  }

  void forget_checked(const ObjectRef& ref) const {
    std::lock_guard lock(checked_mu_);
    checked_.erase({ref.segment, ref.offset, ref.xxh3});
  }

  // A stored object read at any offset (pread per call).
  class SegmentObjectSource final : public ByteSource {
   public:
    SegmentObjectSource(std::filesystem::path dir, const ObjectRef& ref)
        : dir_(std::move(dir)), ref_(ref) {}
    uint64_t size() const noexcept override { return ref_.length; }
    Result<void> read_at(uint64_t offset, std::span<uint8_t> out) const override {
      if (auto r = read_object_into(dir_, ref_, offset, out); !r) {
        return fail(QueueErrc::read_failed, "object: " + r.error().message());
      }
      return {};
    }

   private:
    std::filesystem::path dir_;
    ObjectRef ref_;
  };

  // An inline object (a store written before issue 11), held in memory.
  class MemoryObjectSource final : public ByteSource {
   public:
    explicit MemoryObjectSource(std::vector<uint8_t> bytes) : bytes_(std::move(bytes)) {}
    uint64_t size() const noexcept override { return bytes_.size(); }
    Result<void> read_at(uint64_t offset, std::span<uint8_t> out) const override {
      if (offset > bytes_.size() || out.size() > bytes_.size() - offset) {
        return fail(QueueErrc::read_failed, "read past the object");
      }
      std::copy_n(bytes_.begin() + static_cast<std::ptrdiff_t>(offset), out.size(), out.begin());
      return {};
    }

   private:
    std::vector<uint8_t> bytes_;
  };

  // An object of a store written before issue 11, already in memory (RocksDB value).
  class InlineObjectStream final : public ObjectStream {
   public:
    explicit InlineObjectStream(std::vector<uint8_t> bytes) : bytes_(std::move(bytes)) {}
    uint64_t size() const override { return bytes_.size(); }
    uint64_t remaining() const override { return bytes_.size() - done_; }
    Result<std::span<const uint8_t>> next(std::size_t max_bytes) override {
      const std::size_t n = std::min<std::size_t>(max_bytes, bytes_.size() - done_);
      std::span<const uint8_t> piece(bytes_.data() + done_, n);
      done_ += n;
      return piece;
    }

   private:
    std::vector<uint8_t> bytes_;
    std::size_t done_ = 0;
  };

  // A record whose bytes are gone or do not check out is corrupt, not a passing read failure: the
  // destination dead-letters it instead of retrying for ever.
  static Error segment_read_error(const Error& e, bool segment_gone) {
    const bool corrupt = segment_gone || e.code == SegmentErrc::checksum_mismatch ||
                         e.code == SegmentErrc::out_of_range;
    return Error{make_error_code(corrupt ? QueueErrc::corrupt_record : QueueErrc::read_failed),
                 "object: " + e.message()};
  }

  void commit_group(std::vector<Op>& group) {
    std::vector<std::optional<Error>> errors(group.size());
    if (!write_objects(group, errors)) {
      Error error{make_error_code(QueueErrc::write_failed), "segment write failed"};
      errors.assign(group.size(), error);
      finish(group, errors, std::vector<uint64_t>(group.size(), 0));
      return;
    }
    std::size_t payload = 0;
    for (const auto& op : group) {
      payload += 1024;  // meta JSON, jobs and batch framing fit in 1 KiB
      if (const auto* c = std::get_if<CommitOp>(&op)) {
        payload += c->record.decision_json.size() + c->record.study_decision_json.size();
      }
    }
    GroupBuilder builder(*db_, handles_, index_mu_, index_, payload + 64);
    const int64_t now = now_ms();
    uint64_t seq = last_seq_;
    bool has_commit = false;
    bool purge = false;
    std::vector<uint64_t> counts(group.size(), 0);
    for (std::size_t i = 0; i < group.size(); ++i) {
      Result<void> added;
      if (errors[i]) {
        continue;  // its object is not in the segment
      }
      if (auto* c = std::get_if<CommitOp>(&group[i])) {
        c->record.arrival_seq = ++seq;
        has_commit = true;
        added = builder.add_commit(c->record, now);
      } else if (auto* j = std::get_if<JobOp>(&group[i])) {
        added = builder.add_job_op(*j);
      } else {
        auto& a = std::get<AdminOp>(group[i]);
        purge = a.kind == AdminKind::Purge;
        auto count = builder.add_admin(a, now);
        if (count) {
          counts[i] = *count;
        } else {
          added = fail(std::move(count.error()));
        }
      }
      if (!added) {
        errors[i] = std::move(added.error());
      }
    }
    if (has_commit) {
      builder.put_counter(seq);
    }
    rocksdb::Status s = builder.batch_status();
    rocksdb::WriteOptions wo;
    // Job updates alone are not worth an fsync (forward_queue.hpp); they ride along with the
    // next synced group. A purge is synced: a crash must not bring back what the operator
    // was told is gone.
    wo.sync = sync_ && (has_commit || purge);
    if (s.ok() && builder.batch().Count() > 0) {
      s = db_->Write(wo, &builder.batch());
    }
    // Numbers of a failed group are not reused: arrival_seq is increasing, not dense, and a
    // failed WAL write may still surface after recovery.
    last_seq_ = seq;
    if (s.ok()) {
      {
        std::lock_guard lock(index_mu_);
        builder.apply(index_);
      }
      account(group, errors, has_commit);
      for (std::size_t i = 0; i < group.size(); ++i) {
        const auto* c = std::get_if<CommitOp>(&group[i]);
        if (c != nullptr && !errors[i] && c->record.object) {
          segments_->add_live(*c->record.object);
        }
      }
      const auto& released = builder.released_objects();
      pending_release_.insert(pending_release_.end(), released.begin(), released.end());
      deletes_since_flush_ += released.size() + (purge ? 1 : 0);
      if (wo.sync || !sync_) {
        release(pending_release_);  // every deletion so far is durable now
        pending_release_.clear();
        last_release_ = std::chrono::steady_clock::now();
      }
      // Before the callbacks: an acknowledged instance is already leasable and announced.
      notify_ready(builder.ready_destinations());
      finish(group, errors, counts);
      return;
    }
    Error error = status_error(QueueErrc::write_failed, s, "group commit");
    std::set<std::string> ready;
    {
      std::lock_guard lock(index_mu_);
      ready = builder.revert(index_);
    }
    notify_ready(ready);
    for (auto& e : errors) {
      e = error;
    }
    finish(group, errors, counts);
  }

  void account(const std::vector<Op>& group, const std::vector<std::optional<Error>>& errors,
               bool has_commit) {
    uint64_t instances = 0;
    uint64_t bytes = 0;
    for (std::size_t i = 0; i < group.size(); ++i) {
      const auto* c = std::get_if<CommitOp>(&group[i]);
      if (c != nullptr && !errors[i]) {
        ++instances;
        bytes += c->record.size_bytes;
      }
    }
    instances_.fetch_add(instances, std::memory_order_relaxed);
    bytes_.fetch_add(bytes, std::memory_order_relaxed);
    if (has_commit) {
      groups_.fetch_add(1, std::memory_order_relaxed);
    }
  }

  static void finish(std::vector<Op>& group, std::vector<std::optional<Error>>& errors,
                     const std::vector<uint64_t>& counts) {
    for (std::size_t i = 0; i < group.size(); ++i) {
      if (auto* c = std::get_if<CommitOp>(&group[i])) {
        c->done(errors[i] ? Result<uint64_t>(fail(std::move(*errors[i])))
                          : Result<uint64_t>(c->record.arrival_seq));
      } else if (auto* j = std::get_if<JobOp>(&group[i])) {
        j->done(errors[i] ? Result<void>(fail(std::move(*errors[i]))) : Result<void>());
      } else {
        auto& a = std::get<AdminOp>(group[i]);
        a.result.set_value(errors[i] ? Result<uint64_t>(fail(std::move(*errors[i])))
                                     : Result<uint64_t>(counts[i]));
      }
    }
  }

  void notify_ready(const std::set<std::string>& destinations) {
    if (destinations.empty()) {
      return;
    }
    std::function<void(const std::string&)> listener;
    {
      std::lock_guard lock(listener_mu_);
      listener = listener_;
    }
    if (!listener) {
      return;
    }
    for (const auto& destination : destinations) {
      listener(destination);
    }
  }

  std::unique_ptr<rocksdb::DB> db_;
  Handles handles_;
  const bool read_only_;
  const bool sync_;
  const std::size_t max_group_bytes_;
  const uint64_t compact_min_segment_bytes_;
  const std::chrono::milliseconds idle_tick_;
  uint64_t last_seq_;  // commit thread only
  std::filesystem::path secondary_dir_;

  mutable std::mutex index_mu_;
  JobIndex index_;  // guarded by index_mu_; changed by the commit thread and by leases
  Queue queue_;
  std::mutex listener_mu_;
  std::function<void(const std::string&)> listener_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Op> pending_;
  bool closing_ = false;
  std::thread thread_;

  std::unique_ptr<SegmentSet> segments_;  // primary only
  std::filesystem::path segment_dir_;
  std::function<void(const Error&)> on_fatal_io_;
  // Commit thread only:
  std::optional<SegmentWriter> writer_;
  std::vector<uint8_t> copy_buffer_;        // a spooled tail on its way into the segment
  std::vector<ObjectRef> pending_release_;  // deleted, not yet known durable
  std::chrono::steady_clock::time_point last_release_ = std::chrono::steady_clock::now();
  int idle_ticks_ = 0;
  uint64_t deletes_since_flush_ = 0;

  static constexpr auto kReleaseEvery = std::chrono::seconds(1);
  static constexpr uint64_t kSealWhenIdleBytes = 16u << 20;
  static constexpr std::size_t kSpoolCopyBytes = 4u << 20;
  static constexpr int kSealAfterIdleTicks = 10;
  static constexpr int kFlushAfterIdleTicks = 3;
  static constexpr int kCompactAfterIdleTicks = 2;
  static constexpr std::size_t kReadChunk = 1u << 20;

  std::atomic<uint64_t> writer_bytes_{0};
  std::atomic<uint64_t> compacted_{0};
  mutable std::mutex checked_mu_;
  mutable std::map<std::tuple<uint64_t, uint64_t, uint64_t>, std::chrono::steady_clock::time_point>
      checked_;
  static constexpr auto kCheckedFor = std::chrono::minutes(15);
  static constexpr std::size_t kMaxChecked = 4096;
  std::atomic<uint64_t> release_errors_{0};
  std::atomic<uint64_t> instances_{0};
  std::atomic<uint64_t> groups_{0};
  std::atomic<uint64_t> bytes_{0};
};

}  // namespace

std::unique_ptr<InstanceStore> make_rocksdb_store(StoreInit init) {
  return std::make_unique<RocksInstanceStore>(std::move(init));
}

}  // namespace acc::queue
