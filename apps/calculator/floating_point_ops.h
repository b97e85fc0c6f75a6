// FloatingPointOps (seed 002 Fig. 22, object 2212): add, subtract, multiply and divide on
// IEEE 754 doubles, for clients without an FPU. Division by zero and a finite result that
// overflows to infinity are reported as statuses. Stateless and thread-safe.
#pragma once

#include "calc_protocol.h"

namespace dabs::calculator {

class FloatingPointOps {
 public:
  FloatAnswer Add(double a, double b) const;
  FloatAnswer Subtract(double a, double b) const;
  FloatAnswer Multiply(double a, double b) const;
  FloatAnswer Divide(double a, double b) const;
  // By op code (spec 9: 1..4); kBadOp otherwise (there is no floating-point modulus).
  FloatAnswer Apply(uint8_t op, double a, double b) const;
};

}  // namespace dabs::calculator
