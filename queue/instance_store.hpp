#pragma once
// Durable store of received instances: records in RocksDB, object bytes in append-only segment
// files (issue 11). The receive path commits here and answers the modality only when the commit
// callback reports success: the segment has been fdatasynced, then the WAL.
//
// Group commit: commit_async() hands the write to one commit thread, which takes everything queued
// while the previous sync ran, appends its objects to the current segment and syncs it once, writes
// the records as ONE WriteBatch with sync=true and then completes all of its callbacks. Concurrent
// associations therefore share both fsyncs instead of paying them each.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "common/byte_source.hpp"
#include "common/result.hpp"
#include "queue/forward_queue.hpp"
#include "queue/object_stream.hpp"
#include "queue/segment_log.hpp"

namespace acc::queue {

enum class QueueErrc {
  ok = 0,
  open_failed,   // RocksDB could not open the store (lock held, corruption, permissions)
  write_failed,  // the batch or its WAL sync failed: nothing in it may be acknowledged
  read_failed,
  corrupt_record,  // a stored value could not be decoded
  not_found,
  shutting_down,  // commit requested after close() began
};
const std::error_category& queue_category() noexcept;
inline std::error_code make_error_code(QueueErrc e) noexcept {
  return {static_cast<int>(e), queue_category()};
}

// Where a stored instance stands. Stored as its name in the record's JSON.
enum class RecordState {
  stored,  // delivery jobs were created with it (or none were due)
  held,    // no delivery jobs: waiting for the worklist or a person (stamping)
};

// What we know about a stored instance without reading its bytes.
struct InstanceRecord {
  std::string sop_instance_uid;
  std::string sop_class_uid;
  std::string transfer_syntax_uid;
  std::string patient_id;
  std::string study_instance_uid;
  std::string calling_ae;
  std::string called_ae;
  std::string peer_address;
  uint64_t association_id = 0;
  int64_t received_at_ms = 0;  // Unix epoch milliseconds
  uint64_t size_bytes = 0;     // bytes of the stored Part-10 object
  uint64_t arrival_seq = 0;    // assigned by the store, increasing in commit order
  RecordState state = RecordState::stored;
  // Destinations to deliver to: commit creates one ForwardQueue job per name in the same
  // WriteBatch; the store keeps the list of those not yet delivered here.
  std::vector<std::string> destinations;
  // Accession stamping (issue 4), written in the same WriteBatch as the instance:
  // `decision_json`, if not empty, is appended to the decision audit log (key: arrival_seq);
  // `study_decision_json`, if not empty, becomes the stored decision of study_instance_uid
  // (replacing an earlier one), which every later instance of the study follows.
  std::string decision_json;
  std::string study_decision_json;
  // state held: the decision that held this instance (JSON, opaque here), stored with the record
  // so the hold list and the re-evaluation read why without the audit log. Empty once stored.
  std::string held_decision_json;
  // Where the object's bytes lie in the segment files (set by the store at commit). Absent in
  // records written before issue 11, whose bytes are inline in the `object` column family.
  std::optional<ObjectRef> object;
  bool operator==(const InstanceRecord&) const = default;
};

struct StoreOptions {
  std::filesystem::path path;
  bool sync = true;  // segment fdatasync + WAL fsync before a commit completes
  std::size_t max_group_bytes = 64u << 20;    // cap on one group commit's payload
  uint64_t max_segment_bytes = 256ull << 20;  // a segment file is sealed past this size
  // A sealed segment of at least this size whose live bytes are under a quarter of it is
  // compacted once the store is idle: its live objects are copied forward, their records
  // repointed, and it is deleted (a few held or undeliverable instances do not pin 256 MiB).
  uint64_t compact_min_segment_bytes = 16ull << 20;
  // How long the commit thread waits for work before it counts an idle tick (releases, seals,
  // the idle flush and compaction run on idle ticks). Tests shorten it to reach those paths fast.
  std::chrono::milliseconds idle_tick{1000};
  // Called on the commit thread when a segment's fdatasync (or its write) failed. After a failed
  // fsync the page cache can no longer be trusted (the PostgreSQL lesson): the default prints the
  // error and exits the process with status 74 (EX_IOERR) for the supervisor to restart it, which
  // re-reads the segments from disk. Nothing of the failed group was acknowledged.
  std::function<void(const Error&)> on_fatal_io = {};
};

struct CommitStats {
  uint64_t instances = 0;  // instances committed
  uint64_t groups = 0;     // WriteBatches (= WAL syncs when sync is on)
  uint64_t bytes = 0;      // object bytes committed
};

// The bytes of one object to commit. Objects received in memory are all `head`. An object received
// through a spool file (issue 11) has its Part-10 header and the data set up to its bulk in
// `head` (where stamps and rule changes were made) and the rest, unchanged, as a range of the
// spool: the commit thread copies it into the segment in chunks, so no thread holds it whole.
// A held instance restamped later does the same with its stored object as the source.
struct ObjectBytes {
  std::vector<uint8_t> head;
  std::shared_ptr<const ByteSource> tail;  // a receive spool, or a stored object (object_source)
  uint64_t tail_offset = 0;
  uint64_t tail_length = 0;
  [[nodiscard]] uint64_t size() const { return head.size() + tail_length; }
};

// The segment files behind the store (issue 11): what `/status` and the metrics show.
struct SegmentStats {
  uint64_t segments = 0;    // files present
  uint64_t file_bytes = 0;  // their size on disk
  uint64_t live_bytes = 0;  // payload bytes that records still point at
  uint64_t deleted = 0;     // segments deleted since open
  uint64_t compacted = 0;   // sparse segments whose live objects were copied forward
};

class InstanceStore {
 public:
  using CommitCallback = std::move_only_function<void(Result<uint64_t /*arrival_seq*/>)>;

  virtual ~InstanceStore() = default;

  // Opens (creating if needed) the store for the server: read-write, starts the commit thread.
  [[nodiscard]] static Result<std::unique_ptr<InstanceStore>> open(const StoreOptions& options);
  // Opens a view for the CLI that works while a server holds the store (RocksDB secondary
  // instance, caught up with the primary's WAL at open). Commits are refused.
  [[nodiscard]] static Result<std::unique_ptr<InstanceStore>> open_reader(
      const std::filesystem::path& path);

  // Queues a record and its Part-10 bytes for the next group commit. `done` runs on the commit
  // thread once the batch is durable (or failed); keep it short and hand work back to your own
  // executor. A record with the same SOP Instance UID replaces the stored one. A spooled tail is
  // copied into the segment by the commit thread; the spool may be closed once `done` has run.
  virtual void commit_object_async(InstanceRecord record, ObjectBytes object,
                                   CommitCallback done) = 0;
  void commit_async(InstanceRecord record, std::vector<uint8_t> part10, CommitCallback done) {
    commit_object_async(std::move(record), ObjectBytes{std::move(part10), {}, 0, 0},
                        std::move(done));
  }

  // Blocking convenience over commit_object_async (tools and tests).
  [[nodiscard]] Result<uint64_t> commit(InstanceRecord record, ObjectBytes object);
  [[nodiscard]] Result<uint64_t> commit(InstanceRecord record, std::vector<uint8_t> part10) {
    return commit(std::move(record), ObjectBytes{std::move(part10), {}, 0, 0});
  }

  [[nodiscard]] virtual Result<std::vector<InstanceRecord>> list() const = 0;
  [[nodiscard]] virtual Result<std::optional<InstanceRecord>> find(
      std::string_view sop_instance_uid) const = 0;
  [[nodiscard]] virtual Result<std::optional<std::vector<uint8_t>>> read_object(
      std::string_view sop_instance_uid) const = 0;
  // The stored object for reads at any offset (a restamp copies its bulk from here): checked
  // against its XXH3-64 first, which reads it once; QueueErrc::corrupt_record when it does not
  // check out. The source stays readable while the record points at the bytes.
  // ObjectCheck::recent skips that read when this store checked the same bytes in the last
  // 15 minutes: for looking at a held object's attributes every few seconds, where a whole read
  // of a 5 GiB object each time would keep the disk busy. Copies always check the whole object.
  enum class ObjectCheck { whole, recent };
  [[nodiscard]] virtual Result<std::optional<std::shared_ptr<const ByteSource>>> object_source(
      std::string_view sop_instance_uid, ObjectCheck check = ObjectCheck::whole) const = 0;
  // The same object as a stream of pieces (forwarding): memory is one piece, whatever the size.
  // QueueErrc::corrupt_record when its bytes are gone or do not check out.
  [[nodiscard]] virtual Result<std::optional<std::unique_ptr<ObjectStream>>> open_object(
      std::string_view sop_instance_uid) const = 0;

  // The decision stored for a study (see InstanceRecord::study_decision_json), if any.
  [[nodiscard]] virtual Result<std::optional<std::string>> study_decision(
      std::string_view study_instance_uid) const = 0;
  // Every stored study decision: (Study Instance UID, JSON).
  [[nodiscard]] virtual Result<std::vector<std::pair<std::string, std::string>>> study_decisions()
      const = 0;
  // The decision audit log in arrival order; `study_instance_uid` empty = all. Entries are the
  // decision_json strings as committed.
  [[nodiscard]] virtual Result<std::vector<std::string>> decisions(
      std::string_view study_instance_uid) const = 0;

  // Delivery jobs of this store (same database, same commit thread). Readers (open_reader) serve
  // the inspection calls only.
  [[nodiscard]] virtual ForwardQueue& forward_queue() = 0;

  // The worklist cache's persistence (column family `worklist`): opaque values by key, the queue
  // knows nothing of their meaning. One call is one atomic WriteBatch of puts and deletes; it goes
  // to the WAL without its own fsync (the next group commit's fsync covers it; a crash of the
  // process loses nothing, a power cut may lose the latest refresh and keep the one before).
  struct KeyedWrite {
    std::vector<std::pair<std::string, std::string>> put;
    std::vector<std::string> erase;
  };
  [[nodiscard]] virtual Result<void> write_worklist(const KeyedWrite& write) = 0;
  // Every (key, value) of the family, in key order (start-up; a few MB at 100,000 entries).
  [[nodiscard]] virtual Result<std::vector<std::pair<std::string, std::string>>> read_worklist()
      const = 0;

  // Write probe for readiness checks: a small synced write outside the instance keyspace.
  [[nodiscard]] virtual Result<void> probe_writable() = 0;

  [[nodiscard]] virtual CommitStats stats() const = 0;
  [[nodiscard]] virtual SegmentStats segment_stats() const = 0;

  // Completes queued commits, stops the commit thread; later commits fail with shutting_down.
  virtual void close() = 0;
};

}  // namespace acc::queue

namespace acc {
template <>
struct EnumNames<queue::RecordState> {
  using E = queue::RecordState;
  static constexpr std::array names{std::pair{E::stored, std::string_view("stored")},
                                    std::pair{E::held, std::string_view("held")}};
};
}  // namespace acc

template <>
struct std::is_error_code_enum<acc::queue::QueueErrc> : std::true_type {};
