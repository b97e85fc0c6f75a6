// The per-session seam for payload encryption (spec 6). The engine seals every outgoing
// datagram of a session that has a cipher and opens every incoming one with E = 1; the
// associated data is the datagram's header (basic + multi-buffer). The spec's suites are
// dabs::mp::SessionCrypto (session_crypto.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace dabs::mp {

class SessionCipher {
 public:
  virtual ~SessionCipher() = default;
  // Bytes each sealed datagram payload grows by (counter + tag for the spec's AEAD).
  virtual size_t Overhead() const = 0;
  // Seals `plain` into `out` (replacing its contents). False on failure.
  virtual bool Seal(std::span<const uint8_t> header, std::span<const uint8_t> plain,
                    std::vector<uint8_t>& out) = 0;
  // What Open made of a sealed payload. A replay is dropped without a NAK: a datagram the
  // network duplicated must not fail its message (NAK 9 is final), and a replayed one draws
  // no answer an attacker could use. A forgery is NAKed with 9 (spec 6).
  enum class Opened { kOk, kForged, kReplayed };
  // Opens `sealed` into `out` (replacing its contents).
  virtual Opened Open(std::span<const uint8_t> header, std::span<const uint8_t> sealed,
                      std::vector<uint8_t>& out) = 0;
  // When true, plaintext datagrams on the session are refused with NAK 9.
  virtual bool Required() const { return true; }
};

}  // namespace dabs::mp
