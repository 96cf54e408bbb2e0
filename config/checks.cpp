#include "config/checks.hpp"

#include <arpa/inet.h>

#include <algorithm>

#include <cstdio>

#include "common/network_prefix.hpp"
#include "config/schema.hpp"

namespace acc::config::detail {

namespace {
constexpr size_t kMaxAeTitle = 16;
constexpr size_t kMaxDestinationName = 64;
// RFC 1035 limit on a name's text form.
constexpr size_t kMaxHost = 253;
constexpr size_t kMaxModalityCode = 16;
constexpr size_t kMaxIssuerText = 64;

bool is_modality_char(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

bool is_name_char(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

// "'/'", "a space" or "byte 0x09": a quoted blank or control byte would be hard to see.
std::string show_char(unsigned char c) {
  if (c == ' ') {
    return "a space";
  }
  if (c > 0x20 && c < 0x7f) {
    return std::string("'") + static_cast<char>(c) + "'";
  }
  char buf[16];
  std::snprintf(buf, sizeof buf, "byte 0x%02X", c);
  return buf;
}
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

std::optional<std::string> check_group_name(std::string& value) {
  const bool ok = !value.empty() && value.size() <= 32 && value.front() != '-' &&
                  std::all_of(value.begin(), value.end(), [](char c) {
                    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                           (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
                  });
  if (ok) {
    return std::nullopt;
  }
  return quote(value) +
         " is not a group name (1..32 of A-Z, a-z, 0-9, '.', '_', '-', not starting with '-')";
}

std::optional<std::string> check_network_prefix(std::string& value) {
  auto prefix = parse_network_prefix(value);
  if (!prefix) {
    return prefix.error().detail;
  }
  value = to_string(*prefix);
  return std::nullopt;
}

std::optional<std::string> check_non_empty(std::string& value) {
  if (value.empty()) {
    return "must not be empty";
  }
  return std::nullopt;
}

std::optional<std::string> check_destination_name(std::string& value) {
  constexpr const char* kRule = "names are 1..64 characters of A-Z, a-z, 0-9, '_', '.', '-'";
  if (value.empty()) {
    return std::string("must not be empty; ") + kRule;
  }
  for (size_t i = 0; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (!is_name_char(c)) {
      return quote(value) + " contains " + show_char(c) + " at position " + std::to_string(i + 1) +
             "; " + kRule;
    }
  }
  if (value.size() > kMaxDestinationName) {
    return quote(value) + " is " + std::to_string(value.size()) + " characters long; " + kRule;
  }
  return std::nullopt;
}

std::optional<std::string> check_host(std::string& value) {
  if (value.empty()) {
    return "must not be empty";
  }
  for (size_t i = 0; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    // 0x7F and below 0x21: whitespace and control bytes, which no host name or literal contains
    // (a NUL would also cut the name short at the resolver).
    if (c <= 0x20 || c == 0x7f) {
      return quote(value) + " contains " + show_char(c) + " at position " + std::to_string(i + 1) +
             "; expected a host name or IP address literal";
    }
  }
  if (value.size() > kMaxHost) {
    return quote(value) + " is " + std::to_string(value.size()) +
           " characters long; host names are at most 253";
  }
  return std::nullopt;
}

std::optional<std::string> check_modality_code(std::string& value) {
  constexpr const char* kRule = "modality codes are 1..16 characters of A-Z, 0-9, '_'";
  if (value.empty()) {
    return std::string("must not be empty; ") + kRule;
  }
  for (size_t i = 0; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (is_modality_char(c)) {
      continue;
    }
    std::string message = quote(value) + " contains " + show_char(c) + " at position " +
                          std::to_string(i + 1) + "; " + kRule;
    std::string upper = value;
    for (char& u : upper) {
      if (u >= 'a' && u <= 'z') {
        u = static_cast<char>(u - 'a' + 'A');
      }
    }
    std::string ignored = upper;
    if (upper != value && !check_modality_code(ignored)) {
      message += "; did you mean " + quote(upper) + "?";
    }
    return message;
  }
  if (value.size() > kMaxModalityCode) {
    return quote(value) + " is " + std::to_string(value.size()) + " characters long; " + kRule;
  }
  return std::nullopt;
}

std::optional<std::string> check_issuer_text(std::string& value) {
  // Stamping writes these into every matched instance: it refuses '\' (the DICOM value
  // separator) and control bytes outright, and non-ASCII unless the instance is UTF-8 (ISO_IR
  // 192), so a value outside printable ASCII would fail at run time on most instances instead of
  // here.
  constexpr const char* kRule = "allowed are up to 64 printable ASCII characters except '\\'";
  for (size_t i = 0; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (c == '\\' || c < 0x20 || c >= 0x7f) {
      return quote(value) + " contains " + (c == '\\' ? "a backslash" : show_char(c)) +
             " at position " + std::to_string(i + 1) + "; " + kRule;
    }
  }
  if (value.size() > kMaxIssuerText) {
    return quote(value) + " is " + std::to_string(value.size()) + " characters long; " + kRule;
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
