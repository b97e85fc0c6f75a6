#include "int_client_part.h"

namespace dabs::calculator {

void IntClientPart::Compute(uint8_t op, int64_t a, int64_t b, IntCallback done) {
  SendToServer(
      *client_, kIntOp, Encode(IntRequest{op, a, b}), [done](Result<std::vector<uint8_t>>&& r) {
        if (!r) return done(r.error());
        auto answer = DecodeIntAnswer(*r);
        if (!answer)
          return done(
              Error{make_error_code(mp::Errc::kMalformed), "INT_OP reply of a wrong length"});
        done(*answer);
      });
}

void LocalIntegerOps::Compute(uint8_t op, int64_t a, int64_t b, IntCallback done) {
  CountLocalCall();
  done(ops_.Apply(op, a, b));
}

std::unique_ptr<IntPartition> MakeIntPartition(const dacp::SetTopProfile& profile,
                                               std::shared_ptr<dacp::Client> client) {
  if (profile.CanHost(kIntegerOpsModuleKib)) return std::make_unique<LocalIntegerOps>();
  return std::make_unique<IntClientPart>(std::move(client));
}

}  // namespace dabs::calculator
