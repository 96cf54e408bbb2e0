#include "common/clock.hpp"

#include <cstdio>
#include <ctime>

namespace acc {

std::string iso_time_ms(int64_t unix_ms) {
  if (unix_ms <= 0) {
    return {};
  }
  const std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string dicom_datetime(int64_t unix_ms) {
  const std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char date[32];
  std::strftime(date, sizeof date, "%Y%m%d%H%M%S", &tm);
  char zone[8];
  std::strftime(zone, sizeof zone, "%z", &tm);
  char out[64];
  std::snprintf(out, sizeof out, "%s.%06d%s", date, static_cast<int>((unix_ms % 1000) * 1000),
                zone);
  return out;
}

}  // namespace acc
