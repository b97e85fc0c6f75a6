// The calculator's client portion, CALC_Client (seed 002 Figs. 22, 23, object 2202): takes
// the viewer's calculation, decides integer or floating point and calls the matching
// partition, which runs locally (a mutable object) or on the server, as the set-top allows:
// - integer operations run locally when the set-top can host the IntegerOps module
//   (SetTopProfile::memory_kib >= kIntegerOpsModuleKib), else INT_OP to the server;
// - floating-point operations run locally on set-tops with an FPU (caps bit 3), else
//   FLOAT_OP to the server.
//
// CalcClientApp is the calculator as dabs-emu drives it: each Act is one random
// calculation, checked against a local computation. RegisterClient() registers it as
// "calculator".
//
// Thread safety: CalcClient's methods may be called from any thread.
#pragma once

#include <memory>

#include <dabs/dacp/client_app.h>

#include "flt_pt_client_part.h"
#include "int_client_part.h"

namespace dabs::calculator {

inline constexpr char kAppName[] = "calculator";

class CalcClient {
 public:
  // `client` is this set-top's session with the calculator (opened by the caller).
  CalcClient(const dacp::SetTopProfile& profile, std::shared_ptr<dacp::Client> client);

  void Integer(uint8_t op, int64_t a, int64_t b, IntCallback done) {
    int_part_->Compute(op, a, b, std::move(done));
  }
  void Float(uint8_t op, double a, double b, FloatCallback done) {
    flt_part_->Compute(op, a, b, std::move(done));
  }

  const IntPartition& int_partition() const { return *int_part_; }
  const FloatPartition& float_partition() const { return *flt_part_; }
  dacp::Client& client() const { return *client_; }

 private:
  std::shared_ptr<dacp::Client> client_;
  std::unique_ptr<IntPartition> int_part_;
  std::unique_ptr<FloatPartition> flt_part_;
};

// One calculation per Act, drawn from the random value: integer or floating point, with
// division by zero and overflow now and then; the answer must equal IntegerOps' or
// FloatingPointOps' own (status and value).
class CalcClientApp final : public dacp::ClientApp {
 public:
  CalcClientApp(const dacp::SetTopProfile& profile, std::shared_ptr<dacp::Client> client)
      : calc_(profile, std::move(client)) {}
  void Act(uint64_t random, std::function<void(dacp::ActOutcome)> done) override;
  const CalcClient& calc() const { return calc_; }

 private:
  CalcClient calc_;
};

// Registers "calculator" in dacp::DefaultClientApps(). Idempotent.
Status RegisterClient();

}  // namespace dabs::calculator
