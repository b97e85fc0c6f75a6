#include <array>
#include <string>
#include <unordered_set>
#include <vector>

#include <gtest/gtest.h>

#include <dabs/mp/endpoint.h>
#include <dabs/mp/errc.h>

namespace dabs::mp {
namespace {

Endpoint Ep(std::string_view text) {
  auto e = Endpoint::Parse(text);
  EXPECT_TRUE(e.ok()) << text << ": " << (e.ok() ? "" : e.error().Message());
  return e.ok() ? *e : Endpoint{};
}

// ---------------------------------------------------------------------------- parsing

TEST(Endpoint, ParsesIpv4AndPort) {
  const Endpoint e = Ep("127.0.0.1:7400");
  EXPECT_EQ(e.kind(), TransportKind::kUdp);
  EXPECT_TRUE(e.is_udp());
  EXPECT_FALSE(e.is_v6());
  EXPECT_EQ(e.family(), 4);
  EXPECT_EQ(e.v4(), 0x7F000001u);
  EXPECT_EQ(e.port(), 7400);
  EXPECT_TRUE(e.valid());
  EXPECT_EQ(e, Endpoint::Udp4(0x7F000001, 7400));
}

TEST(Endpoint, ParsesBracketedIpv6AndPort) {
  const Endpoint e = Ep("[::1]:7400");
  EXPECT_TRUE(e.is_udp());
  EXPECT_TRUE(e.is_v6());
  EXPECT_EQ(e.family(), 6);
  EXPECT_EQ(e.port(), 7400);
  std::array<uint8_t, 16> loopback{};
  loopback[15] = 1;
  EXPECT_EQ(e.address_bytes(), loopback);
  EXPECT_EQ(e, Endpoint::Udp6(loopback, 7400));
}

TEST(Endpoint, ParsesLocalSocketPath) {
  const Endpoint e = Ep("unix:/tmp/x.sock");
  EXPECT_EQ(e.kind(), TransportKind::kLocal);
  EXPECT_FALSE(e.is_udp());
  EXPECT_EQ(e.path(), "/tmp/x.sock");
  EXPECT_TRUE(e.valid());
  EXPECT_EQ(e, Endpoint::Local("/tmp/x.sock"));
}

TEST(Endpoint, ParsesInProcessName) {
  const Endpoint e = Ep("inproc:name");
  EXPECT_EQ(e.kind(), TransportKind::kInProcess);
  EXPECT_EQ(e.path(), "name");
  EXPECT_TRUE(e.valid());
  EXPECT_EQ(e, Endpoint::InProcess("name"));
}

TEST(Endpoint, ToStringRoundTripsEveryKind) {
  for (std::string_view text :
       {"127.0.0.1:7400", "[::1]:7400", "unix:/tmp/x.sock", "inproc:name", "0.0.0.0:0",
        "255.255.255.255:65535", "[2001:db8::1:2]:1", "[ff02::1]:7401", "239.1.2.3:7401",
        "unix:relative/path with spaces"}) {
    const Endpoint e = Ep(text);
    EXPECT_EQ(e.ToString(), text);
    EXPECT_EQ(Ep(e.ToString()), e) << text;
  }
}

TEST(Endpoint, ToStringWritesIpv6InItsShortestForm) {
  EXPECT_EQ(Ep("[0:0:0:0:0:0:0:1]:7400").ToString(), "[::1]:7400");
  EXPECT_EQ(Ep("[2001:DB8:0::1]:80").ToString(), "[2001:db8::1]:80");
}

TEST(Endpoint, RejectsBadInput) {
  const std::vector<std::string> bad = {
      "",
      "127.0.0.1",        // no port
      "127.0.0.1:",       // empty port
      "127.0.0.1:70000",  // port out of range
      "127.0.0.1:65536",  // just out of range
      "127.0.0.1:-1",     // negative
      "127.0.0.1:74x0",   // not a number
      "127.0.0.1:+7400",  // signed
      "localhost:7400",   // names are not resolved here
      "garbage:7400",     // not an address
      "999.0.0.1:7400",   // octet out of range
      "1.2.3:7400",       // too few octets
      ":7400",            // no host
      "[::1]",            // IPv6 without a port
      "[::1]:",           // empty port
      "[::1:7400",        // unclosed bracket
      "[::1]7400",        // no colon after the bracket
      "[::g]:7400",       // bad IPv6
      "unix:",            // empty path
      "inproc:",          // empty name
  };
  for (const std::string& text : bad) {
    auto e = Endpoint::Parse(text);
    ASSERT_FALSE(e.ok()) << "'" << text << "' parsed as " << e->ToString();
    EXPECT_EQ(e.code(), Errc::kMalformed) << text;
    EXPECT_FALSE(e.error().detail.empty()) << text;
  }
}

TEST(Endpoint, DefaultIsAnUnsetUdpEndpoint) {
  const Endpoint e;
  EXPECT_FALSE(e.valid());
  EXPECT_TRUE(e.is_udp());
  EXPECT_EQ(e.ToString(), "(unset)");
  EXPECT_NE(e, Ep("0.0.0.0:0"));
}

// ---------------------------------------------------------------------------- multicast

TEST(Endpoint, MulticastGroupsAreRecognised) {
  EXPECT_TRUE(Ep("239.1.2.3:7401").IsMulticast());
  EXPECT_TRUE(Ep("224.0.0.1:7401").IsMulticast());
  EXPECT_TRUE(Ep("239.255.255.255:7401").IsMulticast());
  EXPECT_TRUE(Ep("[ff02::1]:7401").IsMulticast());
  EXPECT_TRUE(Ep("[ff15::abcd]:7401").IsMulticast());
}

TEST(Endpoint, UnicastAndLocalAreNotMulticast) {
  EXPECT_FALSE(Ep("127.0.0.1:7400").IsMulticast());
  EXPECT_FALSE(Ep("223.255.255.255:7400").IsMulticast());
  EXPECT_FALSE(Ep("240.0.0.1:7400").IsMulticast());
  EXPECT_FALSE(Ep("[::1]:7400").IsMulticast());
  EXPECT_FALSE(Ep("[fe80::1]:7400").IsMulticast());
  EXPECT_FALSE(Ep("unix:/tmp/x.sock").IsMulticast());
  EXPECT_FALSE(Ep("inproc:name").IsMulticast());
  EXPECT_FALSE(Endpoint().IsMulticast());
}

// ---------------------------------------------------------------------------- identity

TEST(Endpoint, EqualEndpointsHashEqual) {
  const std::vector<std::pair<Endpoint, Endpoint>> pairs = {
      {Ep("10.0.0.1:7400"), Endpoint::Udp4(0x0A000001, 7400)},
      {Ep("[::1]:7400"), Ep("[0::1]:7400")},
      {Ep("unix:/tmp/x.sock"), Endpoint::Local("/tmp/x.sock")},
      {Ep("inproc:name"), Endpoint::InProcess("name")},
      {Endpoint(), Endpoint()},
  };
  for (const auto& [a, b] : pairs) {
    EXPECT_EQ(a, b) << a.ToString();
    EXPECT_EQ(a.Hash(), b.Hash()) << a.ToString();
    EXPECT_EQ(EndpointHash()(a), a.Hash());
  }
}

TEST(Endpoint, EndpointsDifferingInAnyPartAreUnequal) {
  const std::vector<Endpoint> all = {
      Ep("10.0.0.1:7400"),    Ep("10.0.0.1:7401"),
      Ep("10.0.0.2:7400"),    Ep("[::a00:1]:7400"),
      Ep("[::1]:7400"),       Ep("unix:/tmp/x.sock"),
      Ep("unix:/tmp/y.sock"), Ep("inproc:/tmp/x.sock"),
      Ep("inproc:name"),      Endpoint(),
  };
  for (size_t i = 0; i < all.size(); ++i) {
    for (size_t j = 0; j < all.size(); ++j) {
      EXPECT_EQ(all[i] == all[j], i == j) << all[i].ToString() << " vs " << all[j].ToString();
    }
  }
  // Keyed by EndpointHash, as the engine keys its peers, each stays distinct.
  std::unordered_set<Endpoint, EndpointHash> set(all.begin(), all.end());
  EXPECT_EQ(set.size(), all.size());
  set.insert(Ep("10.0.0.1:7400"));
  EXPECT_EQ(set.size(), all.size());
}

TEST(Endpoint, OnlyUdpIsAnUnreliableLink) {
  EXPECT_FALSE(Ep("127.0.0.1:7400").IsReliableLink());
  EXPECT_FALSE(Ep("[::1]:7400").IsReliableLink());
  EXPECT_FALSE(Ep("239.1.2.3:7401").IsReliableLink());
  EXPECT_TRUE(Ep("unix:/tmp/x.sock").IsReliableLink());
  EXPECT_TRUE(Ep("inproc:name").IsReliableLink());
}

}  // namespace
}  // namespace dabs::mp
