#pragma once
// An IP network in CIDR notation ("10.20.0.0/16", "2001:db8::/32", or one host: "10.1.2.3"), for
// the source allow-list checked before any PDU is read (issue 12). Plain bytes, no Asio: config
// validates with it and the listener matches with it.
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace acc {

struct NetworkPrefix {
  std::array<uint8_t, 16> bytes{};  // the network address, host bits zero; 4 used for IPv4
  uint8_t length = 0;               // prefix length: 0..32 (IPv4), 0..128 (IPv6)
  bool v4 = true;

  friend bool operator==(const NetworkPrefix&, const NetworkPrefix&) = default;
};

// "a.b.c.d/n", "x::y/n", or an address alone (a host: /32 or /128). Host bits that are set
// ("10.1.2.3/8") are refused, not silently cleared: they usually mean a typing mistake that
// would open more than intended. The error's detail is a sentence for a config message.
[[nodiscard]] Result<NetworkPrefix> parse_network_prefix(std::string_view text);

// Canonical text: "10.0.0.0/8", "2001:db8::/32".
[[nodiscard]] std::string to_string(const NetworkPrefix& prefix);

// `address` is 4 bytes (IPv4) or 16 (IPv6). An IPv4-mapped IPv6 address (::ffff:a.b.c.d, what a
// dual-stack "::" listener sees for an IPv4 peer) is matched as the IPv4 address it carries.
[[nodiscard]] bool contains(const NetworkPrefix& prefix, std::span<const uint8_t> address);
[[nodiscard]] bool any_contains(const std::vector<NetworkPrefix>& prefixes,
                                std::span<const uint8_t> address);

}  // namespace acc
