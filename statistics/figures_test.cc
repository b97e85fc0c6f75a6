#include <gtest/gtest.h>

#include <dabs/statistics/figures.h>

namespace dabs::statistics {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr uint64_t kMiB = 1 << 20;

// An idle two-core machine with 4 GiB, one second into its life.
Reading Base() {
  Reading r;
  r.at = mp::TimePoint(seconds(1));
  r.cpu.total = {100, 0, 100, 700, 100, 0, 0, 0};
  r.cpu.cores = {{0, {50, 0, 50, 350, 50, 0, 0, 0}}, {1, {50, 0, 50, 350, 50, 0, 0, 0}}};
  r.memory = {4096 * 1024, 3072 * 1024};
  r.disk_space = {1000 * kMiB, 250 * kMiB};
  return r;
}

TEST(Figures, CpuBusyIsTheShareOfNonIdleJiffiesIncludingSteal) {
  Reading a = Base(), b = Base();
  b.at += seconds(1);
  // +100 user, +50 system, +200 idle, +0 iowait, +50 steal: 200 busy of 400.
  b.cpu.total = {200, 0, 150, 900, 100, 0, 0, 50};
  const Figures f = ComputeFigures(a, b);
  EXPECT_DOUBLE_EQ(f.cpu.host_busy_pct, 50.0);
  EXPECT_DOUBLE_EQ(f.cpu.busy_pct, 50.0);
  EXPECT_DOUBLE_EQ(f.cpu.free_pct(), 50.0);
  EXPECT_EQ(f.cpu.host_cores, 2);
  EXPECT_EQ(f.cpu.capacity_cores, 2);
  EXPECT_EQ(f.interval, seconds(1));
}

TEST(Figures, CpuBusyIsGivenPerCore) {
  Reading a = Base(), b = Base();
  b.at += seconds(1);
  b.cpu.cores[0].times.user += 100;  // core 0 fully busy
  b.cpu.cores[1].times.user += 25;   // core 1 a quarter busy
  b.cpu.cores[1].times.idle += 75;
  b.cpu.total = {225, 0, 100, 775, 100, 0, 0, 0};
  const Figures f = ComputeFigures(a, b);
  ASSERT_EQ(f.cpu.cores.size(), 2u);
  EXPECT_DOUBLE_EQ(f.cpu.cores[0].busy_pct, 100.0);
  EXPECT_DOUBLE_EQ(f.cpu.cores[1].busy_pct, 25.0);
  EXPECT_DOUBLE_EQ(f.cpu.host_busy_pct, 62.5);
}

TEST(Figures, IowaitGoingBackwardsDoesNotMakeCpuBusyNegative) {
  Reading a = Base(), b = Base();
  b.at += seconds(1);
  b.cpu.total.idle += 100;
  b.cpu.total.iowait -= 50;
  EXPECT_DOUBLE_EQ(ComputeFigures(a, b).cpu.host_busy_pct, 0.0);
}

TEST(Figures, ACgroupQuotaTightensCpu) {
  Reading a = Base(), b = Base();
  b.at += seconds(1);
  b.cpu.total = {110, 0, 110, 880, 100, 0, 0, 0};  // host 20 busy of 200 jiffies: 10%
  a.cgroup.cpu_max = b.cgroup.cpu_max = CgroupCpuMax{50000, 100000};  // half a core
  a.cgroup.cpu_usage_us = 1'000'000;
  b.cgroup.cpu_usage_us = 1'450'000;  // 0.45 s of CPU in 1 s
  const Figures f = ComputeFigures(a, b);
  EXPECT_DOUBLE_EQ(f.cpu.host_busy_pct, 10.0);
  EXPECT_DOUBLE_EQ(f.cpu.capacity_cores, 0.5);
  ASSERT_TRUE(f.cpu.cgroup_used_cores.has_value());
  EXPECT_NEAR(*f.cpu.cgroup_used_cores, 0.45, 1e-9);
  EXPECT_NEAR(f.cpu.busy_pct, 90.0, 1e-9);  // 0.05 of 0.5 cores free
}

TEST(Figures, AQuotaAboveTheHostsCoresChangesNothing) {
  Reading a = Base(), b = Base();
  b.at += seconds(1);
  b.cpu.total = {200, 0, 100, 800, 100, 0, 0, 0};                      // 50%
  a.cgroup.cpu_max = b.cgroup.cpu_max = CgroupCpuMax{800000, 100000};  // 8 cores on 2
  a.cgroup.cpu_usage_us = 0;
  b.cgroup.cpu_usage_us = 1'000'000;
  const Figures f = ComputeFigures(a, b);
  EXPECT_EQ(f.cpu.capacity_cores, 2);
  EXPECT_DOUBLE_EQ(f.cpu.busy_pct, 50.0);
}

TEST(Figures, MemoryIsTotalAvailableAndUsedInMiB) {
  const Figures f = ComputeFigures(Base(), Base());
  EXPECT_DOUBLE_EQ(f.memory.total_mb, 4096);
  EXPECT_DOUBLE_EQ(f.memory.available_mb, 3072);
  EXPECT_DOUBLE_EQ(f.memory.used_mb, 1024);
  EXPECT_DOUBLE_EQ(f.memory.used_pct, 25);
  EXPECT_FALSE(f.memory.cgroup_limited);
}

TEST(Figures, ACgroupMemoryLimitBelowTheHostsTightensMemory) {
  Reading r = Base();
  r.cgroup.memory_max_bytes = 1024 * kMiB;
  r.cgroup.memory_current_bytes = 896 * kMiB;
  r.cgroup.memory_inactive_file_bytes = 128 * kMiB;  // working set 768 MiB
  const Figures f = ComputeFigures(r, r);
  EXPECT_TRUE(f.memory.cgroup_limited);
  EXPECT_DOUBLE_EQ(f.memory.total_mb, 1024);
  EXPECT_DOUBLE_EQ(f.memory.available_mb, 256);
  EXPECT_DOUBLE_EQ(f.memory.used_pct, 75);

  r.cgroup.memory_max_bytes = 64 * 1024 * kMiB;  // above the host's 4 GiB: no effect
  const Figures g = ComputeFigures(r, r);
  EXPECT_FALSE(g.memory.cgroup_limited);
  EXPECT_DOUBLE_EQ(g.memory.used_pct, 25);
}

TEST(Figures, DiskFreeSpaceAndTrafficOfTheCountedDevices) {
  Reading a = Base(), b = Base();
  b.at += seconds(2);
  a.disks = {{"vda", 1000, 5000}};
  b.disks = {{"vda", 3048, 5000 + 4096}, {"vdb", 999, 999}};  // vdb is new: no rate yet
  const Figures f = ComputeFigures(a, b);
  EXPECT_DOUBLE_EQ(f.disk.total_mb, 1000);
  EXPECT_DOUBLE_EQ(f.disk.free_mb, 250);
  EXPECT_DOUBLE_EQ(f.disk.free_pct, 25);
  EXPECT_DOUBLE_EQ(f.disk.read_bytes_per_s, 2048.0 * 512 / 2);
  EXPECT_DOUBLE_EQ(f.disk.write_bytes_per_s, 4096.0 * 512 / 2);
}

TEST(Figures, NetworkRatesPerInterfaceAndInTotalWithUtilisationOfTheBusiestLink) {
  Reading a = Base(), b = Base();
  b.at += milliseconds(500);
  a.interfaces = {{{"eth0", 0, 0, 0, 0}, 1000}, {{"eth1", 0, 0, 0, 0}, 100}};
  // eth0: 6.25 MB in 0.5 s = 100 Mbit/s of 1000 (10%); eth1: 3.125 MB out = 50 of 100 (50%).
  b.interfaces = {{{"eth0", 6'250'000, 5000, 1000, 10}, 1000},
                  {{"eth1", 0, 0, 3'125'000, 2500}, 100}};
  const Figures f = ComputeFigures(a, b);
  ASSERT_EQ(f.network.interfaces.size(), 2u);
  const auto& eth0 = f.network.interfaces[0];
  EXPECT_DOUBLE_EQ(eth0.rx_bytes_per_s, 12'500'000);
  EXPECT_DOUBLE_EQ(eth0.rx_packets_per_s, 10000);
  EXPECT_DOUBLE_EQ(eth0.tx_bytes_per_s, 2000);
  EXPECT_DOUBLE_EQ(eth0.tx_packets_per_s, 20);
  EXPECT_DOUBLE_EQ(eth0.utilisation_pct, 10);
  EXPECT_DOUBLE_EQ(f.network.interfaces[1].utilisation_pct, 50);
  EXPECT_DOUBLE_EQ(f.network.rx_bytes_per_s, 12'500'000);
  EXPECT_DOUBLE_EQ(f.network.tx_bytes_per_s, 6'252'000);
  EXPECT_DOUBLE_EQ(f.network.tx_packets_per_s, 5020);
  EXPECT_DOUBLE_EQ(f.network.utilisation_pct, 50);
}

TEST(Figures, ACounterResetCountsAsNoTrafficAndUtilisationIsCapped) {
  Reading a = Base(), b = Base();
  b.at += seconds(1);
  a.interfaces = {{{"eth0", 9'000'000, 9, 0, 0}, 1}, {{"eth1", 0, 0, 0, 0}, 1}};
  b.interfaces = {{{"eth0", 100, 1, 0, 0}, 1}, {{"eth1", 0, 0, 1'000'000, 0}, 1}};
  const Figures f = ComputeFigures(a, b);
  EXPECT_DOUBLE_EQ(f.network.interfaces[0].rx_bytes_per_s, 0);
  EXPECT_DOUBLE_EQ(f.network.interfaces[1].utilisation_pct, 100);  // 8 Mbit/s on "1 Mbit/s"
}

TEST(Figures, NoTimeBetweenReadingsMeansNoRates) {
  Reading a = Base(), b = Base();
  a.interfaces = {{{"eth0", 0, 0, 0, 0}, 1000}};
  b.interfaces = {{{"eth0", 1000, 1, 0, 0}, 1000}};
  const Figures f = ComputeFigures(a, b);
  EXPECT_TRUE(f.network.interfaces.empty());
  EXPECT_DOUBLE_EQ(f.network.rx_bytes_per_s, 0);
  EXPECT_DOUBLE_EQ(f.cpu.busy_pct, 0);
}

}  // namespace
}  // namespace dabs::statistics
