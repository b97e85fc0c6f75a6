#include <dabs/mp/local_messages.h>
#include <dabs/mp/system_messages.h>
#include <dabs/mp/tlv.h>

namespace dabs::mp {

namespace {
Error Malformed(std::string what) {
  return Error{make_error_code(Errc::kMalformed), std::move(what)};
}
}  // namespace

std::vector<uint8_t> AddClient::Encode() const {
  std::vector<uint8_t> out;
  TlvWriter w(out);
  w.Bytes(local_tag::kRequest, request);
  w.Endpoint(local_tag::kClientEndpoint, client);
  w.U8(local_tag::kTransaction, transaction);
  w.U32(tag::kClientVa, client_va);
  w.U32(local_tag::kInstanceVa, instance_va);
  if (saved) w.Bytes(local_tag::kSaved, *saved);
  return out;
}

Result<AddClient> AddClient::Decode(std::span<const uint8_t> payload) {
  auto t = TlvList::Parse(payload);
  if (!t) return t.error();
  AddClient a;
  const TlvField* request = t->Find(local_tag::kRequest);
  auto client = t->Endpoint(local_tag::kClientEndpoint);
  auto transaction = t->U8(local_tag::kTransaction);
  if (!request || !client || !transaction)
    return Malformed("ADD_CLIENT needs REQUEST, CLIENT_ENDPOINT, TRANSACTION");
  a.request.assign(request->value.begin(), request->value.end());
  a.client = *client;
  a.transaction = *transaction;
  a.client_va = t->U32(tag::kClientVa).value_or(kVaNone);
  a.instance_va = t->U32(local_tag::kInstanceVa).value_or(kVaNone);
  if (const TlvField* s = t->Find(local_tag::kSaved))
    a.saved.emplace(s->value.begin(), s->value.end());
  return a;
}

std::vector<uint8_t> Started::Encode() const {
  std::vector<uint8_t> out;
  TlvWriter w(out);
  w.U32(tag::kDaspVa, va);
  if (udp.is_udp() && udp.valid()) w.Endpoint(tag::kDaspEndpoint, udp);
  if (!control.empty()) w.String(local_tag::kControl, control);
  w.String(local_tag::kApp, app);
  w.U32(local_tag::kPid, pid);
  w.U32(local_tag::kMaxSessions, max_sessions);
  if (movable) w.U8(local_tag::kMovable, 1);
  return out;
}

Result<Started> Started::Decode(std::span<const uint8_t> payload) {
  auto t = TlvList::Parse(payload);
  if (!t) return t.error();
  Started s;
  auto va = t->U32(tag::kDaspVa);
  auto app = t->String(local_tag::kApp);
  if (!va || !app) return Malformed("STARTED needs DASP_VA and APP");
  s.va = *va;
  s.app = std::string(*app);
  if (auto e = t->Endpoint(tag::kDaspEndpoint)) s.udp = *e;
  if (auto c = t->String(local_tag::kControl)) s.control = std::string(*c);
  s.pid = t->U32(local_tag::kPid).value_or(0);
  s.max_sessions = t->U32(local_tag::kMaxSessions).value_or(0);
  s.movable = t->U8(local_tag::kMovable).value_or(0) == 1;
  return s;
}

const char* StateReasonName(StateReason r) {
  switch (r) {
    case StateReason::kNone:
      return "none";
    case StateReason::kBacklog:
      return "backlog";
    case StateReason::kLockTimeout:
      return "lock_timeout";
    case StateReason::kWriteTimeout:
      return "write_timeout";
    case StateReason::kLatencyHigh:
      return "latency_high";
    case StateReason::kLatencyLow:
      return "latency_low";
    case StateReason::kShutdown:
      return "shutdown";
    case StateReason::kThreshold:
      return "threshold";
    case StateReason::kSessionsFull:
      return "sessions_full";
    case StateReason::kSessionClosed:
      return "session_closed";
  }
  return "unknown";
}

const char* DaspStateName(wire::DaspState s) {
  switch (s) {
    case wire::DaspState::kStarting:
      return "starting";
    case wire::DaspState::kReady:
      return "ready";
    case wire::DaspState::kBusy:
      return "busy";
    case wire::DaspState::kDraining:
      return "draining";
    case wire::DaspState::kStopped:
      return "stopped";
    case wire::DaspState::kFailed:
      return "failed";
  }
  return "unknown";
}

std::vector<uint8_t> StateChange::Encode() const {
  std::vector<uint8_t> out{static_cast<uint8_t>(state)};
  TlvWriter w(out);
  if (va != kVaNone) w.U32(tag::kDaspVa, va);
  if (reason != StateReason::kNone) w.U8(local_tag::kReason, static_cast<uint8_t>(reason));
  if (!resource_type.empty()) w.String(local_tag::kResourceType, resource_type);
  if (!detail.empty()) w.String(local_tag::kDetail, detail.substr(0, 400));
  if (sessions) w.U32(local_tag::kSessions, *sessions);
  if (client_va != kVaNone) w.U32(local_tag::kClientVa, client_va);
  return out;
}

Result<StateChange> StateChange::Decode(std::span<const uint8_t> payload) {
  if (payload.empty() || payload[0] < 1 || payload[0] > 6)
    return Malformed("STATE_CHANGE needs a state 1..6");
  StateChange s;
  s.state = static_cast<wire::DaspState>(payload[0]);
  auto t = TlvList::Parse(payload.subspan(1));
  if (!t) return t.error();
  s.va = t->U32(tag::kDaspVa).value_or(kVaNone);
  s.reason = static_cast<StateReason>(t->U8(local_tag::kReason).value_or(0));
  if (auto r = t->String(local_tag::kResourceType)) s.resource_type = std::string(*r);
  if (auto d = t->String(local_tag::kDetail)) s.detail = std::string(*d);
  s.sessions = t->U32(local_tag::kSessions);
  s.client_va = t->U32(local_tag::kClientVa).value_or(kVaNone);
  return s;
}

std::vector<uint8_t> Statistics::Encode() const {
  std::vector<uint8_t> out;
  TlvWriter w(out);
  for (const auto& [tag, value] : values)
    w.U64(tag, value);
  return out;
}

Result<Statistics> Statistics::Decode(std::span<const uint8_t> payload) {
  auto t = TlvList::Parse(payload);
  if (!t) return t.error();
  Statistics s;
  for (const auto& f : t->fields()) {
    auto v = t->U64(f.tag);
    if (!v) return Malformed("statistic " + std::to_string(f.tag) + " is not a u64");
    s.values[f.tag] = *v;
  }
  return s;
}

std::vector<uint8_t> Redirect::Encode() const {
  std::vector<uint8_t> out;
  TlvWriter w(out);
  w.U8(tag::kSession, session);
  w.U32(tag::kDaspVa, dasp_va);
  w.Endpoint(tag::kDaspEndpoint, dasp_endpoint);
  if (client != kVaNone) w.U32(local_tag::kClientVa, client);
  return out;
}

Result<Redirect> Redirect::Decode(std::span<const uint8_t> payload) {
  auto t = TlvList::Parse(payload);
  if (!t) return t.error();
  auto session = t->U8(tag::kSession);
  auto va = t->U32(tag::kDaspVa);
  auto ep = t->Endpoint(tag::kDaspEndpoint);
  if (!session || !va || !ep) return Malformed("REDIRECT needs SESSION, DASP_VA, DASP_ENDPOINT");
  return Redirect{*session, *va, *ep, t->U32(local_tag::kClientVa).value_or(kVaNone)};
}

}  // namespace dabs::mp
