// Reassembly of configurations sent in parts: see part_assembler.h.
#include "part_assembler.h"

#include <algorithm>

namespace dabs::configd {

namespace {
// Our parts carry at least this much DATA (sync_wire.cc: 450 bytes less about 125 of
// header), so a configuration of max_bytes needs at most max_bytes / kMinSlice parts. More
// parts than that would only cost bookkeeping per part.
constexpr size_t kMinSlice = 128;
}  // namespace

PartAssembler::Added PartAssembler::Add(const SyncMessage& part, TimePoint now) {
  if (part.parts > limits_.max_bytes / kMinSlice + 1) {
    return {Outcome::kRejected, {}, std::to_string(part.parts) + " parts are too many"};
  }
  const Key key{part.id.version, part.id.origin, part.id.digest, part.parts};
  auto it = assemblies_.find(key);
  if (it == assemblies_.end()) {
    MakeRoom();
    it = assemblies_.emplace(key, Assembly{part.id, part.parts, {}, 0, now}).first;
  }
  Assembly& a = it->second;
  if (a.received.count(part.part)) return {};  // a copy
  if (a.bytes + part.data.size() > limits_.max_bytes) {
    assemblies_.erase(it);
    return {Outcome::kRejected,
            {},
            "a configuration in parts over " + std::to_string(limits_.max_bytes) + " bytes"};
  }
  a.bytes += part.data.size();
  a.last = now;
  a.received.emplace(part.part, part.data);
  if (a.received.size() < a.parts) return {};

  Added out{Outcome::kComplete, {}, {}};
  out.whole.reserve(a.bytes);
  for (const auto& [n, data] : a.received)
    out.whole.insert(out.whole.end(), data.begin(), data.end());
  assemblies_.erase(it);
  return out;
}

void PartAssembler::Expire(TimePoint now) {
  std::erase_if(assemblies_, [&](const auto& e) { return now - e.second.last > limits_.timeout; });
}

void PartAssembler::DropNotNewer(const ConfigId& local) {
  std::erase_if(assemblies_, [&](const auto& e) { return !Newer(e.second.id, local); });
}

size_t PartAssembler::bytes() const {
  size_t n = 0;
  for (const auto& [key, a] : assemblies_)
    n += a.bytes;
  return n;
}

void PartAssembler::MakeRoom() {
  while (!assemblies_.empty() &&
         assemblies_.size() >= std::max<size_t>(limits_.max_assemblies, 1)) {
    auto oldest = std::min_element(
        assemblies_.begin(), assemblies_.end(),
        [](const auto& a, const auto& b) { return a.second.last < b.second.last; });
    assemblies_.erase(oldest);
  }
}

}  // namespace dabs::configd
