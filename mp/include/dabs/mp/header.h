// Encoding and decoding of one MP datagram (spec 1.1-1.6): basic header, optional
// multi-buffer header, payload, optional CRC-8. Explicit byte-by-byte, bounds-checked.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include <dabs/mp/errc.h>
#include <dabs/mp/result.h>
#include <dabs/mp/sent_time.h>
#include <dabs/mp/wire.h>

namespace dabs::mp {

// The message kind carried by the A and N flags (spec 1.1).
enum class Kind : uint8_t { kMessage = 0, kAck = 1, kNak = 2, kReply = 3 };
const char* KindName(Kind k);
// "OPEN_SESSION", ..., "application" for 0x0100 and up, "reserved" for unlisted system ones.
const char* CommandName(uint16_t command);

struct Header {
  Kind kind = Kind::kMessage;
  uint8_t version = wire::kVersion;
  uint16_t command = 0;
  uint8_t session = 0;
  uint8_t transaction = 0;
  SentTime sent;
  bool encrypted = false;  // E
  bool crc = false;        // C: the last byte is a CRC-8
  uint32_t va = 0;         // destination virtual address
  bool multi = false;      // M: the multi-buffer header is present
  uint16_t buffer = 0;     // when multi: 0 .. buffers - 1
  uint16_t buffers = 1;    // when multi: 1 .. 65535

  size_t HeaderBytes() const { return wire::kHeaderSize + (multi ? wire::kMultiHeaderSize : 0); }
  // Header plus CRC trailer: what a datagram carries besides its payload.
  size_t OverheadBytes() const { return HeaderBytes() + (crc ? wire::kCrcSize : 0); }
  // The largest payload one datagram with these flags can carry.
  size_t PayloadCapacity() const { return wire::kMaxDatagram - OverheadBytes(); }

  friend bool operator==(const Header&, const Header&) = default;
};

// A decoded datagram. The payload points into the decoded bytes.
struct Datagram {
  Header header;
  std::span<const uint8_t> payload;
};

// Decodes and validates one datagram: size, CRC (when C = 1), version, multi-buffer room,
// field ranges. Errors: kMalformed, kBadCrc, kUnsupportedVersion. Thread-safe.
Result<Datagram> DecodeDatagram(std::span<const uint8_t> bytes);

// Reads the basic header's addressing fields without validation, so that a receiver can
// address a NAK to a datagram that failed to decode. REQUIRES: bytes.size() >= 12.
Header PeekBasicHeader(std::span<const uint8_t> bytes);

// Encodes header + payload (+ CRC when header.crc) into out. Returns the datagram size, or
// kMessageTooLarge when it would exceed 512 bytes or out, kMalformed for out-of-range
// fields. Thread-safe, no allocation.
Result<size_t> EncodeDatagram(const Header& header, std::span<const uint8_t> payload,
                              std::span<uint8_t> out);

// Writes the 12- or 16-byte header only (no payload, no CRC). REQUIRES: out has room.
void EncodeHeader(const Header& header, uint8_t* out);

}  // namespace dabs::mp
