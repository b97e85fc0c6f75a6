#include <mutex>

#include <dabs/mp/resolver.h>

namespace dabs::mp {

Proximity ProximityOf(const Location& where, const Self& self) {
  if (where.host_id != self.host_id || where.host_id.empty()) return Proximity::kRemote;
  if (where.pid == self.pid && where.pid != 0) return Proximity::kSameProcess;
  return Proximity::kSameHost;
}

Endpoint ChooseEndpoint(const Location& where, const Self& self) {
  switch (ProximityOf(where, self)) {
    case Proximity::kSameProcess:
      if (where.in_process) return *where.in_process;
      [[fallthrough]];
    case Proximity::kSameHost:
      if (where.local) return *where.local;
      [[fallthrough]];
    case Proximity::kRemote:
      break;
  }
  return where.udp;
}

void InMemoryResolver::Put(DirectoryEntry entry) {
  std::unique_lock lock(mu_);
  const std::string key = entry.uri.ToString();
  if (auto old = by_va_.find(entry.va); old != by_va_.end()) {
    by_uri_.erase(old->second.uri.ToString());
  }
  if (auto old = by_uri_.find(key); old != by_uri_.end() && old->second != entry.va) {
    by_va_.erase(old->second);
  }
  by_uri_[key] = entry.va;
  by_va_[entry.va] = std::move(entry);
}

bool InMemoryResolver::Remove(Va va) {
  std::unique_lock lock(mu_);
  auto it = by_va_.find(va);
  if (it == by_va_.end()) return false;
  by_uri_.erase(it->second.uri.ToString());
  by_va_.erase(it);
  return true;
}

size_t InMemoryResolver::size() const {
  std::shared_lock lock(mu_);
  return by_va_.size();
}

std::optional<DirectoryEntry> InMemoryResolver::Lookup(Va va) const {
  std::shared_lock lock(mu_);
  auto it = by_va_.find(va);
  if (it == by_va_.end()) return std::nullopt;
  return it->second;
}

std::optional<DirectoryEntry> InMemoryResolver::Lookup(const VaUri& uri) const {
  std::shared_lock lock(mu_);
  auto it = by_uri_.find(uri.ToString());
  if (it == by_uri_.end()) return std::nullopt;
  return by_va_.at(it->second);
}

}  // namespace dabs::mp
