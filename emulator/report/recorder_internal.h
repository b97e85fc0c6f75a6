#pragma once
// Private to the Recorder: name tables and what one shard gathers in one second.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "dabs/emu/latency_histogram.h"
#include "dabs/emu/recorder.h"

namespace dabs::emu::internal {

// Small dense ids for names, in order of first appearance. Holds at most `cap` names
// plus kOtherName, which takes every name that comes after the table is full.
// Not thread-safe.
class NameTable {
 public:
  explicit NameTable(std::size_t cap) : cap_(cap) {}

  uint32_t Id(std::string_view name) {
    if (auto it = ids_.find(name); it != ids_.end()) return it->second;
    if (names_.size() >= cap_ && name != kOtherName) return Id(kOtherName);
    const auto id = static_cast<uint32_t>(names_.size());
    names_.emplace_back(name);
    ids_.emplace(names_.back(), id);
    return id;
  }
  const std::string& Name(uint32_t id) const { return names_[id]; }
  std::size_t size() const { return names_.size(); }
  const std::vector<std::string>& names() const { return names_; }

 private:
  std::size_t cap_;
  std::vector<std::string> names_;
  std::map<std::string, uint32_t, std::less<>> ids_;
};

struct ShardNames {
  explicit ShardNames(const RecorderOptions& o)
      : servers(o.max_servers), channels(o.max_channels), causes(o.max_causes) {}
  NameTable servers;
  NameTable channels;
  NameTable causes;
};

struct ServerDelta {
  uint64_t opened = 0;
  uint64_t closed = 0;
  uint64_t rehomed_in = 0;
  uint64_t rehomed_out = 0;
  int64_t OpenDelta() const {
    return static_cast<int64_t>(opened + rehomed_in) - static_cast<int64_t>(closed + rehomed_out);
  }
};

struct ChannelDelta {
  uint64_t sessions_opened = 0;
  LatencyHistogram latency;
};

struct Counters {
  uint64_t stbs_started = 0;
  uint64_t sessions_opened = 0;
  uint64_t sessions_failed = 0;
  uint64_t sessions_closed = 0;
  uint64_t requests_ok = 0;
  uint64_t requests_failed = 0;
  uint64_t rehomed = 0;
  uint64_t local_ops = 0;
  void Add(const Counters& o);
};

// What one shard saw during one second; vectors are indexed by the shard's own name ids.
struct SecondDelta {
  int64_t second = -1;
  bool dirty = false;
  Counters counters;
  std::vector<uint64_t> causes;
  std::vector<ServerDelta> servers;
  std::vector<ChannelDelta> channels;

  // Zeroes every count, keeping the allocations (histograms included).
  void Reset();
  ServerDelta& Server(uint32_t id) { return Grow(servers, id); }
  ChannelDelta& Channel(uint32_t id) { return Grow(channels, id); }
  uint64_t& Cause(uint32_t id) { return Grow(causes, id); }

 private:
  template <typename T>
  static T& Grow(std::vector<T>& v, uint32_t id) {
    if (v.size() <= id) v.resize(id + 1);
    return v[id];
  }
};

// One lock's worth of recording state; aligned so that two shards never share a line.
struct alignas(64) Shard {
  explicit Shard(const RecorderOptions& o) : names(o) {}
  std::mutex mu;
  ShardNames names;   // guarded by mu
  SecondDelta delta;  // guarded by mu
};

}  // namespace dabs::emu::internal
