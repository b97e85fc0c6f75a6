// Parsers for the kernel files dabs-statd samples. Each is a pure function of the file's
// text: it never crashes on any input, bounds every table it builds by a named limit, and
// answers kMalformed (with the file and line) or kTooLarge instead of guessing. Fields a
// newer kernel appends are ignored; fields an older kernel lacks are errors only where the
// figures need them. Thread-safe (no state).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <dabs/mp/result.h>

namespace dabs::statistics {

inline constexpr size_t kMaxCores = 4096;       // cpuN lines in /proc/stat
inline constexpr size_t kMaxInterfaces = 4096;  // lines in /proc/net/dev
inline constexpr size_t kMaxDisks = 16384;      // lines in /proc/diskstats

// ---- CPU: /proc/stat, cgroup v2 cpu.max and cpu.stat ----------------------------------

// Jiffies (USER_HZ ticks) since boot, from one "cpu" line. guest and guest_nice are
// already counted in user and nice, so they are not kept.
struct CpuTimes {
  uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  uint64_t Total() const { return user + nice + system + idle + iowait + irq + softirq + steal; }
  // Time the CPU had nothing to run. Steal (taken by the hypervisor) is not idle: it is
  // capacity this server cannot use.
  uint64_t Idle() const { return idle + iowait; }
};

struct CoreTimes {
  uint32_t index = 0;  // N of "cpuN"; offline cores have no line, so indexes may skip
  CpuTimes times;
};

struct ProcStat {
  CpuTimes total;                // the "cpu" line
  std::vector<CoreTimes> cores;  // the "cpuN" lines, in file order
};

// REQUIRES nothing. The "cpu" line is required; a line needs at least user..idle.
Result<ProcStat> ParseProcStat(std::string_view text);

// cgroup v2 cpu.max: "max 100000" (no quota) or "50000 100000" (quota, period in us).
struct CgroupCpuMax {
  std::optional<uint64_t> quota_us;  // nullopt: unlimited
  uint64_t period_us = 100000;
};
Result<CgroupCpuMax> ParseCgroupCpuMax(std::string_view text);

// cgroup v2 cpu.stat: the "usage_usec" line (CPU time of the whole cgroup).
Result<uint64_t> ParseCgroupCpuUsageUs(std::string_view text);

// ---- Memory: /proc/meminfo, cgroup v2 memory.max, memory.current, memory.stat ---------

struct MemInfo {
  uint64_t total_kb = 0;
  uint64_t available_kb = 0;  // MemAvailable; MemFree + Buffers + Cached before Linux 3.14
};
Result<MemInfo> ParseMeminfo(std::string_view text);

// memory.max: "max" (nullopt, unlimited) or bytes.
Result<std::optional<uint64_t>> ParseCgroupMemoryMax(std::string_view text);

// memory.current (and any other file holding one number of bytes).
Result<uint64_t> ParseSingleNumber(std::string_view text, std::string_view file);

// memory.stat: the "inactive_file" line in bytes (page cache the kernel reclaims first,
// which `docker stats` and cAdvisor subtract from memory.current). nullopt when absent.
Result<std::optional<uint64_t>> ParseCgroupInactiveFile(std::string_view text);

// ---- Network: /proc/net/dev, /sys/class/net/IF/speed ----------------------------------

struct NetDevCounters {
  std::string name;
  uint64_t rx_bytes = 0, rx_packets = 0, tx_bytes = 0, tx_packets = 0;
};
// The two header lines must be there; each interface line needs all 16 counters.
Result<std::vector<NetDevCounters>> ParseNetDev(std::string_view text);

// Link speed in Mbit/s; nullopt when the driver does not know it (-1 or 0).
Result<std::optional<uint64_t>> ParseLinkSpeed(std::string_view text);

// ---- Disk: /proc/diskstats ------------------------------------------------------------

inline constexpr uint64_t kDiskstatsSectorBytes = 512;  // fixed by the kernel for this file

struct DiskCounters {
  std::string name;
  uint64_t read_sectors = 0, write_sectors = 0;
};
// Each line needs major, minor, name and the first 11 counters (Linux 2.6+).
Result<std::vector<DiskCounters>> ParseDiskstats(std::string_view text);

}  // namespace dabs::statistics
