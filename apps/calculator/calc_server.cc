#include "calc_server.h"

#include <mutex>

namespace dabs::calculator {

std::optional<CalcServerPart::Command> CalcServerPart::Receive(dasp::Request& request) const {
  switch (request.command()) {
    case kIntOp:
      if (auto r = DecodeIntRequest(request.payload())) return *r;
      break;
    case kFloatOp:
      if (auto r = DecodeFloatRequest(request.payload())) return *r;
      break;
    default:
      (void)request.Refuse(mp::Errc::kUnknownCommand, "the calculator knows 0x0100 and 0x0101");
      return std::nullopt;
  }
  (void)request.Refuse(mp::Errc::kMalformed, "expected u8 op, then two 8-byte operands");
  return std::nullopt;
}

void CalcServerPart::Send(dasp::Request& request, const IntAnswer& answer) const {
  (void)request.Reply(Encode(answer));
}

void CalcServerPart::Send(dasp::Request& request, const FloatAnswer& answer) const {
  (void)request.Reply(Encode(answer));
}

Status CalcServer::OnOpen(dasp::Session&, const mp::OpenSessionRequest&) {
  RegisterFigures();
  return Status::Ok();
}

Status CalcServer::RestoreSession(dasp::Session&, std::span<const uint8_t>) {
  RegisterFigures();  // a moved session may be this instance's first
  return Status::Ok();
}

// The calculator's own figures, registered once, with the first session.
void CalcServer::RegisterFigures() {
  std::call_once(registered_, [this] {
    runtime().OnStatisticsRequest([this](mp::Statistics& s) {
      s.values[kIntOpsTag] = int_ops_.load();
      s.values[kFloatOpsTag] = float_ops_.load();
    });
  });
}

void CalcServer::OnMessage(dasp::Session&, dasp::Request& request) {
  auto command = part_.Receive(request);
  if (!command) return;
  if (const auto* i = std::get_if<IntRequest>(&*command)) {
    ++int_ops_;
    part_.Send(request, integers_.Apply(i->op, i->a, i->b));
  } else {
    const auto& f = std::get<FloatRequest>(*command);
    ++float_ops_;
    part_.Send(request, floats_.Apply(f.op, f.a, f.b));
  }
}

}  // namespace dabs::calculator
