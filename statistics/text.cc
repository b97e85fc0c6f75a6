#include "text.h"

#include <charconv>

#include <dabs/statistics/errc.h>

namespace dabs::statistics::text {

namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

}  // namespace

bool Lines::Next(std::string_view& line) {
  if (rest_.empty()) return false;
  const size_t end = rest_.find('\n');
  line = rest_.substr(0, end);
  rest_ = end == std::string_view::npos ? std::string_view{} : rest_.substr(end + 1);
  ++number_;
  return true;
}

bool Fields::Next(std::string_view& field) {
  size_t i = 0;
  while (i < rest_.size() && IsSpace(rest_[i]))
    ++i;
  if (i == rest_.size()) return false;
  size_t j = i;
  while (j < rest_.size() && !IsSpace(rest_[j]))
    ++j;
  field = rest_.substr(i, j - i);
  rest_ = rest_.substr(j);
  return true;
}

bool ParseU64(std::string_view s, uint64_t& out) {
  if (s.empty() || s.front() < '0' || s.front() > '9') return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && end == s.data() + s.size();
}

bool ParseI64(std::string_view s, int64_t& out) {
  if (s.empty()) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && end == s.data() + s.size();
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (IsSpace(s.front()) || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() && (IsSpace(s.back()) || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

Error Malformed(std::string_view file, size_t line, std::string_view what) {
  std::string detail(file);
  if (line > 0) detail += " line " + std::to_string(line);
  detail += ": ";
  detail += what;
  return Error{make_error_code(Errc::kMalformed), std::move(detail)};
}

Error TooMany(std::string_view file, std::string_view what, size_t limit) {
  return Error{
      make_error_code(Errc::kTooLarge),
      std::string(file) + ": more than " + std::to_string(limit) + " " + std::string(what)};
}

std::string Quote(std::string_view field) {
  constexpr size_t kShown = 32;
  std::string q = "'";
  for (char c : field.substr(0, kShown))
    q += (c >= 0x20 && c < 0x7f) ? c : '?';
  return q + (field.size() > kShown ? "...'" : "'");
}

}  // namespace dabs::statistics::text
