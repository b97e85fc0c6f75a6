// A farm daemon's end of the authenticated farm channel (docs/spec/farm-seal.md): the guard
// its node seals and opens with, the keyring it follows, and the counters it leaves in the
// store for dabsctl and SNMP. dabs-lbd, dabs-statd and dabs-configd each own one.
//
// Thread safety: every method is thread-safe (the guard calls Refresh from its node's
// strand when a datagram comes sealed with a key this server has only just installed).
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include <dabs/keyring/keyring.h>
#include <dabs/mp/farm_guard.h>
#include <dabs/store/store.h>

namespace dabs::keyring {

class FarmChannel {
 public:
  // Loads the state directory's keyring; without one, kNoKeyring whose detail says how to
  // make one. `daemon` names it in logs and records ("dabs-lbd", ...).
  static Result<std::unique_ptr<FarmChannel>> Open(const std::filesystem::path& state_dir,
                                                   const std::string& farm_name,
                                                   uint16_t server_index, mp::FarmRole role,
                                                   mp::FarmGuardPolicy policy);
  ~FarmChannel();  // the guard, which may outlive it, stops calling back
  FarmChannel(const FarmChannel&) = delete;
  FarmChannel& operator=(const FarmChannel&) = delete;

  std::shared_ptr<mp::FarmGuard> guard() const { return guard_; }
  Keyring keyring() const;
  uint32_t sender() const { return guard_->sender(); }

  // Follows the keyring file when another daemon of this server has written a new one.
  // True when the keys changed.
  bool Refresh();
  // Makes `k` this server's keyring: writes the file, then seals with its primary.
  Status Adopt(const Keyring& k);
  // Seals with `id` (which the keyring holds) instead of the keyring's primary, until the next
  // Adopt or Refresh: how a server that missed a rotation speaks to a farm that moved on.
  void SealWith(mp::FarmKeyId id);

  // This daemon's counters as a record: statistics database, key RecordKey(), JSON value
  // (dabsctl security, the SNMP counters). Record writes it at once; dabs-lbd, which never
  // waits for the disk on its io thread, hands the pair to its writer instead.
  // `local_refused`: local datagrams the daemon's node dropped from another user
  // (mp::NodeStats::local_refused), recorded beside the farm guard's counters.
  std::string RecordKey() const;
  std::string RecordValue(int64_t now_ms, uint64_t local_refused) const;
  Status Record(store::Store& store, int64_t now_ms, uint64_t local_refused) const;

 private:
  FarmChannel(std::filesystem::path dir, std::string farm, std::string daemon, Keyring k,
              std::shared_ptr<mp::FarmGuard> guard);
  void Install(const Keyring& k, mp::FarmKeyId primary);

  mutable std::mutex mu_;  // keyring_ and watch_
  std::filesystem::path dir_;
  std::string farm_, daemon_;
  Keyring keyring_;
  std::shared_ptr<mp::FarmGuard> guard_;
  KeyringWatch watch_;
};

// The record key of a daemon's counters ("security/dabs-lbd").
std::string SecurityRecordKey(const std::string& daemon);
// "dabs-lbd", "dabs-statd", "dabs-configd".
std::string DaemonName(mp::FarmRole role);

}  // namespace dabs::keyring
