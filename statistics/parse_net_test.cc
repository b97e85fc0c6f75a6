#include <gtest/gtest.h>

#include <dabs/statistics/errc.h>
#include <dabs/statistics/proc_parsers.h>

#include "canned_proc.h"

namespace dabs::statistics {
namespace {

constexpr std::string_view kHeader =
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
    "drop fifo colls carrier compressed\n";

TEST(ParseNetDev, ReadsEveryInterfaceOfARealFile) {
  auto net = ParseNetDev(canned::kNetDev);
  ASSERT_TRUE(net.ok()) << net.error().Message();
  ASSERT_EQ(net->size(), 4u);
  EXPECT_EQ((*net)[0].name, "lo");
  const auto& eth0 = (*net)[3];
  EXPECT_EQ(eth0.name, "eth0");
  // eth0: 31682902 714 0 0 0 0 0 0 34917 408 ...
  EXPECT_EQ(eth0.rx_bytes, 31682902u);
  EXPECT_EQ(eth0.rx_packets, 714u);
  EXPECT_EQ(eth0.tx_bytes, 34917u);
  EXPECT_EQ(eth0.tx_packets, 408u);
}

TEST(ParseNetDev, ReadsANameJoinedToAWideByteCount) {
  auto net =
      ParseNetDev(std::string(kHeader) + "eth1:123456789012 5 0 0 0 0 0 0 7 8 0 0 0 0 0 0\n");
  ASSERT_TRUE(net.ok()) << net.error().Message();
  EXPECT_EQ((*net)[0].name, "eth1");
  EXPECT_EQ((*net)[0].rx_bytes, 123456789012u);
  EXPECT_EQ((*net)[0].tx_packets, 8u);
}

TEST(ParseNetDev, RefusesMalformedText) {
  const std::string h(kHeader);
  for (const std::string& bad : {std::string(""), std::string("eth0: 1 2 3\n"),
                                 h + "eth0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n",
                                 h + "eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15\n",
                                 h + "eth0: 1 2 3 4 5 6 7 8 9 x 11 12 13 14 15 16\n",
                                 h + "../x: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n",
                                 h + "a b: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n",
                                 h + ": 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n",
                                 h + "e: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\ne: 1 2 3 4 5 6 7 "
                                     "8 9 10 11 12 13 14 15 16\n"}) {
    auto r = ParseNetDev(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.code(), Errc::kMalformed) << bad;
  }
}

TEST(ParseLinkSpeed, ReadsMbpsAndTreatsUnknownAsAbsent) {
  auto gig = ParseLinkSpeed("1000\n");
  ASSERT_TRUE(gig.ok());
  EXPECT_EQ(**gig, 1000u);
  for (std::string_view unknown : {"-1\n", "0\n", "4294967295\n"}) {
    auto r = ParseLinkSpeed(unknown);
    ASSERT_TRUE(r.ok()) << unknown;
    EXPECT_FALSE(r->has_value()) << unknown;
  }
  EXPECT_EQ(ParseLinkSpeed("fast\n").code(), Errc::kMalformed);
  EXPECT_EQ(ParseLinkSpeed("").code(), Errc::kMalformed);
}

}  // namespace
}  // namespace dabs::statistics
