#include "router/receive/disk_space_guard.hpp"

#include <sys/statvfs.h>

#include <limits>

#include <spdlog/spdlog.h>

namespace acc::router {

DiskSpaceGuard::DiskSpaceGuard(std::filesystem::path path, uint64_t floor_bytes,
                               FreeBytesProbe probe)
    : path_(std::move(path)), floor_(floor_bytes), probe_(std::move(probe)) {
  if (!probe_) {
    probe_ = [p = path_]() -> uint64_t {
      struct statvfs st {};
      if (::statvfs(p.c_str(), &st) != 0) {
        // Unknown is not "full": a failing statvfs must not stop a hospital's intake.
        return std::numeric_limits<uint64_t>::max();
      }
      return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
    };
  }
}

bool DiskSpaceGuard::has_room() {
  if (floor_ == 0) {
    return true;
  }
  const uint64_t free = probe_();
  last_free_.store(free);
  const bool below = free < floor_;
  if (below_.exchange(below) != below) {
    if (below) {
      spdlog::error(
          "storage {}: {} MiB free, below the floor of {} MiB: refusing C-STORE with 0xA700",
          path_.string(), free >> 20, floor_ >> 20);
    } else {
      spdlog::warn("storage {}: {} MiB free again: accepting C-STORE", path_.string(), free >> 20);
    }
  }
  return !below;
}

}  // namespace acc::router
