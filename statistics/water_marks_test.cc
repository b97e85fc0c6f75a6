#include <cmath>

#include <gtest/gtest.h>

#include <dabs/statistics/errc.h>
#include <dabs/statistics/water_marks.h>

namespace dabs::statistics {
namespace {

using State = WaterMarks::State;

WaterMarks FarmDefaults() {  // latency: {high_water_ms: 250, low_water_ms: 150}
  auto marks = WaterMarks::Create(250, 150);
  EXPECT_TRUE(marks.ok());
  return std::move(marks).value();
}

TEST(WaterMarks, GoesHighOnlyOverTheHighMark) {
  WaterMarks marks = FarmDefaults();
  EXPECT_EQ(marks.Update(200), std::nullopt);
  EXPECT_EQ(marks.Update(250), std::nullopt);  // at the mark is not over it
  EXPECT_EQ(marks.Update(251), State::kHigh);
  EXPECT_TRUE(marks.high());
  EXPECT_EQ(marks.Update(400), std::nullopt) << "reported once";
}

TEST(WaterMarks, StaysHighUntilBelowTheLowMark) {
  WaterMarks marks = FarmDefaults();
  ASSERT_EQ(marks.Update(300), State::kHigh);
  for (double v : {240.0, 200.0, 150.0}) {
    EXPECT_EQ(marks.Update(v), std::nullopt) << v;
    EXPECT_TRUE(marks.high()) << v;
  }
  EXPECT_EQ(marks.Update(149), State::kNormal);
  EXPECT_EQ(marks.state(), State::kNormal);
}

TEST(WaterMarks, NoiseBetweenTheMarksDoesNotFlap) {
  WaterMarks marks = FarmDefaults();
  int transitions = 0;
  for (int i = 0; i < 100; ++i) {
    if (marks.Update(i % 2 == 0 ? 260 : 160)) ++transitions;
  }
  EXPECT_EQ(transitions, 1);
  EXPECT_EQ(marks.Update(std::nan("")), std::nullopt);
  EXPECT_TRUE(marks.high());
}

TEST(WaterMarks, RefusesALowMarkAboveTheHighOne) {
  EXPECT_EQ(WaterMarks::Create(150, 250).code(), Errc::kInvalidConfig);
  EXPECT_EQ(WaterMarks::Create(250, -1).code(), Errc::kInvalidConfig);
  EXPECT_EQ(WaterMarks::Create(INFINITY, 1).code(), Errc::kInvalidConfig);
  EXPECT_TRUE(WaterMarks::Create(100, 100).ok());
}

}  // namespace
}  // namespace dabs::statistics
