// Where a datagram comes from or goes to: a UDP endpoint (IPv4/IPv6, unicast or a
// multicast group), a local datagram socket path (same host), or an in-process node name.
// A small value type that hashes, so the engine can key peers by it without Asio.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include <dabs/mp/result.h>

namespace dabs::mp {

enum class TransportKind : uint8_t { kUdp = 0, kLocal = 1, kInProcess = 2 };

class Endpoint {
 public:
  Endpoint() = default;
  static Endpoint Udp4(uint32_t address_host_order, uint16_t port);
  static Endpoint Udp6(const std::array<uint8_t, 16>& address, uint16_t port);
  static Endpoint Local(std::string path);
  static Endpoint InProcess(std::string name);
  // "10.0.0.1:7400", "[::1]:7400", "unix:/run/dabs/lbd.sock", "inproc:calc-1".
  static Result<Endpoint> Parse(std::string_view text);

  TransportKind kind() const { return kind_; }
  bool is_udp() const { return kind_ == TransportKind::kUdp; }
  bool is_v6() const { return family_ == 6; }
  int family() const { return family_; }
  uint16_t port() const { return port_; }
  // IPv4 address in host order. REQUIRES: is_udp() && !is_v6().
  uint32_t v4() const;
  const std::array<uint8_t, 16>& address_bytes() const { return address_; }
  const std::string& path() const { return path_; }
  bool valid() const { return kind_ != TransportKind::kUdp || family_ != 0; }

  // An IP multicast group: messages to it are not ACKed (spec 2).
  bool IsMulticast() const;
  // Local and in-process links deliver reliably: no ACK or NAK, replies still timed.
  bool IsReliableLink() const { return kind_ != TransportKind::kUdp; }

  std::string ToString() const;
  size_t Hash() const;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;

 private:
  TransportKind kind_ = TransportKind::kUdp;
  uint8_t family_ = 0;  // 4 or 6 for UDP, 0 otherwise (or unset)
  uint16_t port_ = 0;
  std::array<uint8_t, 16> address_{};  // IPv4 in the first 4 bytes, network order
  std::string path_;                   // local socket path or in-process name
};

struct EndpointHash {
  size_t operator()(const Endpoint& e) const { return e.Hash(); }
};

}  // namespace dabs::mp
