#include "calc_protocol.h"

#include <dabs/mp/coding.h>

namespace dabs::calculator {

namespace {
constexpr size_t kRequestSize = 1 + 8 + 8;
constexpr size_t kAnswerSize = 1 + 8;
}  // namespace

std::vector<uint8_t> Encode(const IntRequest& r) {
  std::vector<uint8_t> out;
  mp::ByteWriter w(out);
  w.U8(r.op);
  w.I64(r.a);
  w.I64(r.b);
  return out;
}

std::vector<uint8_t> Encode(const FloatRequest& r) {
  std::vector<uint8_t> out;
  mp::ByteWriter w(out);
  w.U8(r.op);
  w.F64(r.a);
  w.F64(r.b);
  return out;
}

std::vector<uint8_t> Encode(const IntAnswer& a) {
  std::vector<uint8_t> out;
  mp::ByteWriter w(out);
  w.U8(static_cast<uint8_t>(a.status));
  w.I64(a.value);
  return out;
}

std::vector<uint8_t> Encode(const FloatAnswer& a) {
  std::vector<uint8_t> out;
  mp::ByteWriter w(out);
  w.U8(static_cast<uint8_t>(a.status));
  w.F64(a.value);
  return out;
}

std::optional<IntRequest> DecodeIntRequest(std::span<const uint8_t> p) {
  if (p.size() != kRequestSize) return std::nullopt;
  mp::ByteReader r(p);
  return IntRequest{*r.U8(), *r.I64(), *r.I64()};
}

std::optional<FloatRequest> DecodeFloatRequest(std::span<const uint8_t> p) {
  if (p.size() != kRequestSize) return std::nullopt;
  mp::ByteReader r(p);
  return FloatRequest{*r.U8(), *r.F64(), *r.F64()};
}

std::optional<IntAnswer> DecodeIntAnswer(std::span<const uint8_t> p) {
  if (p.size() != kAnswerSize || p[0] > 3) return std::nullopt;
  mp::ByteReader r(p);
  return IntAnswer{static_cast<CalcStatus>(*r.U8()), *r.I64()};
}

std::optional<FloatAnswer> DecodeFloatAnswer(std::span<const uint8_t> p) {
  if (p.size() != kAnswerSize || p[0] > 3) return std::nullopt;
  mp::ByteReader r(p);
  return FloatAnswer{static_cast<CalcStatus>(*r.U8()), *r.F64()};
}

}  // namespace dabs::calculator
