// ENC_OFFER / ENC_ACCEPT: what a DASP answers under each policy, what a DACP accepts, and the
// farm's identity key files.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <dabs/mp/secret_file.h>
#include <dabs/mp/session_handshake.h>

namespace dabs::mp {
namespace {

constexpr Va kDaspVa = 0x00100001;

std::shared_ptr<const IdentityKey> NewIdentity() {
  return std::make_shared<const IdentityKey>(std::move(IdentityKey::Generate().value()));
}

std::shared_ptr<const FarmPublicKey> PublicOf(const IdentityKey& id) {
  return std::make_shared<const FarmPublicKey>(
      std::move(FarmPublicKey::FromRaw(id.public_key().raw()).value()));
}

struct Parties {
  std::shared_ptr<const IdentityKey> identity = NewIdentity();
  ServerEncryption server{EncryptionPolicy::kOffered, identity, {1, 2}, {}};
  ClientEncryption client{EncryptionPolicy::kRequired, {2, 1}, PublicOf(*identity), {}};
};

OpenSessionReply ReplyWith(const std::optional<AcceptedEncryption>& a, uint8_t session) {
  OpenSessionReply r;
  r.session = session;
  r.dasp_va = kDaspVa;
  if (a) r.enc_accept = a->accept;
  return r;
}

TEST(Handshake, OfferAcceptedInTheClientsOrderGivesBothSidesMatchingCiphers) {
  Parties s;
  auto hs = ClientHandshake::Start(s.client);
  ASSERT_TRUE(hs.ok() && *hs) << hs.error().Message();
  const EncOffer offer = (*hs)->offer();
  EXPECT_EQ(offer.suites, (std::vector<uint8_t>{2, 1}));
  auto accepted = AcceptEncryption(s.server, offer, 7, kDaspVa);
  ASSERT_TRUE(accepted.ok() && *accepted) << accepted.error().Message();
  EXPECT_EQ((*accepted)->accept.suite, 2);  // the client's first choice
  auto cipher = (*hs)->Finish(ReplyWith(*accepted, 7));
  ASSERT_TRUE(cipher.ok() && *cipher) << cipher.error().Message();
  const std::vector<uint8_t> head(12, 1), plain = {4, 5, 6};
  std::vector<uint8_t> sealed, opened;
  ASSERT_TRUE((*cipher)->SealPayload(head, plain, sealed).ok());
  ASSERT_TRUE((*accepted)->cipher->OpenPayload(head, sealed, opened).ok());
  EXPECT_EQ(opened, plain);
}

TEST(Handshake, RequiredWithoutAnAcceptableOfferIsRefusedWithCryptoAndWhy) {
  Parties s;
  s.server.policy = EncryptionPolicy::kRequired;
  auto none = AcceptEncryption(s.server, std::nullopt, 1, kDaspVa);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.code(), Errc::kCrypto);
  EXPECT_NE(none.error().detail.find("requires encryption"), std::string::npos);
  EncOffer unknown{{7, 9}, {}};
  auto bad = AcceptEncryption(s.server, unknown, 1, kDaspVa);
  EXPECT_EQ(bad.code(), Errc::kCrypto);
  EXPECT_NE(bad.error().detail.find("offered 7, 9"), std::string::npos) << bad.error().detail;
  // Offered: the same requests open plaintext sessions; off ignores an offer.
  s.server.policy = EncryptionPolicy::kOffered;
  EXPECT_FALSE(AcceptEncryption(s.server, std::nullopt, 1, kDaspVa).value().has_value());
  EXPECT_FALSE(AcceptEncryption(s.server, unknown, 1, kDaspVa).value().has_value());
  s.server.policy = EncryptionPolicy::kOff;
  auto hs = ClientHandshake::Start(s.client);
  EXPECT_FALSE(AcceptEncryption(s.server, (*hs)->offer(), 1, kDaspVa).value().has_value());
}

TEST(Handshake, ClientRefusesForgedSignatureOtherSessionUnofferedSuiteAndMissingAccept) {
  Parties s;
  auto hs = ClientHandshake::Start(s.client);
  auto accepted = AcceptEncryption(s.server, (*hs)->offer(), 7, kDaspVa);
  ASSERT_TRUE(accepted.ok() && *accepted);
  // Signed by someone else's key (an attacker's DASP).
  ServerEncryption forger = s.server;
  forger.identity = NewIdentity();
  auto forged = AcceptEncryption(forger, (*hs)->offer(), 7, kDaspVa);
  auto r = (*hs)->Finish(ReplyWith(*forged, 7));
  EXPECT_EQ(r.code(), Errc::kCrypto);
  EXPECT_NE(r.error().detail.find("signature"), std::string::npos);
  // The genuine accept, replayed for another session id or instance: the signature covers both.
  EXPECT_EQ((*hs)->Finish(ReplyWith(*accepted, 8)).code(), Errc::kCrypto);
  OpenSessionReply moved = ReplyWith(*accepted, 7);
  moved.dasp_va = kDaspVa + 1;
  EXPECT_EQ((*hs)->Finish(moved).code(), Errc::kCrypto);
  OpenSessionReply other_suite = ReplyWith(*accepted, 7);
  other_suite.enc_accept->suite = 3;
  EXPECT_EQ((*hs)->Finish(other_suite).code(), Errc::kCrypto);
  EXPECT_EQ((*hs)->Finish(ReplyWith(std::nullopt, 7)).code(), Errc::kCrypto);  // required
  s.client.policy = EncryptionPolicy::kOffered;
  auto offering = ClientHandshake::Start(s.client);
  auto plain = (*offering)->Finish(ReplyWith(std::nullopt, 7));
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(*plain, nullptr);  // offered and declined: a plaintext session
  EXPECT_TRUE((*hs)->Finish(ReplyWith(*accepted, 7)).ok());
}

TEST(Handshake, ClientWithoutTheFarmKeyCannotOffer) {
  ClientEncryption c{EncryptionPolicy::kOffered, {1}, nullptr, {}};
  EXPECT_EQ(ClientHandshake::Start(c).code(), Errc::kCrypto);
  c.policy = EncryptionPolicy::kOff;
  EXPECT_EQ(ClientHandshake::Start(c).value(), nullptr);
  EXPECT_EQ(ParseEncryptionPolicy("require").value(), EncryptionPolicy::kRequired);
  EXPECT_EQ(ParseEncryptionPolicy("offered").value(), EncryptionPolicy::kOffered);
  EXPECT_FALSE(ParseEncryptionPolicy("maybe").ok());
}

class IdentityFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("dabs-identity-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(IdentityFiles, SavedKeyLoadsBackWithMode0600AndItsPublicPemAndHexLoadToo) {
  auto id = IdentityKey::Generate();
  ASSERT_TRUE(id.ok());
  const auto path = dir_ / "identity.pem";
  ASSERT_TRUE(id->Save(path).ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto back = IdentityKey::Load(path);
  ASSERT_TRUE(back.ok()) << back.error().Message();
  EXPECT_EQ(back->public_key().raw(), id->public_key().raw());
  EXPECT_EQ(id->Save(path).code(), CryptoErrc::kKeyringConflict);  // never replaced silently
  std::ofstream(dir_ / "identity.pem.pub") << id->public_key().Pem();
  auto pub = FarmPublicKey::Load(dir_ / "identity.pem.pub");
  ASSERT_TRUE(pub.ok()) << pub.error().Message();
  EXPECT_EQ(pub->raw(), id->public_key().raw());
  EXPECT_EQ(pub->Fingerprint(), id->public_key().Fingerprint());
  EXPECT_EQ(pub->Fingerprint().rfind("SHA256:", 0), 0u);
  EXPECT_EQ(pub->Fingerprint().size(), 7u + 43u);  // 32 bytes in unpadded base64
  std::string hex;
  for (uint8_t b : id->public_key().raw()) {
    char two[3];
    std::snprintf(two, sizeof two, "%02X", b);
    hex += two;
  }
  std::ofstream(dir_ / "hex.pub") << hex << "\n";
  EXPECT_EQ(FarmPublicKey::Load(dir_ / "hex.pub").value().raw(), id->public_key().raw());
}

TEST_F(IdentityFiles, KeyReadableByOthersOrNotAnEd25519KeyIsRefused) {
  auto id = IdentityKey::Generate();
  const auto path = dir_ / "identity.pem";
  ASSERT_TRUE(id->Save(path).ok());
  ::chmod(path.c_str(), 0644);
  EXPECT_EQ(IdentityKey::Load(path).code(), CryptoErrc::kUnsafeFile);
  ::chmod(path.c_str(), 0600);
  ASSERT_TRUE(WriteSecretFile(dir_ / "junk.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n").ok());
  EXPECT_EQ(IdentityKey::Load(dir_ / "junk.pem").code(), CryptoErrc::kBadKey);
  EXPECT_EQ(IdentityKey::Load(dir_ / "missing.pem").code(), CryptoErrc::kNoSuchFile);
  EXPECT_EQ(FarmPublicKey::FromPem(id->public_key().Pem() + "x").value().raw(),
            id->public_key().raw());
  EXPECT_EQ(FarmPublicKey::FromPem("not a key").code(), CryptoErrc::kBadKey);
}

}  // namespace
}  // namespace dabs::mp
