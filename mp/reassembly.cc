#include <cassert>
#include <cstring>

#include <dabs/mp/reassembly.h>

namespace dabs::mp {

namespace {

// The buffer sizes a well-formed multi-buffer message may have: every buffer but the last
// is exactly `chunk` bytes, the last one 1..chunk (0..chunk for a lone buffer).
bool LengthFits(const Header& h, size_t length, size_t chunk) {
  if (h.buffer + 1 < h.buffers) return length == chunk;
  return length <= chunk && (length > 0 || h.buffers == 1);
}

bool SameMessage(const Header& a, const Header& b) {
  return a.buffers == b.buffers && a.command == b.command && a.kind == b.kind && a.va == b.va &&
         a.encrypted == b.encrypted && a.crc == b.crc;
}

}  // namespace

ReassemblyBuffer::AddResult ReassemblyBuffer::Add(const TransactionKey& key, const Header& h,
                                                  std::span<const uint8_t> payload, size_t chunk,
                                                  TimePoint now) {
  assert(h.multi && chunk > 0);
  const uint64_t packed = key.Packed();
  if (auto r = rejected_.find(packed); r != rejected_.end()) {
    if (now - r->second < limits_.timeout) return {Outcome::kRejected, {}};
    rejected_.erase(r);
  }
  if (!LengthFits(h, payload.size(), chunk)) return {Outcome::kMalformed, {}};

  auto it = partials_.find(packed);
  if (it == partials_.end()) {
    // Smallest message this many buffers can carry: refuse before allocating anything.
    const size_t smallest = (size_t{h.buffers} - 1) * chunk + (h.buffers > 1 ? 1 : 0);
    if (smallest > limits_.max_message_bytes) {
      rejected_[packed] = now;
      return {Outcome::kTooLarge, {}};
    }
    const size_t reserve = std::min(size_t{h.buffers} * chunk, limits_.max_message_bytes);
    size_t& peer_bytes = peer_bytes_[key.peer];
    if (peer_bytes + reserve > limits_.max_partial_bytes_per_peer ||
        total_bytes_ + reserve > limits_.max_partial_bytes_total) {
      if (peer_bytes == 0) peer_bytes_.erase(key.peer);
      return {Outcome::kOverBudget, {}};
    }
    Partial p;
    p.header = h;
    p.data = std::make_unique_for_overwrite<uint8_t[]>(reserve);
    p.reserved = reserve;
    p.chunk = chunk;
    p.bits.assign((h.buffers + 63) / 64, 0);
    p.started = now;
    p.last_progress = now;
    peer_bytes += reserve;
    total_bytes_ += reserve;
    it = partials_.emplace(packed, std::move(p)).first;
  }
  Partial& p = it->second;
  if (!SameMessage(p.header, h) || p.chunk != chunk) return {Outcome::kMalformed, {}};
  if (Has(p, h.buffer)) return {Outcome::kDuplicate, {}};

  const size_t offset = size_t{h.buffer} * chunk;
  if (offset + payload.size() > p.reserved) {
    // Only the last buffer can carry a message past the limit: refuse the whole message.
    Release(packed, p);
    partials_.erase(it);
    rejected_[packed] = now;
    return {Outcome::kTooLarge, {}};
  }
  if (!payload.empty()) std::memcpy(p.data.get() + offset, payload.data(), payload.size());
  p.bits[h.buffer / 64] |= uint64_t{1} << (h.buffer % 64);
  ++p.received;
  p.last_progress = now;
  if (h.buffer + 1 == h.buffers) p.last_length = payload.size();
  if (p.received < p.header.buffers) return {Outcome::kIncomplete, {}};

  const size_t size = (size_t{p.header.buffers} - 1) * chunk + p.last_length;
  AddResult done{Outcome::kComplete, std::vector<uint8_t>(p.data.get(), p.data.get() + size)};
  Release(packed, p);
  partials_.erase(it);
  return done;
}

void ReassemblyBuffer::Release(uint64_t packed, const Partial& p) {
  // The peer number sits above the session, transaction and reply bits of the key.
  const uint32_t peer = static_cast<uint32_t>(packed >> 17);
  total_bytes_ -= p.reserved;
  auto it = peer_bytes_.find(peer);
  assert(it != peer_bytes_.end() && it->second >= p.reserved);
  if (it == peer_bytes_.end()) return;
  it->second -= p.reserved;
  if (it->second == 0) peer_bytes_.erase(it);
}

std::vector<ReassemblyBuffer::Expired> ReassemblyBuffer::Expire(TimePoint now) {
  std::vector<Expired> out;
  for (auto it = partials_.begin(); it != partials_.end();) {
    if (now - it->second.started >= limits_.timeout) {
      const uint64_t packed = it->first;
      out.push_back({TransactionKey::Unpack(packed), it->second.header});
      Release(packed, it->second);
      it = partials_.erase(it);
    } else {
      ++it;
    }
  }
  std::erase_if(rejected_, [&](const auto& r) { return now - r.second >= limits_.timeout; });
  return out;
}

void ReassemblyBuffer::ForEachStalled(
    TimePoint now, Duration idle,
    const std::function<void(const TransactionKey&, const Header&, Duration)>& fn) {
  struct Stalled {
    TransactionKey key;
    Header header;
    Duration idle_for;
  };
  std::vector<Stalled> stalled;
  for (const auto& [packed, p] : partials_) {
    if (now - p.last_progress >= idle) {
      stalled.push_back({TransactionKey::Unpack(packed), p.header, now - p.last_progress});
    }
  }
  for (const auto& s : stalled)
    fn(s.key, s.header, s.idle_for);
}

std::vector<uint16_t> ReassemblyBuffer::Missing(const TransactionKey& key, size_t max) const {
  std::vector<uint16_t> out;
  auto it = partials_.find(key.Packed());
  if (it == partials_.end()) return out;
  const Partial& p = it->second;
  for (uint32_t b = 0; b < p.header.buffers && out.size() < max; ++b) {
    if (!Has(p, static_cast<uint16_t>(b))) out.push_back(static_cast<uint16_t>(b));
  }
  return out;
}

void ReassemblyBuffer::MarkPrompted(const TransactionKey& key, TimePoint now) {
  if (auto it = partials_.find(key.Packed()); it != partials_.end()) it->second.last_progress = now;
}

void ReassemblyBuffer::DropPeer(uint32_t peer) {
  for (auto it = partials_.begin(); it != partials_.end();) {
    if ((it->first >> 17) == peer) {
      Release(it->first, it->second);
      it = partials_.erase(it);
    } else {
      ++it;
    }
  }
}

std::optional<TimePoint> ReassemblyBuffer::NextExpiry() const {
  std::optional<TimePoint> next;
  for (const auto& [packed, p] : partials_) {
    (void)packed;
    const TimePoint t = p.started + limits_.timeout;
    if (!next || t < *next) next = t;
  }
  return next;
}

}  // namespace dabs::mp
