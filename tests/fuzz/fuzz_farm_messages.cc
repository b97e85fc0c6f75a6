// Feeds one payload to every decoder of the farm's own messages (farm_messages.h): HELLO,
// LEAVE, BALLOT, VA_UPDATE (DirectoryUpdate), VA_QUERY, SERVER_STATS and KEYRING (its
// document and dabsctl's request), which each server reads from the farm's groups (all of them
// sealed, so a member's bug rather than an outsider reaches these decoders).
// Beyond "no crash" it checks that
//  - whatever decodes re-encodes to a payload that decodes again and encodes to the same
//    bytes (RoundTrip): what a server relays or stores says what it heard;
//  - what a decoder requires is there (HELLO: a server id and a valid dabs-lbd endpoint;
//    VA_UPDATE: a VA; VA_QUERY: a VA or a URI), an unknown abstention reads as "not
//    eligible", and SERVER_STATS keeps only figures (tags 0x80 and up), at most one per
//    11 bytes of payload.
#include <dabs/mp/farm_messages.h>

#include "fuzz_support.h"

namespace {

using namespace dabs::mp;
using dabs::fuzz::RoundTrip;

std::vector<dabs::fuzz::Seed> Seeds() {
  const Endpoint lbd = Endpoint::Parse("10.0.0.2:7411").value();
  const Endpoint stats = Endpoint::Parse("10.0.0.2:7511").value();
  const Endpoint v6 = Endpoint::Parse("[fd00::2]:8081").value();
  // Field by field: HELLO grows (new fields must not break the seeds).
  Hello hello;
  hello.server = "s2";
  hello.index = 2;
  hello.lbd = lbd;
  hello.stats = stats;
  hello.config = v6;
  hello.lease_ms = 1000;
  hello.incarnation = 77;
  hello.config_version = 5;
  hello.load_x100 = 4200;
  hello.instances = 3;
  hello.sessions = 120;
  Ballot ballot{"10.1.1.1:5000/7/stb-1", "calculator", "s2",          2, 10,
                1'700'000'000'000'000,   true,         Abstain::kNone};
  Ballot abstained = ballot;
  abstained.votes = 0;
  abstained.abstain = Abstain::kLimit;
  DirectoryUpdate instance{0x00200005, "mp://headend-a/echo/5",
                           1,          "s2",
                           lbd,        "/run/dabs/d.sock",
                           4242,       false,
                           "echo",     2,
                           12,         kVaNone,
                           0};
  DirectoryUpdate client{
      0x00200400, "", 2, "s2", stats, "", 0, false, "echo", 0, 0, 0x00200005, 1'700'000'000'000};
  ServerStats server_stats{"s2", 2, {}};
  server_stats.figures.values = {{server_stat::kCpuPctX100, 1250},
                                 {server_stat::kLoadX100, 4200},
                                 {server_stat::kSampledAtMs, 1'700'000'000'000}};
  Hello keyed = hello;
  std::array<uint8_t, 32> k1{}, k2{};
  k1.fill(1);
  k2.fill(2);
  const FarmKey key1 = FarmKey::FromBytes(k1), key2 = FarmKey::FromBytes(k2);
  keyed.keyring_version = 3;
  keyed.keyring_primary = key2.id;
  keyed.key_ids = {key1.id, key2.id};
  return {hello.Encode(),
          keyed.Encode(),
          KeyringMessage{3, key2.id, {key1, key2}, "s2"}.Encode(),
          KeyringRequest{KeyringRequest::Op::kInstall, key1, 0, false}.Encode(),
          KeyringRequest{KeyringRequest::Op::kUse, std::nullopt, key2.id, true}.Encode(),
          Leave{"s2", 77}.Encode(),
          ballot.Encode(),
          abstained.Encode(),
          instance.Encode(),
          client.Encode(),
          VaQuery{0x00200005, ""}.Encode(),
          VaQuery{kVaNone, "mp://headend-a/echo/5"}.Encode(),
          server_stats.Encode()};
}

}  // namespace

DABS_FUZZ_SEEDS(Seeds)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> payload(data, size);
  if (auto h = RoundTrip<Hello>(payload)) {
    DABS_FUZZ_CHECK(!h->server.empty() && h->lbd.is_udp() && h->lbd.valid());
  }
  if (auto l = RoundTrip<Leave>(payload)) DABS_FUZZ_CHECK(!l->server.empty());
  if (auto k = RoundTrip<KeyringMessage>(payload)) {
    // Only keys that match their ids, at most 8 of them, and the primary among them.
    DABS_FUZZ_CHECK(!k->keys.empty() && k->keys.size() <= KeyringMessage::kMaxKeys);
    bool primary = false;
    for (const auto& key : k->keys) {
      DABS_FUZZ_CHECK(FarmKey::FromBytes(key.bytes).id == key.id);
      primary = primary || key.id == k->primary;
    }
    DABS_FUZZ_CHECK(primary);
  }
  if (auto r = RoundTrip<KeyringRequest>(payload)) {
    DABS_FUZZ_CHECK(r->op != KeyringRequest::Op::kInstall || r->key);
    if (r->key) DABS_FUZZ_CHECK(FarmKey::FromBytes(r->key->bytes).id == r->key->id);
  }
  if (auto b = RoundTrip<Ballot>(payload)) {
    DABS_FUZZ_CHECK(b->abstain <= Abstain::kNoCapacity);
  }
  if (auto d = RoundTrip<DirectoryUpdate>(payload)) DABS_FUZZ_CHECK(d->va != kVaNone);
  if (auto q = RoundTrip<VaQuery>(payload)) DABS_FUZZ_CHECK(q->va != kVaNone || !q->uri.empty());
  if (auto s = RoundTrip<ServerStats>(payload)) {
    DABS_FUZZ_CHECK(s->figures.values.size() * 11 <= payload.size());
    for (const auto& [tag, value] : s->figures.values)
      DABS_FUZZ_CHECK(tag >= 0x80);
  }
  return 0;
}
