// TLV payloads of system commands (spec 5): tag (1 byte), length (2 bytes), value.
// Unknown tags are skipped by readers; every length is checked against the payload.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <dabs/mp/endpoint.h>
#include <dabs/mp/result.h>

namespace dabs::mp {

class TlvWriter {
 public:
  explicit TlvWriter(std::vector<uint8_t>& out) : out_(out) {}
  // REQUIRES: value.size() <= 65535.
  void Bytes(uint8_t tag, std::span<const uint8_t> value);
  void String(uint8_t tag, std::string_view value);
  void U8(uint8_t tag, uint8_t v);
  void U16(uint8_t tag, uint16_t v);
  void U32(uint8_t tag, uint32_t v);
  void U64(uint8_t tag, uint64_t v);
  // family (4 or 6), address, port. REQUIRES: e.is_udp().
  void Endpoint(uint8_t tag, const mp::Endpoint& e);

 private:
  std::vector<uint8_t>& out_;
};

struct TlvField {
  uint8_t tag;
  std::span<const uint8_t> value;
};

// A parsed TLV sequence; values point into the parsed payload, which must outlive it.
class TlvList {
 public:
  // kMalformed when a length runs past the end.
  static Result<TlvList> Parse(std::span<const uint8_t> payload);

  const TlvField* Find(uint8_t tag) const;
  const std::vector<TlvField>& fields() const { return fields_; }

  // Typed accessors: nullopt when absent or of the wrong length.
  std::optional<std::string_view> String(uint8_t tag) const;
  std::optional<uint8_t> U8(uint8_t tag) const;
  std::optional<uint16_t> U16(uint8_t tag) const;
  std::optional<uint32_t> U32(uint8_t tag) const;
  std::optional<uint64_t> U64(uint8_t tag) const;
  std::optional<mp::Endpoint> Endpoint(uint8_t tag) const;

 private:
  std::vector<TlvField> fields_;
};

// Endpoint value coding on its own (also used inside larger values).
void EncodeEndpoint(const Endpoint& e, std::vector<uint8_t>& out);
std::optional<Endpoint> DecodeEndpoint(std::span<const uint8_t> value);

}  // namespace dabs::mp
