// The calculator's floating-point partition (seed 002 Figs. 22, 23): FltPtClientPart (2204)
// sends FLOAT_OP (0x0101) to the server, for set-tops without an FPU; set-tops with one
// (mp::caps::kFloatingPoint) run FloatingPointOps (2212) locally behind the same signature.
//
// Thread safety: as int_client_part.h.
#pragma once

#include <functional>
#include <memory>

#include <dabs/dacp/client_app.h>
#include <dabs/dacp/partition.h>

#include "calc_protocol.h"
#include "floating_point_ops.h"

namespace dabs::calculator {

using FloatCallback = std::function<void(Result<FloatAnswer>)>;

class FloatPartition : public dacp::Partition {
 public:
  using Partition::Partition;
  virtual void Compute(uint8_t op, double a, double b, FloatCallback done) = 0;
};

class FltPtClientPart final : public FloatPartition {
 public:
  explicit FltPtClientPart(std::shared_ptr<dacp::Client> client)
      : FloatPartition(dacp::PartitionPlace::kNetwork), client_(std::move(client)) {}
  void Compute(uint8_t op, double a, double b, FloatCallback done) override;

 private:
  std::shared_ptr<dacp::Client> client_;
};

class LocalFloatingPointOps final : public FloatPartition {
 public:
  LocalFloatingPointOps() : FloatPartition(dacp::PartitionPlace::kLocal) {}
  void Compute(uint8_t op, double a, double b, FloatCallback done) override;

 private:
  FloatingPointOps ops_;
};

// Local on set-tops with an FPU, else on the server.
std::unique_ptr<FloatPartition> MakeFloatPartition(const dacp::SetTopProfile& profile,
                                                   std::shared_ptr<dacp::Client> client);

}  // namespace dabs::calculator
