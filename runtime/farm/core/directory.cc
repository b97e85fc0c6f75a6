#include <algorithm>
#include <mutex>

#include <dabs/farm/directory.h>
#include <dabs/mp/errc.h>
#include <dabs/mp/wire.h>

namespace dabs::farm {

bool Directory::Apply(const mp::DirectoryUpdate& u) {
  std::unique_lock lock(mu_);
  auto it = by_va_.find(u.va);
  if (u.removed) {
    if (it == by_va_.end()) return false;
    // A session that moved is removed by its old server after its new one announced it: only
    // the server an entry lives on removes it.
    if (!u.server.empty() && it->second.server != u.server) return false;
    Erase(it);
    return true;
  }
  if (it != by_va_.end()) {
    const auto& old = it->second;
    if (old.uri == u.uri && old.server == u.server && old.udp == u.udp && old.local == u.local &&
        old.pid == u.pid && old.app == u.app && old.state == u.state &&
        old.sessions == u.sessions && old.dasp_va == u.dasp_va && old.opened_ms == u.opened_ms &&
        old.kind == u.kind) {
      return false;
    }
    if (!old.uri.empty() && old.uri != u.uri) by_uri_.erase(old.uri);
  }
  if (!u.uri.empty()) {
    // A URI names one VA: a stale holder of it goes.
    auto holder = by_uri_.find(u.uri);
    if (holder != by_uri_.end() && holder->second != u.va) {
      auto stale = by_va_.find(holder->second);
      if (stale != by_va_.end()) Erase(stale);
    }
    by_uri_[u.uri] = u.va;
  }
  by_va_[u.va] = u;
  if (u.kind == 1) {
    instances_.insert(u.va);
  } else {
    instances_.erase(u.va);
  }
  return true;
}

Directory::Entry Directory::Erase(Entry it) {
  if (!it->second.uri.empty()) {
    auto uri = by_uri_.find(it->second.uri);
    if (uri != by_uri_.end() && uri->second == it->first) by_uri_.erase(uri);
  }
  instances_.erase(it->first);
  return by_va_.erase(it);
}

std::optional<mp::DirectoryUpdate> Directory::Find(mp::Va va) const {
  std::shared_lock lock(mu_);
  auto it = by_va_.find(va);
  if (it == by_va_.end()) return std::nullopt;
  return it->second;
}

std::optional<mp::DirectoryUpdate> Directory::Find(const std::string& uri) const {
  std::shared_lock lock(mu_);
  auto it = by_uri_.find(uri);
  if (it == by_uri_.end()) return std::nullopt;
  auto e = by_va_.find(it->second);
  if (e == by_va_.end()) return std::nullopt;
  return e->second;
}

std::vector<mp::DirectoryUpdate> Directory::Entries(uint8_t kind, const std::string& server) const {
  std::vector<mp::DirectoryUpdate> out;
  {
    std::shared_lock lock(mu_);
    for (const auto& [va, e] : by_va_) {
      if (e.kind == kind && (server.empty() || e.server == server)) out.push_back(e);
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.va < b.va; });
  return out;
}

std::vector<mp::DirectoryUpdate> Directory::DropServer(const std::string& server) {
  std::unique_lock lock(mu_);
  std::vector<mp::DirectoryUpdate> out;
  for (auto it = by_va_.begin(); it != by_va_.end();) {
    if (it->second.server == server) {
      out.push_back(it->second);
      it = Erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

Directory::AppCounts Directory::CountsOf(const std::string& app) const {
  std::shared_lock lock(mu_);
  AppCounts c;
  for (mp::Va va : instances_) {
    const auto& e = by_va_.at(va);
    if (e.app != app) continue;
    const auto state = static_cast<mp::wire::DaspState>(e.state);
    if (state == mp::wire::DaspState::kStopped || state == mp::wire::DaspState::kFailed) continue;
    ++c.instances;
    c.sessions += e.sessions;
  }
  return c;
}

size_t Directory::size() const {
  std::shared_lock lock(mu_);
  return by_va_.size();
}

mp::DirectoryEntry Directory::ToEntry(const mp::DirectoryUpdate& u) {
  mp::DirectoryEntry e;
  e.va = u.va;
  if (!u.uri.empty()) {
    if (auto uri = mp::VaUri::Parse(u.uri)) e.uri = *uri;
  }
  e.location.host_id = u.server;
  e.location.pid = static_cast<int>(u.pid);
  e.location.udp = u.udp;
  if (!u.local.empty()) e.location.local = mp::Endpoint::Local(u.local);
  return e;
}

std::optional<mp::DirectoryEntry> Directory::Lookup(mp::Va va) const {
  auto u = Find(va);
  if (!u) return std::nullopt;
  return ToEntry(*u);
}

std::optional<mp::DirectoryEntry> Directory::Lookup(const mp::VaUri& uri) const {
  auto u = Find(uri.ToString());
  if (!u) return std::nullopt;
  return ToEntry(*u);
}

VaSource::VaSource(uint16_t server_index, uint32_t stored_limit, Persist persist, uint32_t first)
    : index_(server_index),
      next_(std::max(stored_limit, first)),
      limit_(next_),
      persist_(std::move(persist)) {}

Result<mp::Va> VaSource::Next() {
  if (next_ > mp::kVaCounterMask) {
    return Error{make_error_code(mp::Errc::kLimitExceeded),
                 "this server has used all 2^20 of its VAs"};
  }
  if (next_ >= limit_) {
    const uint32_t limit = std::min<uint32_t>(next_ + kBlock, mp::kVaCounterMask + 1);
    if (!persist_(limit)) {
      return Error{make_error_code(mp::Errc::kLimitExceeded), "cannot save the VA counter"};
    }
    limit_ = limit;
  }
  return mp::MakeVa(index_, next_++);
}

}  // namespace dabs::farm
