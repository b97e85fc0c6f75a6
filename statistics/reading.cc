#include <algorithm>
#include <set>

#include <dabs/statistics/errc.h>
#include <dabs/statistics/reading.h>

namespace dabs::statistics {

namespace {

constexpr double kMaxLinkMbps = 1e7;  // 10 Tbit/s: past any real interface

// The text of an optional file: nullopt when it does not exist, an error when it exists
// but cannot be read.
Result<std::optional<std::string>> ReadOptional(const ProcSource& source, const std::string& path) {
  auto text = source.ReadFile(path);
  if (text) return std::optional<std::string>{std::move(*text)};
  if (text.code() == Errc::kNotFound) return std::optional<std::string>{};
  return text.error();
}

// Parses the file at `path` with `parse` when it exists; leaves `out` alone when it does not.
template <typename Parse, typename Out>
Status ParseIfPresent(const ProcSource& source, const std::string& path, Parse parse, Out& out) {
  auto text = ReadOptional(source, path);
  if (!text) return text.error();
  if (!*text) return Status::Ok();
  auto value = parse(**text);
  if (!value) return Error{value.error().code, path + ": " + value.error().detail};
  out = std::move(*value);
  return Status::Ok();
}

Status ReadCgroup(const ProcSource& source, const std::string& dir, CgroupReading& out) {
  if (dir.empty()) return Status::Ok();
  const auto number = [](std::string_view file) {
    return [file](std::string_view t) { return ParseSingleNumber(t, file); };
  };
  Status s = ParseIfPresent(source, dir + "/cpu.max", ParseCgroupCpuMax, out.cpu_max);
  if (s) s = ParseIfPresent(source, dir + "/cpu.stat", ParseCgroupCpuUsageUs, out.cpu_usage_us);
  if (s) {
    s = ParseIfPresent(source, dir + "/memory.max", ParseCgroupMemoryMax, out.memory_max_bytes);
  }
  if (s) {
    s = ParseIfPresent(source, dir + "/memory.current", number("memory.current"),
                       out.memory_current_bytes);
  }
  if (s) {
    s = ParseIfPresent(source, dir + "/memory.stat", ParseCgroupInactiveFile,
                       out.memory_inactive_file_bytes);
  }
  return s;
}

// A missing, unreadable or unknown speed is not an error: the configured default stands in.
double LinkMbps(const ProcSource& source, const std::string& name, double fallback) {
  auto text = source.ReadFile("/sys/class/net/" + name + "/speed");
  if (!text) return fallback;
  auto speed = ParseLinkSpeed(*text);
  if (!speed || !*speed) return fallback;
  return static_cast<double>(**speed);
}

Status ReadInterfaces(const ProcSource& source, const SamplerConfig& config, Reading& out) {
  auto text = source.ReadFile("/proc/net/dev");
  if (!text) return text.error();
  auto counters = ParseNetDev(*text);
  if (!counters) return counters.error();
  for (auto& c : *counters) {
    const auto& excluded = config.excluded_interfaces;
    if (std::find(excluded.begin(), excluded.end(), c.name) != excluded.end()) continue;
    const double mbps = LinkMbps(source, c.name, config.default_link_mbps);
    out.interfaces.push_back({std::move(c), mbps});
  }
  return Status::Ok();
}

Status ReadDisks(const ProcSource& source, const SamplerConfig& config, Reading& out) {
  auto text = ReadOptional(source, "/proc/diskstats");
  if (!text) return text.error();
  if (!*text) return Status::Ok();
  auto disks = ParseDiskstats(**text);
  if (!disks) return disks.error();
  const auto& wanted = config.disk_devices;
  std::set<std::string_view> names;
  for (const auto& d : *disks)
    names.insert(d.name);
  for (auto& d : *disks) {
    const bool counted = wanted.empty()
                             ? IsCountedDisk(d.name, names)
                             : std::find(wanted.begin(), wanted.end(), d.name) != wanted.end();
    if (counted) out.disks.push_back(d);
  }
  return Status::Ok();
}

}  // namespace

Status SamplerConfig::Validate() const {
  const auto invalid = [](std::string what) {
    return Status(Error{make_error_code(Errc::kInvalidConfig), std::move(what)});
  };
  if (disk_path.empty()) return invalid("disk_path is empty");
  if (!(default_link_mbps > 0 && default_link_mbps <= kMaxLinkMbps)) {
    return invalid("default_link_mbps must be in (0, 10000000]");
  }
  return Status::Ok();
}

Result<Reading> TakeReading(const ProcSource& source, const SamplerConfig& config,
                            mp::TimePoint at) {
  Reading r;
  r.at = at;
  auto stat_text = source.ReadFile("/proc/stat");
  if (!stat_text) return stat_text.error();
  auto stat = ParseProcStat(*stat_text);
  if (!stat) return stat.error();
  r.cpu = std::move(*stat);
  auto mem_text = source.ReadFile("/proc/meminfo");
  if (!mem_text) return mem_text.error();
  auto mem = ParseMeminfo(*mem_text);
  if (!mem) return mem.error();
  r.memory = *mem;
  auto space = source.StatFs(config.disk_path);
  if (!space) return space.error();
  r.disk_space = *space;
  Status s = ReadInterfaces(source, config, r);
  if (s) s = ReadDisks(source, config, r);
  if (s) s = ReadCgroup(source, config.cgroup_dir, r.cgroup);
  if (!s) return s.error();
  return r;
}

bool IsCountedDisk(std::string_view name, const std::set<std::string_view>& all) {
  for (std::string_view virt : {"loop", "ram", "zram", "dm-", "md", "sr", "fd"}) {
    if (name.substr(0, virt.size()) == virt) return false;
  }
  std::string_view base = name;
  while (!base.empty() && base.back() >= '0' && base.back() <= '9')
    base.remove_suffix(1);
  if (base.size() == name.size()) return true;            // no trailing digits: a whole disk
  if (!base.empty() && all.contains(base)) return false;  // sda1 of sda
  if (base.size() > 1 && base.back() == 'p' && all.contains(base.substr(0, base.size() - 1))) {
    return false;  // nvme0n1p2 of nvme0n1
  }
  return true;
}

}  // namespace dabs::statistics
