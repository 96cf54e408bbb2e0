#pragma once
// The directory of segment files (segment_log.hpp) and the space they hold: new segment ids for
// writers, recovery of every segment at open, and deletion of a segment once no live record points
// into it (issue 11, "space comes back"). Which records are live is the caller's knowledge (the
// RocksDB index): it registers each one after open and releases it once its deletion is durable.
// Thread-safe.
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "common/result.hpp"
#include "queue/segment_log.hpp"

namespace acc::queue {

class SegmentSet {
 public:
  struct Options {
    std::filesystem::path dir;
    // A writer past this size should be sealed and replaced (seal(), new_writer()).
    uint64_t max_segment_bytes = 256ull << 20;
  };
  // What open() does with a segment that `synced_through` does not list.
  enum class Unlisted {
    recover,  // check it like the others, every record (watermark 0)
    // the caller's index points nowhere into it: register it sealed without reading it, so that
    // delete_dead() removes it (the store: no record references it, so nothing in it was ever
    // acknowledged or is still wanted)
    dead,
  };
  // Creates the directory if needed and recovers every segment in it; `synced_through` gives a
  // segment's durable watermark when the caller knows it (0 otherwise: every record is checked).
  // Segments found are sealed: writers always start new ones.
  [[nodiscard]] static Result<SegmentSet> open(
      Options options, const std::map<uint64_t, uint64_t>& synced_through = {},
      Unlisted unlisted = Unlisted::recover);
  SegmentSet(SegmentSet&& other) noexcept;
  SegmentSet& operator=(SegmentSet&&) = delete;
  SegmentSet(const SegmentSet&) = delete;
  SegmentSet& operator=(const SegmentSet&) = delete;
  ~SegmentSet() = default;

  // Every object the segments held at open, in segment and offset order.
  [[nodiscard]] const std::vector<ObjectRef>& recovered() const { return recovered_; }

  // A writer on a new segment (ids only increase, so a deleted id is never written again).
  [[nodiscard]] Result<SegmentWriter> new_writer(std::size_t buffer_bytes = 256 * 1024);
  [[nodiscard]] bool full(const SegmentWriter& w) const {
    return w.size() >= options_.max_segment_bytes;
  }
  // The writer of `id` is done: once its live bytes reach zero the segment may go.
  [[nodiscard]] Result<void> seal(uint64_t id);

  // A record points at `ref` (after open: every live record of the index; then each commit).
  void add_live(const ObjectRef& ref);
  // A record that pointed at `ref` is gone, durably: call it only after the index's deletion was
  // synced, or a crash could leave a record pointing into a deleted segment. A sealed segment
  // left without live bytes is deleted (unlink, then fsync of the directory).
  [[nodiscard]] Result<void> release(const ObjectRef& ref);
  // Deletes every sealed segment without live bytes: after open and the registration of the
  // live records, the segments nothing points into any more. Returns how many went.
  [[nodiscard]] Result<std::size_t> delete_dead();

  struct SegmentInfo {
    uint64_t id = 0;
    uint64_t size = 0;        // bytes in the file (when sealed) or at the last look
    uint64_t live_bytes = 0;  // payload bytes records point at
    bool sealed = false;
  };
  [[nodiscard]] std::vector<SegmentInfo> segments() const;
  // Payload bytes records point at in segment `id` (0 for a segment it does not know).
  [[nodiscard]] uint64_t live_bytes(uint64_t id) const;
  // The sealed segment of at least `min_size` bytes whose live bytes are under a quarter of its
  // size and that has the most dead bytes: the one compaction copies forward next.
  [[nodiscard]] std::optional<uint64_t> sparsest(uint64_t min_size) const;
  // Segments deleted since open.
  [[nodiscard]] uint64_t deleted() const;

 private:
  explicit SegmentSet(Options options) : options_(std::move(options)) {}
  [[nodiscard]] Result<void> delete_locked(uint64_t id);

  Options options_;
  mutable std::mutex mutex_;
  std::map<uint64_t, SegmentInfo> segments_;
  uint64_t next_id_ = 1;
  uint64_t deleted_ = 0;
  std::vector<ObjectRef> recovered_;
};

}  // namespace acc::queue
