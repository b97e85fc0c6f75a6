// dabsctl keygen: the farm's identity, an Ed25519 private key in PEM (PKCS#8) with mode
// 0600, at --out, else the farm file's farm.identity_key, else ./farm.key. Never replaces a
// key without --force: servers sign with the key they loaded, and a lost key is lost.
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

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

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct KeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

std::string BioText(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

struct KeyPair {
  std::string private_pem, public_pem, public_hex;
};

Result<KeyPair> Generate() {
  std::unique_ptr<EVP_PKEY, KeyDeleter> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  std::unique_ptr<BIO, BioDeleter> priv(BIO_new(BIO_s_secmem()));
  std::unique_ptr<BIO, BioDeleter> pub(BIO_new(BIO_s_mem()));
  if (!key || !priv || !pub ||
      PEM_write_bio_PrivateKey(priv.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1 ||
      PEM_write_bio_PUBKEY(pub.get(), key.get()) != 1) {
    return Failure("OpenSSL could not make an Ed25519 key");
  }
  unsigned char raw[32];
  size_t raw_len = sizeof raw;
  if (EVP_PKEY_get_raw_public_key(key.get(), raw, &raw_len) != 1) {
    return Failure("OpenSSL could not give the public key");
  }
  KeyPair k{BioText(priv.get()), BioText(pub.get()), {}};
  static const char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < raw_len; ++i) {
    k.public_hex += kHex[raw[i] >> 4];
    k.public_hex += kHex[raw[i] & 15];
  }
  return k;
}

Status WriteAll(int fd, const std::string& text, const fs::path& path) {
  for (size_t done = 0; done < text.size();) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Failure("cannot write " + path.string() + ": " + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
  if (::fchmod(fd, 0600) != 0 || ::fsync(fd) != 0) {
    return Failure("cannot finish " + path.string() + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

// Creates `path` with mode 0600 holding `text`. Without `replace`, an existing file is an
// error (O_EXCL, no race); with it, the new file goes in beside it and is renamed over it,
// so a crash leaves either key whole.
Status WriteKeyFile(const fs::path& path, const std::string& text, bool replace) {
  const fs::path target =
      replace ? fs::path(path.string() + ".new-" + std::to_string(::getpid())) : path;
  const int fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return Failure(path.string() + " exists; give --force to replace it");
    return Failure("cannot create " + target.string() + ": " + std::strerror(errno));
  }
  Status written = WriteAll(fd, text, target);
  ::close(fd);
  if (written && replace && ::rename(target.c_str(), path.c_str()) != 0) {
    written = Failure("cannot replace " + path.string() + ": " + std::strerror(errno));
  }
  if (!written) ::unlink(target.c_str());
  return written;
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
  std::error_code ec;
  if (!a.force && fs::exists(fs::symlink_status(path, ec))) {
    return Fail(path.string() + " exists; give --force to replace it");
  }
  auto key = Generate();
  if (!key) return Fail(key.error());
  Status written = WriteKeyFile(path, key->private_pem, a.force);
  OPENSSL_cleanse(key->private_pem.data(), key->private_pem.size());
  if (!written) return Fail(written.error());
  if (g.json) {
    PrintJson({{"path", path.string()},
               {"public_key_pem", key->public_pem},
               {"public_key_hex", key->public_hex}});
  } else {
    std::printf("wrote an Ed25519 private key to %s (mode 0600)\npublic key (hex): %s\n%s",
                path.c_str(), key->public_hex.c_str(), key->public_pem.c_str());
  }
  return 0;
}

}  // namespace dabs::ctl
