// dabs-lbd's part in keeping the farm's keyrings in step (docs/spec/farm-seal.md sections
// 4-6): what this server announces of its keys in HELLO, what every member announced, the
// KEYRING documents it adopts or sends, and the operators' install / use / remove.
//
// Thread safety: none; dabs-lbd's io thread makes every call.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>

#include <dabs/keyring/farm_channel.h>
#include <dabs/mp/clock.h>
#include <dabs/mp/farm_messages.h>

namespace dabs::farm {

class KeyringSync {
 public:
  // `channel` is this daemon's farm channel; `server` our id.
  KeyringSync(std::unique_ptr<keyring::FarmChannel> channel, std::string server,
              const mp::Clock& clock);

  keyring::FarmChannel& channel() { return *channel_; }
  keyring::Keyring keyring() const { return channel_->keyring(); }

  // Fills HELLO's key fields.
  void Describe(mp::Hello& hello) const;
  // What a member's HELLO says of its keys. True when we should send it our keyring (it
  // announced an older one; at most once per `min_interval`).
  bool OnHello(const mp::Hello& hello, mp::Duration min_interval);
  void Forget(const std::string& server);
  // A KEYRING from the group. True when we adopted it.
  Result<bool> OnKeyring(const mp::KeyringMessage& m);
  // An operator's request on this server: the keyring it leads to, written and in force.
  // `live` are the live members' ids (ourselves included).
  Result<keyring::Keyring> Apply(const mp::KeyringRequest& r, const std::set<std::string>& live);
  // Our keyring as KEYRING carries it.
  mp::KeyringMessage Message() const;
  // Follows a keyring another daemon of this server wrote (dabsctl keys install, offline).
  bool Refresh() { return channel_->Refresh(); }

  // A member's keys as its last HELLO announced them.
  struct MemberKeys {
    uint64_t version = 0;
    mp::FarmKeyId primary = 0;
    std::vector<mp::FarmKeyId> ids;
  };
  const std::map<std::string, MemberKeys>& members() const { return members_; }

 private:
  uint64_t NextVersion() const;

  std::unique_ptr<keyring::FarmChannel> channel_;
  std::string server_;
  const mp::Clock& clock_;
  std::map<std::string, MemberKeys> members_;
  uint64_t highest_heard_ = 0;
  mp::TimePoint last_sent_{};
};

}  // namespace dabs::farm
