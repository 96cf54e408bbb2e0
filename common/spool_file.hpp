#pragma once
// A temporary file that holds the bytes of one data set while it is received (issue 11): objects
// too large to hold in memory go here, chunk by chunk, and the commit copies them into a segment.
// The file has no name (O_TMPFILE, or created and unlinked at once where the file system lacks
// it), so whatever happens to the process its space goes back when the last descriptor closes:
// a crash leaves nothing to clean up, and an acknowledged instance never depends on a spool.
//
// One writer at a time (the receiving association's flushes, one after the other); reads (the
// receive path's header walk, the commit's copy) start once writing has ended.
#include <cstdint>
#include <filesystem>
#include <span>

#include "common/byte_source.hpp"
#include "common/result.hpp"

namespace acc {

class SpoolFile final : public ByteSource {
 public:
  // A new, empty spool in `dir` (created if needed; on the storage volume, so the free-space
  // guard sees the bytes being received).
  [[nodiscard]] static Result<SpoolFile> create(const std::filesystem::path& dir);

  SpoolFile(SpoolFile&& other) noexcept;
  SpoolFile& operator=(SpoolFile&& other) noexcept;
  SpoolFile(const SpoolFile&) = delete;
  SpoolFile& operator=(const SpoolFile&) = delete;
  ~SpoolFile() override;

  // Appends all of `bytes` (std::errc from errno on failure: ENOSPC, EIO...).
  [[nodiscard]] Result<void> append(std::span<const uint8_t> bytes);
  // Fills `out` from `offset`; an error when the file ends first.
  [[nodiscard]] Result<void> read_at(uint64_t offset, std::span<uint8_t> out) const override;
  [[nodiscard]] uint64_t size() const noexcept override { return size_; }

 private:
  explicit SpoolFile(int fd) : fd_(fd) {}
  int fd_ = -1;
  uint64_t size_ = 0;
};

}  // namespace acc
