#include "integer_ops.h"

#include <limits>

namespace dabs::calculator {

namespace {
IntAnswer Checked(bool overflowed, int64_t value) {
  return overflowed ? IntAnswer{CalcStatus::kOverflow, 0} : IntAnswer{CalcStatus::kOk, value};
}
}  // namespace

IntAnswer IntegerOps::Add(int64_t a, int64_t b) const {
  int64_t r;
  const bool o = __builtin_add_overflow(a, b, &r);
  return Checked(o, r);
}

IntAnswer IntegerOps::Subtract(int64_t a, int64_t b) const {
  int64_t r;
  const bool o = __builtin_sub_overflow(a, b, &r);
  return Checked(o, r);
}

IntAnswer IntegerOps::Multiply(int64_t a, int64_t b) const {
  int64_t r;
  const bool o = __builtin_mul_overflow(a, b, &r);
  return Checked(o, r);
}

IntAnswer IntegerOps::Divide(int64_t a, int64_t b) const {
  if (b == 0) return {CalcStatus::kDivisionByZero, 0};
  if (a == std::numeric_limits<int64_t>::min() && b == -1) return {CalcStatus::kOverflow, 0};
  return {CalcStatus::kOk, a / b};
}

IntAnswer IntegerOps::Modulus(int64_t a, int64_t b) const {
  if (b == 0) return {CalcStatus::kDivisionByZero, 0};
  if (b == -1) return {CalcStatus::kOk, 0};  // INT64_MIN % -1 would trap
  return {CalcStatus::kOk, a % b};
}

IntAnswer IntegerOps::Apply(uint8_t op, int64_t a, int64_t b) const {
  switch (static_cast<Op>(op)) {
    case Op::kAdd: return Add(a, b);
    case Op::kSub: return Subtract(a, b);
    case Op::kMul: return Multiply(a, b);
    case Op::kDiv: return Divide(a, b);
    case Op::kMod: return Modulus(a, b);
  }
  return {CalcStatus::kBadOp, 0};
}

}  // namespace dabs::calculator
