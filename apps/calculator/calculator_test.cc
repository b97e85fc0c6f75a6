#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "calc_protocol.h"
#include "floating_point_ops.h"
#include "integer_ops.h"

namespace dabs::calculator {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

TEST(IntegerOps, EachOpGivesTheRightValue) {
  IntegerOps ops;
  EXPECT_EQ(ops.Apply(1, 7, 5), (IntAnswer{CalcStatus::kOk, 12}));
  EXPECT_EQ(ops.Apply(2, 7, 5), (IntAnswer{CalcStatus::kOk, 2}));
  EXPECT_EQ(ops.Apply(3, -7, 5), (IntAnswer{CalcStatus::kOk, -35}));
  EXPECT_EQ(ops.Apply(4, -7, 2), (IntAnswer{CalcStatus::kOk, -3}));  // toward zero
  EXPECT_EQ(ops.Apply(5, -7, 3), (IntAnswer{CalcStatus::kOk, -1}));  // sign of the dividend
}

TEST(IntegerOps, DivisionAndModulusByZeroAreReported) {
  IntegerOps ops;
  EXPECT_EQ(ops.Divide(1, 0).status, CalcStatus::kDivisionByZero);
  EXPECT_EQ(ops.Modulus(1, 0).status, CalcStatus::kDivisionByZero);
}

TEST(IntegerOps, OverflowIsReportedNeverWrapped) {
  IntegerOps ops;
  EXPECT_EQ(ops.Add(kMax, 1).status, CalcStatus::kOverflow);
  EXPECT_EQ(ops.Subtract(kMin, 1).status, CalcStatus::kOverflow);
  EXPECT_EQ(ops.Multiply(kMax / 2 + 1, 2).status, CalcStatus::kOverflow);
  EXPECT_EQ(ops.Divide(kMin, -1).status, CalcStatus::kOverflow);
  EXPECT_EQ(ops.Modulus(kMin, -1), (IntAnswer{CalcStatus::kOk, 0}));
  EXPECT_EQ(ops.Add(kMax, 0), (IntAnswer{CalcStatus::kOk, kMax}));
}

TEST(IntegerOps, UnknownOpIsBadOp) {
  IntegerOps ops;
  EXPECT_EQ(ops.Apply(0, 1, 1).status, CalcStatus::kBadOp);
  EXPECT_EQ(ops.Apply(6, 1, 1).status, CalcStatus::kBadOp);
}

TEST(FloatingPointOps, EachOpGivesTheRightValue) {
  FloatingPointOps ops;
  EXPECT_EQ(ops.Apply(1, 1.5, 2.25), (FloatAnswer{CalcStatus::kOk, 3.75}));
  EXPECT_EQ(ops.Apply(2, 1.5, 2.25), (FloatAnswer{CalcStatus::kOk, -0.75}));
  EXPECT_EQ(ops.Apply(3, 1.5, -2.0), (FloatAnswer{CalcStatus::kOk, -3.0}));
  EXPECT_EQ(ops.Apply(4, 1.0, 8.0), (FloatAnswer{CalcStatus::kOk, 0.125}));
}

TEST(FloatingPointOps, DivisionByZeroOverflowAndModulusAreReported) {
  FloatingPointOps ops;
  EXPECT_EQ(ops.Divide(1.0, 0.0).status, CalcStatus::kDivisionByZero);
  EXPECT_EQ(ops.Multiply(1e300, 1e300).status, CalcStatus::kOverflow);
  EXPECT_EQ(ops.Apply(5, 1.0, 1.0).status, CalcStatus::kBadOp);  // no floating modulus
  // Infinity in is the caller's: IEEE 754 arithmetic, not an overflow.
  EXPECT_EQ(ops.Add(std::numeric_limits<double>::infinity(), 1.0).status, CalcStatus::kOk);
}

TEST(CalcProtocol, RequestsAndAnswersHaveTheSpecsLayout) {
  const auto bytes = Encode(IntRequest{1, 7, -5});
  ASSERT_EQ(bytes.size(), 17u);
  EXPECT_EQ(bytes[0], 1);
  EXPECT_EQ(bytes[8], 7);       // big-endian a
  EXPECT_EQ(bytes[9], 0xFF);    // big-endian -5 starts with 0xFF
  EXPECT_EQ(bytes[16], 0xFB);
  auto back = DecodeIntRequest(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->b, -5);
  const auto f = Encode(FloatRequest{4, 1.0, 3.0});
  EXPECT_EQ(f[1], 0x3F);  // 1.0 = 0x3FF0000000000000
  EXPECT_EQ(f[2], 0xF0);
  EXPECT_EQ(DecodeFloatRequest(f)->b, 3.0);
  EXPECT_EQ(DecodeIntAnswer(Encode(IntAnswer{CalcStatus::kOverflow, 0}))->status, CalcStatus::kOverflow);
  EXPECT_EQ(DecodeFloatAnswer(Encode(FloatAnswer{CalcStatus::kOk, 0.5}))->value, 0.5);
}

TEST(CalcProtocol, WrongLengthsAndStatusesAreRefused) {
  EXPECT_FALSE(DecodeIntRequest(std::vector<uint8_t>(16)));
  EXPECT_FALSE(DecodeFloatRequest(std::vector<uint8_t>(18)));
  std::vector<uint8_t> answer(9, 0);
  answer[0] = 4;  // no such status
  EXPECT_FALSE(DecodeIntAnswer(answer));
}

}  // namespace
}  // namespace dabs::calculator
