#include <algorithm>
#include <map>

#include <dabs/statistics/figures.h>

namespace dabs::statistics {

namespace {

constexpr double kBytesPerMb = 1024.0 * 1024.0;

// after - before, or 0 when the counter went backwards.
uint64_t Delta(uint64_t before, uint64_t after) {
  return after >= before ? after - before : 0;
}

double Clamp(double v, double lo, double hi) {
  return std::min(std::max(v, lo), hi);
}

// Busy share of the jiffies between two readings of one CPU line, in percent. Each column
// is differenced on its own so that iowait going backwards cannot make idle exceed total.
double BusyPct(const CpuTimes& a, const CpuTimes& b) {
  const uint64_t idle = Delta(a.idle, b.idle) + Delta(a.iowait, b.iowait);
  const uint64_t busy = Delta(a.user, b.user) + Delta(a.nice, b.nice) + Delta(a.system, b.system) +
                        Delta(a.irq, b.irq) + Delta(a.softirq, b.softirq) + Delta(a.steal, b.steal);
  const uint64_t total = idle + busy;
  return total == 0 ? 0 : 100.0 * static_cast<double>(busy) / static_cast<double>(total);
}

// Free cores are the host's idle cores, or fewer when a cgroup quota leaves fewer:
//   capacity = min(host cores, quota / period)
//   free     = min(host idle cores, capacity - cgroup's used cores)
//   busy %   = 100 * (1 - free / capacity)
// So a container at its quota reads 100% busy on an idle host, and a container with room
// under its quota still reads busy when other tenants fill the host.
CpuFigures Cpu(const Reading& before, const Reading& after, double seconds) {
  CpuFigures f;
  f.host_busy_pct = BusyPct(before.cpu.total, after.cpu.total);
  std::map<uint32_t, const CpuTimes*> earlier;
  for (const auto& c : before.cpu.cores)
    earlier[c.index] = &c.times;
  for (const auto& c : after.cpu.cores) {
    if (auto it = earlier.find(c.index); it != earlier.end()) {
      f.cores.push_back({c.index, BusyPct(*it->second, c.times)});
    }
  }
  f.host_cores = static_cast<double>(std::max<size_t>(after.cpu.cores.size(), 1));
  f.capacity_cores = f.host_cores;
  double free_cores = f.host_cores * (1 - f.host_busy_pct / 100);
  const auto& cg = after.cgroup;
  if (cg.cpu_max && cg.cpu_max->quota_us) {
    const double quota =
        static_cast<double>(*cg.cpu_max->quota_us) / static_cast<double>(cg.cpu_max->period_us);
    f.capacity_cores = std::min(f.host_cores, quota);
    free_cores = std::min(free_cores, f.capacity_cores);
    if (before.cgroup.cpu_usage_us && cg.cpu_usage_us && seconds > 0) {
      const double used_s =
          static_cast<double>(Delta(*before.cgroup.cpu_usage_us, *cg.cpu_usage_us)) / 1e6;
      f.cgroup_used_cores = used_s / seconds;
      free_cores = std::min(free_cores, f.capacity_cores - *f.cgroup_used_cores);
    }
  }
  f.busy_pct = Clamp(100 * (1 - free_cores / f.capacity_cores), 0, 100);
  return f;
}

// available = min(host available, cgroup limit - cgroup working set), where the working set
// is memory.current without inactive page cache (reclaimed before the limit bites).
MemoryFigures Memory(const Reading& r) {
  MemoryFigures f;
  double total = static_cast<double>(r.memory.total_kb) * 1024;
  double available = static_cast<double>(r.memory.available_kb) * 1024;
  const auto& cg = r.cgroup;
  if (cg.memory_max_bytes && static_cast<double>(*cg.memory_max_bytes) < total) {
    const double limit = static_cast<double>(*cg.memory_max_bytes);
    const double current = static_cast<double>(cg.memory_current_bytes.value_or(0));
    const double inactive = static_cast<double>(cg.memory_inactive_file_bytes.value_or(0));
    const double working_set = std::max(current - inactive, 0.0);
    total = limit;
    available = std::min(available, std::max(limit - working_set, 0.0));
    f.cgroup_limited = true;
  }
  f.total_mb = total / kBytesPerMb;
  f.available_mb = available / kBytesPerMb;
  f.used_mb = f.total_mb - f.available_mb;
  f.used_pct = total > 0 ? 100 * (total - available) / total : 0;
  return f;
}

DiskFigures Disk(const Reading& before, const Reading& after, double seconds) {
  DiskFigures f;
  f.total_mb = static_cast<double>(after.disk_space.total_bytes) / kBytesPerMb;
  f.free_mb = static_cast<double>(after.disk_space.available_bytes) / kBytesPerMb;
  f.free_pct = f.total_mb > 0 ? Clamp(100 * f.free_mb / f.total_mb, 0, 100) : 0;
  if (seconds <= 0) return f;
  std::map<std::string_view, const DiskCounters*> earlier;
  for (const auto& d : before.disks)
    earlier[d.name] = &d;
  uint64_t read = 0, written = 0;
  for (const auto& d : after.disks) {
    auto it = earlier.find(d.name);
    if (it == earlier.end()) continue;
    read += Delta(it->second->read_sectors, d.read_sectors);
    written += Delta(it->second->write_sectors, d.write_sectors);
  }
  const double sector = static_cast<double>(kDiskstatsSectorBytes);
  f.read_bytes_per_s = static_cast<double>(read) * sector / seconds;
  f.write_bytes_per_s = static_cast<double>(written) * sector / seconds;
  return f;
}

InterfaceFigures Interface(const InterfaceReading& a, const InterfaceReading& b, double seconds) {
  const auto rate = [seconds](uint64_t x, uint64_t y) {
    return static_cast<double>(Delta(x, y)) / seconds;
  };
  InterfaceFigures f;
  f.name = b.counters.name;
  f.rx_bytes_per_s = rate(a.counters.rx_bytes, b.counters.rx_bytes);
  f.tx_bytes_per_s = rate(a.counters.tx_bytes, b.counters.tx_bytes);
  f.rx_packets_per_s = rate(a.counters.rx_packets, b.counters.rx_packets);
  f.tx_packets_per_s = rate(a.counters.tx_packets, b.counters.tx_packets);
  f.link_mbps = b.link_mbps;
  const double bits_per_s = 8 * std::max(f.rx_bytes_per_s, f.tx_bytes_per_s);
  f.utilisation_pct = b.link_mbps > 0 ? Clamp(100 * bits_per_s / (b.link_mbps * 1e6), 0, 100) : 0;
  return f;
}

NetworkFigures Network(const Reading& before, const Reading& after, double seconds) {
  NetworkFigures f;
  if (seconds <= 0) return f;
  std::map<std::string_view, const InterfaceReading*> earlier;
  for (const auto& i : before.interfaces)
    earlier[i.counters.name] = &i;
  for (const auto& i : after.interfaces) {
    auto it = earlier.find(i.counters.name);
    if (it == earlier.end()) continue;
    InterfaceFigures x = Interface(*it->second, i, seconds);
    f.rx_bytes_per_s += x.rx_bytes_per_s;
    f.tx_bytes_per_s += x.tx_bytes_per_s;
    f.rx_packets_per_s += x.rx_packets_per_s;
    f.tx_packets_per_s += x.tx_packets_per_s;
    f.utilisation_pct = std::max(f.utilisation_pct, x.utilisation_pct);
    f.interfaces.push_back(std::move(x));
  }
  return f;
}

}  // namespace

Figures ComputeFigures(const Reading& before, const Reading& after) {
  Figures f;
  f.interval = after.at - before.at;
  const double seconds = std::chrono::duration<double>(f.interval).count();
  f.cpu = Cpu(before, after, seconds);
  f.memory = Memory(after);
  f.disk = Disk(before, after, seconds);
  f.network = Network(before, after, seconds);
  return f;
}

}  // namespace dabs::statistics
