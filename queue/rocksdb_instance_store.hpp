#pragma once
// RocksDB implementation of InstanceStore. Private to the queue module; tests and the throwaway
// benchmark use it to reach tuning knobs that StoreOptions deliberately does not expose.
//
// Layout (one RocksDB database, eight column families):
//   default  "probe"          -> epoch ms as decimal text; written only by probe_writable()
//   meta     <SOP Inst. UID>  -> JSON InstanceRecord (record_codec.hpp), ~0.5 KB; its
//                                `destinations` are those not yet delivered
//   object   <SOP Inst. UID>  -> Part-10 bytes, verbatim: only in stores written before issue 11,
//                                read and deleted in place (no migration pass); new objects go
//                                to segment files and meta's `object` says where
// Segment files (segment_log.hpp, segment_set.hpp) in <store>/segments: the object bytes, appended
// by the commit thread and made durable by one fdatasync per group BEFORE the group's synced
// WriteBatch, so a record never points at bytes that could be lost. A segment goes once it is
// sealed and no record points into it; a range is released only after its record's deletion is
// synced (job completions are not: the store syncs the WAL at most once a second for them).
//   seq      "arrival_seq"    -> u64 big-endian, the last arrival_seq handed out
//   jobs     <destination> 0x00 <arrival_seq u64 BE>  -> JobValue (record_codec.hpp), ~0.2 KB
//   studies  <Study Inst. UID> -> the study's accession decision JSON (overwritten)
//   decisions <arrival_seq u64 BE> -> DecisionEntry (record_codec.hpp): study UID + decision JSON
//   worklist <key>            -> the router's worklist cache (opaque here; see worklist_cache.hpp)
// One group commit is one WriteBatch holding, per instance, Put(meta) and one
// Put(jobs) per destination (plus Delete(jobs) of a replaced instance's undelivered jobs), the
// instance's Put(studies) and Put(decisions) when it carries them, plus one Put(seq) with the
// group's highest arrival_seq; so the counter can never lag a stored record. The decision strings
// are not part of the meta record: they can be large, and meta is rewritten on every delivery.
// studies and decisions are never deleted by deliveries (they are the audit trail), only by purge.
// Job state changes (complete, retry-at, dead-letter, admin retries) are queued on the same commit
// thread and go into the same kind of batch; completing the last job of an instance also deletes
// its meta and object. Leases exist only in memory (job_index.hpp).
//
// Deletes and tombstones: every delivery leaves tombstones in jobs, meta and object. The steady
// state never iterates a column family (leases come from the in-memory index, meta is read by
// point Get), so the head-of-queue slowdown of RocksDB queues does not arise. Tombstones cost only
// the one scan of `jobs` at open and a reader's jobs()/stats(); CompactOnDeletionCollector gets
// tombstone-dense files compacted (to the bottom level, where tombstones are dropped) soon after
// each flush, so those scans meet about one memtable's worth at most, however many deliveries
// came before (forward_queue_scale_test.cpp has the measurement).

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string_view>

#include "common/result.hpp"
#include "queue/instance_store.hpp"

namespace acc::queue {

inline constexpr std::string_view kMetaCf = "meta";
inline constexpr std::string_view kObjectCf = "object";
inline constexpr std::string_view kSeqCf = "seq";
inline constexpr std::string_view kJobsCf = "jobs";
inline constexpr std::string_view kStudiesCf = "studies";
inline constexpr std::string_view kDecisionsCf = "decisions";
inline constexpr std::string_view kWorklistCf = "worklist";
inline constexpr std::string_view kArrivalSeqKey = "arrival_seq";
inline constexpr std::string_view kProbeKey = "probe";

// Knobs measured but not exposed in the configuration file; defaults are what
// InstanceStore::open() uses.
//
// blob_files stays off: RocksDB does not support BlobDB together with secondary instances
// (wiki "BlobDB", future work; facebook/rocksdb#13296), and with 7.8.3 a secondary that has
// caught up with the primary segfaults reading a blob (GetBlob -> OffsetableCacheKey). The CLI
// reader needs the secondary. Measured cost of that choice (512 KiB, sync): plain SST values
// write ~3.2 bytes to disk per payload byte and rising as the LSM deepens; blob files write 2.0
// (WAL + blob file) with GC off, 2.9 with GC on. Instances deleted before their memtable is
// flushed never reach SST either way (performance-notes §0.4e).
struct StoreTuning {
  bool blob_files = false;               // integrated BlobDB for the object CF
  uint64_t min_blob_size = 64u << 10;    // only meaningful with blob_files
  bool blob_garbage_collection = false;  // only meaningful with blob_files
  // Memtable of each record family; of `object` too, which new stores never write (its values
  // are objects of stores written before issue 11, read and deleted in place).
  std::size_t record_write_buffer = 4u << 20;
  std::size_t object_write_buffer = 4u << 20;
  // CompactOnDeletionCollector on meta, object and jobs; off only to measure what it buys.
  bool compact_on_deletion = true;
};

[[nodiscard]] Result<std::unique_ptr<InstanceStore>> open_rocksdb_store(const StoreOptions& options,
                                                                        const StoreTuning& tuning);
[[nodiscard]] Result<std::unique_ptr<InstanceStore>> open_rocksdb_reader(
    const std::filesystem::path& path);

}  // namespace acc::queue
