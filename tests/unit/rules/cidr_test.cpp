// Networks of the `source` condition: IPv4, IPv6 and IPv4-mapped IPv6 peers.
#include <gtest/gtest.h>

#include <string>

#include "rules/rule_set.hpp"

namespace acc::rules {
namespace {

Cidr cidr(const std::string& text) {
  std::string why;
  auto c = Cidr::parse(text, why);
  EXPECT_TRUE(c) << text << ": " << why;
  return c ? std::move(*c) : Cidr{};
}

std::string rejection(const std::string& text) {
  std::string why;
  EXPECT_FALSE(Cidr::parse(text, why)) << text;
  return why;
}

TEST(Cidr, Ipv4Network) {
  const auto c = cidr("10.2.0.0/16");
  EXPECT_EQ(c.text(), "10.2.0.0/16");
  EXPECT_TRUE(c.contains("10.2.0.0"));
  EXPECT_TRUE(c.contains("10.2.3.4"));
  EXPECT_TRUE(c.contains("10.2.255.255"));
  EXPECT_FALSE(c.contains("10.3.0.1"));
  EXPECT_FALSE(c.contains("11.2.3.4"));
}

TEST(Cidr, PrefixNotOnAByteBoundary) {
  const auto c = cidr("192.168.4.0/22");
  EXPECT_TRUE(c.contains("192.168.4.1"));
  EXPECT_TRUE(c.contains("192.168.7.254"));
  EXPECT_FALSE(c.contains("192.168.8.1"));
  EXPECT_FALSE(c.contains("192.168.3.255"));
}

TEST(Cidr, BareAddressIsAHostRoute) {
  const auto v4 = cidr("10.2.3.4");
  EXPECT_TRUE(v4.contains("10.2.3.4"));
  EXPECT_FALSE(v4.contains("10.2.3.5"));
  const auto v6 = cidr("::1");
  EXPECT_TRUE(v6.contains("::1"));
  EXPECT_FALSE(v6.contains("::2"));
}

TEST(Cidr, ZeroPrefixMatchesItsWholeFamily) {
  EXPECT_TRUE(cidr("0.0.0.0/0").contains("203.0.113.9"));
  EXPECT_FALSE(cidr("0.0.0.0/0").contains("2001:db8::1"));
  EXPECT_TRUE(cidr("::/0").contains("2001:db8::1"));
  EXPECT_FALSE(cidr("::/0").contains("203.0.113.9"));
}

TEST(Cidr, Ipv6Network) {
  const auto c = cidr("2001:db8:a::/48");
  EXPECT_TRUE(c.contains("2001:db8:a::1"));
  EXPECT_TRUE(c.contains("2001:0DB8:000A:ffff::1"));
  EXPECT_FALSE(c.contains("2001:db8:b::1"));
  EXPECT_TRUE(c.contains("2001:db8:a::1%eth0"));  // the zone is not part of the address
}

TEST(Cidr, Ipv4MappedIpv6PeersMatchIpv4Networks) {
  const auto c = cidr("10.2.0.0/16");
  EXPECT_TRUE(c.contains("::ffff:10.2.3.4"));
  EXPECT_TRUE(c.contains("::FFFF:10.2.3.4"));
  EXPECT_FALSE(c.contains("::ffff:10.3.3.4"));
  // Only the mapped prefix: an IPv4-compatible or other v6 address ending alike is not IPv4.
  EXPECT_FALSE(c.contains("::10.2.3.4"));
  EXPECT_FALSE(c.contains("64:ff9b::10.2.3.4"));
}

TEST(Cidr, UnparsablePeersMatchNothing) {
  const auto c = cidr("0.0.0.0/0");
  EXPECT_FALSE(c.contains(""));
  EXPECT_FALSE(c.contains("localhost"));
  EXPECT_FALSE(c.contains("10.2.3"));
  EXPECT_FALSE(c.contains("10.2.3.4:104"));
  EXPECT_FALSE(c.contains(std::string(200, '1')));
}

TEST(Cidr, ParsedAddressIsReusable) {
  const auto peer = Cidr::parse_address("::ffff:10.2.3.4");
  ASSERT_TRUE(peer);
  EXPECT_TRUE(peer->v6);
  EXPECT_TRUE(cidr("10.2.0.0/16").contains(*peer));
  EXPECT_FALSE(cidr("10.3.0.0/16").contains(*peer));
  EXPECT_FALSE(Cidr::parse_address("not an address"));
}

TEST(Cidr, RejectsMalformedNetworks) {
  EXPECT_NE(rejection("10.2.0.0/33").find("0..32"), std::string::npos);
  EXPECT_NE(rejection("::/129").find("0..128"), std::string::npos);
  EXPECT_FALSE(rejection("10.2.0.0/").empty());
  EXPECT_FALSE(rejection("10.2.0.0/-1").empty());
  EXPECT_FALSE(rejection("10.2.0.0/16x").empty());
  EXPECT_FALSE(rejection("10.2.0.0/0016").empty());
  EXPECT_NE(rejection("10.2.0/16").find("not an IPv4 or IPv6 address"), std::string::npos);
  EXPECT_FALSE(rejection("").empty());
  EXPECT_FALSE(rejection("fe80::/10%eth0").empty());
  EXPECT_FALSE(rejection("fe80::%eth0/10").empty());
}

TEST(Cidr, HostBitsAreRejectedWithTheNetworkTheyProbablyMeant) {
  EXPECT_EQ(rejection("10.2.3.4/16"), "host bits are set; the network is 10.2.0.0/16");
  EXPECT_EQ(rejection("2001:db8::1/64"), "host bits are set; the network is 2001:db8::/64");
  EXPECT_EQ(rejection("192.168.5.0/22"), "host bits are set; the network is 192.168.4.0/22");
}

}  // namespace
}  // namespace acc::rules
