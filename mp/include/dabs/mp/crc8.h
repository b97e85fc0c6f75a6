// CRC-8/SMBUS (spec 1.6): polynomial 0x07, init 0x00, no reflection, no final xor.
// Check value of ASCII "123456789" is 0xF4.
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace dabs::mp {

namespace detail {
constexpr std::array<uint8_t, 256> MakeCrc8Table() {
  std::array<uint8_t, 256> table{};
  for (int i = 0; i < 256; ++i) {
    uint8_t crc = static_cast<uint8_t>(i);
    for (int bit = 0; bit < 8; ++bit) {
      crc = static_cast<uint8_t>((crc & 0x80) ? (crc << 1) ^ 0x07 : crc << 1);
    }
    table[static_cast<size_t>(i)] = crc;
  }
  return table;
}
inline constexpr std::array<uint8_t, 256> kCrc8Table = MakeCrc8Table();
}  // namespace detail

// Thread-safe, no allocation.
constexpr uint8_t Crc8(std::span<const uint8_t> bytes, uint8_t crc = 0) {
  for (uint8_t b : bytes)
    crc = detail::kCrc8Table[crc ^ b];
  return crc;
}

}  // namespace dabs::mp
