// Puts a configuration sent in parts (sync_wire.h) back together. Parts may come in any
// order, twice, or from several senders of the same configuration (their bytes are the
// same); a part that never comes leaves its assembly to expire, and the periodic
// announcements ask for the configuration again.
//
// Bounded (STYLE 8): at most `max_assemblies` at once (the least recently fed is dropped for
// a new one), each at most `max_bytes`, memory growing only with the bytes received.
// Thread safety: none.
#pragma once

#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "sync_policy.h"
#include "sync_wire.h"

namespace dabs::configd {

struct AssemblyLimits {
  size_t max_bytes = 1 << 20;             // one configuration (the farm's mp.max_message_bytes)
  size_t max_assemblies = 4;              // configurations put together at once
  Duration timeout = milliseconds(5000);  // since its last new part
};

class PartAssembler {
 public:
  explicit PartAssembler(const AssemblyLimits& limits) : limits_(limits) {}

  enum class Outcome { kIncomplete, kComplete, kRejected };
  struct Added {
    Outcome outcome = Outcome::kIncomplete;
    std::vector<uint8_t> whole;  // kComplete: the whole payload, for DecodeSync
    std::string why;             // kRejected
  };
  // REQUIRES: part.kind == Heard::kPart.
  Added Add(const SyncMessage& part, TimePoint now);

  // Drops assemblies idle for longer than the timeout.
  void Expire(TimePoint now);
  // Drops assemblies of configurations that are not newer than `local`.
  void DropNotNewer(const ConfigId& local);

  size_t size() const { return assemblies_.size(); }
  size_t bytes() const;

 private:
  using Key = std::tuple<uint64_t, std::string, std::string, uint16_t>;  // id and parts
  struct Assembly {
    ConfigId id;
    uint16_t parts = 0;
    std::map<uint16_t, std::vector<uint8_t>> received;
    size_t bytes = 0;
    TimePoint last{};
  };

  void MakeRoom();

  AssemblyLimits limits_;
  std::map<Key, Assembly> assemblies_;
};

}  // namespace dabs::configd
