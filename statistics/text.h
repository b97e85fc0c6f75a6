// Small text scanners shared by the /proc and /sys parsers. Private to statistics/.
// Everything works on string_views into the caller's text and never allocates per field,
// so a fuzzer's megabyte of digits costs a scan, not a vector.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <dabs/mp/result.h>

namespace dabs::statistics::text {

// Yields the lines of `text` (without their '\n'), counting them from 1.
class Lines {
 public:
  explicit Lines(std::string_view text) : rest_(text) {}
  bool Next(std::string_view& line);
  size_t number() const { return number_; }

 private:
  std::string_view rest_;
  size_t number_ = 0;
};

// Yields the whitespace-separated fields of one line.
class Fields {
 public:
  explicit Fields(std::string_view line) : rest_(line) {}
  bool Next(std::string_view& field);

 private:
  std::string_view rest_;
};

// The whole of `s` as a decimal number; false on anything else (sign, space, overflow).
bool ParseU64(std::string_view s, uint64_t& out);
bool ParseI64(std::string_view s, int64_t& out);

// `s` without leading and trailing whitespace.
std::string_view Trim(std::string_view s);

// A kMalformed error naming the file and, when line > 0, the line: "/proc/stat line 3: ...".
Error Malformed(std::string_view file, size_t line, std::string_view what);

// A kTooLarge error for a table with more than `limit` entries.
Error TooMany(std::string_view file, std::string_view what, size_t limit);

// `field` quoted and cut to 32 characters, for error details.
std::string Quote(std::string_view field);

}  // namespace dabs::statistics::text
