#pragma once
// Wall-clock time as Unix epoch milliseconds: what records, jobs and decisions store.
#include <chrono>
#include <cstdint>

namespace acc {

[[nodiscard]] inline int64_t unix_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace acc
