// A server's farm keyring (docs/spec/farm-seal.md section 4): a version, the primary key it
// seals with, and the other keys it accepts. A value type: the operations return a new
// keyring or say why they cannot.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <dabs/mp/farm_seal.h>
#include <dabs/mp/result.h>

namespace dabs::keyring {

// A keyring holds at most this many keys: a rotation needs two, a delayed cleanup three.
inline constexpr size_t kMaxKeys = 8;

// Keyring errors (category "dabs.keyring").
enum class Errc {
  kNoKeyring = 1,   // no keyring file: this server has no farm key
  kBadFile = 2,     // a keyring file that does not parse
  kUnknownKey = 3,  // use/remove of a key the keyring does not hold
  kConflict = 4,    // a different key with the same id
  kFull = 5,        // kMaxKeys already
  kPrimary = 6,     // removing the primary
  kIo = 7,          // the file could not be read or written
};
const std::error_category& Category();
inline std::error_code make_error_code(Errc e) {
  return {static_cast<int>(e), Category()};
}

struct Keyring {
  uint64_t version = 0;
  mp::FarmKeyId primary = 0;
  std::vector<mp::FarmKey> keys;  // in id order

  bool empty() const { return keys.empty(); }
  const mp::FarmKey* Find(mp::FarmKeyId id) const;
  std::vector<mp::FarmKeyId> Ids() const;
  // SHA-256 over version, primary, and each id and key in id order: orders two keyrings of
  // one version (the greater digest wins) and tells whether two servers hold the same.
  std::array<uint8_t, 32> Digest() const;
  // What a FarmGuard seals and opens with. REQUIRES: !empty().
  std::shared_ptr<const mp::FarmKeySet> KeySet(const std::string& farm_name) const;
  // True when `other` should replace this one (higher version, or equal and greater digest).
  bool IsOlderThan(const Keyring& other) const;

  // The keyring with `key` added (the primary too when it is the first), at `version`.
  // Installing a key it holds already changes nothing.
  Result<Keyring> Install(const mp::FarmKey& key, uint64_t version) const;
  Result<Keyring> Use(mp::FarmKeyId id, uint64_t version) const;
  Result<Keyring> Remove(mp::FarmKeyId id, uint64_t version) const;
  // Checks what a keyring from the network or a file must satisfy: 1..kMaxKeys keys, ids that
  // match their keys, no id twice, the primary among them.
  Status Validate() const;

  // The file's text; never logged.
  std::string ToFileText() const;
  static Result<Keyring> Parse(std::string_view text);
};

// "a1b2c3d4 (primary), 99aabbcc": for logs and dabsctl. Ids only.
std::string Describe(const Keyring& k);

// The keyring file of a state directory: DIR/farm.keyring, mode 0600.
std::filesystem::path KeyringPath(const std::filesystem::path& state_dir);
// Loads it. kNoKeyring (with a one-line hint on how to make one) when there is none.
Result<Keyring> LoadKeyring(const std::filesystem::path& state_dir);
// Writes it atomically, mode 0600.
Status SaveKeyring(const std::filesystem::path& state_dir, const Keyring& k);
// Gives the state directory's keyring `key`: a new keyring with it as the primary when there
// is none, else the key added as accepted (the version raised by one). Nothing changes when
// it holds the key already. For setting a server up (dabs-farm, dabsctl keys install with no
// dabs-lbd running, tests): a running farm changes keys through dabs-lbd.
Status EnsureKey(const std::filesystem::path& state_dir, const mp::FarmKey& key);

// The hint a daemon prints when it has no keyring.
std::string NoKeyringHint(const std::filesystem::path& state_dir);

// Notices when the keyring file changes (another daemon of the server adopted a new one).
// Thread safety: none.
class KeyringWatch {
 public:
  explicit KeyringWatch(std::filesystem::path state_dir);
  // The keyring when the file changed since the last call (the first call always reads it);
  // nullopt when unchanged or unreadable.
  std::optional<Keyring> Poll();

 private:
  std::filesystem::path dir_;
  struct Stamp {
    uint64_t inode = 0, size = 0;
    int64_t mtime_ns = 0;
    bool operator==(const Stamp&) const = default;
  };
  std::optional<Stamp> seen_;
};

}  // namespace dabs::keyring

template <>
struct std::is_error_code_enum<dabs::keyring::Errc> : std::true_type {};
