// Payloads of the system commands that the MP library itself speaks or that every client
// needs (spec 5, 7, 8): OPEN_SESSION request and reply, NAK, ERROR_REPORT, and the
// one-byte payloads of SHUTDOWN, STATE_CHANGE and STATUS. The farm's own payloads (HELLO,
// BALLOT, ...) live with the farm.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <dabs/mp/endpoint.h>
#include <dabs/mp/errc.h>
#include <dabs/mp/result.h>
#include <dabs/mp/va.h>

namespace dabs::mp {

// TLV tags of spec 5.
namespace tag {
inline constexpr uint8_t kApp = 0x01;
inline constexpr uint8_t kCaps = 0x02;
inline constexpr uint8_t kClientId = 0x03;
inline constexpr uint8_t kEncOffer = 0x04;
inline constexpr uint8_t kSession = 0x10;
inline constexpr uint8_t kDaspVa = 0x11;
inline constexpr uint8_t kDaspEndpoint = 0x12;
inline constexpr uint8_t kClientVa = 0x13;
inline constexpr uint8_t kEncAccept = 0x14;
inline constexpr uint8_t kServer = 0x15;
}  // namespace tag

// Client capability bits (spec 5, CAPS).
namespace caps {
inline constexpr uint32_t kDocsis = 1u << 0;
inline constexpr uint32_t kOob = 1u << 1;
inline constexpr uint32_t kTelco = 1u << 2;
inline constexpr uint32_t kFloatingPoint = 1u << 3;
inline constexpr uint32_t kEncryption = 1u << 4;
}  // namespace caps

inline constexpr size_t kMaxClientIdBytes = 64;

struct EncOffer {
  std::vector<uint8_t> suites;
  std::array<uint8_t, 32> public_key{};
  friend bool operator==(const EncOffer&, const EncOffer&) = default;
};

struct EncAccept {
  uint8_t suite = 0;
  std::array<uint8_t, 32> public_key{};
  std::array<uint8_t, 64> signature{};
  friend bool operator==(const EncAccept&, const EncAccept&) = default;
};

struct OpenSessionRequest {
  std::string app;  // required
  std::optional<uint32_t> caps;
  std::string client_id;  // up to 64 bytes, may be empty
  std::optional<EncOffer> enc_offer;

  std::vector<uint8_t> Encode() const;
  // kMalformed (with a detail) when APP is missing or a field is out of bounds.
  static Result<OpenSessionRequest> Decode(std::span<const uint8_t> payload);
  friend bool operator==(const OpenSessionRequest&, const OpenSessionRequest&) = default;
};

struct OpenSessionReply {
  uint8_t session = 0;  // 1..255
  Va dasp_va = kVaNone;
  Endpoint dasp_endpoint;
  Va client_va = kVaNone;
  std::optional<EncAccept> enc_accept;
  std::string server;

  std::vector<uint8_t> Encode() const;
  static Result<OpenSessionReply> Decode(std::span<const uint8_t> payload);
  friend bool operator==(const OpenSessionReply&, const OpenSessionReply&) = default;
};

// NAK payload (spec 8): u16 error, then for 13 a u16 count and that many buffer numbers,
// otherwise optional UTF-8 text.
struct NakPayload {
  Errc error = Errc::kMalformed;
  std::vector<uint16_t> missing;  // for kMissingBuffers
  std::string text;

  std::vector<uint8_t> Encode() const;
  static Result<NakPayload> Decode(std::span<const uint8_t> payload);
  // How many missing-buffer numbers fit one NAK datagram with the given overhead.
  static size_t MaxMissingPerNak(size_t overhead_bytes);
};

// ERROR_REPORT payload (spec 7): u16 error, text.
struct ErrorReportPayload {
  uint16_t error = 0;
  std::string text;

  std::vector<uint8_t> Encode() const;
  static Result<ErrorReportPayload> Decode(std::span<const uint8_t> payload);
};

// REDIRECT payload (spec 7: DASP -> DACP), TLVs reusing spec 5's reply tags: SESSION 0x10,
// DASP_VA 0x11 and DASP_ENDPOINT 0x12 required, CLIENT_VA 0x13 optional (the client's VA at
// the new instance; absent: the client keeps its VA). Wire-compatible with mp::Redirect
// (local_messages.h), which has no CLIENT_VA. docs/payloads.md, REDIRECT.
struct RedirectPayload {
  uint8_t session = 0;  // 1..255
  Va dasp_va = kVaNone;
  Endpoint dasp_endpoint;  // UDP
  std::optional<Va> client_va;

  std::vector<uint8_t> Encode() const;
  // kMalformed when a required field is missing, SESSION is 0 or a field has a bad length.
  static Result<RedirectPayload> Decode(std::span<const uint8_t> payload);
  friend bool operator==(const RedirectPayload&, const RedirectPayload&) = default;
};

// One-byte payloads (SHUTDOWN mode, STATE_CHANGE state, STATUS reply).
std::vector<uint8_t> EncodeU8(uint8_t v);
std::optional<uint8_t> DecodeU8(std::span<const uint8_t> payload);

}  // namespace dabs::mp
