// Feeds one datagram to a farm daemon's guard (mp/farm_guard.h), as if it arrived on the
// load-balancing group and then on the unicast socket, and to the farm-seal opener alone.
// Beyond "no crash" it checks that
//  - nothing the fuzzer makes up opens (the seeds' genuine datagrams aside): no input may
//    pass authentication without the key, and a datagram that opened once never opens again
//    (the replay window);
//  - what opens is an MP datagram with E = 0 and no CRC, no longer than what came in, and
//    names the sender of the seed it was;
//  - plaintext is let through only where dabs-lbd's policy says: an OPEN_SESSION or VA_QUERY
//    message on the group, the ACK or NAK of a VA_QUERY on the unicast socket, never
//    multi-buffer.
#include <dabs/mp/farm_guard.h>
#include <dabs/mp/header.h>
#include <dabs/mp/wire.h>

#include "fuzz_support.h"

namespace {

using namespace dabs::mp;

constexpr int64_t kNow = 1'800'000'000'000;
constexpr uint32_t kSender = FarmSenderId(2, FarmRole::kLbd);

std::shared_ptr<const FarmKeySet> Keys() {
  std::array<uint8_t, 32> b{};
  b.fill(0x5A);
  const FarmKey k = FarmKey::FromBytes(b);
  return std::make_shared<FarmKeySet>("fuzz-farm", std::vector<FarmKey>{k}, k.id);
}

std::vector<uint8_t> Plain(Kind kind, uint16_t command, std::vector<uint8_t> payload) {
  Header h;
  h.kind = kind;
  h.command = command;
  h.sent = SentTime::FromUnixMillis(kNow);
  h.crc = true;
  std::vector<uint8_t> out(512);
  out.resize(EncodeDatagram(h, payload, out).value());
  return out;
}

std::vector<dabs::fuzz::Seed> Seeds() {
  FarmSealer sealer(kSender, 7);
  std::vector<dabs::fuzz::Seed> out;
  for (uint16_t c : {uint16_t{wire::kHello}, uint16_t{wire::kBallot}, uint16_t{wire::kKeyring}}) {
    std::vector<uint8_t> sealed;
    (void)sealer.Seal(*Keys(), Plain(Kind::kMessage, c, {0x15, 0, 2, 's', '2'}), kNow, sealed);
    out.push_back(sealed);
  }
  out.push_back(Plain(Kind::kMessage, wire::kOpenSession, {0x01, 0, 4, 'e', 'c', 'h', 'o'}));
  out.push_back(Plain(Kind::kAck, wire::kVaQuery, {}));
  return out;
}

bool PlaintextAllowed(std::span<const uint8_t> d, bool via_group) {
  const Header h = PeekBasicHeader(d);
  if (h.multi || h.version != wire::kVersion) return false;
  if (via_group) {
    return h.kind == Kind::kMessage &&
           (h.command == wire::kOpenSession || h.command == wire::kVaQuery);
  }
  return (h.kind == Kind::kAck || h.kind == Kind::kNak) && h.command == wire::kVaQuery;
}

}  // namespace

DABS_FUZZ_SEEDS(Seeds)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> in(data, size);
  static const auto seeds = Seeds();
  const bool genuine = std::any_of(seeds.begin(), seeds.begin() + 3, [&](const auto& s) {
    return s.size() == size && std::equal(s.begin(), s.end(), data);
  });
  FarmGuard guard(Keys(), FarmSenderId(1, FarmRole::kLbd), 1,
                  FarmGuardPolicy{{wire::kOpenSession, wire::kVaQuery}, {wire::kVaQuery}}, {},
                  kNow);
  const Endpoint from = Endpoint::Parse("10.9.9.9:4000").value();
  std::vector<uint8_t> opened;
  for (bool via_group : {true, false}) {
    uint32_t by = 0;
    switch (guard.Inbound(from, via_group, in, kNow, opened, by)) {
      case FarmGuard::Verdict::kOpened:
        DABS_FUZZ_CHECK(genuine && via_group);  // the second arrival is a replay
        DABS_FUZZ_CHECK(by == kSender);
        DABS_FUZZ_CHECK(opened.size() <= size && opened.size() >= wire::kHeaderSize);
        DABS_FUZZ_CHECK(!(opened[wire::kOffSentTime] & (wire::kTimeEncrypted | wire::kTimeCrc)));
        break;
      case FarmGuard::Verdict::kPlain:
        DABS_FUZZ_CHECK(size >= wire::kHeaderSize && PlaintextAllowed(in, via_group));
        break;
      case FarmGuard::Verdict::kDrop:
        break;
    }
  }
  // The opener on its own, with no start bound: the same rules.
  FarmOpener opener;
  std::vector<uint8_t> out;
  if (auto r = opener.Open(*Keys(), in, kNow, out); r) DABS_FUZZ_CHECK(genuine);
  (void)FarmSealHeader::Peek(in);
  return 0;
}
