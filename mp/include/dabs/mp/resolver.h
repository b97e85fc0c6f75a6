// Mapping VAs to where their entities live now, and choosing a transport by proximity
// (spec 3): same process -> direct call, same host -> local socket, elsewhere -> UDP.
// The farm's directory implements VaResolver over LMDB; InMemoryResolver serves tests
// and standalone use.
#pragma once

#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include <dabs/mp/endpoint.h>
#include <dabs/mp/va.h>

namespace dabs::mp {

// Where an entity lives. `udp` is always set for entities reachable over the network;
// `local` and `in_process` when the entity also listens on those.
struct Location {
  std::string host_id;  // the server (or machine) the entity runs on
  int pid = 0;          // its process
  Endpoint udp;
  std::optional<Endpoint> local;       // local datagram socket on host_id
  std::optional<Endpoint> in_process;  // in-process name within pid
};

struct DirectoryEntry {
  Va va = kVaNone;
  VaUri uri;
  Location location;
};

// Who is asking: the host and process of the sender.
struct Self {
  std::string host_id;
  int pid = 0;
};

enum class Proximity { kSameProcess, kSameHost, kRemote };

Proximity ProximityOf(const Location& where, const Self& self);
// The endpoint to use from `self`: the closest transport the entity offers.
Endpoint ChooseEndpoint(const Location& where, const Self& self);

// Looks VAs and URIs up. Implementations are thread-safe.
class VaResolver {
 public:
  virtual ~VaResolver() = default;
  virtual std::optional<DirectoryEntry> Lookup(Va va) const = 0;
  virtual std::optional<DirectoryEntry> Lookup(const VaUri& uri) const = 0;
};

// A resolver held in memory. Thread-safe.
class InMemoryResolver final : public VaResolver {
 public:
  void Put(DirectoryEntry entry);  // replaces any entry with the same VA or URI
  bool Remove(Va va);
  size_t size() const;

  std::optional<DirectoryEntry> Lookup(Va va) const override;
  std::optional<DirectoryEntry> Lookup(const VaUri& uri) const override;

 private:
  mutable std::shared_mutex mu_;
  std::unordered_map<Va, DirectoryEntry> by_va_;
  std::unordered_map<std::string, Va> by_uri_;
};

}  // namespace dabs::mp
