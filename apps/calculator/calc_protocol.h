// The calculator's messages (spec 9), shared by its client and server portions:
//   0x0100 INT_OP   u8 op (1 add, 2 sub, 3 mul, 4 div, 5 mod), i64 a, i64 b
//                   -> u8 status (0 ok, 1 division by zero, 2 bad op, 3 overflow), i64 result
//   0x0101 FLOAT_OP u8 op (1 add, 2 sub, 3 mul, 4 div), f64 a, f64 b (IEEE 754, big-endian)
//                   -> u8 status, f64 result
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace dabs::calculator {

inline constexpr uint16_t kIntOp = 0x0100;
inline constexpr uint16_t kFloatOp = 0x0101;

enum class Op : uint8_t { kAdd = 1, kSub = 2, kMul = 3, kDiv = 4, kMod = 5 };
enum class CalcStatus : uint8_t { kOk = 0, kDivisionByZero = 1, kBadOp = 2, kOverflow = 3 };

struct IntRequest {
  uint8_t op = 0;
  int64_t a = 0, b = 0;
};
struct FloatRequest {
  uint8_t op = 0;
  double a = 0, b = 0;
};
template <typename T>
struct Answer {
  CalcStatus status = CalcStatus::kOk;
  T value{};
  friend bool operator==(const Answer&, const Answer&) = default;
};
using IntAnswer = Answer<int64_t>;
using FloatAnswer = Answer<double>;

std::vector<uint8_t> Encode(const IntRequest& r);
std::vector<uint8_t> Encode(const FloatRequest& r);
std::vector<uint8_t> Encode(const IntAnswer& a);
std::vector<uint8_t> Encode(const FloatAnswer& a);
// nullopt when the payload does not have exactly the spec's length.
std::optional<IntRequest> DecodeIntRequest(std::span<const uint8_t> p);
std::optional<FloatRequest> DecodeFloatRequest(std::span<const uint8_t> p);
std::optional<IntAnswer> DecodeIntAnswer(std::span<const uint8_t> p);
std::optional<FloatAnswer> DecodeFloatAnswer(std::span<const uint8_t> p);

}  // namespace dabs::calculator
