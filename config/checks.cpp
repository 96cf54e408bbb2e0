#include "config/checks.hpp"

#include <arpa/inet.h>

#include <cstdio>

#include "config/schema.hpp"

namespace acc::config::detail {

namespace {
constexpr size_t kMaxAeTitle = 16;
}  // namespace

std::optional<std::string> check_ae_title(std::string& value) {
  if (value.empty()) {
    return "must not be empty (AE titles are 1..16 characters)";
  }
  const size_t first = value.find_first_not_of(' ');
  if (first == std::string::npos) {
    return quote(value) + " is all spaces (AE titles are 1..16 characters)";
  }
  const size_t last = value.find_last_not_of(' ');
  std::string trimmed = value.substr(first, last - first + 1);
  for (size_t i = 0; i < trimmed.size(); ++i) {
    const auto c = static_cast<unsigned char>(trimmed[i]);
    if (c == '\\') {
      return quote(value) + " contains a backslash, which DICOM reserves as a value separator";
    }
    if (c < 0x20 || c >= 0x7f) {
      char buf[96];
      std::snprintf(buf, sizeof buf,
                    " contains byte 0x%02X at position %zu; only printable ASCII is allowed", c,
                    i + 1);
      return quote(value) + buf;
    }
  }
  if (trimmed.size() > kMaxAeTitle) {
    return quote(value) + " is " + std::to_string(trimmed.size()) +
           " characters long without surrounding spaces; AE titles are 1..16 characters";
  }
  value = std::move(trimmed);
  return std::nullopt;
}

std::optional<std::string> check_ip_literal(std::string& value) {
  unsigned char buf[16];
  // c_str() would stop at an embedded NUL and let "127.0.0.1\0junk" through.
  if (value.find('\0') == std::string::npos && (inet_pton(AF_INET, value.c_str(), buf) == 1 ||
                                                inet_pton(AF_INET6, value.c_str(), buf) == 1)) {
    return std::nullopt;
  }
  return quote(value) +
         " is not an IPv4 or IPv6 address literal (host names are not accepted; use e.g. "
         "\"0.0.0.0\" or \"::\")";
}

std::optional<std::string> check_non_empty(std::string& value) {
  if (value.empty()) {
    return "must not be empty";
  }
  return std::nullopt;
}

std::optional<std::string> check_one_of(const std::string& value,
                                        const std::vector<std::string_view>& allowed) {
  for (std::string_view a : allowed) {
    if (value == a) {
      return std::nullopt;
    }
  }
  std::string message = quote(value) + " is not one of ";
  for (size_t i = 0; i < allowed.size(); ++i) {
    message += (i == 0 ? "" : ", ");
    message += allowed[i];
  }
  if (auto close = suggest(value, allowed)) {
    message += "; did you mean '" + std::string(*close) + "'?";
  }
  return message;
}

}  // namespace acc::config::detail
