#include <dabs/statistics/proc_parsers.h>

#include "text.h"

namespace dabs::statistics {

namespace {

constexpr std::string_view kMeminfo = "/proc/meminfo";

// The value of a "Key:   1234 kB" line, in kB. Every meminfo line the figures use is in kB.
Result<uint64_t> KbValue(text::Fields fields, size_t line) {
  std::string_view value, unit, extra;
  uint64_t kb = 0;
  if (!fields.Next(value) || !text::ParseU64(value, kb)) {
    return text::Malformed(kMeminfo, line, "expected a number of kB");
  }
  if (!fields.Next(unit) || unit != "kB" || fields.Next(extra)) {
    return text::Malformed(kMeminfo, line, "expected 'kB' after the number");
  }
  if (kb > UINT64_MAX / 1024) return text::Malformed(kMeminfo, line, "value out of range");
  return kb;
}

}  // namespace

Result<MemInfo> ParseMeminfo(std::string_view text) {
  enum Key { kTotal, kAvailable, kFree, kBuffers, kCached, kKeys };
  constexpr std::string_view kNames[kKeys] = {
      "MemTotal:", "MemAvailable:", "MemFree:", "Buffers:", "Cached:"};
  std::optional<uint64_t> v[kKeys];
  text::Lines lines(text);
  std::string_view line;
  while (lines.Next(line)) {
    text::Fields fields(line);
    std::string_view key;
    if (!fields.Next(key)) continue;
    for (int k = 0; k < kKeys; ++k) {
      if (key != kNames[k]) continue;
      if (v[k]) return text::Malformed(kMeminfo, lines.number(), "repeated " + text::Quote(key));
      auto kb = KbValue(fields, lines.number());
      if (!kb) return kb.error();
      v[k] = *kb;
    }
  }
  if (!v[kTotal] || *v[kTotal] == 0) return text::Malformed(kMeminfo, 0, "no MemTotal");
  MemInfo out{*v[kTotal], 0};
  if (v[kAvailable]) {
    out.available_kb = *v[kAvailable];
  } else if (v[kFree]) {
    // Before Linux 3.14: the usual estimate. Each term is below 2^54, so no overflow.
    out.available_kb = *v[kFree] + v[kBuffers].value_or(0) + v[kCached].value_or(0);
  } else {
    return text::Malformed(kMeminfo, 0, "neither MemAvailable nor MemFree");
  }
  // Reclaimable caches can make the old estimate exceed the total; never report more free
  // memory than there is.
  if (out.available_kb > out.total_kb) out.available_kb = out.total_kb;
  return out;
}

Result<std::optional<uint64_t>> ParseCgroupMemoryMax(std::string_view text) {
  const std::string_view value = text::Trim(text);
  if (value == "max") return std::optional<uint64_t>{};
  uint64_t bytes = 0;
  if (!text::ParseU64(value, bytes)) {
    return text::Malformed("memory.max", 1, "expected 'max' or bytes, got " + text::Quote(value));
  }
  return std::optional<uint64_t>{bytes};
}

Result<uint64_t> ParseSingleNumber(std::string_view text, std::string_view file) {
  const std::string_view value = text::Trim(text);
  uint64_t n = 0;
  if (!text::ParseU64(value, n)) {
    return text::Malformed(file, 1, "expected a number, got " + text::Quote(value));
  }
  return n;
}

Result<std::optional<uint64_t>> ParseCgroupInactiveFile(std::string_view text) {
  text::Lines lines(text);
  std::string_view line;
  while (lines.Next(line)) {
    text::Fields fields(line);
    std::string_view key, value;
    if (!fields.Next(key) || key != "inactive_file") continue;
    uint64_t bytes = 0;
    if (!fields.Next(value) || !text::ParseU64(value, bytes)) {
      return text::Malformed("memory.stat", lines.number(), "bad inactive_file");
    }
    return std::optional<uint64_t>{bytes};
  }
  return std::optional<uint64_t>{};
}

}  // namespace dabs::statistics
