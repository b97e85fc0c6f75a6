// The calculator's integer partition (seed 002 Figs. 22, 23): IntClientPart (2206) sends
// INT_OP (0x0100) to the server; LocalIntegerOps is IntegerOps (2214) as a mutable object
// running inside the client portion. Both have IntPartition's signature, so CALC_Client calls
// them alike. Which one a set-top gets: MakeIntPartition (docs/dacp.md, "Capabilities").
//
// Thread safety: Compute may be called from any thread; `done` runs on the client's gateway
// strand (network) or inline (local).
#pragma once

#include <functional>
#include <memory>

#include <dabs/dacp/client_app.h>
#include <dabs/dacp/partition.h>

#include "calc_protocol.h"
#include "integer_ops.h"

namespace dabs::calculator {

// The size of the IntegerOps module a set-top downloads to run integer operations itself.
// A set-top whose profile has at least this much memory free runs them locally.
inline constexpr uint32_t kIntegerOpsModuleKib = 64;

using IntCallback = std::function<void(Result<IntAnswer>)>;

class IntPartition : public dacp::Partition {
 public:
  using Partition::Partition;
  // One integer operation (spec 9 op codes). A calculator status (division by zero,
  // overflow, bad op) is an answer, not an error; errors are the session's.
  virtual void Compute(uint8_t op, int64_t a, int64_t b, IntCallback done) = 0;
};

class IntClientPart final : public IntPartition {
 public:
  // `client` must stay usable while calls are made; it is shared.
  explicit IntClientPart(std::shared_ptr<dacp::Client> client)
      : IntPartition(dacp::PartitionPlace::kNetwork), client_(std::move(client)) {}
  void Compute(uint8_t op, int64_t a, int64_t b, IntCallback done) override;

 private:
  std::shared_ptr<dacp::Client> client_;
};

class LocalIntegerOps final : public IntPartition {
 public:
  LocalIntegerOps() : IntPartition(dacp::PartitionPlace::kLocal) {}
  void Compute(uint8_t op, int64_t a, int64_t b, IntCallback done) override;

 private:
  IntegerOps ops_;
};

// Local when the set-top can host the IntegerOps module, else on the server.
std::unique_ptr<IntPartition> MakeIntPartition(const dacp::SetTopProfile& profile,
                                               std::shared_ptr<dacp::Client> client);

}  // namespace dabs::calculator
