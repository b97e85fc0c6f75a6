#include <string_view>

#include <gtest/gtest.h>

#include <dabs/mp/crc8.h>

namespace dabs::mp {
namespace {

std::span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(Crc8, CheckValueOfTheSpecIsF4) {
  EXPECT_EQ(Crc8(Bytes("123456789")), 0xF4);
}

TEST(Crc8, EmptyInputIsZero) {
  EXPECT_EQ(Crc8({}), 0x00);
}

TEST(Crc8, DetectsEverySingleBitFlip) {
  std::vector<uint8_t> data(64);
  for (size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<uint8_t>(i * 37 + 11);
  const uint8_t good = Crc8(data);
  for (size_t i = 0; i < data.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      data[i] ^= static_cast<uint8_t>(1 << bit);
      EXPECT_NE(Crc8(data), good) << "byte " << i << " bit " << bit;
      data[i] ^= static_cast<uint8_t>(1 << bit);
    }
  }
}

TEST(Crc8, DetectsEveryBurstWithinOneByte) {
  std::vector<uint8_t> data(32, 0x5A);
  const uint8_t good = Crc8(data);
  for (size_t i = 0; i < data.size(); ++i) {
    for (int mask = 1; mask < 256; ++mask) {
      data[i] ^= static_cast<uint8_t>(mask);
      EXPECT_NE(Crc8(data), good);
      data[i] ^= static_cast<uint8_t>(mask);
    }
  }
}

}  // namespace
}  // namespace dabs::mp
