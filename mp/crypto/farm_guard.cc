#include <algorithm>

#include <dabs/mp/coding.h>
#include <dabs/mp/farm_guard.h>
#include <dabs/mp/wire.h>

namespace dabs::mp {

namespace {

FarmReject RejectOf(std::error_code e) {
  switch (static_cast<CryptoErrc>(e.value())) {
    case CryptoErrc::kUnknownKey:
      return FarmReject::kUnknownKey;
    case CryptoErrc::kStale:
      return FarmReject::kStale;
    case CryptoErrc::kReplay:
      return FarmReject::kReplay;
    case CryptoErrc::kAuthentication:
      return FarmReject::kAuthentication;
    default:
      return FarmReject::kMalformed;
  }
}

bool Contains(const std::vector<uint16_t>& v, uint16_t c) {
  return std::find(v.begin(), v.end(), c) != v.end();
}

// What an operator can do about it, after the reason.
std::string Hint(FarmReject why) {
  switch (why) {
    case FarmReject::kUnknownKey:
      return "; install the farm's current key here (dabsctl keys install)";
    case FarmReject::kStale:
      return "; are the farm's clocks synchronised (NTP)?";
    default:
      return "";
  }
}

}  // namespace

const char* FarmRejectName(FarmReject r) {
  static constexpr const char* kNames[kFarmRejectKinds] = {
      "not_sealed", "member_plaintext", "malformed",     "unknown_key",
      "stale",      "replay",           "authentication"};
  return kNames[static_cast<size_t>(r)];
}

uint64_t FarmGuardStats::rejected_total() const {
  uint64_t n = 0;
  for (uint64_t r : rejected)
    n += r;
  return n;
}

FarmGuard::FarmGuard(std::shared_ptr<const FarmKeySet> keys, uint32_t sender, uint64_t incarnation,
                     FarmGuardPolicy policy, std::function<void(const std::string&)> log,
                     int64_t started_ms)
    : keys_(std::move(keys)),
      sealer_(sender, incarnation),
      opener_(started_ms),
      policy_(std::move(policy)),
      log_(std::move(log)) {}

void FarmGuard::SetKeys(std::shared_ptr<const FarmKeySet> keys) {
  std::lock_guard lock(keys_mu_);
  keys_ = std::move(keys);
}

void FarmGuard::OnUnknownKey(std::function<bool()> recheck) {
  std::lock_guard lock(keys_mu_);
  recheck_ = std::move(recheck);
}

std::shared_ptr<const FarmKeySet> FarmGuard::keys() const {
  std::lock_guard lock(keys_mu_);
  return keys_;
}

FarmGuard::Verdict FarmGuard::Inbound(const Endpoint& from, bool via_group,
                                      std::span<const uint8_t> bytes, int64_t now_ms,
                                      std::vector<uint8_t>& opened, uint32_t& sealed_by) {
  sealed_by = 0;
  const bool sealed =
      bytes.size() >= wire::kHeaderSize && (bytes[wire::kOffSentTime] & wire::kTimeEncrypted);
  if (sealed) {
    auto r = opener_.Open(*keys(), bytes, now_ms, opened);
    if (!r && r.code() == CryptoErrc::kUnknownKey &&
        now_ms - last_recheck_ms_ >= kUnknownKeyRecheckMs) {
      last_recheck_ms_ = now_ms;
      std::function<bool()> recheck;
      {
        std::lock_guard lock(keys_mu_);
        recheck = recheck_;
      }
      if (recheck && recheck()) r = opener_.Open(*keys(), bytes, now_ms, opened);
    }
    if (!r) {
      Reject(from, RejectOf(r.error().code), now_ms, r.error().detail);
      return Verdict::kDrop;
    }
    sealed_by = r->sender;
    NoteMember(from, now_ms);
    std::lock_guard lock(stats_mu_);
    ++stats_.sealed_in;
    return Verdict::kOpened;
  }
  if (IsMember(from)) {
    Reject(from, FarmReject::kMemberPlain, now_ms, {});
    return Verdict::kDrop;
  }
  if (!PolicyAllows(from, via_group, bytes)) {
    Reject(from, FarmReject::kNotSealed, now_ms, {});
    return Verdict::kDrop;
  }
  std::lock_guard lock(stats_mu_);
  ++stats_.open_in;
  return Verdict::kPlain;
}

std::span<const uint8_t> FarmGuard::Outbound(const Endpoint& to, std::span<const uint8_t> bytes,
                                             int64_t now_ms, std::vector<uint8_t>& sealed) {
  if (to.kind() != TransportKind::kUdp) return bytes;  // local links: the socket's credentials
  if (!to.IsMulticast() && !IsMember(to) && IsAnswerToOutsider(bytes)) {
    std::lock_guard lock(stats_mu_);
    ++stats_.open_out;
    return bytes;
  }
  const auto keys = this->keys();
  const Status s = sealer_.Seal(*keys, bytes, now_ms, sealed);
  std::lock_guard lock(stats_mu_);
  if (!s) {
    ++stats_.seal_failures;
    return {};
  }
  ++stats_.sealed_out;
  return sealed;
}

bool FarmGuard::PolicyAllows(const Endpoint&, bool via_group,
                             std::span<const uint8_t> bytes) const {
  // Only the fixed header is read: an outsider's payload is the engine's to check.
  if (bytes.size() < wire::kHeaderSize) return false;
  const uint8_t flags = bytes[wire::kOffFlags];
  if ((flags & wire::kFlagMulti) || (flags & wire::kVersionMask) != wire::kVersion) return false;
  const uint16_t command = GetU16(bytes.data() + wire::kOffCommand);
  const bool ack = flags & wire::kFlagAck, nak = flags & wire::kFlagNak;
  if (via_group) return !ack && !nak && Contains(policy_.open_group_commands, command);
  return (ack != nak) && Contains(policy_.open_answer_commands, command);
}

// What goes to outsiders in plaintext: a reply or NAK about a command they may send us. All
// else a daemon sends (its own messages, ACKs, anything to a member) is sealed, so that a
// daemon never speaks plaintext to a farm member it has not heard from yet.
bool FarmGuard::IsAnswerToOutsider(std::span<const uint8_t> bytes) const {
  if (bytes.size() < wire::kHeaderSize) return false;
  const uint8_t flags = bytes[wire::kOffFlags];
  const bool nak = flags & wire::kFlagNak;  // a NAK, or a reply (A and N)
  const uint16_t command = GetU16(bytes.data() + wire::kOffCommand);
  return nak && (Contains(policy_.open_group_commands, command) ||
                 Contains(policy_.open_answer_commands, command));
}

void FarmGuard::TrustPeer(const Endpoint& peer) {
  std::lock_guard lock(members_mu_);
  if (members_.size() < kMaxMembers) members_[peer] = INT64_MAX / 2;
}

bool FarmGuard::IsMember(const Endpoint& peer) const {
  std::lock_guard lock(members_mu_);
  return members_.count(peer) > 0;
}

void FarmGuard::NoteMember(const Endpoint& peer, int64_t now_ms) {
  std::lock_guard lock(members_mu_);
  if (now_ms - last_member_sweep_ms_ > 60'000) {
    last_member_sweep_ms_ = now_ms;
    std::erase_if(members_, [&](const auto& m) { return now_ms - m.second > kMemberTtlMs; });
  }
  auto it = members_.find(peer);
  if (it != members_.end()) {
    it->second = std::max(it->second, now_ms);
  } else if (members_.size() < kMaxMembers) {
    members_.emplace(peer, now_ms);
  }
}

void FarmGuard::Reject(const Endpoint& from, FarmReject why, int64_t now_ms,
                       const std::string& detail) {
  {
    std::lock_guard lock(stats_mu_);
    ++stats_.rejected[static_cast<size_t>(why)];
  }
  if (!log_) return;
  const std::string source = from.ToString();
  auto it = sources_.find(source);
  if (it == sources_.end()) {
    if (sources_.size() >= kMaxSources) {
      sources_.erase(std::min_element(sources_.begin(), sources_.end(), [](auto& a, auto& b) {
        return a.second.window_start_ms < b.second.window_start_ms;
      }));
    }
    it = sources_.emplace(source, Source{now_ms - kLogPeriodMs, 0, {}}).first;
  }
  Source& s = it->second;
  if (now_ms - s.window_start_ms < kLogPeriodMs) {
    ++s.suppressed;
    ++s.by_reason[static_cast<size_t>(why)];
    return;
  }
  std::string line = "dropped a farm datagram from " + source + ": " + FarmRejectName(why);
  if (!detail.empty()) line += " (" + detail + ")";
  line += Hint(why);
  if (s.suppressed > 0) {
    line += "; " + std::to_string(s.suppressed) + " more from it in the previous " +
            std::to_string((now_ms - s.window_start_ms) / 1000) + " s (";
    bool first = true;
    for (size_t r = 0; r < kFarmRejectKinds; ++r) {
      if (!s.by_reason[r]) continue;
      line += (first ? "" : ", ") + std::string(FarmRejectName(static_cast<FarmReject>(r))) + " " +
              std::to_string(s.by_reason[r]);
      first = false;
    }
    line += ")";
  }
  s = Source{now_ms, 0, {}};
  log_(line);
}

FarmGuardStats FarmGuard::Stats() const {
  std::lock_guard lock(stats_mu_);
  return stats_;
}

}  // namespace dabs::mp
