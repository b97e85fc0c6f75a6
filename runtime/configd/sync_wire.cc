// CONFIG_SYNC payloads: see sync_wire.h and README.md ("CONFIG_SYNC").
#include "sync_wire.h"

#include <dabs/config/adopt.h>
#include <dabs/config/persist.h>
#include <dabs/mp/coding.h>
#include <dabs/mp/errc.h>
#include <dabs/mp/tlv.h>

namespace dabs::configd {

namespace {

constexpr size_t kDigestBytes = 32;
constexpr size_t kTlvHeader = 3;

Error Malformed(std::string what) {
  return Error{make_error_code(mp::Errc::kMalformed), std::move(what)};
}

// VERSION, ORIGIN and (when known) DIGEST: what every CONFIG_SYNC of ours starts with.
void PutId(mp::TlvWriter& w, const ConfigId& id) {
  w.U64(sync_tag::kVersion, id.version);
  w.String(sync_tag::kOrigin, id.origin);
  if (auto d = DigestFromHex(id.digest); !d.empty()) w.Bytes(sync_tag::kDigest, d);
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<SyncMessage> DecodePart(const mp::TlvList& t, SyncMessage m) {
  const mp::TlvField* part = t.Find(sync_tag::kPart);
  const mp::TlvField* data = t.Find(sync_tag::kData);
  if (part->value.size() != 4) return Malformed("CONFIG_SYNC PART is not 4 bytes");
  if (!data) return Malformed("CONFIG_SYNC PART without DATA");
  m.kind = Heard::kPart;
  m.part = mp::GetU16(part->value.data());
  m.parts = mp::GetU16(part->value.data() + 2);
  if (m.parts == 0 || m.part >= m.parts) {
    return Malformed("CONFIG_SYNC part " + std::to_string(m.part) + " of " +
                     std::to_string(m.parts));
  }
  if (m.id.digest.empty()) return Malformed("CONFIG_SYNC PART without DIGEST");
  m.data.assign(data->value.begin(), data->value.end());
  return m;
}

}  // namespace

std::vector<uint8_t> DigestFromHex(const std::string& hex) {
  if (hex.size() != 2 * kDigestBytes) return {};
  std::vector<uint8_t> out(kDigestBytes);
  for (size_t i = 0; i < kDigestBytes; ++i) {
    const int hi = HexValue(hex[2 * i]), lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return {};
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return out;
}

std::string DigestToHex(std::span<const uint8_t> bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

std::vector<uint8_t> EncodeAnnounce(const ConfigId& id) {
  std::vector<uint8_t> out;
  mp::TlvWriter w(out);
  PutId(w, id);
  return out;
}

std::vector<std::vector<uint8_t>> EncodeFull(const config::Records& records,
                                             const std::string& digest, size_t max_payload) {
  std::vector<uint8_t> whole = config::EncodeConfigSync(records);
  const ConfigId id{records.version, records.origin, digest};
  if (auto d = DigestFromHex(digest); !d.empty()) mp::TlvWriter(whole).Bytes(sync_tag::kDigest, d);
  if (whole.size() <= max_payload) return {std::move(whole)};

  // Parts: the id, PART and the DATA header take `overhead`; the rest of each is DATA.
  std::vector<uint8_t> head;
  mp::TlvWriter hw(head);
  PutId(hw, id);
  const size_t overhead = head.size() + kTlvHeader + 4 + kTlvHeader;
  if (max_payload <= overhead) return {};
  const size_t slice = max_payload - overhead;
  const size_t parts = (whole.size() + slice - 1) / slice;
  if (parts > 0xFFFF) return {};
  std::vector<std::vector<uint8_t>> out;
  out.reserve(parts);
  for (size_t i = 0; i < parts; ++i) {
    std::vector<uint8_t> p = head;
    mp::TlvWriter w(p);
    uint8_t numbers[4];
    mp::PutU16(numbers, static_cast<uint16_t>(i));
    mp::PutU16(numbers + 2, static_cast<uint16_t>(parts));
    w.Bytes(sync_tag::kPart, numbers);
    const size_t begin = i * slice;
    const size_t end = std::min(whole.size(), begin + slice);
    w.Bytes(sync_tag::kData, std::span<const uint8_t>(whole).subspan(begin, end - begin));
    out.push_back(std::move(p));
  }
  return out;
}

Result<SyncMessage> DecodeSync(std::span<const uint8_t> payload) {
  auto t = mp::TlvList::Parse(payload);
  if (!t) return Malformed("CONFIG_SYNC: " + t.error().detail);
  SyncMessage m;
  auto version = t->U64(sync_tag::kVersion);
  if (!version) return Malformed("CONFIG_SYNC without an 8-byte VERSION");
  m.id.version = *version;
  if (auto o = t->String(sync_tag::kOrigin)) m.id.origin = std::string(*o);
  // A server id, that every server logs, stores and writes into its JSON status: text only.
  if (!config::IsUtf8(m.id.origin) || m.id.origin.find('\0') != std::string::npos) {
    return Malformed("CONFIG_SYNC ORIGIN is not UTF-8 text");
  }
  if (const mp::TlvField* d = t->Find(sync_tag::kDigest)) {
    if (d->value.size() != kDigestBytes) return Malformed("CONFIG_SYNC DIGEST is not 32 bytes");
    m.id.digest = DigestToHex(d->value);
  }
  if (t->Find(sync_tag::kPart)) return DecodePart(*t, std::move(m));
  if (!t->Find(sync_tag::kRecord)) return m;  // an announcement

  auto records = config::DecodeConfigSync(payload);
  if (!records) return Malformed(records.error().detail);
  const std::string digest = config::RecordsDigest(*records);
  if (!m.id.digest.empty() && m.id.digest != digest) {
    return Malformed("CONFIG_SYNC records do not match their DIGEST");
  }
  m.kind = Heard::kFull;
  m.id.digest = digest;
  m.records = std::move(*records);
  return m;
}

}  // namespace dabs::configd
