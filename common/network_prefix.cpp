#include "common/network_prefix.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

namespace acc {

namespace {

constexpr std::array<uint8_t, 12> kV4MappedHead = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool prefix_bits_equal(std::span<const uint8_t> a, std::span<const uint8_t> b, unsigned bits) {
  const unsigned whole = bits / 8;
  if (!std::equal(a.begin(), a.begin() + whole, b.begin())) {
    return false;
  }
  const unsigned rest = bits % 8;
  if (rest == 0) {
    return true;
  }
  const auto mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

FailedResult invalid(std::string sentence) {
  return fail(std::errc::invalid_argument, std::move(sentence));
}

bool host_bits_zero(std::span<const uint8_t> address, unsigned bits) {
  for (unsigned i = bits; i < address.size() * 8; ++i) {
    if ((address[i / 8] >> (7 - i % 8)) & 1u) {
      return false;
    }
  }
  return true;
}

}  // namespace

Result<NetworkPrefix> parse_network_prefix(std::string_view text) {
  const auto quoted = "\"" + std::string(text) + "\"";
  if (text.find('\0') != std::string_view::npos) {
    return invalid(quoted + " contains NUL");
  }
  const auto slash = text.find('/');
  const std::string address(text.substr(0, slash));
  NetworkPrefix prefix;
  if (inet_pton(AF_INET, address.c_str(), prefix.bytes.data()) == 1) {
    prefix.v4 = true;
  } else if (inet_pton(AF_INET6, address.c_str(), prefix.bytes.data()) == 1) {
    prefix.v4 = false;
  } else {
    return invalid(quoted +
                   " is not a network in CIDR notation (e.g. \"10.20.0.0/16\", "
                   "\"192.168.1.7\", \"2001:db8::/32\"; host names are not accepted)");
  }
  const unsigned max_length = prefix.v4 ? 32 : 128;
  unsigned length = max_length;
  if (slash != std::string_view::npos) {
    const auto digits = text.substr(slash + 1);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), length);
    if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() ||
        length > max_length) {
      return invalid(quoted + " has a prefix length that is not 0.." + std::to_string(max_length));
    }
  }
  prefix.length = static_cast<uint8_t>(length);
  const std::span<const uint8_t> used(prefix.bytes.data(), prefix.v4 ? 4 : 16);
  if (!host_bits_zero(used, length)) {
    return invalid(quoted + " has bits set after its /" + std::to_string(length) +
                   " prefix; write the network address (did you mean a /" +
                   std::to_string(max_length) + " host, or a shorter network?)");
  }
  return prefix;
}

std::string to_string(const NetworkPrefix& prefix) {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(prefix.v4 ? AF_INET : AF_INET6, prefix.bytes.data(), text, sizeof text);
  return std::string(text) + "/" + std::to_string(prefix.length);
}

bool contains(const NetworkPrefix& prefix, std::span<const uint8_t> address) {
  if (prefix.v4 && address.size() == 16 &&
      std::equal(kV4MappedHead.begin(), kV4MappedHead.end(), address.begin())) {
    address = address.subspan(12);
  }
  if (address.size() != (prefix.v4 ? 4u : 16u)) {
    return false;
  }
  return prefix_bits_equal(std::span<const uint8_t>(prefix.bytes.data(), address.size()), address,
                           prefix.length);
}

bool any_contains(const std::vector<NetworkPrefix>& prefixes, std::span<const uint8_t> address) {
  return std::any_of(prefixes.begin(), prefixes.end(),
                     [&](const NetworkPrefix& p) { return contains(p, address); });
}

}  // namespace acc
