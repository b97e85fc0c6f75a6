// The farm daemons' own error vocabulary: a configuration that cannot be used, a stored record
// that does not read back, a daemon that cannot start. Local outcomes only; none travels on the
// wire (a NAK carries mp::Errc, spec 8, and only for what a datagram itself got wrong).
#pragma once

#include <cstdint>
#include <system_error>

namespace dabs::config {

enum class DaemonErrc : uint16_t {
  kOk = 0,
  kInvalidConfig = 1,  // a farm file or configuration record that does not check out
  kCorruptRecord = 2,  // a stored configuration record that does not decode
  kStartup = 3,        // a daemon cannot start: its identity, addresses or state directory
};

const std::error_category& DaemonCategory();

inline std::error_code make_error_code(DaemonErrc e) {
  return {static_cast<int>(e), DaemonCategory()};
}

}  // namespace dabs::config

template <>
struct std::is_error_code_enum<dabs::config::DaemonErrc> : std::true_type {};
