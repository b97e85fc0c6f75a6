#include <cmath>

#include <gtest/gtest.h>

#include <dabs/emu/carousel.h>

namespace dabs::emu {
namespace {

CarouselParams TwoModules(double section_loss) {
  CarouselParams p;
  p.bitrate_bps = 1'000'000;
  // a: 125,000 bytes = 1 s at 1 Mbps, twice per cycle; b: 250,000 bytes = 2 s, once.
  p.modules = {{"a", 125'000, 2, 0}, {"b", 250'000, 1, section_loss}};
  return p;
}

TEST(Carousel, CycleAndScheduleFollowSizesAndRepetitions) {
  Carousel c(TwoModules(0));
  EXPECT_DOUBLE_EQ(c.CycleSeconds(), 4.0);  // 2 x 1 s + 1 x 2 s
  EXPECT_DOUBLE_EQ(c.PeriodSeconds(0), 2.0);
  EXPECT_DOUBLE_EQ(c.PeriodSeconds(1), 4.0);
  EXPECT_EQ(c.Sections(1), 62u);  // ceil(250,000 / 4,096)
  ASSERT_TRUE(c.Find("b"));
  EXPECT_EQ(*c.Find("b"), 1u);
  EXPECT_FALSE(c.Find("c"));
  // a's copies start at 0, 2, 4, ...; b's at 1, 5, 9, ...
  EXPECT_DOUBLE_EQ(c.NextCopy(0, 0), 0);
  EXPECT_DOUBLE_EQ(c.NextCopy(0, 0.5), 2);
  EXPECT_DOUBLE_EQ(c.NextCopy(1, 0.5), 1);
  EXPECT_DOUBLE_EQ(c.NextCopy(1, 1.01), 5);
}

TEST(Carousel, DownloadWithoutLossIsWaitPlusSizeOverRate) {
  Carousel c(TwoModules(0));
  mp::SeededRandom random(1);
  // Requested at 1.5 s: b's next copy starts at 5 s and takes 2 s.
  EXPECT_DOUBLE_EQ(c.DownloadComplete(1, 1.5, random), 5 + 2);
  EXPECT_DOUBLE_EQ(c.DownloadComplete(0, 2.0, random), 2 + 1);
  EXPECT_EQ(c.ExtraPasses(1, random), 0);
}

TEST(Carousel, EachPassWithALostSectionCostsAPeriod) {
  EXPECT_DOUBLE_EQ(Carousel(TwoModules(0)).CompletionTime(1, 1.5, 2), 5 + 2 * 4 + 2);
  // With 5% loss per section over 62 sections, P(a pass loses none) = 0.95^62 ~ 4%:
  // almost every download needs extra passes, each exactly one period later.
  Carousel c(TwoModules(0.05));
  mp::SeededRandom random(7);
  double extra = 0;
  const int n = 2000;
  for (int i = 0; i < n; ++i) {
    const double done = c.DownloadComplete(1, 1.5, random);
    const double passes = (done - 7) / 4;
    EXPECT_NEAR(passes, std::round(passes), 1e-9);
    EXPECT_GE(passes, 0);
    extra += passes / n;
  }
  // E[max of 62 geometric(0.95) pass counts] - 1 is about 1.4.
  EXPECT_GT(extra, 1.0);
  EXPECT_LT(extra, 2.0);
  // Deterministic from the seed.
  mp::SeededRandom r1(3), r2(3);
  EXPECT_EQ(c.DownloadComplete(1, 0.2, r1), c.DownloadComplete(1, 0.2, r2));
}

}  // namespace
}  // namespace dabs::emu
