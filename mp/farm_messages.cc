#include <algorithm>

#include <dabs/mp/coding.h>
#include <dabs/mp/errc.h>
#include <dabs/mp/farm_messages.h>
#include <dabs/mp/tlv.h>

namespace dabs::mp {

namespace {
using namespace farm_tag;
constexpr size_t kMaxHelloKeyIds = 16;
constexpr size_t kKeyTlvBytes = 4 + farm_seal::kKeyBytes;
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
  if (keyring_version) {
    w.U64(kKeyringVersion, keyring_version);
    w.U32(kKeyringPrimary, keyring_primary);
    std::vector<uint8_t> ids(4 * std::min<size_t>(key_ids.size(), kMaxHelloKeyIds));
    for (size_t i = 0; i < ids.size() / 4; ++i)
      PutU32(ids.data() + 4 * i, key_ids[i]);
    w.Bytes(kKeyIds, ids);
  }
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
  h.keyring_version = t->U64(kKeyringVersion).value_or(0);
  h.keyring_primary = t->U32(kKeyringPrimary).value_or(0);
  if (const TlvField* ids = t->Find(kKeyIds); ids && ids->value.size() % 4 == 0) {
    for (size_t i = 0; i < ids->value.size() / 4 && i < kMaxHelloKeyIds; ++i)
      h.key_ids.push_back(GetU32(ids->value.data() + 4 * i));
  }
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

namespace dabs::mp {

namespace {

void PutKey(TlvWriter& w, const FarmKey& k) {
  std::array<uint8_t, kKeyTlvBytes> v{};
  PutU32(v.data(), k.id);
  std::copy(k.bytes.begin(), k.bytes.end(), v.begin() + 4);
  w.Bytes(kKrKey, v);
}

// A KEY TLV whose id matches its key, or nullopt.
std::optional<FarmKey> GetKey(std::span<const uint8_t> v) {
  if (v.size() != kKeyTlvBytes) return std::nullopt;
  const FarmKey k = FarmKey::FromBytes(v.subspan<4, farm_seal::kKeyBytes>());
  if (k.id != GetU32(v.data())) return std::nullopt;
  return k;
}

}  // namespace

std::vector<uint8_t> KeyringMessage::Encode() const {
  std::vector<uint8_t> out;
  TlvWriter w(out);
  w.U64(kKrVersion, version);
  w.U32(kKrPrimary, primary);
  for (const FarmKey& k : keys)
    PutKey(w, k);
  if (!server.empty()) w.String(kServer, server);
  return out;
}

Result<KeyringMessage> KeyringMessage::Decode(std::span<const uint8_t> payload) {
  auto t = TlvList::Parse(payload);
  if (!t) return t.error();
  auto version = t->U64(kKrVersion);
  auto primary = t->U32(kKrPrimary);
  if (!version || !primary) return Malformed("KEYRING needs VERSION and PRIMARY");
  KeyringMessage m;
  m.version = *version;
  m.primary = *primary;
  m.server = std::string(t->String(kServer).value_or(""));
  for (const TlvField& f : t->fields()) {
    if (f.tag != kKrKey) continue;
    auto k = GetKey(f.value);
    if (!k) return Malformed("KEYRING: a KEY that does not match its id");
    if (m.keys.size() == kMaxKeys) return Malformed("KEYRING: more than 8 keys");
    if (std::any_of(m.keys.begin(), m.keys.end(), [&](auto& x) { return x.id == k->id; })) {
      return Malformed("KEYRING: a key twice");
    }
    m.keys.push_back(*k);
  }
  if (m.keys.empty()) return Malformed("KEYRING: no KEY");
  if (std::none_of(m.keys.begin(), m.keys.end(), [&](auto& x) { return x.id == m.primary; })) {
    return Malformed("KEYRING: the primary is not among the keys");
  }
  return m;
}

std::vector<uint8_t> KeyringRequest::Encode() const {
  std::vector<uint8_t> out;
  TlvWriter w(out);
  w.U8(kKrOp, static_cast<uint8_t>(op));
  if (key) PutKey(w, *key);
  if (key_id) w.U32(kKrKeyId, key_id);
  if (force) w.U8(kKrForce, 1);
  return out;
}

Result<KeyringRequest> KeyringRequest::Decode(std::span<const uint8_t> payload) {
  auto t = TlvList::Parse(payload);
  if (!t) return t.error();
  KeyringRequest r;
  const uint8_t op = t->U8(kKrOp).value_or(0);
  if (op < 1 || op > 3) return Malformed("KEYRING request: OP must be 1, 2 or 3");
  r.op = static_cast<Op>(op);
  if (const TlvField* f = t->Find(kKrKey)) {
    r.key = GetKey(f->value);
    if (!r.key) return Malformed("KEYRING request: a KEY that does not match its id");
  }
  r.key_id = t->U32(kKrKeyId).value_or(0);
  r.force = t->U8(kKrForce).value_or(0) != 0;
  if (r.op == Op::kInstall && !r.key) return Malformed("KEYRING install needs KEY");
  if (r.op != Op::kInstall && !r.key_id) return Malformed("KEYRING use/remove needs KEY_ID");
  return r;
}

}  // namespace dabs::mp
