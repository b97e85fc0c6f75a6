#include "flt_pt_client_part.h"

#include <dabs/mp/system_messages.h>

namespace dabs::calculator {

void FltPtClientPart::Compute(uint8_t op, double a, double b, FloatCallback done) {
  SendToServer(
      *client_, kFloatOp, Encode(FloatRequest{op, a, b}), [done](Result<std::vector<uint8_t>>&& r) {
        if (!r) return done(r.error());
        auto answer = DecodeFloatAnswer(*r);
        if (!answer)
          return done(
              Error{make_error_code(mp::Errc::kMalformed), "FLOAT_OP reply of a wrong length"});
        done(*answer);
      });
}

void LocalFloatingPointOps::Compute(uint8_t op, double a, double b, FloatCallback done) {
  CountLocalCall();
  done(ops_.Apply(op, a, b));
}

std::unique_ptr<FloatPartition> MakeFloatPartition(const dacp::SetTopProfile& profile,
                                                   std::shared_ptr<dacp::Client> client) {
  if (profile.Has(mp::caps::kFloatingPoint)) return std::make_unique<LocalFloatingPointOps>();
  return std::make_unique<FltPtClientPart>(std::move(client));
}

}  // namespace dabs::calculator
