#include <gtest/gtest.h>

#include <dabs/statistics/errc.h>
#include <dabs/statistics/proc_parsers.h>
#include <dabs/statistics/reading.h>

#include "canned_proc.h"

namespace dabs::statistics {
namespace {

TEST(ParseDiskstats, ReadsSectorsOfEveryDeviceOfARealFile) {
  auto disks = ParseDiskstats(canned::kDiskstats);
  ASSERT_TRUE(disks.ok()) << disks.error().Message();
  ASSERT_EQ(disks->size(), 10u);
  const auto& vda = (*disks)[8];
  EXPECT_EQ(vda.name, "vda");
  // 254 0 vda 335810 73767 16699498 442333 43739 26312 23180672 ...
  EXPECT_EQ(vda.read_sectors, 16699498u);
  EXPECT_EQ(vda.write_sectors, 23180672u);
}

TEST(ParseDiskstats, AcceptsTheElevenCountersOfOldKernels) {
  auto disks = ParseDiskstats("8 0 sda 1 2 3 4 5 6 7 8 9 10 11\n");
  ASSERT_TRUE(disks.ok());
  EXPECT_EQ((*disks)[0].read_sectors, 3u);
  EXPECT_EQ((*disks)[0].write_sectors, 7u);
}

TEST(ParseDiskstats, RefusesMalformedText) {
  for (std::string_view bad :
       {"8 0 sda 1 2 3 4 5 6 7 8 9 10\n", "x 0 sda 1 2 3 4 5 6 7 8 9 10 11\n", "8 0\n",
        "8 0 sda 1 2 3 4 5 6 7 8 9 10 -11\n",
        "8 0 sda 1 2 3 4 5 6 7 8 9 10 11\n8 0 sda 1 2 3 4 5 6 7 8 9 10 11\n"}) {
    auto r = ParseDiskstats(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.code(), Errc::kMalformed) << bad;
  }
}

TEST(IsCountedDisk, CountsWholeDisksOnly) {
  const std::set<std::string_view> all = {"vda",       "vda1",    "sda",       "sda2",  "nvme0n1",
                                          "nvme0n1p2", "mmcblk0", "mmcblk0p1", "loop0", "zram0",
                                          "dm-0",      "md127",   "sr0"};
  for (std::string_view disk : {"vda", "sda", "nvme0n1", "mmcblk0"}) {
    EXPECT_TRUE(IsCountedDisk(disk, all)) << disk;
  }
  for (std::string_view other :
       {"vda1", "sda2", "nvme0n1p2", "mmcblk0p1", "loop0", "zram0", "dm-0", "md127", "sr0"}) {
    EXPECT_FALSE(IsCountedDisk(other, all)) << other;
  }
}

}  // namespace
}  // namespace dabs::statistics
