// dabsctl keygen and passwd, which work without a farm or a store: the farm's identity key
// and users' password hashes.
#include <cstdio>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <dabs/auth/password.h>
#include <dabs/mp/identity_key.h>

#include "ctl_testing.h"

namespace dabs::ctl::testing {
namespace {

// The Ed25519 public key in `pem_file` as hex, or "" when the file is no such key.
std::string Ed25519PublicHex(const fs::path& pem_file) {
  std::FILE* f = std::fopen(pem_file.c_str(), "r");
  if (!f) return "";
  EVP_PKEY* key = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  std::string hex;
  unsigned char raw[32];
  size_t len = sizeof raw;
  if (key && EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519 &&
      EVP_PKEY_get_raw_public_key(key, raw, &len) == 1) {
    char two[3];
    for (size_t i = 0; i < len; ++i) {
      std::snprintf(two, sizeof two, "%02x", raw[i]);
      hex += two;
    }
  }
  EVP_PKEY_free(key);
  return hex;
}

unsigned Mode(const fs::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0;
}

using Keygen = CtlTest;
using Passwd = CtlTest;

TEST_F(Keygen, WritesALoadableEd25519KeyReadableOnlyByItsOwnerAndPrintsThePublicKey) {
  const fs::path key = root_ / "id.pem";
  const CtlRun r = RunCtl({"keygen", "--out", key.string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string hex = Ed25519PublicHex(key);
  ASSERT_EQ(hex.size(), 64u) << ReadFile(key);
  EXPECT_EQ(Mode(key), 0600u);
  EXPECT_EQ(r.Json()["public_key_hex"], hex);
  EXPECT_NE(r.Json()["public_key_pem"].get<std::string>().find("BEGIN PUBLIC KEY"),
            std::string::npos);
  EXPECT_EQ(r.Json()["path"], key.string());
}

TEST_F(Keygen, WritesThePublicKeyBesideItAndPrintsItsFingerprint) {
  const fs::path key = root_ / "id.pem";
  const CtlRun r = RunCtl({"keygen", "--out", key.string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const fs::path pub = root_ / "id.pem.pub";
  EXPECT_EQ(r.Json()["public_key_path"], pub.string());
  EXPECT_EQ(Mode(pub), 0644u);
  EXPECT_EQ(ReadFile(pub), r.Json()["public_key_pem"].get<std::string>());
  auto loaded = mp::FarmPublicKey::Load(pub);
  ASSERT_TRUE(loaded.ok()) << loaded.error().Message();
  EXPECT_EQ(r.Json()["fingerprint"], loaded->Fingerprint());
  EXPECT_EQ(r.Json()["fingerprint"].get<std::string>().rfind("SHA256:", 0), 0u);
  const CtlRun text = RunCtl({"keygen", "--out", (root_ / "b.pem").string()});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("fingerprint SHA256:"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("b.pem.pub"), std::string::npos) << text.out;
}

TEST_F(Keygen, RefusesToReplaceAKeyWithoutForce) {
  const fs::path key = root_ / "id.pem";
  ASSERT_EQ(RunCtl({"keygen", "--out", key.string()}).exit_code, 0);
  const std::string first = ReadFile(key);
  const CtlRun again = RunCtl({"keygen", "--out", key.string()});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_EQ(again.err, "dabsctl: " + key.string() + " exists; give --force to replace it\n");
  EXPECT_EQ(ReadFile(key), first);
  fs::permissions(key, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  const CtlRun forced = RunCtl({"keygen", "--out", key.string(), "--force"});
  ASSERT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_NE(ReadFile(key), first);
  EXPECT_EQ(Mode(key), 0600u);
  EXPECT_EQ(Ed25519PublicHex(key).size(), 64u);
  // The key and FILE.pub, no temporary file left behind.
  EXPECT_EQ(std::distance(fs::directory_iterator(root_), fs::directory_iterator()), 2);
}

TEST_F(Keygen, GoesWhereTheFarmFileNamesItsIdentityKeyEvenBeforeTheFileValidates) {
  // Missing groups and a key that does not exist yet: the file would not load.
  const fs::path farm = WriteFarm("farm:\n  name: f\n  identity_key: keys/identity.pem\n");
  fs::create_directories(root_ / "etc" / "keys");
  const CtlRun r = RunCtl({"--farm", farm.string(), "keygen"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Ed25519PublicHex(root_ / "etc" / "keys" / "identity.pem").size(), 64u);
  EXPECT_NE(r.out.find("identity.pem"), std::string::npos) << r.out;
}

TEST_F(Keygen, WithoutAFarmFileWritesFarmKeyInTheWorkingDirectory) {
  const CtlRun r = RunCtl({"keygen"}, "", {}, root_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Ed25519PublicHex(root_ / "farm.key").size(), 64u);
  EXPECT_EQ(Mode(root_ / "farm.key"), 0600u);
}

TEST_F(Passwd, PrintsAHashThatVerifiesTheGivenPassword) {
  const CtlRun r = RunCtl({"passwd"}, "hunter2\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_FALSE(r.out.empty());
  const std::string hash = r.out.substr(0, r.out.size() - 1);
  EXPECT_EQ(hash.rfind("pbkdf2-sha256$", 0), 0u) << hash;
  EXPECT_TRUE(auth::VerifyPassword("hunter2", hash));
  EXPECT_FALSE(auth::VerifyPassword("hunter3", hash));
}

TEST_F(Passwd, JsonNamesTheUser) {
  const CtlRun r = RunCtl({"passwd", "--user", "admin", "--json"}, "pw with spaces\r\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.Json()["user"], "admin");
  EXPECT_TRUE(auth::VerifyPassword("pw with spaces", r.Json()["password_hash"].get<std::string>()));
}

TEST_F(Passwd, RefusesAnEmptyOrMissingPassword) {
  const CtlRun empty = RunCtl({"passwd"}, "\n");
  EXPECT_EQ(empty.exit_code, 1);
  EXPECT_EQ(empty.err, "dabsctl: an empty password is refused\n");
  const CtlRun none = RunCtl({"passwd"}, "");
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_EQ(none.out, "");
  EXPECT_EQ(none.err, "dabsctl: no password on standard input\n");
}

}  // namespace
}  // namespace dabs::ctl::testing
