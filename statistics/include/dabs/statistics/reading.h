// One reading: every raw counter and level the figures are computed from, taken from a
// ProcSource at one instant. Two consecutive readings make the figures (figures.h).
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <dabs/mp/clock.h>
#include <dabs/mp/result.h>
#include <dabs/statistics/proc_parsers.h>
#include <dabs/statistics/proc_source.h>

namespace dabs::statistics {

struct SamplerConfig {
  // The file system whose free space counts against placement.min_free.disk_mb (dabs-statd
  // passes its state directory, where LMDB lives).
  std::string disk_path = "/";
  // Block devices whose traffic is summed; empty means every whole disk (IsCountedDisk).
  std::vector<std::string> disk_devices;
  // Interfaces left out of the network figures.
  std::vector<std::string> excluded_interfaces = {"lo"};
  // Capacity of an interface whose /sys/class/net/IF/speed is absent or unknown.
  double default_link_mbps = 1000;
  // The cgroup v2 directory whose cpu.max / memory.max limit this server; "" turns cgroup
  // limits off. Inside a container with its own cgroup namespace this is the container.
  std::string cgroup_dir = "/sys/fs/cgroup";

  // kInvalidConfig for an empty disk_path or a link speed outside (0, 10^7] Mbit/s.
  Status Validate() const;
};

// cgroup v2 files; each is nullopt when its file is absent (no cgroup v2, or the root
// cgroup, which has no limits).
struct CgroupReading {
  std::optional<CgroupCpuMax> cpu_max;
  std::optional<uint64_t> cpu_usage_us;
  std::optional<uint64_t> memory_max_bytes;  // nullopt also for "max"
  std::optional<uint64_t> memory_current_bytes;
  std::optional<uint64_t> memory_inactive_file_bytes;
};

struct InterfaceReading {
  NetDevCounters counters;
  double link_mbps = 0;  // from /sys/class/net/IF/speed, else the configured default
};

struct Reading {
  mp::TimePoint at{};
  ProcStat cpu;
  MemInfo memory;
  std::vector<InterfaceReading> interfaces;  // without the excluded ones
  std::vector<DiskCounters> disks;           // the counted devices only
  FsSpace disk_space;                        // of SamplerConfig::disk_path
  CgroupReading cgroup;
};

// Reads every source for one reading stamped `at`. /proc/stat, /proc/meminfo, /proc/net/dev
// and statvfs(disk_path) are required; /proc/diskstats and the cgroup files are used when
// present. Any malformed file is an error. `source` is only used during the call.
Result<Reading> TakeReading(const ProcSource& source, const SamplerConfig& config,
                            mp::TimePoint at);

// Whether a device of /proc/diskstats counts towards disk traffic when no devices are
// configured: whole disks only. Loop, RAM, zram, optical and floppy devices are not disks;
// device-mapper (dm-N) and software RAID (mdN) sit on disks that are already counted; a
// partition is a listed device's name followed by digits ("sda1") or by 'p' and digits
// ("nvme0n1p2").
bool IsCountedDisk(std::string_view name, const std::set<std::string_view>& all);

}  // namespace dabs::statistics
