#include "rules/dicom_text.hpp"

namespace acc::rules::detail {
namespace {

constexpr std::int64_t kMicrosPerSecond = 1'000'000;

bool all_digits(std::string_view s) noexcept {
  for (const char c : s) {
    if (c < '0' || c > '9') {
      return false;
    }
  }
  return true;
}

// s must be all digits and short enough not to overflow.
int to_int(std::string_view s) noexcept {
  int v = 0;
  for (const char c : s) {
    v = v * 10 + (c - '0');
  }
  return v;
}

bool is_leap(int y) noexcept {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int days_in_month(int y, int m) noexcept {
  constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

// Howard Hinnant's days_from_civil, for positive years only (DA cannot express others).
std::int64_t days_from_civil(int y, int m, int d) noexcept {
  y -= m <= 2 ? 1 : 0;
  const int era = y / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<std::int64_t>(era) * 146097 + doe - 719468;
}

}  // namespace

std::string_view trim_spaces(std::string_view s) noexcept {
  const auto first = s.find_first_not_of(' ');
  if (first == std::string_view::npos) {
    return {};
  }
  const auto last = s.find_last_not_of(' ');
  return s.substr(first, last - first + 1);
}

std::optional<std::int64_t> parse_da(std::string_view s) noexcept {
  if (s.size() != 8 || !all_digits(s)) {
    return std::nullopt;
  }
  const int y = to_int(s.substr(0, 4));
  const int m = to_int(s.substr(4, 2));
  const int d = to_int(s.substr(6, 2));
  if (y < 1 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m)) {
    return std::nullopt;
  }
  return days_from_civil(y, m, d);
}

std::optional<std::int64_t> parse_tm(std::string_view s) noexcept {
  std::string_view whole = s;
  std::string_view fraction;
  if (const auto dot = s.find('.'); dot != std::string_view::npos) {
    whole = s.substr(0, dot);
    fraction = s.substr(dot + 1);
    // A fraction only follows full seconds, and has 1 to 6 digits.
    if (whole.size() != 6 || fraction.empty() || fraction.size() > 6 || !all_digits(fraction)) {
      return std::nullopt;
    }
  }
  if ((whole.size() != 2 && whole.size() != 4 && whole.size() != 6) || !all_digits(whole)) {
    return std::nullopt;
  }
  const int h = to_int(whole.substr(0, 2));
  const int m = whole.size() >= 4 ? to_int(whole.substr(2, 2)) : 0;
  const int sec = whole.size() == 6 ? to_int(whole.substr(4, 2)) : 0;
  // 60 seconds is allowed by PS3.5 for leap seconds.
  if (h > 23 || m > 59 || sec > 60) {
    return std::nullopt;
  }
  std::int64_t micros = 0;
  if (!fraction.empty()) {
    micros = to_int(fraction);
    for (std::size_t i = fraction.size(); i < 6; ++i) {
      micros *= 10;
    }
  }
  return ((static_cast<std::int64_t>(h) * 60 + m) * 60 + sec) * kMicrosPerSecond + micros;
}

std::string format_duration(std::int64_t microseconds) {
  if (microseconds < 0) {
    microseconds = -microseconds;
  }
  if (microseconds == 0) {
    return "0 s";
  }
  if (microseconds < kMicrosPerSecond) {
    return "<1 s";
  }
  std::int64_t seconds = microseconds / kMicrosPerSecond;
  const std::int64_t days = seconds / 86400;
  seconds %= 86400;
  const std::int64_t hours = seconds / 3600;
  seconds %= 3600;
  const std::int64_t minutes = seconds / 60;
  seconds %= 60;
  std::string out;
  const auto add = [&out](std::int64_t v, const char* unit) {
    if (v == 0) {
      return;
    }
    if (!out.empty()) {
      out += ' ';
    }
    out += std::to_string(v);
    out += ' ';
    out += unit;
  };
  add(days, "d");
  add(hours, "h");
  add(minutes, "min");
  add(seconds, "s");
  return out;
}

std::vector<std::string_view> split_values(std::string_view s) {
  std::vector<std::string_view> out;
  while (true) {
    const auto pos = s.find('\\');
    const auto value = trim_spaces(s.substr(0, pos));
    if (!value.empty()) {
      out.push_back(value);
    }
    if (pos == std::string_view::npos) {
      break;
    }
    s.remove_prefix(pos + 1);
  }
  return out;
}

std::string quoted(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '\'';
  out += s;
  out += '\'';
  return out;
}

}  // namespace acc::rules::detail
