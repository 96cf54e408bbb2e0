// Cidr: IPv4/IPv6 networks for the `source` condition.
#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "rules/rule_set.hpp"

namespace acc::rules {
namespace {

// The v4-mapped prefix ::ffff:0:0/96 (RFC 4291 2.5.5.2): a dual-stack socket reports IPv4 peers
// this way, and they must still match an IPv4 network.
constexpr std::array<uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

// True when the first `prefix` bits of a and b agree.
bool same_prefix(const uint8_t* a, const uint8_t* b, unsigned prefix) noexcept {
  const unsigned whole = prefix / 8;
  if (std::memcmp(a, b, whole) != 0) {
    return false;
  }
  const unsigned rest = prefix % 8;
  if (rest == 0) {
    return true;
  }
  const auto mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

}  // namespace

std::optional<Cidr::Address> Cidr::parse_address(std::string_view text) noexcept {
  // "fe80::1%eth0": the zone names an interface, not part of the address.
  if (const auto zone = text.find('%'); zone != std::string_view::npos) {
    text = text.substr(0, zone);
  }
  // inet_pton needs a terminated string; the longest IPv6 text (with an IPv4 tail) is 45 bytes.
  char buf[64];
  if (text.empty() || text.size() >= sizeof buf) {
    return std::nullopt;
  }
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  Address out;
  if (inet_pton(AF_INET, buf, out.bytes.data()) == 1) {
    return out;
  }
  if (inet_pton(AF_INET6, buf, out.bytes.data()) == 1) {
    out.v6 = true;
    return out;
  }
  return std::nullopt;
}

std::optional<Cidr> Cidr::parse(std::string_view text, std::string& why) {
  const auto slash = text.find('/');
  const std::string_view address_text = text.substr(0, slash);
  if (address_text.find('%') != std::string_view::npos) {
    why = "a network must not carry a zone (%...)";
    return std::nullopt;
  }
  const auto address = parse_address(address_text);
  if (!address) {
    why = "not an IPv4 or IPv6 address";
    return std::nullopt;
  }
  const unsigned max_prefix = address->v6 ? 128 : 32;
  unsigned prefix = max_prefix;
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    const char* end = digits.data() + digits.size();
    const auto [ptr, ec] = std::from_chars(digits.data(), end, prefix);
    if (digits.empty() || digits.size() > 3 || ec != std::errc() || ptr != end ||
        prefix > max_prefix) {
      why = "prefix length must be 0.." + std::to_string(max_prefix);
      return std::nullopt;
    }
  }
  Cidr cidr;
  cidr.v6_ = address->v6;
  cidr.prefix_ = prefix;
  // Host bits left over usually mean a typo in the prefix ("10.2.0.0/8"): say what it would be.
  std::array<uint8_t, 16> masked{};
  const unsigned whole = prefix / 8;
  std::copy_n(address->bytes.begin(), whole, masked.begin());
  if (prefix % 8 != 0) {
    masked[whole] = static_cast<uint8_t>(address->bytes[whole] &
                                         static_cast<uint8_t>(0xff << (8 - prefix % 8)));
  }
  if (masked != address->bytes) {
    char shown[INET6_ADDRSTRLEN];
    inet_ntop(address->v6 ? AF_INET6 : AF_INET, masked.data(), shown, sizeof shown);
    why = std::string("host bits are set; the network is ")
              .append(shown)
              .append("/")
              .append(std::to_string(prefix));
    return std::nullopt;
  }
  cidr.network_ = masked;
  cidr.text_ = std::string(text);
  return cidr;
}

bool Cidr::contains(std::string_view address) const {
  const auto parsed = parse_address(address);
  return parsed && contains(*parsed);
}

bool Cidr::contains(const Address& address) const noexcept {
  if (v6_ == address.v6) {
    return same_prefix(network_.data(), address.bytes.data(), prefix_);
  }
  if (!v6_ && std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), address.bytes.begin())) {
    return same_prefix(network_.data(), address.bytes.data() + kMappedPrefix.size(), prefix_);
  }
  return false;
}

}  // namespace acc::rules
