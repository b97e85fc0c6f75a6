// Feeds one input to a DASP's side of an encrypted session (spec 6, mp/session_crypto.h): the
// first byte picks the suite and how much of the rest is the datagram's header (the associated
// data), the rest is the sealed payload (counter || ciphertext || tag) an engine would hand it.
// Beyond "no crash" it checks that
//  - nothing the fuzzer makes up opens, bar the seeds sealed with the session's own key: no
//    input authenticates without the key;
//  - a payload that opened once never opens again (the replay window), and what opened is
//    exactly the payload less counter and tag;
//  - what fails changes nothing: the genuine seed still opens after any failure.
#include <algorithm>

#include <dabs/mp/session_crypto.h>

#include "fuzz_support.h"

namespace {

using namespace dabs::mp;

SessionKeys Keys() {
  SessionKeys k;
  k.client_to_server.fill(0x11);
  k.server_to_client.fill(0x22);
  return k;
}

const std::vector<uint8_t> kHeader = {0x01, 0x01, 0x00, 0x03, 0x07, 0x80,
                                      0x00, 0x00, 0,    0x10, 0,    1};

std::vector<dabs::fuzz::Seed> Seeds() {
  std::vector<dabs::fuzz::Seed> out;
  for (uint8_t suite : {uint8_t{1}, uint8_t{2}}) {
    auto sealed = SealOnce(static_cast<Suite>(suite), Keys().client_to_server, 5, kHeader,
                           std::vector<uint8_t>{'h', 'i'})
                      .value();
    dabs::fuzz::Seed s = {static_cast<uint8_t>(suite)};
    s.insert(s.end(), sealed.begin(), sealed.end());
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

DABS_FUZZ_SEEDS(Seeds)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const Suite suite = (data[0] & 1) ? Suite::kChaCha20Poly1305 : Suite::kAes256Gcm;
  static const auto seeds = Seeds();
  // A seed's sealed payload, opened as its own suite (the first byte picks the suite by its
  // lowest bit, so other first bytes may pick it too).
  const bool genuine = std::any_of(seeds.begin(), seeds.end(), [&](const auto& s) {
    return s.size() == size && std::equal(s.begin() + 1, s.end(), data + 1) &&
           static_cast<Suite>(s[0]) == suite;
  });
  auto server = SessionCrypto::Create(suite, Keys(), CipherRole::kServer).value();
  const std::span<const uint8_t> sealed(data + 1, size - 1);
  std::vector<uint8_t> out;
  if (server->OpenPayload(kHeader, sealed, out).ok()) {
    DABS_FUZZ_CHECK(genuine);
    DABS_FUZZ_CHECK(out.size() + kSealOverhead == sealed.size());
    DABS_FUZZ_CHECK(!server->OpenPayload(kHeader, sealed, out).ok());  // a replay
    return 0;
  }
  DABS_FUZZ_CHECK(!genuine);
  // A failure changed nothing: the genuine datagram of this suite still opens.
  for (const auto& s : seeds) {
    if (static_cast<Suite>(s[0]) != suite) continue;
    DABS_FUZZ_CHECK(server->OpenPayload(kHeader, std::span(s).subspan(1), out).ok());
  }
  return 0;
}
