// Fuzzes everything a datagram from the network goes through: the decoder (and, for what
// decodes, a byte-exact re-encode), the TLV and system payload parsers, and an Engine that
// receives it on an open session.
#include <cstdlib>
#include <cstring>
#include <vector>

#include <dabs/mp/engine.h>
#include <dabs/mp/system_messages.h>
#include <dabs/mp/testing/fake_clock.h>
#include <dabs/mp/tlv.h>

#include "fuzz_support.h"

namespace {

using namespace dabs::mp;

struct Quiet final : EngineHandler, DatagramSink {
  void OnMessage(Message&& m) override { delivered += m.payload.size(); }
  void SendDatagram(const Endpoint&, std::span<const uint8_t> bytes) override {
    if (bytes.size() > 512) std::abort();  // we must never emit an oversize datagram
    sent += bytes.size();
  }
  size_t delivered = 0, sent = 0;
};

void CheckRoundTrip(std::span<const uint8_t> bytes) {
  auto d = DecodeDatagram(bytes);
  if (!d) return;
  std::vector<uint8_t> out(512);
  auto n = EncodeDatagram(d->header, d->payload, out);
  // Whatever decodes must encode back to the very same bytes.
  if (!n || *n != bytes.size() || std::memcmp(out.data(), bytes.data(), *n) != 0) std::abort();
  (void)TlvList::Parse(d->payload);
  (void)OpenSessionRequest::Decode(d->payload);
  (void)OpenSessionReply::Decode(d->payload);
  (void)NakPayload::Decode(d->payload);
  (void)ErrorReportPayload::Decode(d->payload);
}

}  // namespace

// Seeds: every vector of the spec.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  dabs::fuzz::WriteSeedsIfAsked(dabs::fuzz::SpecVectors);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  CheckRoundTrip({data, size});

  static testing::FakeClock clock;
  static SeededRandom random(1);
  static Quiet quiet;
  static EngineConfig config = [] {
    EngineConfig c;
    c.reassembly.max_message_bytes = 64 * 1024;
    c.reassembly.max_partial_bytes_per_peer = 128 * 1024;
    c.reassembly.max_partial_bytes_total = 256 * 1024;
    return c;
  }();
  static Engine engine(config, clock, random, quiet, quiet);
  static const Endpoint peer = Endpoint::Parse("10.0.0.1:7400").value();
  static bool opened = [] {
    engine.OpenSession(peer, 1);
    return true;
  }();
  (void)opened;
  engine.OnDatagram(peer, {data, size});
  clock.Advance(std::chrono::milliseconds(size % 64));
  engine.OnTimer();
  return 0;
}
