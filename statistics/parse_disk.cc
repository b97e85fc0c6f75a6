#include <array>
#include <set>

#include <dabs/statistics/proc_parsers.h>

#include "text.h"

namespace dabs::statistics {

namespace {

constexpr std::string_view kDiskstats = "/proc/diskstats";
// major, minor, name, then: reads, reads merged, sectors read, ms reading, writes, writes
// merged, sectors written, ms writing, I/Os in progress, ms doing I/O, weighted ms.
constexpr size_t kCounters = 11;
constexpr size_t kSectorsRead = 2;
constexpr size_t kSectorsWritten = 6;

}  // namespace

Result<std::vector<DiskCounters>> ParseDiskstats(std::string_view text) {
  std::vector<DiskCounters> out;
  std::set<std::string, std::less<>> names;
  text::Lines lines(text);
  std::string_view line;
  while (lines.Next(line)) {
    text::Fields fields(line);
    std::string_view major, minor, name, f;
    if (!fields.Next(major)) continue;  // blank line
    uint64_t unused = 0;
    if (!text::ParseU64(major, unused) || !fields.Next(minor) || !text::ParseU64(minor, unused) ||
        !fields.Next(name)) {
      return text::Malformed(kDiskstats, lines.number(), "expected 'major minor name'");
    }
    std::array<uint64_t, kCounters> v{};
    size_t n = 0;
    while (n < v.size() && fields.Next(f)) {
      if (!text::ParseU64(f, v[n])) {
        return text::Malformed(kDiskstats, lines.number(), "bad counter " + text::Quote(f));
      }
      ++n;
    }
    if (n < v.size()) return text::Malformed(kDiskstats, lines.number(), "fewer than 11 counters");
    if (!names.insert(std::string(name)).second) {
      return text::Malformed(kDiskstats, lines.number(), "repeated " + text::Quote(name));
    }
    if (out.size() == kMaxDisks) return text::TooMany(kDiskstats, "devices", kMaxDisks);
    out.push_back({std::string(name), v[kSectorsRead], v[kSectorsWritten]});
  }
  return out;
}

}  // namespace dabs::statistics
