#include <gtest/gtest.h>

#include <dabs/statistics/errc.h>
#include <dabs/statistics/proc_parsers.h>

#include "canned_proc.h"

namespace dabs::statistics {
namespace {

TEST(ParseMeminfo, ReadsTotalAndAvailableOfARealFile) {
  auto mem = ParseMeminfo(canned::kMeminfo);
  ASSERT_TRUE(mem.ok()) << mem.error().Message();
  EXPECT_EQ(mem->total_kb, 24684084u);
  EXPECT_EQ(mem->available_kb, 23752816u);
}

TEST(ParseMeminfo, EstimatesAvailableFromFreeBuffersAndCachedOnOldKernels) {
  auto mem = ParseMeminfo("MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 20 kB\nCached: 300 kB\n");
  ASSERT_TRUE(mem.ok());
  EXPECT_EQ(mem->available_kb, 420u);
}

TEST(ParseMeminfo, NeverReportsMoreAvailableThanTotal) {
  auto mem = ParseMeminfo("MemTotal: 1000 kB\nMemFree: 900 kB\nCached: 300 kB\n");
  ASSERT_TRUE(mem.ok());
  EXPECT_EQ(mem->available_kb, 1000u);
}

TEST(ParseMeminfo, RefusesMalformedText) {
  for (std::string_view bad :
       {"", "MemFree: 10 kB\n", "MemTotal: 0 kB\nMemFree: 0 kB\n", "MemTotal: 100 kB\n",
        "MemTotal: x kB\nMemFree: 1 kB\n", "MemTotal: 100 MB\nMemFree: 1 kB\n",
        "MemTotal: 100\nMemFree: 1 kB\n", "MemTotal: 100 kB\nMemTotal: 100 kB\nMemFree: 1 kB\n",
        "MemTotal: 99999999999999999 kB\nMemFree: 1 kB\n"}) {
    auto r = ParseMeminfo(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.code(), Errc::kMalformed) << bad;
  }
}

TEST(ParseCgroupMemory, ReadsMaxAsUnlimitedOrBytes) {
  auto unlimited = ParseCgroupMemoryMax("max\n");
  ASSERT_TRUE(unlimited.ok());
  EXPECT_FALSE(unlimited->has_value());
  auto limit = ParseCgroupMemoryMax(canned::kCgroupMemoryMax);
  ASSERT_TRUE(limit.ok());
  EXPECT_EQ(**limit, 536870912u);
  EXPECT_EQ(ParseCgroupMemoryMax("lots\n").code(), Errc::kMalformed);
  EXPECT_EQ(ParseCgroupMemoryMax("").code(), Errc::kMalformed);
}

TEST(ParseCgroupMemory, ReadsCurrentAndInactiveFile) {
  auto current = ParseSingleNumber(canned::kCgroupMemoryCurrent, "memory.current");
  ASSERT_TRUE(current.ok());
  EXPECT_EQ(*current, 301989888u);
  auto inactive = ParseCgroupInactiveFile(canned::kCgroupMemoryStat);
  ASSERT_TRUE(inactive.ok());
  EXPECT_EQ(**inactive, 67108864u);
  auto absent = ParseCgroupInactiveFile("anon 5\n");
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent->has_value());
  EXPECT_EQ(ParseCgroupInactiveFile("inactive_file -3\n").code(), Errc::kMalformed);
  EXPECT_EQ(ParseSingleNumber("12 13", "memory.current").code(), Errc::kMalformed);
}

}  // namespace
}  // namespace dabs::statistics
