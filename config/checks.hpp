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
// A POSIX group name: 1..32 of A-Z a-z 0-9 . _ -, not starting with '-'.
[[nodiscard]] std::optional<std::string> check_group_name(std::string& value);
// A network in CIDR notation, or one address; rewritten in canonical form ("10.0.0.0/8").
[[nodiscard]] std::optional<std::string> check_network_prefix(std::string& value);

[[nodiscard]] std::optional<std::string> check_non_empty(std::string& value);

// A destination name: 1..64 of [A-Za-z0-9_.-], so it is safe in logs, metrics labels and CLIs.
[[nodiscard]] std::optional<std::string> check_destination_name(std::string& value);

// A host name or IP literal to connect to: 1..253 bytes, no whitespace or control bytes. Not
// resolved here: a PACS whose name does not resolve yet must not stop the router from starting.
[[nodiscard]] std::optional<std::string> check_host(std::string& value);

// A DICOM modality code (CS, e.g. "CT"): 1..16 of [A-Z0-9_]. Lower case is refused rather than
// folded, with the upper-case spelling suggested: codes are compared exactly elsewhere.
[[nodiscard]] std::optional<std::string> check_modality_code(std::string& value);

// An issuer of accession number field (Local / Universal Entity ID): 0..64 characters of
// printable ASCII without '\'. Empty is allowed here; whether it may be is a cross-key rule.
[[nodiscard]] std::optional<std::string> check_issuer_text(std::string& value);

// Exact match against a fixed vocabulary, with a did-you-mean on near misses.
[[nodiscard]] std::optional<std::string> check_one_of(const std::string& value,
                                                      const std::vector<std::string_view>& allowed);

}  // namespace acc::config::detail
