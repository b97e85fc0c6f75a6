// dabsctl keygen: the farm's identity, an Ed25519 private key in PEM (PKCS#8) with mode
// 0600, at --out, else the farm file's farm.identity_key, else ./farm.key; its public key
// beside it as FILE.pub (what clients are given), and the fingerprint to compare by eye.
// Never replaces a key without --force: servers sign with the key they loaded, and a lost
// key is lost.
#include <filesystem>
#include <span>

#include <yaml-cpp/yaml.h>

#include <dabs/mp/identity_key.h>
#include <dabs/mp/secret_file.h>

#include "commands.h"

namespace dabs::ctl {

namespace fs = std::filesystem;

namespace {

constexpr const char* kDefaultKeyFile = "farm.key";

// The farm file's farm.identity_key, relative to the file, read without checking the rest:
// the file may not pass its checks until the key exists.
Result<std::optional<fs::path>> KeyNamedIn(const std::string& farm) {
  try {
    const YAML::Node root = YAML::LoadFile(farm);
    const YAML::Node key = root["farm"] ? root["farm"]["identity_key"] : YAML::Node();
    if (!key || !key.IsScalar() || key.Scalar().empty()) return std::optional<fs::path>();
    return std::optional<fs::path>(fs::path(farm).parent_path() / key.Scalar());
  } catch (const YAML::Exception& e) {
    return Failure(farm + ": " + e.what());
  }
}

// Writes the private key (mode 0600) and FILE.pub beside it (mode 0644), each atomically.
Status WriteKeyPair(const mp::IdentityKey& key, const fs::path& path, const fs::path& pub,
                    bool replace) {
  if (Status s = key.Save(path, replace); !s) return Failure(s.error().Message());
  if (Status s = mp::WriteSecretFile(pub, key.public_key().Pem(), replace); !s) {
    return Failure(s.error().Message());
  }
  std::error_code ec;
  fs::permissions(pub,
                  fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                      fs::perms::others_read,
                  ec);  // a public key: anyone may read it
  if (ec) return Failure("cannot set the mode of " + pub.string() + ": " + ec.message());
  return Status::Ok();
}

std::string Hex(std::span<const uint8_t> bytes) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

}  // namespace

int RunKeygen(const Globals& g, const KeygenArgs& a) {
  fs::path path = a.out;
  if (path.empty() && !g.farm.empty()) {
    auto named = KeyNamedIn(g.farm);
    if (!named) return Fail(named.error());
    if (*named) path = **named;
  }
  if (path.empty()) path = kDefaultKeyFile;
  const fs::path pub = path.string() + ".pub";
  std::error_code ec;
  for (const fs::path& p : {path, pub}) {
    if (!a.force && fs::exists(fs::symlink_status(p, ec))) {
      return Fail(p.string() + " exists; give --force to replace it");
    }
  }
  auto key = mp::IdentityKey::Generate();
  if (!key) return Fail(key.error());
  if (Status written = WriteKeyPair(*key, path, pub, a.force); !written) {
    return Fail(written.error());
  }
  const mp::FarmPublicKey& k = key->public_key();
  if (g.json) {
    PrintJson({{"path", path.string()},
               {"public_key_path", pub.string()},
               {"public_key_pem", k.Pem()},
               {"public_key_hex", Hex(k.raw())},
               {"fingerprint", k.Fingerprint()}});
  } else {
    std::printf(
        "wrote an Ed25519 private key to %s (mode 0600) and its public key to %s\n"
        "fingerprint %s\npublic key (hex): %s\n%s",
        path.c_str(), pub.c_str(), k.Fingerprint().c_str(), Hex(k.raw()).c_str(), k.Pem().c_str());
  }
  return 0;
}

}  // namespace dabs::ctl
