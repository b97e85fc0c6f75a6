// The statistics error vocabulary: what reading and parsing /proc, /sys and the farm's
// statistics settings can go wrong with. Local outcomes only; none travels on the wire.
#pragma once

#include <cstdint>
#include <system_error>

namespace dabs::statistics {

enum class Errc : uint16_t {
  kOk = 0,
  kMalformed = 1,      // a file's text is not in the expected format
  kNotFound = 2,       // the file does not exist (a cgroup limit, a link speed, ...)
  kTooLarge = 3,       // a file or a table in it exceeds its named limit
  kIo = 4,             // the file exists but could not be read
  kNotReady = 5,       // figures need two readings; the first one was just taken
  kInvalidConfig = 6,  // a setting is out of range
};

const std::error_category& StatisticsCategory();

inline std::error_code make_error_code(Errc e) {
  return {static_cast<int>(e), StatisticsCategory()};
}

}  // namespace dabs::statistics

template <>
struct std::is_error_code_enum<dabs::statistics::Errc> : std::true_type {};
