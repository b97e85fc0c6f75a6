// The figures are real: sampled from this machine's /proc while it works.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <dabs/statistics/errc.h>
#include <dabs/statistics/load_score.h>
#include <dabs/statistics/sampler.h>

namespace dabs::statistics {
namespace {

using std::chrono::milliseconds;

// Spins one thread per core until destroyed. One per core rather than one in all, so the
// rise shows whatever else shares the machine: a core that another process keeps busy is
// busy either way, and every idle core fills.
class CpuBurner {
 public:
  explicit CpuBurner(size_t threads) {
    for (size_t i = 0; i < threads; ++i) {
      threads_.emplace_back([this] {
        uint64_t x = 1;
        while (!stop_.load(std::memory_order_relaxed))
          x = x * 6364136223846793005u + 1;
        sink_.fetch_add(x, std::memory_order_relaxed);
      });
    }
  }
  CpuBurner(const CpuBurner&) = delete;
  CpuBurner& operator=(const CpuBurner&) = delete;
  ~CpuBurner() {
    stop_ = true;
    for (auto& t : threads_)
      t.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> sink_{0};  // keeps the loop from being optimised away
  std::vector<std::thread> threads_;
};

// Figures over about `interval` from now.
Result<Figures> SampleOver(Sampler& sampler, mp::Duration interval) {
  sampler.Reset();
  if (auto first = sampler.Sample(); first.code() != Errc::kNotReady) return first;
  std::this_thread::sleep_for(interval);
  return sampler.Sample();
}

// The machine's CPU figure over the first of up to `tries` windows whose busy figure is at
// most `quiet_pct`, or the last window when none is. Other work shares the build machine (and
// ctest runs tests in parallel), so the test waits for room to show a rise in.
Result<Figures> QuietBaseline(Sampler& sampler, double quiet_pct, int tries) {
  Result<Figures> idle = SampleOver(sampler, milliseconds(500));
  for (int i = 1; i < tries && idle.ok() && idle->cpu.busy_pct > quiet_pct; ++i) {
    idle = SampleOver(sampler, milliseconds(500));
  }
  return idle;
}

TEST(SamplerOnThisMachine, CpuFigureRisesWellAboveTheIdleBaselineUnderABurner) {
  FsProcSource source;
  mp::SystemClock clock;
  Sampler sampler(source, clock, SamplerConfig{});

  auto idle = QuietBaseline(sampler, 60, 24);  // up to 12 s
  ASSERT_TRUE(idle.ok()) << idle.error().Message();
  const double baseline = idle->cpu.busy_pct;
  if (baseline > 75) GTEST_SKIP() << "the machine stayed " << baseline << "% busy";

  auto busy = [&] {
    CpuBurner burner(std::max<size_t>(idle->cpu.cores.size(), 1));
    std::this_thread::sleep_for(milliseconds(200));  // let the scheduler spread the threads
    return SampleOver(sampler, milliseconds(1000));
  }();
  ASSERT_TRUE(busy.ok()) << busy.error().Message();
  std::printf("CPU busy: %.1f%% before, %.1f%% under the burner\n", baseline, busy->cpu.busy_pct);
  // On an idle machine the figure goes from a few % to about 100%; demand half the headroom
  // (at most 30 points) so that other work sharing the machine cannot fail the test.
  const double margin = std::min(30.0, (100 - baseline) / 2);
  EXPECT_GT(busy->cpu.busy_pct, baseline + margin) << "baseline " << baseline;
  double busiest_core = 0;
  for (const auto& core : busy->cpu.cores)
    busiest_core = std::max(busiest_core, core.busy_pct);
  EXPECT_GT(busiest_core, 80);
  const LoadWeights weights;
  EXPECT_GT(LoadScore(LoadInputsOf(*busy, 0), weights, 250),
            LoadScore(LoadInputsOf(*idle, 0), weights, 250));
}

}  // namespace
}  // namespace dabs::statistics
