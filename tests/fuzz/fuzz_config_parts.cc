// Feeds a sequence of CONFIG_SYNC datagrams, with the clock moving between them, through
// DecodeSync into a PartAssembler (runtime/configd/part_assembler.h) as dabs-configd does
// with a configuration sent in parts, and decodes what it puts together.
// Input: frames of [op u8][length u16][payload]; op's low 6 bits step the clock by 16 ms
// each, 0x40 then expires idle assemblies, 0x80 drops those not newer than the frame's id.
// Beyond "no crash" it checks the assembler's bounds after every frame (no more than
// max_assemblies at once, each within max_bytes, and never more bytes held than DATA
// received), that a put-together payload is within max_bytes, and that when it decodes to a
// whole configuration of the parts' id, its records carry that digest.
#include <dabs/config/adopt.h>

#include "farm_examples.h"
#include "fuzz_support.h"
#include "part_assembler.h"
#include "sync_wire.h"

namespace {

using namespace dabs;
using namespace dabs::configd;

constexpr AssemblyLimits kLimits{6000, 3, milliseconds(500)};

fuzz::Seed Frame(uint8_t op, const std::vector<uint8_t>& payload) {
  fuzz::Seed out{op, static_cast<uint8_t>(payload.size() >> 8),
                 static_cast<uint8_t>(payload.size())};
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

std::vector<fuzz::Seed> Seeds() {
  std::vector<std::vector<std::vector<uint8_t>>> configs;
  for (const auto& records : fuzz::ExampleFarms())
    configs.push_back(EncodeFull(records, config::RecordsDigest(records)));
  std::vector<fuzz::Seed> out;
  for (const auto& parts : configs) {
    fuzz::Seed in_order, reversed_with_copy;
    for (const auto& p : parts) {
      auto f = Frame(1, p);
      in_order.insert(in_order.end(), f.begin(), f.end());
      reversed_with_copy.insert(reversed_with_copy.begin(), f.begin(), f.end());
    }
    auto copy = Frame(0x41, parts.front());
    reversed_with_copy.insert(reversed_with_copy.begin(), copy.begin(), copy.end());
    out.push_back(std::move(in_order));
    out.push_back(std::move(reversed_with_copy));
  }
  // Two configurations interleaved, part by part.
  fuzz::Seed interleaved;
  for (size_t i = 0; i < configs[0].size() || i < configs[1].size(); ++i) {
    for (const auto& parts : {configs[0], configs[1]}) {
      if (i >= parts.size()) continue;
      auto f = Frame(2, parts[i]);
      interleaved.insert(interleaved.end(), f.begin(), f.end());
    }
  }
  out.push_back(std::move(interleaved));
  return out;
}

}  // namespace

DABS_FUZZ_SEEDS(Seeds)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  PartAssembler assembler(kLimits);
  TimePoint now{};
  size_t received = 0;
  for (size_t at = 0; at + 3 <= size;) {
    const uint8_t op = data[at];
    const size_t length = std::min<size_t>(size_t{data[at + 1]} << 8 | data[at + 2], size - at - 3);
    const std::span<const uint8_t> payload(data + at + 3, length);
    at += 3 + length;
    now += milliseconds(16 * (op & 0x3F));

    auto m = DecodeSync(payload);
    if (!m || m->kind != Heard::kPart) continue;
    received += m->data.size();
    auto added = assembler.Add(*m, now);
    if (added.outcome == PartAssembler::Outcome::kComplete) {
      DABS_FUZZ_CHECK(added.whole.size() <= kLimits.max_bytes);
      auto whole = DecodeSync(added.whole);
      if (whole && whole->kind == Heard::kFull && whole->id == m->id)
        DABS_FUZZ_CHECK(config::RecordsDigest(whole->records) == m->id.digest);
    }
    if (op & 0x40) assembler.Expire(now);
    if (op & 0x80) assembler.DropNotNewer(m->id);
    DABS_FUZZ_CHECK(assembler.size() <= kLimits.max_assemblies);
    DABS_FUZZ_CHECK(assembler.bytes() <= kLimits.max_assemblies * kLimits.max_bytes);
    DABS_FUZZ_CHECK(assembler.bytes() <= received);
  }
  return 0;
}
