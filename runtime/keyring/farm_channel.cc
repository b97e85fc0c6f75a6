#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <dabs/keyring/farm_channel.h>
#include <dabs/store/txn.h>

namespace dabs::keyring {

std::string DaemonName(mp::FarmRole role) {
  switch (role) {
    case mp::FarmRole::kLbd:
      return "dabs-lbd";
    case mp::FarmRole::kStatd:
      return "dabs-statd";
    case mp::FarmRole::kConfigd:
      return "dabs-configd";
  }
  return "dabs";
}

std::string SecurityRecordKey(const std::string& daemon) {
  return "security/" + daemon;
}

Result<std::unique_ptr<FarmChannel>> FarmChannel::Open(const std::filesystem::path& state_dir,
                                                       const std::string& farm_name,
                                                       uint16_t server_index, mp::FarmRole role,
                                                       mp::FarmGuardPolicy policy) {
  auto k = LoadKeyring(state_dir);
  if (!k) return k.error();
  const std::string daemon = DaemonName(role);
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  auto guard = std::make_shared<mp::FarmGuard>(
      k->KeySet(farm_name), mp::FarmSenderId(server_index, role), mp::FarmIncarnation(now),
      std::move(policy), [](const std::string& line) { spdlog::warn("{}", line); }, now);
  std::unique_ptr<FarmChannel> c(
      new FarmChannel(state_dir, farm_name, daemon, std::move(*k), std::move(guard)));
  (void)c->watch_.Poll();  // the keyring just read is the one seen
  spdlog::info("farm keys: {}", Describe(c->keyring_));
  c->guard_->OnUnknownKey([raw = c.get()] { return raw->Refresh(); });
  return c;
}

FarmChannel::FarmChannel(std::filesystem::path dir, std::string farm, std::string daemon, Keyring k,
                         std::shared_ptr<mp::FarmGuard> guard)
    : dir_(std::move(dir)),
      farm_(std::move(farm)),
      daemon_(std::move(daemon)),
      keyring_(std::move(k)),
      guard_(std::move(guard)),
      watch_(dir_) {}

void FarmChannel::Install(const Keyring& k, mp::FarmKeyId primary) {
  keyring_ = k;
  guard_->SetKeys(std::make_shared<mp::FarmKeySet>(farm_, k.keys, primary));
}

FarmChannel::~FarmChannel() {
  guard_->OnUnknownKey({});
}

Keyring FarmChannel::keyring() const {
  std::lock_guard lock(mu_);
  return keyring_;
}

bool FarmChannel::Refresh() {
  std::lock_guard lock(mu_);
  auto k = watch_.Poll();
  if (!k || k->Digest() == keyring_.Digest()) return false;
  spdlog::info("farm keys changed: {}", Describe(*k));
  Install(*k, k->primary);
  return true;
}

Status FarmChannel::Adopt(const Keyring& k) {
  std::lock_guard lock(mu_);
  if (Status s = k.Validate(); !s) return s;
  if (Status s = SaveKeyring(dir_, k); !s) return s;
  (void)watch_.Poll();  // our own write
  Install(k, k.primary);
  return Status::Ok();
}

void FarmChannel::SealWith(mp::FarmKeyId id) {
  std::lock_guard lock(mu_);
  if (!keyring_.Find(id) || guard_->keys()->primary().id == id) return;
  spdlog::warn("sealing with key {}, the farm's primary, until this server has its keyring",
               mp::FarmKeyIdText(id));
  guard_->SetKeys(std::make_shared<mp::FarmKeySet>(farm_, keyring_.keys, id));
}

std::string FarmChannel::RecordKey() const {
  return SecurityRecordKey(daemon_);
}

std::string FarmChannel::RecordValue(int64_t now_ms, uint64_t local_refused) const {
  const Keyring keyring = this->keyring();
  const mp::FarmGuardStats s = guard_->Stats();
  nlohmann::json rejected = nlohmann::json::object();
  for (size_t r = 0; r < mp::kFarmRejectKinds; ++r)
    rejected[mp::FarmRejectName(static_cast<mp::FarmReject>(r))] = s.rejected[r];
  nlohmann::json ids = nlohmann::json::array();
  for (mp::FarmKeyId id : keyring.Ids())
    ids.push_back(mp::FarmKeyIdText(id));
  const nlohmann::json j = {
      {"daemon", daemon_},
      {"sender", guard_->sender()},
      {"updated_ms", now_ms},
      {"sealed_in", s.sealed_in},
      {"sealed_out", s.sealed_out},
      {"open_in", s.open_in},
      {"open_out", s.open_out},
      {"seal_failures", s.seal_failures},
      {"local_refused", local_refused},
      {"rejected", rejected},
      {"rejected_total", s.rejected_total()},
      {"keyring_version", keyring.version},
      {"primary", mp::FarmKeyIdText(guard_->keys()->primary().id)},
      {"key_ids", ids},
  };
  return j.dump();
}

Status FarmChannel::Record(store::Store& store, int64_t now_ms, uint64_t local_refused) const {
  const std::string value = RecordValue(now_ms, local_refused);
  return store.Write([&](store::WriteTxn& txn) {
    return txn.Put(store::Database::kStatistics, RecordKey(), value);
  });
}

}  // namespace dabs::keyring
