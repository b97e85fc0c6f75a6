#include <charconv>
#include <cstring>

#include <arpa/inet.h>

#include <dabs/mp/endpoint.h>
#include <dabs/mp/errc.h>

namespace dabs::mp {

Endpoint Endpoint::Udp4(uint32_t address_host_order, uint16_t port) {
  Endpoint e;
  e.family_ = 4;
  e.port_ = port;
  e.address_[0] = static_cast<uint8_t>(address_host_order >> 24);
  e.address_[1] = static_cast<uint8_t>(address_host_order >> 16);
  e.address_[2] = static_cast<uint8_t>(address_host_order >> 8);
  e.address_[3] = static_cast<uint8_t>(address_host_order);
  return e;
}

Endpoint Endpoint::Udp6(const std::array<uint8_t, 16>& address, uint16_t port) {
  Endpoint e;
  e.family_ = 6;
  e.port_ = port;
  e.address_ = address;
  return e;
}

Endpoint Endpoint::Local(std::string path) {
  Endpoint e;
  e.kind_ = TransportKind::kLocal;
  e.path_ = std::move(path);
  return e;
}

Endpoint Endpoint::InProcess(std::string name) {
  Endpoint e;
  e.kind_ = TransportKind::kInProcess;
  e.path_ = std::move(name);
  return e;
}

uint32_t Endpoint::v4() const {
  return (uint32_t{address_[0]} << 24) | (uint32_t{address_[1]} << 16) |
         (uint32_t{address_[2]} << 8) | address_[3];
}

bool Endpoint::IsMulticast() const {
  if (kind_ != TransportKind::kUdp) return false;
  if (family_ == 4) return (address_[0] & 0xF0) == 0xE0;  // 224.0.0.0/4
  if (family_ == 6) return address_[0] == 0xFF;           // ff00::/8
  return false;
}

namespace {

Result<uint16_t> ParsePort(std::string_view s, std::string_view whole) {
  unsigned v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || s.empty() || v > 65535) {
    return Error{make_error_code(Errc::kMalformed), "bad port in '" + std::string(whole) + "'"};
  }
  return static_cast<uint16_t>(v);
}

}  // namespace

Result<Endpoint> Endpoint::Parse(std::string_view text) {
  auto bad = [&](const char* why) {
    return Error{make_error_code(Errc::kMalformed),
                 std::string(why) + ": '" + std::string(text) + "'"};
  };
  if (text.starts_with("unix:")) {
    if (text.size() == 5) return bad("empty socket path");
    return Local(std::string(text.substr(5)));
  }
  if (text.starts_with("inproc:")) {
    if (text.size() == 7) return bad("empty in-process name");
    return InProcess(std::string(text.substr(7)));
  }
  std::string host;
  std::string_view port;
  if (text.starts_with("[")) {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return bad("expected [IPv6]:PORT");
    }
    host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad("expected ADDRESS:PORT");
    host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
  }
  auto p = ParsePort(port, text);
  if (!p) return p.error();
  in_addr a4{};
  if (inet_pton(AF_INET, host.c_str(), &a4) == 1) return Udp4(ntohl(a4.s_addr), *p);
  std::array<uint8_t, 16> a6{};
  if (inet_pton(AF_INET6, host.c_str(), a6.data()) == 1) return Udp6(a6, *p);
  return bad("not an IP address");
}

std::string Endpoint::ToString() const {
  switch (kind_) {
    case TransportKind::kLocal:
      return "unix:" + path_;
    case TransportKind::kInProcess:
      return "inproc:" + path_;
    case TransportKind::kUdp:
      break;
  }
  char buf[INET6_ADDRSTRLEN] = {};
  if (family_ == 4) {
    inet_ntop(AF_INET, address_.data(), buf, sizeof buf);
    return std::string(buf) + ":" + std::to_string(port_);
  }
  if (family_ == 6) {
    inet_ntop(AF_INET6, address_.data(), buf, sizeof buf);
    return "[" + std::string(buf) + "]:" + std::to_string(port_);
  }
  return "(unset)";
}

size_t Endpoint::Hash() const {
  // FNV-1a over the fields that make an endpoint distinct.
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](uint8_t b) { h = (h ^ b) * 1099511628211ull; };
  mix(static_cast<uint8_t>(kind_));
  mix(family_);
  mix(static_cast<uint8_t>(port_ >> 8));
  mix(static_cast<uint8_t>(port_));
  const size_t n = family_ == 4 ? 4 : 16;
  for (size_t i = 0; i < n; ++i)
    mix(address_[i]);
  for (char c : path_)
    mix(static_cast<uint8_t>(c));
  return static_cast<size_t>(h);
}

}  // namespace dabs::mp
