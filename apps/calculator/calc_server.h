// The calculator's server portion (seed 002 Figs. 22, 23):
// - CalcServerPart (CALC_ServerPart, 2208): application message management: checks each
//   request for validity (command, length, op) and refuses a bad one with a NAK; packages
//   answers. Transport ACKs, NAKs and the queue are the DASP framework's.
// - CalcServer (CALC_Server, 2210): for each message of the queue, decides integer or
//   floating point, calls IntegerOps or FloatingPointOps, and replies.
#pragma once

#include <atomic>
#include <optional>
#include <variant>

#include <dabs/dasp/runtime.h>
#include <dabs/dasp/server.h>

#include "floating_point_ops.h"
#include "integer_ops.h"

namespace dabs::calculator {

class CalcServerPart {
 public:
  using Command = std::variant<IntRequest, FloatRequest>;
  // The request's command, or nullopt after refusing it (NAK 4 or 6).
  std::optional<Command> Receive(dasp::Request& request) const;
  void Send(dasp::Request& request, const IntAnswer& answer) const;
  void Send(dasp::Request& request, const FloatAnswer& answer) const;
};

class CalcServer final : public dasp::Server {
 public:
  // Statistics the calculator adds to GET_STATISTICS replies (application tags, 0x80 up).
  static constexpr uint8_t kIntOpsTag = 0x80;
  static constexpr uint8_t kFloatOpsTag = 0x81;

  Status OnOpen(dasp::Session& session, const mp::OpenSessionRequest& request) override;
  void OnMessage(dasp::Session& session, dasp::Request& request) override;
  // A calculator session keeps nothing between requests: it moves as it is.
  bool SavesSessions() const override { return true; }
  Status RestoreSession(dasp::Session& session, std::span<const uint8_t> saved) override;

 private:
  void RegisterFigures();

  CalcServerPart part_;
  IntegerOps integers_;
  FloatingPointOps floats_;
  std::atomic<uint64_t> int_ops_{0}, float_ops_{0};
  std::once_flag registered_;
};

}  // namespace dabs::calculator
