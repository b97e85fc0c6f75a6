#include "floating_point_ops.h"

#include <cmath>

namespace dabs::calculator {

namespace {
// Finite operands with an infinite result overflowed; a NaN or infinity going in is the
// caller's and comes back as IEEE 754 says.
FloatAnswer Checked(double a, double b, double r) {
  if (std::isfinite(a) && std::isfinite(b) && std::isinf(r)) return {CalcStatus::kOverflow, r};
  return {CalcStatus::kOk, r};
}
}  // namespace

FloatAnswer FloatingPointOps::Add(double a, double b) const { return Checked(a, b, a + b); }
FloatAnswer FloatingPointOps::Subtract(double a, double b) const { return Checked(a, b, a - b); }
FloatAnswer FloatingPointOps::Multiply(double a, double b) const { return Checked(a, b, a * b); }

FloatAnswer FloatingPointOps::Divide(double a, double b) const {
  if (b == 0.0) return {CalcStatus::kDivisionByZero, 0.0};
  return Checked(a, b, a / b);
}

FloatAnswer FloatingPointOps::Apply(uint8_t op, double a, double b) const {
  switch (static_cast<Op>(op)) {
    case Op::kAdd: return Add(a, b);
    case Op::kSub: return Subtract(a, b);
    case Op::kMul: return Multiply(a, b);
    case Op::kDiv: return Divide(a, b);
    case Op::kMod: break;
  }
  return {CalcStatus::kBadOp, 0.0};
}

}  // namespace dabs::calculator
