#include <array>
#include <set>

#include <dabs/statistics/proc_parsers.h>

#include "text.h"

namespace dabs::statistics {

namespace {

constexpr std::string_view kNetDev = "/proc/net/dev";
constexpr size_t kNetDevCounters = 16;  // 8 receive, 8 transmit

// "  eth0: 1 2 ..." -> name and counters. Old kernels print "eth0:123" with no space when
// the byte count is wide, so the name ends at the first ':' (names cannot contain one).
Result<NetDevCounters> ParseInterfaceLine(std::string_view line, size_t number) {
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) {
    return text::Malformed(kNetDev, number, "no ':' after the interface name");
  }
  const std::string_view name = text::Trim(line.substr(0, colon));
  text::Fields check(name);
  std::string_view word, extra;
  // The name becomes part of a /sys path: refuse what the kernel would never name a device.
  if (!check.Next(word) || check.Next(extra) || name.find('/') != std::string_view::npos ||
      name == "." || name == "..") {
    return text::Malformed(kNetDev, number, "bad interface name " + text::Quote(name));
  }
  std::array<uint64_t, kNetDevCounters> v{};
  text::Fields fields(line.substr(colon + 1));
  size_t n = 0;
  std::string_view f;
  while (n < v.size() && fields.Next(f)) {
    if (!text::ParseU64(f, v[n])) {
      return text::Malformed(kNetDev, number, "expected a counter, got " + text::Quote(f));
    }
    ++n;
  }
  if (n < v.size()) return text::Malformed(kNetDev, number, "fewer than 16 counters");
  return NetDevCounters{std::string(name), v[0], v[1], v[8], v[9]};
}

}  // namespace

Result<std::vector<NetDevCounters>> ParseNetDev(std::string_view text) {
  text::Lines lines(text);
  std::string_view line;
  for (int header = 0; header < 2; ++header) {
    if (!lines.Next(line) || line.find('|') == std::string_view::npos) {
      return text::Malformed(kNetDev, lines.number(), "missing the two header lines");
    }
  }
  std::vector<NetDevCounters> out;
  std::set<std::string, std::less<>> names;
  while (lines.Next(line)) {
    if (text::Trim(line).empty()) continue;
    auto counters = ParseInterfaceLine(line, lines.number());
    if (!counters) return counters.error();
    if (!names.insert(counters->name).second) {
      return text::Malformed(kNetDev, lines.number(), "repeated " + text::Quote(counters->name));
    }
    if (out.size() == kMaxInterfaces) {
      return text::TooMany(kNetDev, "interfaces", kMaxInterfaces);
    }
    out.push_back(std::move(*counters));
  }
  return out;
}

Result<std::optional<uint64_t>> ParseLinkSpeed(std::string_view text) {
  const std::string_view value = text::Trim(text);
  int64_t mbps = 0;
  if (!text::ParseI64(value, mbps)) {
    return text::Malformed("speed", 1, "expected Mbit/s, got " + text::Quote(value));
  }
  // SPEED_UNKNOWN is -1; some drivers print 0 or the u32 form of -1.
  if (mbps <= 0 || mbps >= int64_t{UINT32_MAX}) return std::optional<uint64_t>{};
  return std::optional<uint64_t>{static_cast<uint64_t>(mbps)};
}

}  // namespace dabs::statistics
