#include "common/network_prefix.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <array>
#include <vector>

namespace acc {
namespace {

std::vector<uint8_t> address(const char* text) {
  std::array<uint8_t, 16> bytes{};
  if (inet_pton(AF_INET, text, bytes.data()) == 1) {
    return {bytes.begin(), bytes.begin() + 4};
  }
  EXPECT_EQ(inet_pton(AF_INET6, text, bytes.data()), 1) << text;
  return {bytes.begin(), bytes.end()};
}

NetworkPrefix prefix(const char* text) {
  auto parsed = parse_network_prefix(text);
  EXPECT_TRUE(parsed.has_value()) << text << ": " << parsed.error().detail;
  return parsed.value_or(NetworkPrefix{});
}

TEST(NetworkPrefix, ParsesNetworksAndHostsInCanonicalForm) {
  EXPECT_EQ(to_string(prefix("10.0.0.0/8")), "10.0.0.0/8");
  EXPECT_EQ(to_string(prefix("192.168.1.7")), "192.168.1.7/32");
  EXPECT_EQ(to_string(prefix("2001:db8::/32")), "2001:db8::/32");
  EXPECT_EQ(to_string(prefix("::1")), "::1/128");
  EXPECT_EQ(to_string(prefix("0.0.0.0/0")), "0.0.0.0/0");
}

TEST(NetworkPrefix, RefusesWhatIsNotANetwork) {
  for (const char* bad : {"", "modality.hospital.local", "10.0.0.0/", "10.0.0.0/33", "::/129",
                          "10.0.0.0/-1", "10.0.0.0/8x", "10.0.0/8", "10.0.0.0 /8"}) {
    EXPECT_FALSE(parse_network_prefix(bad).has_value()) << bad;
  }
  // Host bits after the prefix: a typing mistake that would otherwise open a whole /8.
  const auto typo = parse_network_prefix("10.1.2.3/8");
  ASSERT_FALSE(typo.has_value());
  EXPECT_NE(typo.error().detail.find("bits set after its /8"), std::string::npos)
      << typo.error().detail;
  EXPECT_FALSE(parse_network_prefix(std::string_view("10.0.0.0\0/8", 11)).has_value());
}

TEST(NetworkPrefix, MatchesAddressesInsideItsPrefixOnly) {
  const auto net = prefix("10.20.0.0/14");
  EXPECT_TRUE(contains(net, address("10.20.0.1")));
  EXPECT_TRUE(contains(net, address("10.23.255.255")));
  EXPECT_FALSE(contains(net, address("10.24.0.0")));
  EXPECT_FALSE(contains(net, address("10.19.255.255")));
  EXPECT_TRUE(contains(prefix("0.0.0.0/0"), address("203.0.113.9")));
  EXPECT_TRUE(contains(prefix("192.168.1.7"), address("192.168.1.7")));
  EXPECT_FALSE(contains(prefix("192.168.1.7"), address("192.168.1.8")));
  EXPECT_TRUE(contains(prefix("2001:db8::/32"), address("2001:db8:1::5")));
  EXPECT_FALSE(contains(prefix("2001:db8::/32"), address("2001:db9::5")));
}

TEST(NetworkPrefix, AnIpv4PeerOnADualStackListenerMatchesIpv4Networks) {
  EXPECT_TRUE(contains(prefix("127.0.0.0/8"), address("::ffff:127.0.0.1")));
  EXPECT_FALSE(contains(prefix("10.0.0.0/8"), address("::ffff:127.0.0.1")));
  // An IPv4 network never matches a real IPv6 address, nor the reverse.
  EXPECT_FALSE(contains(prefix("0.0.0.0/0"), address("::1")));
  EXPECT_FALSE(contains(prefix("::/0"), address("127.0.0.1")));
  EXPECT_TRUE(any_contains({prefix("10.0.0.0/8"), prefix("::1")}, address("::1")));
  EXPECT_FALSE(any_contains({}, address("::1")));
}

}  // namespace
}  // namespace acc
