// Event times as the catalogue writes them: RFC 3339 UTC, "2030-06-01T20:00:00Z", to the
// second. Only the Z form is taken: a schedule with offsets is a schedule someone misreads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dabs::ppv {

// Unix seconds, or nullopt unless `text` is exactly YYYY-MM-DDTHH:MM:SSZ, a real date in
// years 1970..9999.
std::optional<int64_t> ParseUtc(std::string_view text);
std::string FormatUtc(int64_t unix_seconds);

}  // namespace dabs::ppv
