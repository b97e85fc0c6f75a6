// The MP wire format, field for field as shared/spec/mp.md section 1. Constants and masks
// only; header.h encodes and decodes with explicit bounds checks.
#pragma once

#include <cstddef>
#include <cstdint>

namespace dabs::mp::wire {

inline constexpr uint8_t kVersion = 1;         // spec 1.1: this is version 1
inline constexpr size_t kMaxDatagram = 512;    // spec 1: whole datagram, CRC included
inline constexpr size_t kHeaderSize = 12;      // basic header
inline constexpr size_t kMultiHeaderSize = 4;  // spec 1.5
inline constexpr size_t kCrcSize = 1;          // spec 1.6

// Byte offsets of the basic header.
inline constexpr size_t kOffFlags = 0;
inline constexpr size_t kOffCommand = 1;
inline constexpr size_t kOffSession = 3;
inline constexpr size_t kOffTransaction = 4;
inline constexpr size_t kOffSentTime = 5;
inline constexpr size_t kOffVa = 8;
inline constexpr size_t kOffBufferNumber = 12;
inline constexpr size_t kOffBufferTotal = 14;

// Byte 0: flags.
inline constexpr uint8_t kFlagMulti = 0x80;    // M
inline constexpr uint8_t kFlagAck = 0x40;      // A
inline constexpr uint8_t kFlagNak = 0x20;      // N
inline constexpr uint8_t kVersionMask = 0x1F;  // bits 4..0

// Byte 5: E C minutes(6).
inline constexpr uint8_t kTimeEncrypted = 0x80;
inline constexpr uint8_t kTimeCrc = 0x40;
inline constexpr uint8_t kMinutesMask = 0x3F;
// Byte 6: seconds(6) millis[9:8](2).
inline constexpr int kSecondsShift = 2;
inline constexpr uint8_t kMillisHighMask = 0x03;

// Commands (spec 7). 0x0000-0x00FF are system commands, the rest belong to applications.
inline constexpr uint16_t kFirstApplicationCommand = 0x0100;
enum Command : uint16_t {
  kOpenSession = 0x0001,
  kCloseSession = 0x0002,
  kShutdown = 0x0003,
  kGetStatistics = 0x0004,
  kStateChange = 0x0005,
  kAddClient = 0x0006,
  kStarted = 0x0007,
  kErrorReport = 0x0008,
  kStatus = 0x0009,
  kRedirect = 0x000A,
  kPing = 0x000B,
  kHello = 0x0010,
  kLeave = 0x0011,
  kServerStats = 0x0012,
  kBallot = 0x0020,
  kVaQuery = 0x0030,
  kVaUpdate = 0x0031,
  kConfigSync = 0x0040,
  kKeyring = 0x0041,  // dabs: the farm's keyring (docs/spec/farm-seal.md section 6)
  kMigrate = 0x0042,  // dabs: moving a live session (mp/migrate.h, docs/payloads.md)
};

// True for the system commands spec 7 lists and for every application command; a receiver
// NAKs the rest with UNKNOWN_COMMAND (6).
constexpr bool IsKnownCommand(uint16_t c) {
  if (c >= kFirstApplicationCommand) return true;
  switch (c) {
    case kOpenSession:
    case kCloseSession:
    case kShutdown:
    case kGetStatistics:
    case kStateChange:
    case kAddClient:
    case kStarted:
    case kErrorReport:
    case kStatus:
    case kRedirect:
    case kPing:
    case kHello:
    case kLeave:
    case kServerStats:
    case kBallot:
    case kVaQuery:
    case kVaUpdate:
    case kConfigSync:
    case kKeyring:
    case kMigrate:
      return true;
    default:
      return false;
  }
}

// Session id 0 is reserved for opening a session (spec 1.3).
inline constexpr uint8_t kOpeningSession = 0;
// At most this many messages of one session await their answer at once (spec 1.3).
inline constexpr int kMaxInFlight = 128;

// Shutdown modes (spec 7, SHUTDOWN payload).
inline constexpr uint8_t kShutdownClean = 1;
inline constexpr uint8_t kShutdownEmergency = 2;

// DASP states (spec 7, STATE_CHANGE payload).
enum class DaspState : uint8_t {
  kStarting = 1,
  kReady = 2,
  kBusy = 3,
  kDraining = 4,
  kStopped = 5,
  kFailed = 6,
};

}  // namespace dabs::mp::wire
