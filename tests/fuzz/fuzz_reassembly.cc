// Fuzzes the reassembler with sequences of buffers: arbitrary totals, numbers, lengths,
// peers and clock steps. Checks what must always hold: the budgets, and that a completed
// message is never longer than the limit nor shorter than its buffers imply.
#include <cstdlib>
#include <vector>

#include <dabs/mp/reassembly.h>

#include "fuzz_support.h"

namespace {

using namespace dabs::mp;

constexpr size_t kChunk = 16;
constexpr ReassemblyLimits kLimits{.max_message_bytes = 1024,
                                   .max_partial_bytes_per_peer = 2048,
                                   .max_partial_bytes_total = 4096,
                                   .timeout = std::chrono::milliseconds(500)};

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

// Seeds: a message of three buffers in order, and the same with its middle one late (after
// a clock step long enough to expire it).
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  dabs::fuzz::WriteSeedsIfAsked([] {
    auto step = [](uint8_t buffer, uint8_t clock) {
      return std::vector<uint8_t>{0, 1, 0, buffer, 0, 2, kChunk, clock};
    };
    std::vector<uint8_t> in_order, late;
    for (uint8_t b : {0, 1, 2}) {
      auto s = step(b, 10);
      in_order.insert(in_order.end(), s.begin(), s.end());
    }
    for (auto s : {step(0, 10), step(2, 250), step(1, 10)})
      late.insert(late.end(), s.begin(), s.end());
    return std::vector<dabs::fuzz::Seed>{in_order, late};
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ReassemblyBuffer rb(kLimits);
  TimePoint now{};
  std::vector<uint8_t> payload(kChunk, 0xAB);
  // Each step: peer, transaction, buffer (u16), total (u16), length, clock step.
  for (size_t at = 0; at + 8 <= size; at += 8) {
    const uint8_t* p = data + at;
    const TransactionKey key{static_cast<uint32_t>(p[0] & 3), 1, static_cast<uint8_t>(p[1] & 7),
                             (p[0] & 4) != 0};
    Header h;
    h.kind = key.reply ? Kind::kReply : Kind::kMessage;
    h.command = 0x0100;
    h.session = key.session;
    h.transaction = key.transaction;
    h.multi = true;
    h.buffers = static_cast<uint16_t>(1 + ((p[4] << 8 | p[5]) % 300));
    h.buffer = static_cast<uint16_t>((p[2] << 8 | p[3]) % h.buffers);
    const size_t length = p[6] % (kChunk + 1);
    auto r = rb.Add(key, h, std::span(payload).first(length), kChunk, now);
    if (r.outcome == ReassemblyBuffer::Outcome::kComplete) {
      Check(r.message.size() <= kLimits.max_message_bytes);
      Check(r.message.size() + kChunk > size_t{h.buffers - 1u} * kChunk);
    }
    Check(rb.bytes_reserved() <= kLimits.max_partial_bytes_total);
    now += std::chrono::milliseconds(p[7]);
    if (p[7] > 200) {
      for (const auto& e : rb.Expire(now))
        Check(e.header.buffers >= 1);
      for (const auto& m : rb.Missing(key, 10))
        Check(m < 300);
    }
  }
  return 0;
}
