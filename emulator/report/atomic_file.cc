#include "atomic_file.h"

#include <cerrno>
#include <string>

#include <fcntl.h>
#include <unistd.h>

namespace dabs::emu::internal {
namespace {

std::error_code LastError() {
  return {errno, std::generic_category()};
}

std::error_code WriteAll(int fd, std::string_view content) {
  while (!content.empty()) {
    const ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return LastError();
    }
    content.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

}  // namespace

std::error_code WriteFileAtomically(const std::filesystem::path& path, std::string_view content) {
  const std::string temp = path.string() + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return LastError();
  std::error_code ec = WriteAll(fd, content);
  if (!ec && ::fsync(fd) != 0) ec = LastError();
  if (::close(fd) != 0 && !ec) ec = LastError();
  if (!ec && ::rename(temp.c_str(), path.c_str()) != 0) ec = LastError();
  if (ec) ::unlink(temp.c_str());
  return ec;
}

}  // namespace dabs::emu::internal
