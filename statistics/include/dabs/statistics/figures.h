// The figures of one sampling interval, computed from two consecutive readings. Sizes are
// in MB of 2^20 bytes (as `free -m` and placement.min_free.memory_mb / disk_mb), rates per
// second, percentages 0..100.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <dabs/mp/clock.h>
#include <dabs/statistics/reading.h>

namespace dabs::statistics {

struct CoreFigures {
  uint32_t index = 0;
  double busy_pct = 0;
};

struct CpuFigures {
  // Of the capacity this server may use: 100 * (1 - free / capacity_cores), where free is
  // the host's idle cores, or less when a cgroup quota leaves less (see ComputeFigures).
  double busy_pct = 0;
  double host_busy_pct = 0;  // all the host's cores, from /proc/stat
  std::vector<CoreFigures> cores;
  double host_cores = 0;                    // cpuN lines in /proc/stat
  double capacity_cores = 0;                // host_cores, or the cgroup's quota / period if lower
  std::optional<double> cgroup_used_cores;  // when a quota applies and cpu.stat is there
  double free_pct() const { return 100 - busy_pct; }
};

struct MemoryFigures {
  double total_mb = 0;      // the host's, or the cgroup's memory.max when lower
  double available_mb = 0;  // what a new process can still get
  double used_mb = 0;       // total_mb - available_mb
  double used_pct = 0;
  bool cgroup_limited = false;  // total_mb is the cgroup's limit
};

struct DiskFigures {
  double total_mb = 0;  // of SamplerConfig::disk_path
  double free_mb = 0;   // available to unprivileged users
  double free_pct = 0;
  double read_bytes_per_s = 0;  // summed over the counted devices
  double write_bytes_per_s = 0;
};

struct InterfaceFigures {
  std::string name;
  double rx_bytes_per_s = 0, tx_bytes_per_s = 0;
  double rx_packets_per_s = 0, tx_packets_per_s = 0;
  double link_mbps = 0;
  // The busier direction against the link speed (links are full duplex), capped at 100.
  double utilisation_pct = 0;
};

struct NetworkFigures {
  std::vector<InterfaceFigures> interfaces;       // present in both readings, not excluded
  double rx_bytes_per_s = 0, tx_bytes_per_s = 0;  // totals over `interfaces`
  double rx_packets_per_s = 0, tx_packets_per_s = 0;
  // The busiest interface's utilisation: the first link to fill limits the server.
  double utilisation_pct = 0;
};

struct Figures {
  mp::Duration interval{};  // between the two readings
  CpuFigures cpu;
  MemoryFigures memory;
  DiskFigures disk;
  NetworkFigures network;
};

// The figures between `before` and `after`. Levels (memory, disk space) are `after`'s;
// rates and CPU use are over the interval. A counter that went backwards (an interface
// re-created, iowait's known jitter) counts as no change. With no time between the two
// readings every rate is 0. Pure; never fails.
Figures ComputeFigures(const Reading& before, const Reading& after);

}  // namespace dabs::statistics
