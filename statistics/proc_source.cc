#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <dabs/statistics/errc.h>
#include <dabs/statistics/proc_source.h>

namespace dabs::statistics {

namespace {

Error FromErrno(int err, const std::string& path) {
  const Errc code = err == ENOENT || err == ENOTDIR ? Errc::kNotFound : Errc::kIo;
  return Error{make_error_code(code), path + ": " + std::strerror(err)};
}

// Closes the descriptor on every path out of ReadFile.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

// /proc files report a size of 0, so the file is read until end of file, not by its size.
Result<std::string> FsProcSource::ReadFile(std::string_view path) const {
  const std::string full = root_ + std::string(path);
  Fd fd(::open(full.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return FromErrno(errno, full);
  std::string text;
  char chunk[4096];
  for (;;) {
    const ssize_t n = ::read(fd.get(), chunk, sizeof chunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      return FromErrno(errno, full);
    }
    if (n == 0) return text;
    if (text.size() + static_cast<size_t>(n) > kMaxSourceFileBytes) {
      return Error{make_error_code(Errc::kTooLarge),
                   full + ": over " + std::to_string(kMaxSourceFileBytes) + " bytes"};
    }
    text.append(chunk, static_cast<size_t>(n));
  }
}

Result<FsSpace> FsProcSource::StatFs(std::string_view path) const {
  const std::string full = root_ + std::string(path);
  struct statvfs vfs {};
  if (::statvfs(full.c_str(), &vfs) != 0) return FromErrno(errno, full);
  const uint64_t unit = vfs.f_frsize != 0 ? vfs.f_frsize : vfs.f_bsize;
  return FsSpace{static_cast<uint64_t>(vfs.f_blocks) * unit,
                 static_cast<uint64_t>(vfs.f_bavail) * unit};
}

}  // namespace dabs::statistics
