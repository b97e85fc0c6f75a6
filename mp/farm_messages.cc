#include <dabs/mp/errc.h>
#include <dabs/mp/farm_messages.h>
#include <dabs/mp/tlv.h>

namespace dabs::mp {

namespace {
using namespace farm_tag;
Error Malformed(std::string what) {
  return Error{make_error_code(Errc::kMalformed), std::move(what)};
}
}  // namespace

std::vector<uint8_t> Hello::Encode() const {
  std::vector<uint8_t> out;
  TlvWriter w(out);
  w.String(kServer, server);
  w.U16(kIndex, index);
  w.Endpoint(kLbdEndpoint, lbd);
  if (stats) w.Endpoint(kStatsEndpoint, *stats);
  if (config) w.Endpoint(kConfigEndpoint, *config);
  w.U32(kLeaseMs, lease_ms);
  w.U64(kIncarnation, incarnation);
  w.U64(kConfigVersion, config_version);
  w.U32(kLoad, load_x100);
  w.U8(kEligible, eligible ? 1 : 0);
  w.U8(kBalance, balance);
  w.U32(kInstances, instances);
  w.U32(kSessions, sessions);
  return out;
}

Result<Hello> Hello::Decode(std::span<const uint8_t> payload) {
  auto t = TlvList::Parse(payload);
  if (!t) return t.error();
  Hello h;
  auto server = t->String(kServer);
  auto index = t->U16(kIndex);
  auto lbd = t->Endpoint(kLbdEndpoint);
  auto lease = t->U32(kLeaseMs);
  auto incarnation = t->U64(kIncarnation);
  if (!server || server->empty() || !index || !lbd || !lease || !incarnation) {
    return Malformed("HELLO needs SERVER, INDEX, LBD_ENDPOINT, LEASE_MS, INCARNATION");
  }
  h.server = std::string(*server);
  h.index = *index;
  h.lbd = *lbd;
  h.stats = t->Endpoint(kStatsEndpoint);
  h.config = t->Endpoint(kConfigEndpoint);
  h.lease_ms = *lease;
  h.incarnation = *incarnation;
  h.config_version = t->U64(kConfigVersion).value_or(0);
  h.load_x100 = t->U32(kLoad).value_or(0);
  h.eligible = t->U8(kEligible).value_or(1) != 0;
  h.balance = t->U8(kBalance).value_or(0);
  h.instances = t->U32(kInstances).value_or(0);
  h.sessions = t->U32(kSessions).value_or(0);
  return h;
}

std::vector<uint8_t> Leave::Encode() const {
  std::vector<uint8_t> out;
  TlvWriter w(out);
  w.String(kServer, server);
  w.U64(kIncarnation, incarnation);
  return out;
}

Result<Leave> Leave::Decode(std::span<const uint8_t> payload) {
  auto t = TlvList::Parse(payload);
  if (!t) return t.error();
  auto server = t->String(kServer);
  if (!server || server->empty()) return Malformed("LEAVE needs SERVER");
  return Leave{std::string(*server), t->U64(kIncarnation).value_or(0)};
}

std::vector<uint8_t> Ballot::Encode() const {
  std::vector<uint8_t> out;
  TlvWriter w(out);
  w.String(kRequestKey, request_key);
  w.String(kApp, app);
  w.String(kServer, server);
  w.U16(kIndex, index);
  w.U32(kVotes, votes);
  w.U64(kBallotTime, ballot_time_us);
  w.U8(kHasInstance, has_instance ? 1 : 0);
  if (abstain != Abstain::kNone) w.U8(kAbstain, static_cast<uint8_t>(abstain));
  return out;
}

Result<Ballot> Ballot::Decode(std::span<const uint8_t> payload) {
  auto t = TlvList::Parse(payload);
  if (!t) return t.error();
  Ballot b;
  auto key = t->String(kRequestKey);
  auto server = t->String(kServer);
  auto index = t->U16(kIndex);
  auto votes = t->U32(kVotes);
  auto time = t->U64(kBallotTime);
  if (!key || !server || !index || !votes || !time) {
    return Malformed("BALLOT needs REQUEST_KEY, SERVER, INDEX, VOTES, BALLOT_TIME");
  }
  b.request_key = std::string(*key);
  b.app = std::string(t->String(kApp).value_or(""));
  b.server = std::string(*server);
  b.index = *index;
  b.votes = *votes;
  b.ballot_time_us = *time;
  b.has_instance = t->U8(kHasInstance).value_or(0) != 0;
  const uint8_t abstain = t->U8(kAbstain).value_or(0);
  // A reason this version does not know still means "no votes".
  b.abstain = abstain <= static_cast<uint8_t>(Abstain::kNoCapacity) ? static_cast<Abstain>(abstain)
                                                                    : Abstain::kNotEligible;
  return b;
}

const char* AbstainName(Abstain a) {
  switch (a) {
    case Abstain::kNone:
      return "";
    case Abstain::kUnknownApp:
      return "unknown application";
    case Abstain::kNotEligible:
      return "not eligible";
    case Abstain::kLimit:
      return "limit";
    case Abstain::kNoCapacity:
      return "no capacity";
  }
  return "not eligible";
}

std::vector<uint8_t> DirectoryUpdate::Encode() const {
  std::vector<uint8_t> out;
  TlvWriter w(out);
  w.U32(kVa, va);
  if (!uri.empty()) w.String(kUri, uri);
  w.U8(kKind, kind);
  w.String(kServer, server);
  if (udp.is_udp() && udp.valid()) w.Endpoint(kUdpEndpoint, udp);
  if (!local.empty()) w.String(kLocal, local);
  if (pid) w.U32(kPid, pid);
  if (removed) w.U8(kRemoved, 1);
  if (!app.empty()) w.String(kApp, app);
  if (state) w.U8(kState, state);
  if (kind == 1) w.U32(kSessions, sessions);
  if (dasp_va != kVaNone) w.U32(kDaspVa, dasp_va);
  if (opened_ms) w.U64(kOpenedMs, opened_ms);
  return out;
}

Result<DirectoryUpdate> DirectoryUpdate::Decode(std::span<const uint8_t> payload) {
  auto t = TlvList::Parse(payload);
  if (!t) return t.error();
  auto va = t->U32(kVa);
  if (!va || *va == kVaNone) return Malformed("VA_UPDATE needs a VA");
  DirectoryUpdate d;
  d.va = *va;
  d.uri = std::string(t->String(kUri).value_or(""));
  d.kind = t->U8(kKind).value_or(1);
  d.server = std::string(t->String(kServer).value_or(""));
  if (auto e = t->Endpoint(kUdpEndpoint)) d.udp = *e;
  d.local = std::string(t->String(kLocal).value_or(""));
  d.pid = t->U32(kPid).value_or(0);
  d.removed = t->U8(kRemoved).value_or(0) != 0;
  d.app = std::string(t->String(kApp).value_or(""));
  d.state = t->U8(kState).value_or(0);
  d.sessions = t->U32(kSessions).value_or(0);
  d.dasp_va = t->U32(kDaspVa).value_or(kVaNone);
  d.opened_ms = t->U64(kOpenedMs).value_or(0);
  return d;
}

std::vector<uint8_t> VaQuery::Encode() const {
  std::vector<uint8_t> out;
  TlvWriter w(out);
  if (va != kVaNone) w.U32(kVa, va);
  if (!uri.empty()) w.String(kUri, uri);
  return out;
}

Result<VaQuery> VaQuery::Decode(std::span<const uint8_t> payload) {
  auto t = TlvList::Parse(payload);
  if (!t) return t.error();
  VaQuery q;
  q.va = t->U32(kVa).value_or(kVaNone);
  q.uri = std::string(t->String(kUri).value_or(""));
  if (q.va == kVaNone && q.uri.empty()) return Malformed("VA_QUERY needs a VA or a URI");
  return q;
}

std::vector<uint8_t> ServerStats::Encode() const {
  std::vector<uint8_t> out;
  TlvWriter w(out);
  w.String(kServer, server);
  w.U16(kIndex, index);
  for (const auto& [tag, value] : figures.values)
    w.U64(tag, value);
  return out;
}

Result<ServerStats> ServerStats::Decode(std::span<const uint8_t> payload) {
  auto t = TlvList::Parse(payload);
  if (!t) return t.error();
  auto server = t->String(kServer);
  if (!server || server->empty()) return Malformed("SERVER_STATS needs SERVER");
  ServerStats s;
  s.server = std::string(*server);
  s.index = t->U16(kIndex).value_or(0);
  for (const auto& f : t->fields()) {
    if (f.tag < 0x80) continue;
    if (auto v = t->U64(f.tag)) s.figures.values[f.tag] = *v;
  }
  return s;
}

}  // namespace dabs::mp
