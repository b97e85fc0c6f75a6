// Feeds one payload to every decoder of the system payloads that clients, DASPs and the
// farm read off the network (system_messages.h, tlv.h): the TLV list, OPEN_SESSION request
// and reply, REDIRECT, NAK, ERROR_REPORT and the one-byte payloads.
// Beyond "no crash" it checks that
//  - whatever decodes re-encodes to a payload that decodes to the same value, and that
//    encoding is a fixed point (RoundTrip);
//  - the TLV list accounts for every byte (3 header bytes per field, no overlap);
//  - nothing decoded is larger than the payload that carried it (a NAK's missing list,
//    texts, an ENC_OFFER's suites), and the spec's bounds hold (APP 1..255 bytes,
//    CLIENT_ID <= 64, SESSION 1..255).
#include <dabs/mp/header.h>
#include <dabs/mp/system_messages.h>
#include <dabs/mp/tlv.h>

#include "fuzz_support.h"

namespace {

using namespace dabs::mp;
using dabs::fuzz::RoundTrip;

void CheckTlvs(std::span<const uint8_t> payload) {
  auto tlvs = TlvList::Parse(payload);
  if (!tlvs) return;
  size_t covered = 0;
  for (const auto& f : tlvs->fields()) {
    DABS_FUZZ_CHECK(f.value.data() == payload.data() + covered + 3);
    covered += 3 + f.value.size();
  }
  DABS_FUZZ_CHECK(covered == payload.size());
}

void CheckOpenSession(std::span<const uint8_t> payload) {
  if (auto req = RoundTrip<OpenSessionRequest>(payload)) {
    DABS_FUZZ_CHECK(!req->app.empty() && req->app.size() <= 255);
    DABS_FUZZ_CHECK(req->client_id.size() <= kMaxClientIdBytes);
    DABS_FUZZ_CHECK(!req->enc_offer || req->enc_offer->suites.size() < payload.size());
  }
  if (auto rep = RoundTrip<OpenSessionReply>(payload)) {
    DABS_FUZZ_CHECK(rep->session != 0);
    DABS_FUZZ_CHECK(rep->server.size() < payload.size());
  }
  if (auto r = RoundTrip<RedirectPayload>(payload)) {
    DABS_FUZZ_CHECK(r->session != 0 && r->dasp_endpoint.is_udp() && r->dasp_endpoint.valid());
  }
}

void CheckNakAndReport(std::span<const uint8_t> payload) {
  if (auto nak = RoundTrip<NakPayload>(payload)) {
    DABS_FUZZ_CHECK(nak->missing.size() * 2 + nak->text.size() + 2 <= payload.size());
  }
  if (auto report = RoundTrip<ErrorReportPayload>(payload)) {
    DABS_FUZZ_CHECK(report->text.size() + 2 == payload.size());
  }
  if (auto u8 = DecodeU8(payload))
    DABS_FUZZ_CHECK(EncodeU8(*u8) == std::vector(payload.begin(), payload.end()));
}

std::vector<dabs::fuzz::Seed> Seeds() {
  std::vector<dabs::fuzz::Seed> out;
  // The payloads of the spec's vectors (OPEN_SESSION request and reply among them).
  for (const auto& datagram : dabs::fuzz::SpecVectors()) {
    if (auto d = DecodeDatagram(datagram)) out.emplace_back(d->payload.begin(), d->payload.end());
  }
  const Endpoint dasp = Endpoint::Parse("10.0.0.2:40000").value();
  EncOffer offer{{1, 2}, {}};
  offer.public_key.fill(0x5A);
  out.push_back(
      OpenSessionRequest{"calculator", caps::kDocsis | caps::kFloatingPoint, "stb-0042", offer}
          .Encode());
  out.push_back(OpenSessionRequest{"echo", std::nullopt, "", std::nullopt}.Encode());
  EncAccept accept{1, {}, {}};
  accept.public_key.fill(0xA5);
  out.push_back(OpenSessionReply{7, 0x00200005, dasp, 0x00200400, accept, "s2"}.Encode());
  out.push_back(RedirectPayload{7, 0x00300005, dasp, 0x00300400}.Encode());
  out.push_back(NakPayload{Errc::kMissingBuffers, {1, 4, 9}, ""}.Encode());
  out.push_back(NakPayload{Errc::kUnknownApplication, {}, "no application 'x'"}.Encode());
  out.push_back(ErrorReportPayload{3, "lock timeout on 'ledger'"}.Encode());
  out.push_back(EncodeU8(2));
  return out;
}

}  // namespace

DABS_FUZZ_SEEDS(Seeds)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> payload(data, size);
  CheckTlvs(payload);
  CheckOpenSession(payload);
  CheckNakAndReport(payload);
  return 0;
}
