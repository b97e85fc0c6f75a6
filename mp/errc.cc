#include <string>

#include <dabs/mp/errc.h>

namespace dabs::mp {

std::string_view ErrcName(Errc e) {
  switch (e) {
    case Errc::kOk:
      return "ok";
    case Errc::kBadCrc:
      return "crc_mismatch";
    case Errc::kUnknownSession:
      return "unknown_session";
    case Errc::kUnsupportedVersion:
      return "unsupported_version";
    case Errc::kMalformed:
      return "malformed";
    case Errc::kMessageTooLarge:
      return "message_too_large";
    case Errc::kUnknownCommand:
      return "unknown_command";
    case Errc::kNoCapacity:
      return "no_capacity";
    case Errc::kUnknownApplication:
      return "unknown_application";
    case Errc::kCrypto:
      return "crypto";
    case Errc::kLimitExceeded:
      return "limit_exceeded";
    case Errc::kShuttingDown:
      return "shutting_down";
    case Errc::kReassemblyTimeout:
      return "reassembly_timeout";
    case Errc::kMissingBuffers:
      return "missing_buffers";
    case Errc::kTimedOut:
      return "timed_out";
    case Errc::kReplyTimeout:
      return "reply_timeout";
    case Errc::kQueueFull:
      return "queue_full";
    case Errc::kSessionClosed:
      return "session_closed";
    case Errc::kCancelled:
      return "cancelled";
    case Errc::kTransportError:
      return "transport_error";
    case Errc::kNoRoute:
      return "no_route";
    case Errc::kRejected:
      return "rejected";
  }
  return "unknown";
}

namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "dabs.mp"; }
  std::string message(int v) const override {
    switch (static_cast<Errc>(v)) {
      case Errc::kOk:
        return "ok";
      case Errc::kBadCrc:
        return "CRC mismatch";
      case Errc::kUnknownSession:
        return "unknown session";
      case Errc::kUnsupportedVersion:
        return "unsupported message format version";
      case Errc::kMalformed:
        return "malformed message";
      case Errc::kMessageTooLarge:
        return "message too large";
      case Errc::kUnknownCommand:
        return "unknown command";
      case Errc::kNoCapacity:
        return "no server has capacity";
      case Errc::kUnknownApplication:
        return "unknown application";
      case Errc::kCrypto:
        return "encryption or authentication failed";
      case Errc::kLimitExceeded:
        return "resource limit exceeded";
      case Errc::kShuttingDown:
        return "peer is shutting down";
      case Errc::kReassemblyTimeout:
        return "multi-buffer message not completed in time";
      case Errc::kMissingBuffers:
        return "buffers missing";
      case Errc::kTimedOut:
        return "no acknowledgement after the last transmission";
      case Errc::kReplyTimeout:
        return "no reply in time";
      case Errc::kQueueFull:
        return "send queue full";
      case Errc::kSessionClosed:
        return "session closed";
      case Errc::kCancelled:
        return "cancelled";
      case Errc::kTransportError:
        return "transport error";
      case Errc::kNoRoute:
        return "no route to endpoint";
      case Errc::kRejected:
        return "rejected by the peer";
    }
    return "unknown MP error " + std::to_string(v);
  }
};

}  // namespace

const std::error_category& MpCategory() {
  static const Category category;
  return category;
}

}  // namespace dabs::mp
