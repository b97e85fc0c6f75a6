#include <array>
#include <set>

#include <dabs/statistics/proc_parsers.h>

#include "text.h"

namespace dabs::statistics {

namespace {

constexpr std::string_view kProcStat = "/proc/stat";

// The numbers after the label of a "cpu" or "cpuN" line: at least user nice system idle
// (every kernel since 2.4), then iowait irq softirq steal when present. Later columns
// (guest, guest_nice, and whatever comes next) must still be numbers, and are ignored.
Result<CpuTimes> ParseCpuColumns(text::Fields fields, size_t line) {
  std::array<uint64_t, 8> v{};
  size_t n = 0;
  std::string_view f;
  while (fields.Next(f)) {
    uint64_t x = 0;
    if (!text::ParseU64(f, x)) {
      return text::Malformed(kProcStat, line, "expected a number, got " + text::Quote(f));
    }
    if (n < v.size()) v[n] = x;
    ++n;
  }
  if (n < 4) return text::Malformed(kProcStat, line, "fewer than 4 CPU time columns");
  CpuTimes t{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]};
  // The sum must not wrap, or every later subtraction would be meaningless.
  uint64_t sum = 0;
  for (uint64_t x : v) {
    if (__builtin_add_overflow(sum, x, &sum)) {
      return text::Malformed(kProcStat, line, "CPU times overflow");
    }
  }
  return t;
}

// "cpuN" -> N; false for anything else ("cpu", "cpux", "ctxt").
bool CoreIndex(std::string_view label, uint32_t& index) {
  if (label.size() <= 3 || label.substr(0, 3) != "cpu") return false;
  uint64_t n = 0;
  if (!text::ParseU64(label.substr(3), n) || n > UINT32_MAX) return false;
  index = static_cast<uint32_t>(n);
  return true;
}

}  // namespace

Result<ProcStat> ParseProcStat(std::string_view text) {
  ProcStat stat;
  bool have_total = false;
  std::set<uint32_t> seen;
  text::Lines lines(text);
  std::string_view line;
  while (lines.Next(line)) {
    text::Fields fields(line);
    std::string_view label;
    if (!fields.Next(label) || label.substr(0, 3) != "cpu") continue;
    uint32_t index = 0;
    const bool is_total = label == "cpu";
    if (!is_total && !CoreIndex(label, index)) {
      return text::Malformed(kProcStat, lines.number(), "bad CPU label " + text::Quote(label));
    }
    auto times = ParseCpuColumns(fields, lines.number());
    if (!times) return times.error();
    if (is_total) {
      if (have_total) return text::Malformed(kProcStat, lines.number(), "second 'cpu' line");
      stat.total = *times;
      have_total = true;
      continue;
    }
    if (!seen.insert(index).second) {
      return text::Malformed(kProcStat, lines.number(), "repeated " + text::Quote(label));
    }
    if (stat.cores.size() == kMaxCores) return text::TooMany(kProcStat, "cores", kMaxCores);
    stat.cores.push_back({index, *times});
  }
  if (!have_total) return text::Malformed(kProcStat, 0, "no 'cpu' line");
  return stat;
}

Result<CgroupCpuMax> ParseCgroupCpuMax(std::string_view text) {
  constexpr std::string_view kFile = "cpu.max";
  text::Fields fields(text::Trim(text));
  std::string_view quota, period, extra;
  if (!fields.Next(quota) || !fields.Next(period) || fields.Next(extra)) {
    return text::Malformed(kFile, 1, "expected '<quota|max> <period>'");
  }
  CgroupCpuMax out;
  if (!text::ParseU64(period, out.period_us) || out.period_us == 0) {
    return text::Malformed(kFile, 1, "bad period " + text::Quote(period));
  }
  if (quota != "max") {
    uint64_t q = 0;
    if (!text::ParseU64(quota, q) || q == 0) {
      return text::Malformed(kFile, 1, "bad quota " + text::Quote(quota));
    }
    out.quota_us = q;
  }
  return out;
}

Result<uint64_t> ParseCgroupCpuUsageUs(std::string_view text) {
  constexpr std::string_view kFile = "cpu.stat";
  text::Lines lines(text);
  std::string_view line;
  while (lines.Next(line)) {
    text::Fields fields(line);
    std::string_view key, value;
    if (!fields.Next(key) || key != "usage_usec") continue;
    uint64_t us = 0;
    if (!fields.Next(value) || !text::ParseU64(value, us)) {
      return text::Malformed(kFile, lines.number(), "bad usage_usec");
    }
    return us;
  }
  return text::Malformed(kFile, 0, "no usage_usec line");
}

}  // namespace dabs::statistics
