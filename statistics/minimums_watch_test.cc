#include <cmath>

#include <gtest/gtest.h>

#include <dabs/statistics/errc.h>
#include <dabs/statistics/minimums_watch.h>

namespace dabs::statistics {
namespace {

// Plenty of everything against the farm file's defaults (5%, 64 MB, 64 MB).
constexpr FreeResources kPlenty{50, 4096, 10000};

MinimumsWatch Defaults() {
  auto watch = MinimumsWatch::Create(MinFree{});
  EXPECT_TRUE(watch.ok());
  return std::move(watch).value();
}

TEST(MinimumsWatch, ReportsOneCrossingWhenMemoryFallsBelowItsMinimum) {
  MinimumsWatch watch = Defaults();
  EXPECT_TRUE(watch.Update(kPlenty).empty());
  FreeResources low = kPlenty;
  low.memory_mb = 63;
  const auto crossings = watch.Update(low);
  ASSERT_EQ(crossings.size(), 1u);
  EXPECT_EQ(crossings[0].resource, Resource::kMemory);
  EXPECT_TRUE(crossings[0].below);
  EXPECT_EQ(crossings[0].free, 63);
  EXPECT_EQ(crossings[0].minimum, 64);
  EXPECT_TRUE(watch.below(Resource::kMemory));
  EXPECT_FALSE(watch.below(Resource::kCpu));
  EXPECT_TRUE(watch.any_below());
  EXPECT_TRUE(watch.Update(low).empty()) << "one report per crossing, not per sample";
}

TEST(MinimumsWatch, LeavesOnlyAboveTheMinimumPlusTheMargin) {
  MinimumsWatch watch = Defaults();  // margins equal the minimums: leave at 10%, 128, 128
  FreeResources f = kPlenty;
  f.cpu_pct = 4;
  ASSERT_EQ(watch.Update(f).size(), 1u);
  for (double cpu : {5.0, 7.0, 9.9}) {
    f.cpu_pct = cpu;
    EXPECT_TRUE(watch.Update(f).empty()) << cpu;
    EXPECT_TRUE(watch.below(Resource::kCpu)) << cpu;
  }
  f.cpu_pct = 10;
  const auto crossings = watch.Update(f);
  ASSERT_EQ(crossings.size(), 1u);
  EXPECT_EQ(crossings[0].resource, Resource::kCpu);
  EXPECT_FALSE(crossings[0].below);
  EXPECT_FALSE(watch.any_below());
}

TEST(MinimumsWatch, AFigureHoveringAtTheMinimumDoesNotFlap) {
  MinimumsWatch watch = Defaults();
  FreeResources f = kPlenty;
  int reports = 0;
  for (int second = 0; second < 120; ++second) {
    f.disk_mb = second % 2 == 0 ? 63.5 : 66;  // around the 64 MB minimum
    reports += static_cast<int>(watch.Update(f).size());
  }
  EXPECT_EQ(reports, 1);
  EXPECT_TRUE(watch.below(Resource::kDisk));
}

TEST(MinimumsWatch, ReportsEachResourceOnItsOwn) {
  MinimumsWatch watch = Defaults();
  const auto crossings = watch.Update({1, 10, 10});
  ASSERT_EQ(crossings.size(), 3u);
  EXPECT_EQ(ResourceName(crossings[0].resource), "cpu_pct");
  EXPECT_EQ(ResourceName(crossings[1].resource), "memory_mb");
  EXPECT_EQ(ResourceName(crossings[2].resource), "disk_mb");
  const auto back = watch.Update({1, 1000, 10});
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].resource, Resource::kMemory);
  EXPECT_FALSE(back[0].below);
}

TEST(MinimumsWatch, AZeroMinimumNeverTriggersAndNanChangesNothing) {
  auto watch = MinimumsWatch::Create(MinFree{0, 0, 0}, MinFree{0, 0, 0});
  ASSERT_TRUE(watch.ok());
  EXPECT_TRUE(watch->Update({0, 0, 0}).empty());
  MinimumsWatch d = Defaults();
  EXPECT_TRUE(d.Update({std::nan(""), std::nan(""), std::nan("")}).empty());
}

TEST(MinimumsWatch, RefusesNegativeOrImpossibleSettings) {
  EXPECT_EQ(MinimumsWatch::Create(MinFree{-1, 64, 64}).code(), Errc::kInvalidConfig);
  EXPECT_EQ(MinimumsWatch::Create(MinFree{101, 64, 64}).code(), Errc::kInvalidConfig);
  EXPECT_EQ(MinimumsWatch::Create(MinFree{}, MinFree{5, NAN, 64}).code(), Errc::kInvalidConfig);
}

TEST(MinimumsWatch, FreeResourcesComeFromTheFigures) {
  Figures f;
  f.cpu.busy_pct = 97;
  f.memory.available_mb = 512;
  f.disk.free_mb = 30;
  const FreeResources free = FreeResourcesOf(f);
  EXPECT_DOUBLE_EQ(free.cpu_pct, 3);
  EXPECT_DOUBLE_EQ(free.memory_mb, 512);
  EXPECT_DOUBLE_EQ(free.disk_mb, 30);
  MinimumsWatch watch = Defaults();
  EXPECT_EQ(watch.Update(free).size(), 2u);  // CPU and disk
}

}  // namespace
}  // namespace dabs::statistics
