#include <gtest/gtest.h>

#include <dabs/mp/testing/fake_clock.h>
#include <dabs/statistics/errc.h>
#include <dabs/statistics/sampler.h>
#include <dabs/statistics/testing/fake_proc_source.h>

namespace dabs::statistics {
namespace {

using std::chrono::seconds;

constexpr std::string_view kNetHeader =
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
    "drop fifo colls carrier compressed\n";

class SamplerTest : public ::testing::Test {
 protected:
  SamplerTest() {
    SetCpu(0, 0);
    source_.Set("/proc/meminfo", "MemTotal: 2097152 kB\nMemAvailable: 524288 kB\n");
    SetNet(0);
    source_.SetFs("/", FsSpace{1 << 30, 1 << 29});
  }
  // Both cores' busy and idle jiffies.
  void SetCpu(uint64_t busy, uint64_t idle) {
    const std::string core = std::to_string(busy) + " 0 0 " + std::to_string(idle);
    source_.Set("/proc/stat", "cpu  " + std::to_string(2 * busy) + " 0 0 " +
                                  std::to_string(2 * idle) + "\ncpu0 " + core + "\ncpu1 " + core +
                                  "\n");
  }
  void SetNet(uint64_t rx_bytes) {
    source_.Set("/proc/net/dev", std::string(kNetHeader) + "eth0: " + std::to_string(rx_bytes) +
                                     " 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n");
  }

  testing::FakeProcSource source_;
  mp::testing::FakeClock clock_;
  Sampler sampler_{source_, clock_, SamplerConfig{}};
};

TEST_F(SamplerTest, TheFirstSampleOnlyStoresItsReading) {
  auto first = sampler_.Sample();
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.code(), Errc::kNotReady);
}

TEST_F(SamplerTest, LaterSamplesAnswerFiguresOverTheInterval) {
  ASSERT_EQ(sampler_.Sample().code(), Errc::kNotReady);
  clock_.Advance(seconds(1));
  SetCpu(30, 70);
  SetNet(125'000'000);  // 1 Gbit in 1 s
  auto f = sampler_.Sample();
  ASSERT_TRUE(f.ok()) << f.error().Message();
  EXPECT_EQ(f->interval, seconds(1));
  EXPECT_DOUBLE_EQ(f->cpu.busy_pct, 30);
  EXPECT_DOUBLE_EQ(f->memory.used_pct, 75);
  EXPECT_DOUBLE_EQ(f->network.rx_bytes_per_s, 125'000'000);
  EXPECT_DOUBLE_EQ(f->network.utilisation_pct, 100);  // default 1000 Mbit/s link
  EXPECT_DOUBLE_EQ(f->disk.free_mb, 512);

  clock_.Advance(seconds(2));
  SetCpu(30 + 180, 70 + 20);  // the next interval is measured from the last reading
  auto g = sampler_.Sample();
  ASSERT_TRUE(g.ok());
  EXPECT_DOUBLE_EQ(g->cpu.busy_pct, 90);
  EXPECT_DOUBLE_EQ(g->network.rx_bytes_per_s, 0);
}

TEST_F(SamplerTest, AFailedReadingKeepsThePreviousOneSoTheNextCoversTheGap) {
  ASSERT_EQ(sampler_.Sample().code(), Errc::kNotReady);
  clock_.Advance(seconds(1));
  source_.Set("/proc/stat", "garbage\n");
  EXPECT_EQ(sampler_.Sample().code(), Errc::kMalformed);
  clock_.Advance(seconds(1));
  SetCpu(50, 150);
  SetNet(1000);
  auto f = sampler_.Sample();
  ASSERT_TRUE(f.ok()) << f.error().Message();
  EXPECT_EQ(f->interval, seconds(2));
  EXPECT_DOUBLE_EQ(f->cpu.busy_pct, 25);
  EXPECT_DOUBLE_EQ(f->network.rx_bytes_per_s, 500);
}

TEST_F(SamplerTest, NoTimeSinceThePreviousReadingIsNotReady) {
  ASSERT_EQ(sampler_.Sample().code(), Errc::kNotReady);
  EXPECT_EQ(sampler_.Sample().code(), Errc::kNotReady);
  clock_.Advance(seconds(1));
  EXPECT_TRUE(sampler_.Sample().ok());
  sampler_.Reset();
  clock_.Advance(seconds(1));
  EXPECT_EQ(sampler_.Sample().code(), Errc::kNotReady);
}

}  // namespace
}  // namespace dabs::statistics
