#pragma once
// Private: content checks for string keys, shaped as detail::StringCheck.

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace acc::config::detail {

// A DICOM AE title: leading/trailing spaces are insignificant (trimmed in place), then 1..16
// printable ASCII characters without '\'.
[[nodiscard]] std::optional<std::string> check_ae_title(std::string& value);

// A numeric IPv4 or IPv6 address; host names are refused so startup never waits on DNS.
[[nodiscard]] std::optional<std::string> check_ip_literal(std::string& value);

[[nodiscard]] std::optional<std::string> check_non_empty(std::string& value);

// Exact match against a fixed vocabulary, with a did-you-mean on near misses.
[[nodiscard]] std::optional<std::string> check_one_of(const std::string& value,
                                                      const std::vector<std::string_view>& allowed);

}  // namespace acc::config::detail
