// Shared by mp_lossy_peer and its test: the message format of the lossy-link exchange.
// A payload is: u32 id, u32 length of the filler, filler bytes derived from the id, and a
// u8 sum of everything before it, so the receiver can tell a damaged message.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include <dabs/mp/coding.h>

namespace dabs::lossy {

inline constexpr uint16_t kEcho = 0x0100;    // echo the payload back
inline constexpr uint16_t kReport = 0x0102;  // reply: JSON of what the peer received

inline std::vector<uint8_t> MakePayload(uint32_t id, uint32_t filler) {
  std::vector<uint8_t> out;
  mp::ByteWriter w(out);
  w.U32(id);
  w.U32(filler);
  for (uint32_t i = 0; i < filler; ++i)
    w.U8(static_cast<uint8_t>(id * 131 + i * 7 + (i >> 9)));
  uint8_t sum = 0;
  for (uint8_t b : out)
    sum = static_cast<uint8_t>(sum + b);
  w.U8(sum);
  return out;
}

// The id, when the payload is intact.
inline std::optional<uint32_t> CheckPayload(std::span<const uint8_t> p) {
  if (p.size() < 9) return std::nullopt;
  const uint32_t id = mp::GetU32(p.data());
  const uint32_t filler = mp::GetU32(p.data() + 4);
  if (p.size() != size_t{filler} + 9) return std::nullopt;
  const auto expected = MakePayload(id, filler);
  if (!std::equal(expected.begin(), expected.end(), p.begin())) return std::nullopt;
  return id;
}

}  // namespace dabs::lossy
