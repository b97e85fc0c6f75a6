// The MP error vocabulary. Values 1..13 are the NAK error numbers of spec section 8 and
// travel on the wire; values from 100 up are local outcomes that never do.
#pragma once

#include <cstdint>
#include <string_view>
#include <system_error>

namespace dabs::mp {

enum class Errc : uint16_t {
  kOk = 0,
  // Spec section 8, on the wire as the u16 at the start of a NAK payload.
  kBadCrc = 1,
  kUnknownSession = 2,
  kUnsupportedVersion = 3,
  kMalformed = 4,
  kMessageTooLarge = 5,
  kUnknownCommand = 6,
  kNoCapacity = 7,
  kUnknownApplication = 8,
  kCrypto = 9,
  kLimitExceeded = 10,
  kShuttingDown = 11,
  kReassemblyTimeout = 12,
  kMissingBuffers = 13,
  // Local outcomes.
  kTimedOut = 100,        // no ACK after max_transmissions
  kReplyTimeout = 101,    // ACKed (or local), but no reply within the reply timeout
  kQueueFull = 102,       // the session's send queue is at its limit
  kSessionClosed = 103,   // the session went away while the send was pending
  kCancelled = 104,       // the node stopped
  kTransportError = 105,  // the socket refused the datagram
  kNoRoute = 106,         // no transport can reach that endpoint
  kRejected = 107,        // the peer NAKed the message too often (session reopen asked)
};

const std::error_category& MpCategory();

inline std::error_code make_error_code(Errc e) {
  return {static_cast<int>(e), MpCategory()};
}

// A short stable name ("bad_crc", "malformed", ...) for logs, JSON and test vectors.
std::string_view ErrcName(Errc e);

// True for the values that may appear in a NAK (1..13).
constexpr bool IsNakCode(uint16_t v) {
  return v >= 1 && v <= 13;
}

// Whether rebuilding and resending can cure the NAKed condition (spec 2: NAK values may be
// misleading when the datagram was corrupted, so the sender retries those). The others are
// final answers and fail the send at once. See docs/decisions.md.
constexpr bool IsRetryableNak(Errc e) {
  switch (e) {
    case Errc::kBadCrc:
    case Errc::kUnknownSession:
    case Errc::kMalformed:
    case Errc::kReassemblyTimeout:
    case Errc::kMissingBuffers:
      return true;
    default:
      return false;
  }
}

}  // namespace dabs::mp

template <>
struct std::is_error_code_enum<dabs::mp::Errc> : std::true_type {};
