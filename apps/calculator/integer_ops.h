// IntegerOps (seed 002 Fig. 22, object 2214): add, subtract, multiply, divide and modulus on
// 64-bit integers, with division by zero and overflow reported, never undefined. A mutable
// object: the same code and signatures run on the server (calculator-dasp) or, on set-tops
// that can, inside the client portion instead of a network call (issue 5).
// Stateless and thread-safe.
#pragma once

#include "calc_protocol.h"

namespace dabs::calculator {

class IntegerOps {
 public:
  IntAnswer Add(int64_t a, int64_t b) const;
  IntAnswer Subtract(int64_t a, int64_t b) const;
  IntAnswer Multiply(int64_t a, int64_t b) const;
  IntAnswer Divide(int64_t a, int64_t b) const;   // truncates toward zero
  IntAnswer Modulus(int64_t a, int64_t b) const;  // the sign of a, as C++ %
  // By op code (spec 9); kBadOp for an unknown op.
  IntAnswer Apply(uint8_t op, int64_t a, int64_t b) const;
};

}  // namespace dabs::calculator
