// Spec 6's primitives: dabs reproduces docs/spec/mp-crypto-vectors.json byte for byte, and a
// session's AEAD refuses tampering, replays, counters older than the window and use past
// its hard limit.
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <dabs/mp/header.h>
#include <dabs/mp/identity_key.h>
#include <dabs/mp/session_crypto.h>
#include <dabs/mp/session_handshake.h>

namespace dabs::mp {
namespace {

std::vector<uint8_t> FromHex(const std::string& hex) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

template <size_t N>
std::array<uint8_t, N> Fixed(const std::string& hex) {
  const auto v = FromHex(hex);
  EXPECT_EQ(v.size(), N) << hex;
  std::array<uint8_t, N> out{};
  std::copy_n(v.begin(), std::min(N, v.size()), out.begin());
  return out;
}

template <typename C>
std::string Hex(const C& bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string s;
  for (uint8_t b : bytes) {
    s += kDigits[b >> 4];
    s += kDigits[b & 15];
  }
  return s;
}

nlohmann::json LoadCryptoVectors() {
  std::ifstream in(DABS_CRYPTO_VECTORS);
  EXPECT_TRUE(in) << "cannot open " << DABS_CRYPTO_VECTORS;
  return nlohmann::json::parse(in);
}

Header HeaderOf(const nlohmann::json& h) {
  Header out;
  const std::string kind = h["kind"];
  out.kind = kind == "reply" ? Kind::kReply : kind == "ack" ? Kind::kAck : Kind::kMessage;
  out.command = h["command"].get<uint16_t>();
  out.session = h["session"].get<uint8_t>();
  out.transaction = h["transaction"].get<uint8_t>();
  out.sent = SentTime{h["minutes"].get<uint8_t>(), h["seconds"].get<uint8_t>(),
                      h["millis"].get<uint16_t>()};
  out.encrypted = true;
  out.crc = h["crc"].get<bool>();
  out.va = h["va"].get<uint32_t>();
  if (h.contains("buffer")) {
    out.multi = true;
    out.buffer = h["buffer"].get<uint16_t>();
    out.buffers = h["buffers"].get<uint16_t>();
  }
  return out;
}

// ---------------------------------------------------------------------------- vectors

TEST(CryptoVectors, KeyAgreementHkdfAndSignatureMatchByteForByte) {
  const auto v = LoadCryptoVectors();
  const auto& x = v["x25519"];
  auto client = X25519KeyPair::FromPrivate(Fixed<32>(x["client_private"]));
  auto dasp = X25519KeyPair::FromPrivate(Fixed<32>(x["dasp_private"]));
  ASSERT_TRUE(client.ok() && dasp.ok());
  EXPECT_EQ(Hex(client->public_key()), x["client_public"]);
  EXPECT_EQ(Hex(dasp->public_key()), x["dasp_public"]);
  auto secret = client->Agree(dasp->public_key());
  ASSERT_TRUE(secret.ok()) << secret.error().Message();
  EXPECT_EQ(Hex(*secret), x["shared_secret"]);
  EXPECT_EQ(Hex(*dasp->Agree(client->public_key())), x["shared_secret"]);

  const auto& k = v["hkdf"];
  auto keys = DeriveSessionKeys(*secret, client->public_key(), dasp->public_key(),
                                k["session"].get<uint8_t>());
  ASSERT_TRUE(keys.ok()) << keys.error().Message();
  EXPECT_EQ(Hex(keys->client_to_server), k["client_to_server"]);
  EXPECT_EQ(Hex(keys->server_to_client), k["server_to_client"]);

  const auto& s = v["signature"];
  auto identity = IdentityKey::FromSeed(Fixed<32>(s["identity_seed"]));
  ASSERT_TRUE(identity.ok()) << identity.error().Message();
  EXPECT_EQ(Hex(identity->public_key().raw()), s["identity_public"]);
  const auto message =
      OpenSessionSignedBytes(client->public_key(), dasp->public_key(), s["session"].get<uint8_t>(),
                             s["dasp_va"].get<uint32_t>());
  EXPECT_EQ(Hex(message), s["signed_bytes"]);
  auto signature = identity->Sign(message);
  ASSERT_TRUE(signature.ok());
  EXPECT_EQ(Hex(*signature), s["signature"]);  // Ed25519 is deterministic
  EXPECT_TRUE(identity->public_key().Verify(message, FromHex(s["signature"])));
}

TEST(CryptoVectors, EverySealedDatagramIsReproducedAndOpens) {
  const auto v = LoadCryptoVectors();
  ASSERT_GE(v["datagrams"].size(), 3u);
  const SessionKeys keys{Fixed<32>(v["hkdf"]["client_to_server"]),
                         Fixed<32>(v["hkdf"]["server_to_client"])};
  for (const auto& d : v["datagrams"]) {
    SCOPED_TRACE(d["name"].get<std::string>());
    const bool up = d["direction"] == "client_to_server";
    const Suite suite = static_cast<Suite>(d["suite"].get<uint8_t>());
    const Header h = HeaderOf(d["header"]);
    std::vector<uint8_t> head(h.HeaderBytes());
    EncodeHeader(h, head.data());
    EXPECT_EQ(Hex(head), d["header_hex"]);
    const auto plain = FromHex(d["plaintext_hex"]);
    auto sealed = SealOnce(suite, up ? keys.client_to_server : keys.server_to_client,
                           d["counter"].get<uint64_t>(), head, plain);
    ASSERT_TRUE(sealed.ok()) << sealed.error().Message();
    EXPECT_EQ(Hex(*sealed), d["sealed_payload_hex"]);
    std::vector<uint8_t> datagram(512);
    auto n = EncodeDatagram(h, *sealed, datagram);
    ASSERT_TRUE(n.ok());
    datagram.resize(*n);
    EXPECT_EQ(Hex(datagram), d["datagram_hex"]);
    // The receiving side opens it with the other role's keys.
    auto receiver =
        SessionCrypto::Create(suite, keys, up ? CipherRole::kServer : CipherRole::kClient);
    ASSERT_TRUE(receiver.ok());
    std::vector<uint8_t> opened;
    ASSERT_TRUE((*receiver)->OpenPayload(head, *sealed, opened).ok());
    EXPECT_EQ(opened, plain);
  }
}

// ---------------------------------------------------------------------------- sessions

struct Pair {
  std::shared_ptr<SessionCrypto> client, server;
};

Pair MakePair(Suite suite, CipherLimits limits = {}) {
  auto a = X25519KeyPair::Generate();
  auto b = X25519KeyPair::Generate();
  auto keys = DeriveSessionKeys(*a->Agree(b->public_key()), a->public_key(), b->public_key(), 9);
  return {*SessionCrypto::Create(suite, *keys, CipherRole::kClient, limits),
          *SessionCrypto::Create(suite, *keys, CipherRole::kServer, limits)};
}

const std::vector<uint8_t> kHeader = {0x01, 0x01, 0x00, 0x09, 0x03, 0xC0,
                                      0x00, 0x00, 0x00, 0x10, 0x00, 0x01};

class SessionCryptoSuites : public ::testing::TestWithParam<Suite> {};

TEST_P(SessionCryptoSuites, RoundTripsBothWaysAndEachDirectionHasItsOwnKey) {
  Pair p = MakePair(GetParam());
  const std::vector<uint8_t> plain = {'e', 'c', 'h', 'o'};
  std::vector<uint8_t> sealed, opened;
  ASSERT_TRUE(p.client->SealPayload(kHeader, plain, sealed).ok());
  EXPECT_EQ(sealed.size(), plain.size() + kSealOverhead);
  ASSERT_TRUE(p.server->OpenPayload(kHeader, sealed, opened).ok());
  EXPECT_EQ(opened, plain);
  // The client cannot open its own datagram: the directions' keys differ.
  EXPECT_EQ(p.client->OpenPayload(kHeader, sealed, opened).code(), CryptoErrc::kAuthentication);
  ASSERT_TRUE(p.server->SealPayload(kHeader, plain, sealed).ok());
  ASSERT_TRUE(p.client->OpenPayload(kHeader, sealed, opened).ok());
  EXPECT_EQ(opened, plain);
}

TEST_P(SessionCryptoSuites, AnyFlippedBitOfHeaderOrPayloadFailsAuthentication) {
  Pair p = MakePair(GetParam());
  std::vector<uint8_t> sealed, opened;
  ASSERT_TRUE(p.client->SealPayload(kHeader, std::vector<uint8_t>(40, 7), sealed).ok());
  for (size_t i = 0; i < sealed.size(); ++i) {
    auto bad = sealed;
    bad[i] ^= 0x10;
    const auto code = p.server->OpenPayload(kHeader, bad, opened).code();
    // A flipped counter byte may also land outside the window; either way it is refused.
    EXPECT_TRUE(code == CryptoErrc::kAuthentication || code == CryptoErrc::kReplay) << i;
  }
  for (size_t i = 0; i < kHeader.size(); ++i) {
    auto head = kHeader;
    head[i] ^= 0x01;
    EXPECT_EQ(p.server->OpenPayload(head, sealed, opened).code(), CryptoErrc::kAuthentication);
  }
  EXPECT_TRUE(p.server->OpenPayload(kHeader, sealed, opened).ok());  // forgeries moved nothing
}

INSTANTIATE_TEST_SUITE_P(BothSuites, SessionCryptoSuites,
                         ::testing::Values(Suite::kChaCha20Poly1305, Suite::kAes256Gcm),
                         [](const auto& p) {
                           return p.param == Suite::kChaCha20Poly1305 ? "ChaCha20Poly1305"
                                                                      : "Aes256Gcm";
                         });

TEST(SessionCrypto, ReplayWindowTakesReorderedCountersOnceAndRefusesOlderThan1024) {
  Pair p = MakePair(Suite::kChaCha20Poly1305);
  std::vector<std::vector<uint8_t>> sealed(1100);
  for (auto& s : sealed)
    ASSERT_TRUE(p.client->SealPayload(kHeader, std::vector<uint8_t>{1}, s).ok());
  std::vector<uint8_t> out;
  ASSERT_TRUE(p.server->OpenPayload(kHeader, sealed[5], out).ok());
  ASSERT_TRUE(p.server->OpenPayload(kHeader, sealed[2], out).ok());  // reordered: fine once
  EXPECT_EQ(p.server->OpenPayload(kHeader, sealed[2], out).code(), CryptoErrc::kReplay);
  EXPECT_EQ(p.server->OpenPayload(kHeader, sealed[5], out).code(), CryptoErrc::kReplay);
  ASSERT_TRUE(p.server->OpenPayload(kHeader, sealed[1029], out).ok());
  // 1029 - 5 = 1024: counter 5 would be out of the window even if unseen; 6 is the oldest in.
  EXPECT_EQ(p.server->OpenPayload(kHeader, sealed[3], out).code(), CryptoErrc::kReplay);
  EXPECT_TRUE(p.server->OpenPayload(kHeader, sealed[6], out).ok());
  EXPECT_EQ(p.server->OpenPayload(kHeader, sealed[6], out).code(), CryptoErrc::kReplay);
  EXPECT_EQ(p.server->received(), 1030u);
}

TEST(SessionCrypto, SealingStopsAtTheHardLimitAndRekeyIsDueAtTheSoftOne) {
  Pair p = MakePair(Suite::kAes256Gcm, CipherLimits{.soft = 3, .hard = 5});
  std::vector<uint8_t> sealed;
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(p.client->NeedsRekey());
    ASSERT_TRUE(p.client->SealPayload(kHeader, {}, sealed).ok());
  }
  EXPECT_TRUE(p.client->NeedsRekey());
  ASSERT_TRUE(p.client->SealPayload(kHeader, {}, sealed).ok());
  ASSERT_TRUE(p.client->SealPayload(kHeader, {}, sealed).ok());
  const Status refused = p.client->SealPayload(kHeader, {}, sealed);
  EXPECT_EQ(refused.code(), CryptoErrc::kExhausted) << refused.error().Message();
  EXPECT_FALSE(p.client->Seal(kHeader, {}, sealed));
  // The receiving side sees the peer's counter pass the soft limit too.
  std::vector<uint8_t> out;
  EXPECT_TRUE(p.server->OpenPayload(kHeader, sealed, out).ok());
  EXPECT_TRUE(p.server->NeedsRekey());
}

TEST(SessionCrypto, ShortPayloadIsMalformedAndLowOrderKeyIsRefused) {
  Pair p = MakePair(Suite::kChaCha20Poly1305);
  std::vector<uint8_t> out;
  EXPECT_EQ(p.server->OpenPayload(kHeader, std::vector<uint8_t>(23), out).code(),
            CryptoErrc::kMalformed);
  auto mine = X25519KeyPair::Generate();
  X25519PublicKey zero{};  // a low-order point: the shared secret would be all zeros
  EXPECT_EQ(mine->Agree(zero).code(), CryptoErrc::kBadKey);
}

}  // namespace
}  // namespace dabs::mp
