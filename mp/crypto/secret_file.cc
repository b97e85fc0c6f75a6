#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dabs/mp/secret_file.h>

namespace dabs::mp {

namespace {

Error Fail(CryptoErrc e, std::string detail) {
  return Error{make_error_code(e), std::move(detail)};
}

std::string Octal(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// Closes a descriptor on every path out.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

Result<std::string> ReadSecretFile(const std::filesystem::path& path, size_t max_bytes) {
  Fd f;
  f.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (f.fd < 0) {
    const int err = errno;
    if (err == ENOENT) return Fail(CryptoErrc::kNoSuchFile, path.string() + " does not exist");
    return Fail(CryptoErrc::kNoSuchFile, path.string() + ": " + std::strerror(err));
  }
  struct stat st {};
  if (::fstat(f.fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    return Fail(CryptoErrc::kBadKey, path.string() + " is not a regular file");
  }
  // Checked on the open descriptor, so a rename between check and read cannot swap the file.
  if ((st.st_mode & 077) != 0) {
    return Fail(CryptoErrc::kUnsafeFile, path.string() + " has mode " + Octal(st.st_mode) +
                                             ": a secret must be readable by its owner only "
                                             "(chmod 600 " +
                                             path.string() + ")");
  }
  if (st.st_uid != ::geteuid() && st.st_uid != 0) {
    return Fail(CryptoErrc::kUnsafeFile, path.string() + " belongs to uid " +
                                             std::to_string(st.st_uid) +
                                             ", neither this user nor root");
  }
  if (static_cast<size_t>(st.st_size) > max_bytes) {
    return Fail(CryptoErrc::kBadKey, path.string() + " is " + std::to_string(st.st_size) +
                                         " bytes, more than a key file holds");
  }
  std::string out(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < out.size()) {
    const ssize_t n = ::read(f.fd, out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Fail(CryptoErrc::kBadKey, path.string() + ": short read");
    got += static_cast<size_t>(n);
  }
  return out;
}

Status WriteSecretFile(const std::filesystem::path& path, std::string_view contents, bool replace) {
  if (!replace && std::filesystem::exists(path)) {
    return Fail(CryptoErrc::kKeyringConflict, path.string() + " exists; not replacing it");
  }
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
  std::string tmp = (dir / ("." + path.filename().string() + ".XXXXXX")).string();
  Fd f;
  f.fd = ::mkostemp(tmp.data(), O_CLOEXEC);  // mkostemp creates the file 0600
  if (f.fd < 0)
    return Fail(CryptoErrc::kNoSuchFile,
                "cannot write in " + dir.string() + ": " + std::strerror(errno));
  auto fail = [&](const std::string& what) {
    const std::string reason = std::strerror(errno);
    ::unlink(tmp.c_str());
    return Fail(CryptoErrc::kNoSuchFile, what + " " + path.string() + ": " + reason);
  };
  if (::fchmod(f.fd, 0600) != 0) return fail("cannot set the mode of");
  size_t put = 0;
  while (put < contents.size()) {
    const ssize_t n = ::write(f.fd, contents.data() + put, contents.size() - put);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail("cannot write");
    put += static_cast<size_t>(n);
  }
  if (::fsync(f.fd) != 0) return fail("cannot sync");
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail("cannot rename into");
  Fd d;
  d.fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (d.fd >= 0) ::fsync(d.fd);  // the rename itself survives a crash
  return Status::Ok();
}

}  // namespace dabs::mp
