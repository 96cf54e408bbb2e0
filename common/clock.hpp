#pragma once
// Wall-clock time as Unix epoch milliseconds: what records, jobs and decisions store.
#include <chrono>
#include <cstdint>
#include <string>

namespace acc {

[[nodiscard]] inline int64_t unix_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "2026-12-05T03:23:53Z" (UTC, seconds); empty for 0 or a negative time ("never").
[[nodiscard]] std::string iso_time_ms(int64_t unix_ms);

// A DICOM DT for a Unix time in ms, local time with its UTC offset ("20261205042353.123000+0100"),
// as (0400,0562) Attribute Modification DateTime and (0008,0015) want it.
[[nodiscard]] std::string dicom_datetime(int64_t unix_ms);

}  // namespace acc
