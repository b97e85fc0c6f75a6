// Agreeing on a session's encryption in OPEN_SESSION (spec 5, 6): the DACP offers suites
// and an X25519 key (ENC_OFFER); the DASP picks a suite, answers with its own key and the
// farm's Ed25519 signature (ENC_ACCEPT); both derive the keys and install a SessionCrypto
// on the session. Used by dasp_framework, dacp_framework and mpcat alike.
//
// Refusals are mp::Errc::kCrypto (NAK 9 on the wire) with a detail saying why.
#pragma once

#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include <dabs/mp/identity_key.h>
#include <dabs/mp/result.h>
#include <dabs/mp/session_crypto.h>
#include <dabs/mp/system_messages.h>
#include <dabs/mp/va.h>

namespace dabs::mp {

// An application's setting (farm file apps[].encryption; spec 6): off, offered, required.
// For a client: never offer, offer (plaintext if the DASP declines), require.
enum class EncryptionPolicy : uint8_t { kOff, kOffered, kRequired };
// "off", "offered" or "required" (a client's "offer" and "require" too); kMalformed else.
Result<EncryptionPolicy> ParseEncryptionPolicy(std::string_view text);
std::string_view EncryptionPolicyName(EncryptionPolicy policy);

// What the farm signs (spec 6): "dabs-open-session" || client public key || DASP public
// key || session id (1 byte) || DASP VA (4 bytes, big-endian).
std::vector<uint8_t> OpenSessionSignedBytes(const X25519PublicKey& client_public,
                                            const X25519PublicKey& dasp_public, uint8_t session,
                                            Va dasp_va);

// ---------------------------------------------------------------------------- DASP side

struct ServerEncryption {
  EncryptionPolicy policy = EncryptionPolicy::kOff;
  // Required unless policy is off; shared by the process's instances.
  std::shared_ptr<const IdentityKey> identity;
  std::vector<uint8_t> suites = {1, 2};  // what this DASP accepts
  CipherLimits limits;
};

// The first suite of the client's preference list that we accept, if any.
std::optional<Suite> ChooseSuite(const ServerEncryption& config, const EncOffer& offer);

// Whether a request may open a session at all: kCrypto (with why) when encryption is
// required and the request offers nothing acceptable. Cheap: no key is made.
Status CheckOffer(const ServerEncryption& config, const std::optional<EncOffer>& offer);

struct AcceptedEncryption {
  EncAccept accept;                       // for the OPEN_SESSION reply
  std::shared_ptr<SessionCrypto> cipher;  // for the session (CipherRole::kServer)
};

// The DASP's answer to an offer, for session `session` of instance `dasp_va`: nullopt for a
// plaintext session (policy off, or offered and nothing acceptable offered), else a fresh
// X25519 key, the signed ENC_ACCEPT and the session's cipher. kCrypto as CheckOffer.
// Thread-safe (costs an X25519 key, a key agreement and a signature: ~0.2 ms).
Result<std::optional<AcceptedEncryption>> AcceptEncryption(const ServerEncryption& config,
                                                           const std::optional<EncOffer>& offer,
                                                           uint8_t session, Va dasp_va);

// ---------------------------------------------------------------------------- DACP side

struct ClientEncryption {
  EncryptionPolicy policy = EncryptionPolicy::kOff;
  std::vector<uint8_t> suites = {1, 2};  // offered, in order of preference
  // The farm's public key; required unless policy is off.
  std::shared_ptr<const FarmPublicKey> farm_key;
  CipherLimits limits;
};

// One OPEN_SESSION attempt's side of the agreement: a fresh X25519 key per attempt.
// Thread safety: const methods from any thread.
class ClientHandshake {
 public:
  // nullptr when the policy is off. kCrypto when a policy needs farm_key and has none or
  // offers no known suite.
  static Result<std::shared_ptr<const ClientHandshake>> Start(const ClientEncryption& config);

  EncOffer offer() const;
  // Checks a decoded OPEN_SESSION reply: a null cipher for a plaintext session the policy
  // allows; the session's cipher (CipherRole::kClient) when ENC_ACCEPT names a suite we
  // offered and the farm's signature over it verifies. kCrypto with why otherwise: such a
  // reply is to be ignored (a forger's must not beat the genuine one).
  Result<std::shared_ptr<SessionCrypto>> Finish(const OpenSessionReply& reply) const;

  explicit ClientHandshake(ClientEncryption config, X25519KeyPair key)
      : config_(std::move(config)), key_(std::move(key)) {}

 private:
  const ClientEncryption config_;
  const X25519KeyPair key_;
};

}  // namespace dabs::mp
