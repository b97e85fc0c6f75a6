#include "keyring_sync.h"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace dabs::farm {

namespace {

Error Refused(std::string why) {
  return Error{make_error_code(keyring::Errc::kConflict), std::move(why)};
}

}  // namespace

KeyringSync::KeyringSync(std::unique_ptr<keyring::FarmChannel> channel, std::string server,
                         const mp::Clock& clock)
    : channel_(std::move(channel)), server_(std::move(server)), clock_(clock) {}

void KeyringSync::Describe(mp::Hello& hello) const {
  const keyring::Keyring k = channel_->keyring();
  hello.keyring_version = k.version;
  hello.keyring_primary = channel_->guard()->keys()->primary().id;
  hello.key_ids = k.Ids();
}

bool KeyringSync::OnHello(const mp::Hello& hello, mp::Duration min_interval) {
  if (hello.keyring_version == 0) return false;  // a server from before keyrings: nothing said
  members_[hello.server] = {hello.keyring_version, hello.keyring_primary, hello.key_ids};
  highest_heard_ = std::max(highest_heard_, hello.keyring_version);
  const keyring::Keyring mine = channel_->keyring();
  if (hello.keyring_version > mine.version) {
    // The farm moved on while we were away: seal with the key it seals with, if we hold it,
    // so that it can read us and send us its keyring (farm-seal.md section 4).
    channel_->SealWith(hello.keyring_primary);
    return false;
  }
  if (hello.keyring_version == mine.version) return false;
  const mp::TimePoint now = clock_.Now();
  if (now - last_sent_ < min_interval) return false;
  last_sent_ = now;
  return true;
}

void KeyringSync::Forget(const std::string& server) {
  members_.erase(server);
}

Result<bool> KeyringSync::OnKeyring(const mp::KeyringMessage& m) {
  keyring::Keyring theirs;
  theirs.version = m.version;
  theirs.primary = m.primary;
  theirs.keys = m.keys;
  std::sort(theirs.keys.begin(), theirs.keys.end(), [](auto& a, auto& b) { return a.id < b.id; });
  if (Status s = theirs.Validate(); !s) return s.error();
  highest_heard_ = std::max(highest_heard_, m.version);
  if (!channel_->keyring().IsOlderThan(theirs)) return false;
  if (Status s = channel_->Adopt(theirs); !s) return s.error();
  spdlog::info("farm keys from {}: {}", m.server.empty() ? "the farm" : m.server,
               keyring::Describe(theirs));
  return true;
}

uint64_t KeyringSync::NextVersion() const {
  return std::max(highest_heard_, channel_->keyring().version) + 1;
}

Result<keyring::Keyring> KeyringSync::Apply(const mp::KeyringRequest& r,
                                            const std::set<std::string>& live) {
  const keyring::Keyring k = channel_->keyring();
  Result<keyring::Keyring> next = k;
  switch (r.op) {
    case mp::KeyringRequest::Op::kInstall:
      next = k.Install(*r.key, NextVersion());
      break;
    case mp::KeyringRequest::Op::kUse: {
      std::vector<std::string> lacking;
      for (const std::string& id : live) {
        if (id == server_) continue;
        auto it = members_.find(id);
        if (it == members_.end() || std::find(it->second.ids.begin(), it->second.ids.end(),
                                              r.key_id) == it->second.ids.end()) {
          lacking.push_back(id);
        }
      }
      if (!lacking.empty() && !r.force) {
        std::string names;
        for (const auto& id : lacking)
          names += (names.empty() ? "" : ", ") + id;
        return Refused("key " + mp::FarmKeyIdText(r.key_id) + " is not yet on " + names +
                       ": wait for dabsctl keys list to show it everywhere (or --force)");
      }
      next = k.Use(r.key_id, NextVersion());
      break;
    }
    case mp::KeyringRequest::Op::kRemove:
      next = k.Remove(r.key_id, NextVersion());
      break;
  }
  if (!next) return next.error();
  if (next->Digest() == k.Digest()) return next;  // nothing to do (installed already)
  if (Status s = channel_->Adopt(*next); !s) return s.error();
  spdlog::info("farm keys changed here: {}", keyring::Describe(*next));
  return next;
}

mp::KeyringMessage KeyringSync::Message() const {
  const keyring::Keyring k = channel_->keyring();
  return mp::KeyringMessage{k.version, k.primary, k.keys, server_};
}

}  // namespace dabs::farm
