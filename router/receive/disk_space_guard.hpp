#pragma once
// Free-space floor for the storage filesystem: below it the receiver answers C-STORE with 0xA700
// (out of resources) instead of accepting, so RocksDB never meets ENOSPC (which would turn it
// read-only). Receiving resumes by itself when space returns; each transition is logged once.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>

namespace acc::router {

class DiskSpaceGuard {
 public:
  using FreeBytesProbe = std::function<uint64_t()>;

  // `floor_bytes` 0 disables the guard. The default probe is statvfs() on `path`.
  DiskSpaceGuard(std::filesystem::path path, uint64_t floor_bytes, FreeBytesProbe probe = {});

  // True when new instances may be accepted. Thread-safe; one statvfs per call (about a
  // microsecond, cheaper than the fsync every accepted instance costs anyway).
  [[nodiscard]] bool has_room();
  [[nodiscard]] uint64_t last_free_bytes() const { return last_free_.load(); }
  [[nodiscard]] uint64_t floor_bytes() const { return floor_; }

 private:
  std::filesystem::path path_;
  uint64_t floor_;
  FreeBytesProbe probe_;
  std::atomic<uint64_t> last_free_{0};
  std::atomic<bool> below_{false};
};

}  // namespace acc::router
