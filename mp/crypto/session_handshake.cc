// ENC_OFFER / ENC_ACCEPT (spec 5, 6): the DASP's answer to an offer and the DACP's check of
// that answer.
#include <algorithm>

#include <dabs/mp/coding.h>
#include <dabs/mp/session_handshake.h>

namespace dabs::mp {

namespace {

constexpr char kSignedLabel[] = "dabs-open-session";

Error CryptoRefusal(std::string why) {
  return Error{make_error_code(Errc::kCrypto), std::move(why)};
}

std::string SuiteList(const std::vector<uint8_t>& suites) {
  std::string s;
  for (uint8_t id : suites)
    s += (s.empty() ? "" : ", ") + std::to_string(id);
  return s.empty() ? "none" : s;
}

bool Contains(const std::vector<uint8_t>& v, uint8_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

Result<EncryptionPolicy> ParseEncryptionPolicy(std::string_view text) {
  if (text == "off") return EncryptionPolicy::kOff;
  if (text == "offered" || text == "offer") return EncryptionPolicy::kOffered;
  if (text == "required" || text == "require") return EncryptionPolicy::kRequired;
  return Error{make_error_code(Errc::kMalformed),
               "encryption is off, offered or required, not '" + std::string(text) + "'"};
}

std::string_view EncryptionPolicyName(EncryptionPolicy policy) {
  switch (policy) {
    case EncryptionPolicy::kOff:
      return "off";
    case EncryptionPolicy::kOffered:
      return "offered";
    case EncryptionPolicy::kRequired:
      return "required";
  }
  return "?";
}

std::vector<uint8_t> OpenSessionSignedBytes(const X25519PublicKey& client_public,
                                            const X25519PublicKey& dasp_public, uint8_t session,
                                            Va dasp_va) {
  std::vector<uint8_t> out(kSignedLabel, kSignedLabel + sizeof kSignedLabel - 1);
  out.insert(out.end(), client_public.begin(), client_public.end());
  out.insert(out.end(), dasp_public.begin(), dasp_public.end());
  out.push_back(session);
  ByteWriter(out).U32(dasp_va);
  return out;
}

// ---------------------------------------------------------------------------- DASP side

std::optional<Suite> ChooseSuite(const ServerEncryption& config, const EncOffer& offer) {
  for (uint8_t id : offer.suites) {
    if (IsKnownSuite(id) && Contains(config.suites, id)) return static_cast<Suite>(id);
  }
  return std::nullopt;
}

Status CheckOffer(const ServerEncryption& config, const std::optional<EncOffer>& offer) {
  if (config.policy != EncryptionPolicy::kRequired) return Status::Ok();
  if (!offer) return CryptoRefusal("this application requires encryption: send ENC_OFFER");
  if (!ChooseSuite(config, *offer)) {
    return CryptoRefusal("this application requires encryption with suite " +
                         SuiteList(config.suites) + "; offered " + SuiteList(offer->suites));
  }
  return Status::Ok();
}

Result<std::optional<AcceptedEncryption>> AcceptEncryption(const ServerEncryption& config,
                                                           const std::optional<EncOffer>& offer,
                                                           uint8_t session, Va dasp_va) {
  if (Status s = CheckOffer(config, offer); !s) return s.error();
  if (config.policy == EncryptionPolicy::kOff || !offer) return std::optional<AcceptedEncryption>();
  const std::optional<Suite> suite = ChooseSuite(config, *offer);
  if (!suite) return std::optional<AcceptedEncryption>();  // offered: plaintext then
  if (!config.identity) return CryptoRefusal("this DASP has no identity key to sign with");
  auto mine = X25519KeyPair::Generate();
  if (!mine) return CryptoRefusal(mine.error().Message());
  auto shared = mine->Agree(offer->public_key);
  if (!shared) return CryptoRefusal("the offered key: " + shared.error().Message());
  auto keys = DeriveSessionKeys(*shared, offer->public_key, mine->public_key(), session);
  if (!keys) return CryptoRefusal(keys.error().Message());
  auto signature = config.identity->Sign(
      OpenSessionSignedBytes(offer->public_key, mine->public_key(), session, dasp_va));
  if (!signature) return CryptoRefusal(signature.error().Message());
  auto cipher = SessionCrypto::Create(*suite, *keys, CipherRole::kServer, config.limits);
  if (!cipher) return CryptoRefusal(cipher.error().Message());
  AcceptedEncryption a;
  a.accept.suite = static_cast<uint8_t>(*suite);
  a.accept.public_key = mine->public_key();
  a.accept.signature = *signature;
  a.cipher = std::move(*cipher);
  return std::optional<AcceptedEncryption>(std::move(a));
}

// ---------------------------------------------------------------------------- DACP side

Result<std::shared_ptr<const ClientHandshake>> ClientHandshake::Start(
    const ClientEncryption& config) {
  if (config.policy == EncryptionPolicy::kOff) return std::shared_ptr<const ClientHandshake>();
  if (!config.farm_key) {
    return CryptoRefusal("encryption is " + std::string(EncryptionPolicyName(config.policy)) +
                         " but the client has no farm public key to check the farm's signature");
  }
  if (std::none_of(config.suites.begin(), config.suites.end(), IsKnownSuite)) {
    return CryptoRefusal("no known suite among " + SuiteList(config.suites));
  }
  auto key = X25519KeyPair::Generate();
  if (!key) return CryptoRefusal(key.error().Message());
  return std::make_shared<const ClientHandshake>(config, std::move(*key));
}

EncOffer ClientHandshake::offer() const {
  EncOffer o;
  for (uint8_t id : config_.suites) {
    if (IsKnownSuite(id)) o.suites.push_back(id);
  }
  o.public_key = key_.public_key();
  return o;
}

Result<std::shared_ptr<SessionCrypto>> ClientHandshake::Finish(
    const OpenSessionReply& reply) const {
  if (!reply.enc_accept) {
    if (config_.policy == EncryptionPolicy::kRequired) {
      return CryptoRefusal("encryption is required but the OPEN_SESSION reply has no ENC_ACCEPT");
    }
    return std::shared_ptr<SessionCrypto>();  // offered, declined: plaintext
  }
  const EncAccept& a = *reply.enc_accept;
  if (!IsKnownSuite(a.suite) || !Contains(offer().suites, a.suite)) {
    return CryptoRefusal("ENC_ACCEPT names suite " + std::to_string(a.suite) +
                         ", which was not offered");
  }
  const auto signed_bytes =
      OpenSessionSignedBytes(key_.public_key(), a.public_key, reply.session, reply.dasp_va);
  if (!config_.farm_key->Verify(signed_bytes, a.signature)) {
    return CryptoRefusal("the farm's signature in ENC_ACCEPT does not verify");
  }
  auto shared = key_.Agree(a.public_key);
  if (!shared) return CryptoRefusal("the DASP's key: " + shared.error().Message());
  auto keys = DeriveSessionKeys(*shared, key_.public_key(), a.public_key, reply.session);
  if (!keys) return CryptoRefusal(keys.error().Message());
  auto cipher = SessionCrypto::Create(static_cast<Suite>(a.suite), *keys, CipherRole::kClient,
                                      config_.limits);
  if (!cipher) return CryptoRefusal(cipher.error().Message());
  return std::move(*cipher);
}

}  // namespace dabs::mp
