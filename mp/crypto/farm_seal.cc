// Farm seals: the format of docs/spec/farm-seal.md. Check, then open: every length and
// fixed field is checked, the key found and the freshness and replay windows consulted
// before the AEAD runs, and nothing about a sender changes until its datagram authenticates.
#include <algorithm>
#include <cstring>

#include <dabs/mp/coding.h>
#include <dabs/mp/farm_seal.h>

#include "aead.h"

namespace dabs::mp {

namespace {

using crypto::AsBytes;
namespace fs = farm_seal;

constexpr std::string_view kKeyIdLabel = "dabs-farm-key-id";
constexpr std::string_view kSealSalt = "dabs-farm-seal-v1";

Error Fail(CryptoErrc e, std::string detail = {}) {
  return Error{make_error_code(e), std::move(detail)};
}

// The MP header's length: 12, or 16 with a multi-buffer header.
size_t HeaderBytes(std::span<const uint8_t> d) {
  return (d[wire::kOffFlags] & wire::kFlagMulti) ? wire::kHeaderSize + wire::kMultiHeaderSize
                                                 : wire::kHeaderSize;
}

// Associated data: the MP header as sent, the seal header, the farm's name (u8 length first).
size_t BuildAd(std::span<const uint8_t> header, std::span<const uint8_t> seal_header,
               std::string_view farm, std::array<uint8_t, 320>& ad) {
  size_t n = 0;
  std::memcpy(ad.data(), header.data(), header.size());
  n += header.size();
  std::memcpy(ad.data() + n, seal_header.data(), seal_header.size());
  n += seal_header.size();
  const size_t name = std::min<size_t>(farm.size(), 255);
  ad[n++] = static_cast<uint8_t>(name);
  std::memcpy(ad.data() + n, farm.data(), name);
  return n + name;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

// ---------------------------------------------------------------------------- keys

std::string FarmSenderName(uint32_t sender) {
  static constexpr const char* kRoles[] = {"?", "dabs-lbd", "dabs-statd", "dabs-configd"};
  const uint8_t role = sender & 0xFF;
  return std::string(role < 4 ? kRoles[role] : "?") + " of server index " +
         std::to_string(sender >> 8);
}

FarmKey FarmKey::FromBytes(std::span<const uint8_t, fs::kKeyBytes> bytes) {
  FarmKey k;
  std::copy(bytes.begin(), bytes.end(), k.bytes.begin());
  const auto digest = crypto::Sha256({AsBytes(kKeyIdLabel), bytes});
  k.id = GetU32(digest.data());
  return k;
}

Result<FarmKey> FarmKey::Generate() {
  std::array<uint8_t, fs::kKeyBytes> bytes{};
  if (Status s = crypto::RandomBytes(bytes); !s) return s.error();
  return FromBytes(bytes);
}

Result<FarmKey> FarmKey::Parse(std::string_view text) {
  std::array<uint8_t, fs::kKeyBytes> bytes{};
  if (text.size() == fs::kKeyBytes) {  // the raw form
    std::memcpy(bytes.data(), text.data(), bytes.size());
    return FromBytes(bytes);
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
    text.remove_suffix(1);
  if (text.size() != 2 * fs::kKeyBytes) {
    return Fail(CryptoErrc::kBadKey,
                "a farm key file holds 64 hex digits (dabsctl keys generate makes one)");
  }
  for (size_t i = 0; i < bytes.size(); ++i) {
    const int hi = HexValue(text[2 * i]), lo = HexValue(text[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return Fail(CryptoErrc::kBadKey,
                  "a farm key file holds 64 hex digits, and this one has "
                  "another character");
    }
    bytes[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return FromBytes(bytes);
}

std::string FarmKey::ToFileText() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  out.push_back('\n');
  return out;
}

std::string FarmKey::IdText() const {
  return FarmKeyIdText(id);
}

std::string FarmKeyIdText(FarmKeyId id) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", id);
  return buf;
}

Result<FarmKeyId> ParseFarmKeyId(std::string_view text) {
  if (text.size() != 8) return Fail(CryptoErrc::kBadKey, "a key id is 8 hex digits");
  FarmKeyId id = 0;
  for (char c : text) {
    const int v = HexValue(c);
    if (v < 0) return Fail(CryptoErrc::kBadKey, "a key id is 8 hex digits");
    id = id << 4 | static_cast<uint32_t>(v);
  }
  return id;
}

FarmKeySet::FarmKeySet(std::string farm, std::vector<FarmKey> keys, FarmKeyId primary)
    : farm_(std::move(farm)), keys_(std::move(keys)), primary_(primary) {}

const FarmKey* FarmKeySet::Find(FarmKeyId id) const {
  for (const FarmKey& k : keys_) {
    if (k.id == id) return &k;
  }
  return nullptr;
}

uint64_t FarmIncarnation(int64_t now_ms) {
  std::array<uint8_t, 2> r{};
  (void)crypto::RandomBytes(r);
  return (static_cast<uint64_t>(now_ms) << 16) | GetU16(r.data());
}

// ---------------------------------------------------------------------------- key cache

struct FarmKeyCache::Entry {
  std::array<uint8_t, fs::kKeyBytes> key;
  uint32_t sender;
  uint64_t incarnation;
  std::unique_ptr<crypto::AeadKey> aead;
};

FarmKeyCache::FarmKeyCache(size_t capacity, crypto::Direction direction)
    : capacity_(std::max<size_t>(capacity, 1)), direction_(direction) {}
FarmKeyCache::~FarmKeyCache() = default;

Result<crypto::AeadKey*> FarmKeyCache::Get(const FarmKey& key, uint32_t sender,
                                           uint64_t incarnation) {
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->sender == sender && it->incarnation == incarnation && it->key == key.bytes) {
      entries_.splice(entries_.begin(), entries_, it);
      return entries_.front().aead.get();
    }
  }
  std::array<uint8_t, 12> info{};
  PutU32(info.data(), sender);
  PutU64(info.data() + 4, incarnation);
  std::array<uint8_t, crypto::kAeadKeyBytes> derived{};
  if (Status s = crypto::Hkdf(AsBytes(kSealSalt), key.bytes, info, derived); !s) {
    return s.error();
  }
  auto aead = crypto::AeadKey::Create(crypto::AeadKind::kChaCha20Poly1305, derived, direction_);
  std::fill(derived.begin(), derived.end(), 0);
  if (!aead) return aead.error();
  if (entries_.size() >= capacity_) entries_.pop_back();
  entries_.push_front(Entry{key.bytes, sender, incarnation, std::move(*aead)});
  return entries_.front().aead.get();
}

// ---------------------------------------------------------------------------- header

Result<FarmSealHeader> FarmSealHeader::Peek(std::span<const uint8_t> d) {
  if (d.size() < wire::kHeaderSize) return Fail(CryptoErrc::kMalformed, "shorter than a header");
  const size_t h = HeaderBytes(d);
  if (d.size() < h + fs::kOverhead || d.size() > wire::kMaxDatagram) {
    return Fail(CryptoErrc::kMalformed, "too short or too long for a sealed datagram");
  }
  if (!(d[wire::kOffSentTime] & wire::kTimeEncrypted) || (d[wire::kOffSentTime] & wire::kTimeCrc)) {
    return Fail(CryptoErrc::kMalformed, "a sealed datagram has E = 1 and C = 0");
  }
  const uint8_t* s = d.data() + h;
  FarmSealHeader out;
  out.version = s[fs::kOffVersion];
  if (out.version != fs::kVersion) {
    return Fail(CryptoErrc::kMalformed, "seal version " + std::to_string(out.version));
  }
  out.key_id = GetU32(s + fs::kOffKeyId);
  out.sender = GetU32(s + fs::kOffSender);
  out.incarnation = GetU64(s + fs::kOffIncarnation);
  out.sequence = GetU64(s + fs::kOffSequence);
  out.sealed_at_ms = GetU64(s + fs::kOffSealedAt);
  return out;
}

// ---------------------------------------------------------------------------- sealer

FarmSealer::FarmSealer(uint32_t sender, uint64_t incarnation)
    : sender_(sender), incarnation_(incarnation), cache_(8, crypto::Direction::kSeal) {}

Status FarmSealer::Seal(const FarmKeySet& keys, std::span<const uint8_t> plain, int64_t now_ms,
                        std::vector<uint8_t>& out) {
  if (plain.size() < wire::kHeaderSize) return Fail(CryptoErrc::kMalformed, "no header");
  const size_t h = HeaderBytes(plain);
  const bool crc = plain[wire::kOffSentTime] & wire::kTimeCrc;
  if (plain.size() < h + (crc ? wire::kCrcSize : 0) ||
      (plain[wire::kOffSentTime] & wire::kTimeEncrypted)) {
    return Fail(CryptoErrc::kMalformed, "not a plaintext MP datagram");
  }
  const auto body = plain.subspan(h, plain.size() - h - (crc ? wire::kCrcSize : 0));
  if (h + fs::kOverhead + body.size() > wire::kMaxDatagram) {
    return Fail(CryptoErrc::kMalformed, "too large to seal in one datagram");
  }
  const FarmKey& key = keys.primary();
  auto aead = cache_.Get(key, sender_, incarnation_);
  if (!aead) return aead.error();

  out.resize(h + fs::kOverhead + body.size());
  std::memcpy(out.data(), plain.data(), h);
  out[wire::kOffSentTime] =
      static_cast<uint8_t>((out[wire::kOffSentTime] | wire::kTimeEncrypted) & ~wire::kTimeCrc);
  uint8_t* s = out.data() + h;
  s[fs::kOffVersion] = fs::kVersion;
  PutU32(s + fs::kOffKeyId, key.id);
  PutU32(s + fs::kOffSender, sender_);
  PutU64(s + fs::kOffIncarnation, incarnation_);
  PutU64(s + fs::kOffSequence, sequence_);
  PutU64(s + fs::kOffSealedAt, static_cast<uint64_t>(now_ms));
  std::array<uint8_t, 320> ad;
  const size_t ad_size = BuildAd({out.data(), h}, {s, fs::kHeaderBytes}, keys.farm(), ad);
  const auto nonce = crypto::CounterNonce(sequence_);
  std::span<uint8_t> sealed(s + fs::kHeaderBytes, body.size() + fs::kTagBytes);
  if (Status st = (*aead)->Seal(nonce, {ad.data(), ad_size}, body, sealed); !st) return st;
  ++sequence_;  // never reused: even a failed send has consumed its nonce
  return Status::Ok();
}

// ---------------------------------------------------------------------------- opener

bool FarmOpener::Window::Seen(uint64_t sequence) const {
  if (!any || sequence > highest) return false;
  const uint64_t age = highest - sequence;
  if (age >= fs::kReplayWindow) return true;  // too old to tell: refused as a replay
  return (seen[age / 64] >> (age % 64)) & 1;
}

void FarmOpener::Window::Accept(uint64_t sequence) {
  if (!any || sequence > highest) {
    const uint64_t shift = any ? sequence - highest : fs::kReplayWindow;
    if (shift >= fs::kReplayWindow) {
      seen.fill(0);
    } else {
      // Bit i becomes bit i + shift: older sequences move toward the end.
      const size_t words = shift / 64, bits = shift % 64;
      for (size_t i = seen.size(); i-- > 0;) {
        uint64_t v = i >= words ? seen[i - words] << bits : 0;
        if (bits && i >= words + 1) v |= seen[i - words - 1] >> (64 - bits);
        seen[i] = v;
      }
    }
    highest = sequence;
    any = true;
  }
  const uint64_t age = highest - sequence;
  seen[age / 64] |= uint64_t{1} << (age % 64);
}

FarmOpener::FarmOpener(int64_t started_ms, size_t max_senders)
    : not_before_ms_(started_ms > 0 ? started_ms - fs::kStartSlackMs : 0),
      max_senders_(max_senders),
      cache_(256, crypto::Direction::kOpen) {}

bool FarmOpener::IsReplay(const FarmSealHeader& h) const {
  auto it = senders_.find(h.sender);
  if (it == senders_.end()) return false;
  const auto& kept = it->second.incarnations;
  for (const Window& w : kept) {
    if (w.incarnation == h.incarnation) return w.Seen(h.sequence);
  }
  // An incarnation older than every one kept, with the list full, is an old one replayed.
  return kept.size() >= kIncarnationsKept && h.incarnation < kept.back().incarnation;
}

void FarmOpener::Accept(const FarmSealHeader& h, int64_t now_ms) {
  auto it = senders_.find(h.sender);
  if (it == senders_.end()) {
    if (senders_.size() >= max_senders_) {
      // Forget the sender heard from longest ago. Safe: what it sealed before then is stale.
      auto oldest = std::min_element(senders_.begin(), senders_.end(), [](auto& a, auto& b) {
        return a.second.last_ms < b.second.last_ms;
      });
      senders_.erase(oldest);
    }
    it = senders_.emplace(h.sender, Sender{}).first;
  }
  Sender& s = it->second;
  s.last_ms = std::max(s.last_ms, now_ms);
  auto w = std::find_if(s.incarnations.begin(), s.incarnations.end(),
                        [&](const Window& x) { return x.incarnation == h.incarnation; });
  if (w == s.incarnations.end()) {
    Window fresh;
    fresh.incarnation = h.incarnation;
    // Kept newest (largest incarnation) first.
    w = s.incarnations.insert(
        std::find_if(s.incarnations.begin(), s.incarnations.end(),
                     [&](const Window& x) { return x.incarnation < h.incarnation; }),
        fresh);
    if (s.incarnations.size() > kIncarnationsKept) {
      const bool dropping_this = (w == s.incarnations.end() - 1);
      s.incarnations.pop_back();
      if (dropping_this) return;
    }
  }
  w->Accept(h.sequence);
}

Result<FarmSealed> FarmOpener::Open(const FarmKeySet& keys, std::span<const uint8_t> sealed,
                                    int64_t now_ms, std::vector<uint8_t>& out) {
  auto h = FarmSealHeader::Peek(sealed);
  if (!h) return h.error();
  const FarmKey* key = keys.Find(h->key_id);
  if (!key) return Fail(CryptoErrc::kUnknownKey, "key " + FarmKeyIdText(h->key_id));
  // In unsigned arithmetic: the field is the sender's to fill, and may hold any 64 bits.
  const uint64_t at = h->sealed_at_ms, now = static_cast<uint64_t>(now_ms);
  const uint64_t skew = at > now ? at - now : now - at;
  if (skew > static_cast<uint64_t>(fs::kMaxSkewMs)) {
    return Fail(CryptoErrc::kStale, "sealed " + std::to_string(skew / 1000) + " s " +
                                        (at > now ? "ahead of" : "behind") + " our clock");
  }
  if (at < static_cast<uint64_t>(not_before_ms_)) {
    return Fail(CryptoErrc::kStale, "sealed before this daemon started");
  }
  if (IsReplay(*h)) return Fail(CryptoErrc::kReplay);
  auto aead = cache_.Get(*key, h->sender, h->incarnation);
  if (!aead) return aead.error();

  const size_t hb = HeaderBytes(sealed);
  const uint8_t* s = sealed.data() + hb;
  std::array<uint8_t, 320> ad;
  const size_t ad_size = BuildAd(sealed.first(hb), {s, fs::kHeaderBytes}, keys.farm(), ad);
  const auto body = sealed.subspan(hb + fs::kHeaderBytes);
  out.resize(hb + body.size() - fs::kTagBytes);
  if (Status st = (*aead)->Open(crypto::CounterNonce(h->sequence), {ad.data(), ad_size}, body,
                                std::span(out).subspan(hb));
      !st) {
    return st.error();
  }
  std::memcpy(out.data(), sealed.data(), hb);
  out[wire::kOffSentTime] = static_cast<uint8_t>(out[wire::kOffSentTime] & ~wire::kTimeEncrypted);
  Accept(*h, now_ms);
  return FarmSealed{h->sender, h->incarnation, h->key_id};
}

}  // namespace dabs::mp
