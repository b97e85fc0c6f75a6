#include <dabs/mp/coding.h>
#include <dabs/mp/crc8.h>
#include <dabs/mp/header.h>

namespace dabs::mp {

const char* KindName(Kind k) {
  switch (k) {
    case Kind::kMessage:
      return "message";
    case Kind::kAck:
      return "ack";
    case Kind::kNak:
      return "nak";
    case Kind::kReply:
      return "reply";
  }
  return "?";
}

const char* CommandName(uint16_t command) {
  using namespace wire;
  if (command >= kFirstApplicationCommand) return "application";
  switch (command) {
    case kOpenSession:
      return "OPEN_SESSION";
    case kCloseSession:
      return "CLOSE_SESSION";
    case kShutdown:
      return "SHUTDOWN";
    case kGetStatistics:
      return "GET_STATISTICS";
    case kStateChange:
      return "STATE_CHANGE";
    case kAddClient:
      return "ADD_CLIENT";
    case kStarted:
      return "STARTED";
    case kErrorReport:
      return "ERROR_REPORT";
    case kStatus:
      return "STATUS";
    case kRedirect:
      return "REDIRECT";
    case kPing:
      return "PING";
    case kHello:
      return "HELLO";
    case kLeave:
      return "LEAVE";
    case kServerStats:
      return "SERVER_STATS";
    case kBallot:
      return "BALLOT";
    case kVaQuery:
      return "VA_QUERY";
    case kVaUpdate:
      return "VA_UPDATE";
    case kConfigSync:
      return "CONFIG_SYNC";
    case kKeyring:
      return "KEYRING";
    case kMigrate:
      return "MIGRATE";
    default:
      return "reserved";
  }
}

namespace {

uint8_t FlagsByte(const Header& h) {
  uint8_t flags = static_cast<uint8_t>(h.version & wire::kVersionMask);
  if (h.multi) flags |= wire::kFlagMulti;
  if (h.kind == Kind::kAck || h.kind == Kind::kReply) flags |= wire::kFlagAck;
  if (h.kind == Kind::kNak || h.kind == Kind::kReply) flags |= wire::kFlagNak;
  return flags;
}

Kind KindOf(uint8_t flags) {
  const bool a = flags & wire::kFlagAck;
  const bool n = flags & wire::kFlagNak;
  return a ? (n ? Kind::kReply : Kind::kAck) : (n ? Kind::kNak : Kind::kMessage);
}

}  // namespace

Header PeekBasicHeader(std::span<const uint8_t> bytes) {
  const uint8_t* p = bytes.data();
  Header h;
  const uint8_t flags = p[wire::kOffFlags];
  h.kind = KindOf(flags);
  h.multi = flags & wire::kFlagMulti;
  h.version = flags & wire::kVersionMask;
  h.command = GetU16(p + wire::kOffCommand);
  h.session = p[wire::kOffSession];
  h.transaction = p[wire::kOffTransaction];
  const uint8_t t0 = p[wire::kOffSentTime];
  const uint8_t t1 = p[wire::kOffSentTime + 1];
  const uint8_t t2 = p[wire::kOffSentTime + 2];
  h.encrypted = t0 & wire::kTimeEncrypted;
  h.crc = t0 & wire::kTimeCrc;
  h.sent.minutes = t0 & wire::kMinutesMask;
  h.sent.seconds = t1 >> wire::kSecondsShift;
  h.sent.millis = static_cast<uint16_t>(((t1 & wire::kMillisHighMask) << 8) | t2);
  h.va = GetU32(p + wire::kOffVa);
  return h;
}

Result<Datagram> DecodeDatagram(std::span<const uint8_t> bytes) {
  if (bytes.size() < wire::kHeaderSize || bytes.size() > wire::kMaxDatagram) {
    return Errc::kMalformed;
  }
  Header h = PeekBasicHeader(bytes);
  size_t end = bytes.size();
  // The CRC first: with a corrupted datagram every other field is suspect.
  if (h.crc) {
    if (end < wire::kHeaderSize + wire::kCrcSize) return Errc::kMalformed;
    --end;
    if (Crc8(bytes.first(end)) != bytes[end]) return Errc::kBadCrc;
  }
  if (h.version != wire::kVersion) return Errc::kUnsupportedVersion;
  size_t at = wire::kHeaderSize;
  if (h.multi) {
    if (end < wire::kHeaderSize + wire::kMultiHeaderSize) return Errc::kMalformed;
    h.buffer = GetU16(bytes.data() + wire::kOffBufferNumber);
    h.buffers = GetU16(bytes.data() + wire::kOffBufferTotal);
    if (h.buffers == 0 || h.buffer >= h.buffers) return Errc::kMalformed;
    at += wire::kMultiHeaderSize;
  }
  if (!h.sent.Valid()) return Errc::kMalformed;
  return Datagram{h, bytes.subspan(at, end - at)};
}

void EncodeHeader(const Header& h, uint8_t* p) {
  p[wire::kOffFlags] = FlagsByte(h);
  PutU16(p + wire::kOffCommand, h.command);
  p[wire::kOffSession] = h.session;
  p[wire::kOffTransaction] = h.transaction;
  uint8_t t0 = h.sent.minutes & wire::kMinutesMask;
  if (h.encrypted) t0 |= wire::kTimeEncrypted;
  if (h.crc) t0 |= wire::kTimeCrc;
  p[wire::kOffSentTime] = t0;
  p[wire::kOffSentTime + 1] = static_cast<uint8_t>((h.sent.seconds << wire::kSecondsShift) |
                                                   ((h.sent.millis >> 8) & wire::kMillisHighMask));
  p[wire::kOffSentTime + 2] = static_cast<uint8_t>(h.sent.millis);
  PutU32(p + wire::kOffVa, h.va);
  if (h.multi) {
    PutU16(p + wire::kOffBufferNumber, h.buffer);
    PutU16(p + wire::kOffBufferTotal, h.buffers);
  }
}

Result<size_t> EncodeDatagram(const Header& h, std::span<const uint8_t> payload,
                              std::span<uint8_t> out) {
  if (!h.sent.Valid() || h.version > wire::kVersionMask ||
      (h.multi && (h.buffers == 0 || h.buffer >= h.buffers))) {
    return Errc::kMalformed;
  }
  const size_t head = h.HeaderBytes();
  const size_t total = h.OverheadBytes() + payload.size();
  if (total > wire::kMaxDatagram || total > out.size()) return Errc::kMessageTooLarge;
  EncodeHeader(h, out.data());
  if (!payload.empty()) std::memcpy(out.data() + head, payload.data(), payload.size());
  if (h.crc) out[total - 1] = Crc8(out.first(total - 1));
  return total;
}

}  // namespace dabs::mp
