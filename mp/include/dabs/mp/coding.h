// Big-endian ("network order") integer coding, bounds-checked readers and an appending
// writer. Used by the header codec, TLVs and application payloads alike.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace dabs::mp {

inline void PutU16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void PutU32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}
inline void PutU64(uint8_t* p, uint64_t v) {
  PutU32(p, static_cast<uint32_t>(v >> 32));
  PutU32(p + 4, static_cast<uint32_t>(v));
}
inline uint16_t GetU16(const uint8_t* p) {
  return static_cast<uint16_t>((p[0] << 8) | p[1]);
}
inline uint32_t GetU32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
inline uint64_t GetU64(const uint8_t* p) {
  return (uint64_t{GetU32(p)} << 32) | GetU32(p + 4);
}

// Appends big-endian values to a byte vector.
class ByteWriter {
 public:
  explicit ByteWriter(std::vector<uint8_t>& out) : out_(out) {}
  void U8(uint8_t v) { out_.push_back(v); }
  void U16(uint16_t v) {
    Grow(2, [&](uint8_t* p) { PutU16(p, v); });
  }
  void U32(uint32_t v) {
    Grow(4, [&](uint8_t* p) { PutU32(p, v); });
  }
  void U64(uint64_t v) {
    Grow(8, [&](uint8_t* p) { PutU64(p, v); });
  }
  void I64(int64_t v) { U64(static_cast<uint64_t>(v)); }
  void F64(double v) { U64(std::bit_cast<uint64_t>(v)); }  // IEEE 754, big-endian
  void Bytes(std::span<const uint8_t> b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void Str(std::string_view s) { Bytes({reinterpret_cast<const uint8_t*>(s.data()), s.size()}); }

 private:
  template <typename F>
  void Grow(size_t n, F&& put) {
    const size_t at = out_.size();
    out_.resize(at + n);
    put(out_.data() + at);
  }
  std::vector<uint8_t>& out_;
};

// Reads big-endian values from a span; every read checks the remaining length and
// returns nullopt past the end (the reader then stays failed).
class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> in) : in_(in) {}
  std::optional<uint8_t> U8() {
    return Take<uint8_t>(1, [](const uint8_t* p) { return *p; });
  }
  std::optional<uint16_t> U16() { return Take<uint16_t>(2, GetU16); }
  std::optional<uint32_t> U32() { return Take<uint32_t>(4, GetU32); }
  std::optional<uint64_t> U64() { return Take<uint64_t>(8, GetU64); }
  std::optional<int64_t> I64() {
    auto v = U64();
    return v ? std::optional<int64_t>(static_cast<int64_t>(*v)) : std::nullopt;
  }
  std::optional<double> F64() {
    auto v = U64();
    return v ? std::optional<double>(std::bit_cast<double>(*v)) : std::nullopt;
  }
  std::optional<std::span<const uint8_t>> Bytes(size_t n) {
    if (failed_ || in_.size() - pos_ < n) return Fail<std::span<const uint8_t>>();
    auto out = in_.subspan(pos_, n);
    pos_ += n;
    return out;
  }
  size_t remaining() const { return in_.size() - pos_; }
  std::span<const uint8_t> rest() const { return in_.subspan(pos_); }
  bool failed() const { return failed_; }

 private:
  template <typename T>
  std::optional<T> Fail() {
    failed_ = true;
    return std::nullopt;
  }
  template <typename T, typename F>
  std::optional<T> Take(size_t n, F get) {
    if (failed_ || in_.size() - pos_ < n) return Fail<T>();
    T v = get(in_.data() + pos_);
    pos_ += n;
    return v;
  }
  std::span<const uint8_t> in_;
  size_t pos_ = 0;
  bool failed_ = false;
};

}  // namespace dabs::mp
