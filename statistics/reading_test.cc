#include <gtest/gtest.h>

#include <dabs/statistics/errc.h>
#include <dabs/statistics/reading.h>
#include <dabs/statistics/testing/fake_proc_source.h>

#include "canned_proc.h"

namespace dabs::statistics {
namespace {

using testing::FakeProcSource;

// The machine the canned files came from, with statvfs("/") answered.
FakeProcSource CannedMachine() {
  FakeProcSource source;
  source.Set("/proc/stat", std::string(canned::kProcStat));
  source.Set("/proc/meminfo", std::string(canned::kMeminfo));
  source.Set("/proc/net/dev", std::string(canned::kNetDev));
  source.Set("/proc/diskstats", std::string(canned::kDiskstats));
  source.SetFs("/", FsSpace{100 << 20, 40 << 20});
  return source;
}

const InterfaceReading* Find(const Reading& r, std::string_view name) {
  for (const auto& i : r.interfaces) {
    if (i.counters.name == name) return &i;
  }
  return nullptr;
}

TEST(TakeReading, ReadsEverySourceOfTheCannedMachine) {
  FakeProcSource source = CannedMachine();
  auto r = TakeReading(source, SamplerConfig{}, mp::TimePoint(std::chrono::seconds(7)));
  ASSERT_TRUE(r.ok()) << r.error().Message();
  EXPECT_EQ(r->at, mp::TimePoint(std::chrono::seconds(7)));
  EXPECT_EQ(r->cpu.cores.size(), 2u);
  EXPECT_EQ(r->memory.total_kb, 24684084u);
  EXPECT_EQ(r->disk_space.available_bytes, 40u << 20);
  ASSERT_EQ(r->disks.size(), 1u);  // vda; loop and zram devices are not disks
  EXPECT_EQ(r->disks[0].name, "vda");
  EXPECT_FALSE(r->cgroup.cpu_max.has_value());  // no cgroup files: no limits
  EXPECT_FALSE(r->cgroup.memory_max_bytes.has_value());
}

TEST(TakeReading, LeavesOutExcludedInterfacesAndFallsBackToTheConfiguredSpeed) {
  FakeProcSource source = CannedMachine();
  source.Set("/sys/class/net/eth0/speed", "10000\n");
  source.SetError("/sys/class/net/ifb0/speed", Errc::kIo);  // EINVAL on virtual devices
  source.Set("/sys/class/net/ifb1/speed", "-1\n");
  SamplerConfig config;
  config.default_link_mbps = 100;
  auto r = TakeReading(source, config, {});
  ASSERT_TRUE(r.ok()) << r.error().Message();
  EXPECT_EQ(Find(*r, "lo"), nullptr);
  ASSERT_NE(Find(*r, "eth0"), nullptr);
  EXPECT_EQ(Find(*r, "eth0")->link_mbps, 10000);
  EXPECT_EQ(Find(*r, "ifb0")->link_mbps, 100);
  EXPECT_EQ(Find(*r, "ifb1")->link_mbps, 100);
  config.excluded_interfaces = {"ifb0", "ifb1"};
  auto r2 = TakeReading(source, config, {});
  ASSERT_TRUE(r2.ok());
  EXPECT_NE(Find(*r2, "lo"), nullptr);
  EXPECT_EQ(Find(*r2, "ifb0"), nullptr);
}

TEST(TakeReading, CountsOnlyTheConfiguredDisksWhenSomeAreNamed) {
  FakeProcSource source = CannedMachine();
  SamplerConfig config;
  config.disk_devices = {"loop3", "zram0"};
  auto r = TakeReading(source, config, {});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->disks.size(), 2u);
  EXPECT_EQ(r->disks[0].name, "loop3");
}

TEST(TakeReading, ReadsCgroupV2LimitsWherePresent) {
  FakeProcSource source = CannedMachine();
  source.Set("/sys/fs/cgroup/cpu.max", std::string(canned::kCgroupCpuMax));
  source.Set("/sys/fs/cgroup/cpu.stat", std::string(canned::kCgroupCpuStat));
  source.Set("/sys/fs/cgroup/memory.max", std::string(canned::kCgroupMemoryMax));
  source.Set("/sys/fs/cgroup/memory.current", std::string(canned::kCgroupMemoryCurrent));
  source.Set("/sys/fs/cgroup/memory.stat", std::string(canned::kCgroupMemoryStat));
  auto r = TakeReading(source, SamplerConfig{}, {});
  ASSERT_TRUE(r.ok()) << r.error().Message();
  ASSERT_TRUE(r->cgroup.cpu_max.has_value());
  EXPECT_EQ(r->cgroup.cpu_max->quota_us, 200000u);
  EXPECT_EQ(r->cgroup.cpu_usage_us, 2512866u);
  EXPECT_EQ(r->cgroup.memory_max_bytes, 536870912u);
  EXPECT_EQ(r->cgroup.memory_current_bytes, 301989888u);
  EXPECT_EQ(r->cgroup.memory_inactive_file_bytes, 67108864u);

  SamplerConfig off;
  off.cgroup_dir = "";
  auto r2 = TakeReading(source, off, {});
  ASSERT_TRUE(r2.ok());
  EXPECT_FALSE(r2->cgroup.cpu_max.has_value());
}

TEST(TakeReading, FailsOnAMissingRequiredFileOrAnyMalformedOne) {
  FakeProcSource source = CannedMachine();
  source.Remove("/proc/diskstats");
  EXPECT_TRUE(TakeReading(source, SamplerConfig{}, {}).ok()) << "diskstats is optional";
  source.Set("/sys/fs/cgroup/memory.max", "lots\n");
  auto bad = TakeReading(source, SamplerConfig{}, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.code(), Errc::kMalformed);
  EXPECT_NE(bad.error().detail.find("/sys/fs/cgroup/memory.max"), std::string::npos);
  source.Remove("/sys/fs/cgroup/memory.max");
  source.Remove("/proc/meminfo");
  EXPECT_EQ(TakeReading(source, SamplerConfig{}, {}).code(), Errc::kNotFound);
  source = CannedMachine();
  SamplerConfig config;
  config.disk_path = "/var/lib/dabs";  // no statvfs answer for it
  EXPECT_EQ(TakeReading(source, config, {}).code(), Errc::kNotFound);
}

TEST(SamplerConfig, RefusesAnEmptyDiskPathAndImpossibleLinkSpeeds) {
  EXPECT_TRUE(SamplerConfig{}.Validate().ok());
  SamplerConfig config;
  config.disk_path = "";
  EXPECT_EQ(config.Validate().code(), Errc::kInvalidConfig);
  for (double mbps : {0.0, -5.0, 1e12}) {
    SamplerConfig c;
    c.default_link_mbps = mbps;
    EXPECT_EQ(c.Validate().code(), Errc::kInvalidConfig) << mbps;
  }
}

}  // namespace
}  // namespace dabs::statistics
