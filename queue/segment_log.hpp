#pragma once
// Append-only segment files for object bytes (issue 11: the bulk out of RocksDB's WAL). One writer
// per receiving association appends whole objects back to back, so an object is one contiguous
// byte range; RocksDB keeps only where it lies (ObjectRef). Records are self-describing, so the
// tail of a segment can be re-indexed and a torn tail truncated after a crash.
//
// Record layout (little endian), at an offset that is a multiple of nothing in particular:
//   magic "ACCSEG01" (8) | payload length u64 | payload XXH3-64 u64 | XXH3-64 of these 24 bytes
//   payload (length bytes)
// begin() writes the header with length and hash 0 (a reservation); finish() rewrites it with
// pwrite once the last byte is written; sync() (fdatasync) makes header and payload durable
// together. Until then a crash leaves a reservation or a torn record, which recovery truncates.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "common/result.hpp"

namespace acc::queue {

enum class SegmentErrc {
  ok = 0,
  io_failed,          // open, write, read, truncate or fdatasync failed (errno in the detail)
  corrupt,            // a record below the synced watermark does not check out: refuse, loudly
  checksum_mismatch,  // an object's bytes do not hash to its recorded XXH3-64
  out_of_range,       // a read outside the object
  misuse,             // append() without begin(), begin() twice
};
const std::error_category& segment_category() noexcept;
inline std::error_code make_error_code(SegmentErrc e) noexcept {
  return {static_cast<int>(e), segment_category()};
}

inline constexpr std::size_t kSegmentHeaderBytes = 32;

// Where one object's bytes lie, and what they hash to.
struct ObjectRef {
  uint64_t segment = 0;  // segment id (file seg-<id as 16 hex digits>.log)
  uint64_t offset = 0;   // of the payload's first byte in the file
  uint64_t length = 0;
  uint64_t xxh3 = 0;  // XXH3-64 of the payload
  bool operator==(const ObjectRef&) const = default;
};

[[nodiscard]] std::filesystem::path segment_path(const std::filesystem::path& dir, uint64_t id);

namespace detail {
// An open file descriptor, closed by its owner; movable.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();
  [[nodiscard]] int get() const { return fd_; }

 private:
  int fd_ = -1;
};
// XXH3 streaming state (xxhash.h stays out of this header).
struct Xxh3State;
struct Xxh3StateDelete {
  void operator()(Xxh3State* s) const noexcept;
};
using Xxh3Ptr = std::unique_ptr<Xxh3State, Xxh3StateDelete>;
}  // namespace detail

// Appends objects to one segment file. Not thread-safe: one per association (or per writer
// thread). Memory: at most `buffer_bytes` of payload are held, whatever the object's size.
class SegmentWriter {
 public:
  // Opens (creating) segment `id` in `dir` and appends after its current end: call it on a
  // segment that recover_segment() has checked, or on a new id.
  [[nodiscard]] static Result<SegmentWriter> open(const std::filesystem::path& dir, uint64_t id,
                                                  std::size_t buffer_bytes = 256 * 1024);
  SegmentWriter(SegmentWriter&&) noexcept = default;
  SegmentWriter& operator=(SegmentWriter&&) noexcept = default;

  [[nodiscard]] Result<void> begin();
  [[nodiscard]] Result<void> append(std::span<const uint8_t> bytes);
  // Completes the object: its reference, valid once sync() has returned.
  [[nodiscard]] Result<ObjectRef> finish();
  // Drops the object being written (an aborted association): the file is cut back to where the
  // object began.
  [[nodiscard]] Result<void> abandon();
  // fdatasync: every finished object is durable when it returns. A failure is fatal for the
  // process (the page cache can no longer be trusted); the caller logs and exits.
  [[nodiscard]] Result<void> sync();

  [[nodiscard]] uint64_t id() const { return id_; }
  [[nodiscard]] uint64_t size() const { return end_; }  // bytes in the file, buffered included
  [[nodiscard]] std::size_t buffer_capacity() const { return buffer_.capacity(); }

 private:
  SegmentWriter(detail::UniqueFd fd, uint64_t id, uint64_t end, std::size_t buffer_bytes);
  [[nodiscard]] Result<void> flush();

  detail::UniqueFd fd_;
  uint64_t id_ = 0;
  uint64_t end_ = 0;           // logical end: written + buffered
  uint64_t written_ = 0;       // bytes in the file
  uint64_t object_start_ = 0;  // of the open object's header
  bool in_object_ = false;
  std::size_t buffer_limit_ = 0;
  std::vector<uint8_t> buffer_;
  detail::Xxh3Ptr hash_;  // of the open object
};

// Streams one object in chunks (pread), hashing as it goes: what a destination sends, PDV by
// PDV, without holding the object. The last chunk is handed out only after the whole object has
// hashed to its XXH3-64, so a sender that aborts on the error never completes a corrupt data set
// at the peer. Memory: one chunk.
class ObjectReader {
 public:
  [[nodiscard]] static Result<ObjectReader> open(const std::filesystem::path& dir,
                                                 const ObjectRef& ref);
  ObjectReader(ObjectReader&&) noexcept = default;
  ObjectReader& operator=(ObjectReader&&) noexcept = default;

  // Up to `max_bytes` of the object (at least 1 when max_bytes > 0); empty once all was read.
  // checksum_mismatch instead of the chunk that ends the object when it does not check out.
  [[nodiscard]] Result<std::span<const uint8_t>> next(std::size_t max_bytes);
  [[nodiscard]] uint64_t remaining() const { return ref_.length - done_; }

 private:
  ObjectReader(detail::UniqueFd fd, const ObjectRef& ref);
  detail::UniqueFd fd_;
  ObjectRef ref_;
  uint64_t done_ = 0;
  bool verified_ = false;  // the whole object hashed to its record's XXH3-64
  std::vector<uint8_t> chunk_;
  detail::Xxh3Ptr hash_;
};

// Reads `length` bytes at `offset` within the object (pread), never more than asked.
[[nodiscard]] Result<std::vector<uint8_t>> read_object_range(const std::filesystem::path& dir,
                                                             const ObjectRef& ref, uint64_t offset,
                                                             std::size_t length);
// The same into `out` (out.size() bytes).
[[nodiscard]] Result<void> read_object_into(const std::filesystem::path& dir, const ObjectRef& ref,
                                            uint64_t offset, std::span<uint8_t> out);
// Recomputes the object's XXH3-64 in chunks of `chunk_bytes`: checksum_mismatch if it differs.
[[nodiscard]] Result<void> verify_object(const std::filesystem::path& dir, const ObjectRef& ref,
                                         std::size_t chunk_bytes = 1024 * 1024);

// What a segment holds after a crash. Records that start below `synced_through` were made
// durable by a sync that returned: their headers are checked (one that does not check out is
// corruption: SegmentErrc::corrupt, nothing is truncated), their payloads are not read here
// (verify_object, or the reader, checks each before it is served). From the first record at or
// after the watermark that does not check out (a reservation, a torn header, a short or
// mis-hashed payload), the file is cut off.
struct RecoveredSegment {
  std::vector<ObjectRef> objects;
  uint64_t size = 0;             // after truncation
  uint64_t truncated_bytes = 0;  // the torn tail that was cut off
};
[[nodiscard]] Result<RecoveredSegment> recover_segment(const std::filesystem::path& dir,
                                                       uint64_t id, uint64_t synced_through = 0);

}  // namespace acc::queue

template <>
struct std::is_error_code_enum<acc::queue::SegmentErrc> : std::true_type {};
