#include <cassert>

#include <dabs/mp/coding.h>
#include <dabs/mp/errc.h>
#include <dabs/mp/tlv.h>

namespace dabs::mp {

void TlvWriter::Bytes(uint8_t tag, std::span<const uint8_t> value) {
  assert(value.size() <= 0xFFFF);
  ByteWriter w(out_);
  w.U8(tag);
  w.U16(static_cast<uint16_t>(value.size()));
  w.Bytes(value);
}

void TlvWriter::String(uint8_t tag, std::string_view v) {
  Bytes(tag, {reinterpret_cast<const uint8_t*>(v.data()), v.size()});
}

void TlvWriter::U8(uint8_t tag, uint8_t v) {
  Bytes(tag, {&v, 1});
}

void TlvWriter::U16(uint8_t tag, uint16_t v) {
  uint8_t b[2];
  PutU16(b, v);
  Bytes(tag, b);
}

void TlvWriter::U32(uint8_t tag, uint32_t v) {
  uint8_t b[4];
  PutU32(b, v);
  Bytes(tag, b);
}

void TlvWriter::U64(uint8_t tag, uint64_t v) {
  uint8_t b[8];
  PutU64(b, v);
  Bytes(tag, b);
}

void TlvWriter::Endpoint(uint8_t tag, const mp::Endpoint& e) {
  std::vector<uint8_t> value;
  EncodeEndpoint(e, value);
  Bytes(tag, value);
}

void EncodeEndpoint(const Endpoint& e, std::vector<uint8_t>& out) {
  assert(e.is_udp() && e.valid());
  ByteWriter w(out);
  w.U8(static_cast<uint8_t>(e.family()));
  w.Bytes(std::span(e.address_bytes()).first(e.is_v6() ? 16 : 4));
  w.U16(e.port());
}

std::optional<Endpoint> DecodeEndpoint(std::span<const uint8_t> value) {
  ByteReader r(value);
  auto family = r.U8();
  if (!family || (*family != 4 && *family != 6)) return std::nullopt;
  auto addr = r.Bytes(*family == 4 ? 4 : 16);
  auto port = r.U16();
  if (!addr || !port || r.remaining() != 0) return std::nullopt;
  if (*family == 4) return Endpoint::Udp4(GetU32(addr->data()), *port);
  std::array<uint8_t, 16> a6{};
  std::copy(addr->begin(), addr->end(), a6.begin());
  return Endpoint::Udp6(a6, *port);
}

Result<TlvList> TlvList::Parse(std::span<const uint8_t> payload) {
  TlvList list;
  ByteReader r(payload);
  while (r.remaining() > 0) {
    auto tag = r.U8();
    auto len = r.U16();
    if (!tag || !len) return Error{make_error_code(Errc::kMalformed), "truncated TLV header"};
    auto value = r.Bytes(*len);
    if (!value) return Error{make_error_code(Errc::kMalformed), "TLV length past the end"};
    list.fields_.push_back({*tag, *value});
  }
  return list;
}

const TlvField* TlvList::Find(uint8_t tag) const {
  for (const auto& f : fields_) {
    if (f.tag == tag) return &f;
  }
  return nullptr;
}

std::optional<std::string_view> TlvList::String(uint8_t tag) const {
  const TlvField* f = Find(tag);
  if (!f) return std::nullopt;
  return std::string_view(reinterpret_cast<const char*>(f->value.data()), f->value.size());
}

namespace {
template <typename T, size_t N, typename Get>
std::optional<T> Fixed(const TlvField* f, Get get) {
  if (!f || f->value.size() != N) return std::nullopt;
  return get(f->value.data());
}
}  // namespace

std::optional<uint8_t> TlvList::U8(uint8_t tag) const {
  return Fixed<uint8_t, 1>(Find(tag), [](const uint8_t* p) { return *p; });
}
std::optional<uint16_t> TlvList::U16(uint8_t tag) const {
  return Fixed<uint16_t, 2>(Find(tag), GetU16);
}
std::optional<uint32_t> TlvList::U32(uint8_t tag) const {
  return Fixed<uint32_t, 4>(Find(tag), GetU32);
}
std::optional<uint64_t> TlvList::U64(uint8_t tag) const {
  return Fixed<uint64_t, 8>(Find(tag), GetU64);
}
std::optional<Endpoint> TlvList::Endpoint(uint8_t tag) const {
  const TlvField* f = Find(tag);
  return f ? DecodeEndpoint(f->value) : std::nullopt;
}

}  // namespace dabs::mp
