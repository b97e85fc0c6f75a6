// The keyring in a state directory: read and written as a secret (mp/secret_file.h).
#include <sys/stat.h>

#include <dabs/keyring/keyring.h>
#include <dabs/mp/secret_file.h>

namespace dabs::keyring {

std::filesystem::path KeyringPath(const std::filesystem::path& state_dir) {
  return state_dir / "farm.keyring";
}

std::string NoKeyringHint(const std::filesystem::path& state_dir) {
  return "no farm key in " + KeyringPath(state_dir).string() +
         ": make one with 'dabsctl keys generate seal.key' and install it on every server with "
         "'dabsctl keys install seal.key --state-dir " +
         state_dir.string() + "'";
}

Result<Keyring> LoadKeyring(const std::filesystem::path& state_dir) {
  auto text = mp::ReadSecretFile(KeyringPath(state_dir));
  if (!text) {
    if (text.error().code == mp::CryptoErrc::kNoSuchFile &&
        !std::filesystem::exists(KeyringPath(state_dir))) {
      return Error{make_error_code(Errc::kNoKeyring), NoKeyringHint(state_dir)};
    }
    return Error{make_error_code(Errc::kIo), text.error().detail};
  }
  auto k = Keyring::Parse(*text);
  if (!k) {
    return Error{k.error().code, KeyringPath(state_dir).string() + ": " + k.error().detail};
  }
  return k;
}

Status SaveKeyring(const std::filesystem::path& state_dir, const Keyring& k) {
  if (Status s = mp::WriteSecretFile(KeyringPath(state_dir), k.ToFileText(), true); !s) {
    return Error{make_error_code(Errc::kIo), s.error().detail};
  }
  return Status::Ok();
}

Status EnsureKey(const std::filesystem::path& state_dir, const mp::FarmKey& key) {
  auto held = LoadKeyring(state_dir);
  if (!held && held.code() != Errc::kNoKeyring) return held.error();
  const Keyring before = held ? *held : Keyring{};
  if (before.Find(key.id)) return Status::Ok();
  auto after = before.Install(key, before.version + 1);
  if (!after) return after.error();
  return SaveKeyring(state_dir, *after);
}

KeyringWatch::KeyringWatch(std::filesystem::path state_dir) : dir_(std::move(state_dir)) {}

std::optional<Keyring> KeyringWatch::Poll() {
  struct stat st {};
  if (::stat(KeyringPath(dir_).c_str(), &st) != 0) return std::nullopt;
  const Stamp now{static_cast<uint64_t>(st.st_ino), static_cast<uint64_t>(st.st_size),
                  int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec};
  if (seen_ && *seen_ == now) return std::nullopt;
  auto k = LoadKeyring(dir_);
  if (!k) return std::nullopt;  // a half-written file cannot be: writes are atomic renames
  seen_ = now;
  return std::move(*k);
}

}  // namespace dabs::keyring
