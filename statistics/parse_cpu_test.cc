#include <gtest/gtest.h>

#include <dabs/statistics/errc.h>
#include <dabs/statistics/proc_parsers.h>

#include "canned_proc.h"

namespace dabs::statistics {
namespace {

TEST(ParseProcStat, ReadsTheTotalAndEveryCoreOfARealFile) {
  auto stat = ParseProcStat(canned::kProcStat);
  ASSERT_TRUE(stat.ok()) << stat.error().Message();
  // cpu  285816 0 35618 181084 1417 0 2452 457 0 0
  EXPECT_EQ(stat->total.user, 285816u);
  EXPECT_EQ(stat->total.system, 35618u);
  EXPECT_EQ(stat->total.idle, 181084u);
  EXPECT_EQ(stat->total.iowait, 1417u);
  EXPECT_EQ(stat->total.softirq, 2452u);
  EXPECT_EQ(stat->total.steal, 457u);
  EXPECT_EQ(stat->total.Idle(), 181084u + 1417u);
  ASSERT_EQ(stat->cores.size(), 2u);
  EXPECT_EQ(stat->cores[0].index, 0u);
  EXPECT_EQ(stat->cores[1].index, 1u);
  EXPECT_EQ(stat->cores[1].times.user, 149321u);
}

TEST(ParseProcStat, AcceptsTheFourColumnsOfOldKernelsAndIgnoresNewOnes) {
  auto stat = ParseProcStat("cpu 1 2 3 4\ncpu0 1 2 3 4 5 6 7 8 9 10 11 12\n");
  ASSERT_TRUE(stat.ok()) << stat.error().Message();
  EXPECT_EQ(stat->total.Total(), 10u);
  EXPECT_EQ(stat->total.steal, 0u);
  EXPECT_EQ(stat->cores[0].times.steal, 8u);
  EXPECT_EQ(stat->cores[0].times.Total(), 36u);  // guest columns 9, 10 not added
}

TEST(ParseProcStat, KeepsTheIndexOfCoresAfterAnOfflineOne) {
  auto stat = ParseProcStat("cpu 2 0 0 2\ncpu0 1 0 0 1\ncpu2 1 0 0 1\n");
  ASSERT_TRUE(stat.ok());
  ASSERT_EQ(stat->cores.size(), 2u);
  EXPECT_EQ(stat->cores[1].index, 2u);
}

void ExpectMalformed(std::string_view text, std::string_view detail_part) {
  auto stat = ParseProcStat(text);
  ASSERT_FALSE(stat.ok()) << "accepted: " << text;
  EXPECT_EQ(stat.code(), Errc::kMalformed);
  EXPECT_NE(stat.error().detail.find(detail_part), std::string::npos) << stat.error().detail;
}

TEST(ParseProcStat, RefusesMalformedTextNamingTheLine) {
  ExpectMalformed("", "no 'cpu' line");
  ExpectMalformed("intr 1 2 3\n", "no 'cpu' line");
  ExpectMalformed("cpu 1 2 3 4\ncpu0 1 x 3 4\n", "line 2");
  ExpectMalformed("cpu 1 2 3\n", "fewer than 4");
  ExpectMalformed("cpu 1 2 3 -4\n", "expected a number");
  ExpectMalformed("cpu 1 2 3 99999999999999999999\n", "expected a number");
  ExpectMalformed("cpu 1 2 3 4\ncpu0 1 2 3 4\ncpu0 1 2 3 4\n", "repeated");
  ExpectMalformed("cpu 1 2 3 4\ncpu 1 2 3 4\n", "second 'cpu'");
  ExpectMalformed("cpu 1 2 3 4\ncpuX 1 2 3 4\n", "bad CPU label");
  ExpectMalformed("cpu 18446744073709551615 1 0 0\n", "overflow");
}

TEST(ParseProcStat, RefusesMoreCoresThanTheLimit) {
  std::string text = "cpu 1 1 1 1\n";
  for (size_t i = 0; i <= kMaxCores; ++i)
    text += "cpu" + std::to_string(i) + " 1 1 1 1\n";
  auto stat = ParseProcStat(text);
  ASSERT_FALSE(stat.ok());
  EXPECT_EQ(stat.code(), Errc::kTooLarge);
}

TEST(ParseCgroupCpuMax, ReadsNoQuotaAndAQuota) {
  auto none = ParseCgroupCpuMax("max 100000\n");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->quota_us.has_value());
  EXPECT_EQ(none->period_us, 100000u);
  auto two = ParseCgroupCpuMax(canned::kCgroupCpuMax);
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two->quota_us, 200000u);
  EXPECT_EQ(two->period_us, 100000u);
}

TEST(ParseCgroupCpuMax, RefusesMalformedText) {
  for (std::string_view bad : {"", "max", "0 100000", "50000 0", "a 100000", "1 2 3", "-1 100"}) {
    auto r = ParseCgroupCpuMax(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.code(), Errc::kMalformed);
  }
}

TEST(ParseCgroupCpuUsage, ReadsUsageUsecAndRefusesAFileWithout) {
  auto us = ParseCgroupCpuUsageUs(canned::kCgroupCpuStat);
  ASSERT_TRUE(us.ok());
  EXPECT_EQ(*us, 2512866u);
  EXPECT_EQ(ParseCgroupCpuUsageUs("user_usec 5\n").code(), Errc::kMalformed);
  EXPECT_EQ(ParseCgroupCpuUsageUs("usage_usec\n").code(), Errc::kMalformed);
}

}  // namespace
}  // namespace dabs::statistics
