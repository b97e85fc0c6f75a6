#pragma once
// Writing an output file so that a reader sees the old file or the whole new one.

#include <filesystem>
#include <string_view>
#include <system_error>

namespace dabs::emu::internal {

// Writes `content` to `path` through a temporary file beside it (same directory, so the
// rename is atomic), flushed to disk before the rename. On failure the temporary file is
// removed and `path` is untouched. Not safe against two writers of the same path.
[[nodiscard]] std::error_code WriteFileAtomically(const std::filesystem::path& path,
                                                  std::string_view content);

}  // namespace dabs::emu::internal
