// The VA directory (spec 3): where every DASP instance and every client of the farm lives
// now, kept on every server from VA_UPDATE messages, answering VA_QUERY and resolving VAs
// for the MP node. VAs are allocated by the server that creates the entity (its index in
// the upper 12 bits, a counter below), so no coordination is needed.
//
// Thread-safe: the daemon's strand writes, the MP node reads.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <dabs/mp/farm_messages.h>
#include <dabs/mp/resolver.h>
#include <dabs/mp/va.h>

namespace dabs::farm {

class Directory final : public mp::VaResolver {
 public:
  // Applies a VA_UPDATE (an entry added or changed, or removed). True if anything changed.
  bool Apply(const mp::DirectoryUpdate& update);
  std::optional<mp::DirectoryUpdate> Find(mp::Va va) const;
  std::optional<mp::DirectoryUpdate> Find(const std::string& uri) const;
  // Every entry of a kind (1 DASP instance, 2 client), optionally of one server, by VA.
  std::vector<mp::DirectoryUpdate> Entries(uint8_t kind, const std::string& server = {}) const;
  // Removes every entry living on `server` (it left the farm) and returns them.
  std::vector<mp::DirectoryUpdate> DropServer(const std::string& server);

  struct AppCounts {
    uint32_t instances = 0;  // instances not stopped or failed
    uint64_t sessions = 0;   // their sessions, as last announced
  };
  // Visits the instances only (an index beside the entries): placement asks on every ballot,
  // and a farm holds far more clients than instances.
  AppCounts CountsOf(const std::string& app) const;
  size_t size() const;

  // mp::VaResolver
  std::optional<mp::DirectoryEntry> Lookup(mp::Va va) const override;
  std::optional<mp::DirectoryEntry> Lookup(const mp::VaUri& uri) const override;

 private:
  static mp::DirectoryEntry ToEntry(const mp::DirectoryUpdate& u);
  using Entry = std::unordered_map<mp::Va, mp::DirectoryUpdate>::iterator;
  Entry Erase(Entry it);  // and its URI and instance index entries

  mutable std::shared_mutex mu_;
  std::unordered_map<mp::Va, mp::DirectoryUpdate> by_va_;
  std::unordered_map<std::string, mp::Va> by_uri_;
  std::unordered_set<mp::Va> instances_;  // the VAs of kind 1 (DASP instances) in by_va_
};

// Hands out this server's VAs without ever repeating one across restarts: the counter is
// persisted a block ahead, so a crash skips at most a block of values.
class VaSource {
 public:
  // Persists the new limit (the first counter not yet allowed); must return true once the
  // limit is durable.
  using Persist = std::function<bool(uint32_t limit)>;
  static constexpr uint32_t kBlock = 1024;

  // `stored_limit`: what Persist last stored (0 when nothing). Counters below `first` are
  // never handed out (small values name the instances a standalone DASP numbers itself).
  VaSource(uint16_t server_index, uint32_t stored_limit, Persist persist, uint32_t first = 1);
  // kLimitExceeded when the 2^20 counters are used up or the limit cannot be saved.
  Result<mp::Va> Next();
  uint16_t server_index() const { return index_; }

 private:
  uint16_t index_;
  uint32_t next_;
  uint32_t limit_;
  Persist persist_;
};

}  // namespace dabs::farm
