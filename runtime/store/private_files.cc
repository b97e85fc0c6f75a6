#include <cerrno>
#include <cstdio>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dabs/store/errc.h>
#include <dabs/store/private_files.h>

namespace dabs::store {
namespace {

namespace fs = std::filesystem;

Error SysError(const std::string& what, const fs::path& path) {
  return Error{std::error_code(errno, std::system_category()), what + " " + path.string()};
}

std::string Octal(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

// Creates `dir` and its missing parents, each 0700 whatever the umask. `created`: `dir`
// itself was missing.
Status MakeMissing(const fs::path& dir, bool& created) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) return Status::Ok();
  if (errno != ENOENT) return SysError("cannot reach", dir);
  bool parent_created = false;
  if (dir.has_parent_path() && dir.parent_path() != dir) {
    if (Status s = MakeMissing(dir.parent_path(), parent_created); !s) return s;
  }
  if (::mkdir(dir.c_str(), kPrivateDirectoryMode) != 0) {
    if (errno == EEXIST) return Status::Ok();  // another daemon of this server was quicker
    return SysError("cannot create", dir);
  }
  created = true;
  // mkdir's mode passes through the umask; ours must be exactly 0700.
  if (::chmod(dir.c_str(), kPrivateDirectoryMode) != 0) return SysError("cannot chmod", dir);
  return Status::Ok();
}

// Whether an existing directory is dabs's to tighten (see the header).
bool EvidentlyOurs(const fs::path& dir, const struct stat& st, std::string_view marker) {
  if (st.st_uid != ::geteuid() || (st.st_mode & S_ISVTX) != 0) return false;
  std::error_code ec;
  if (fs::is_empty(dir, ec) && !ec) return true;
  if (!marker.empty() && fs::exists(dir / marker, ec)) return true;
  // Inside a private directory of ours only we (or root) can have made it: DIR/logs, whatever
  // an older build left there.
  struct stat parent {};
  const fs::path above = fs::absolute(dir, ec).parent_path();
  return !ec && ::stat(above.c_str(), &parent) == 0 && parent.st_uid == ::geteuid() &&
         (parent.st_mode & 077) == 0;
}

Error Unsafe(const fs::path& dir, const struct stat& st) {
  const std::string d = dir.string();
  std::string why = "mode " + Octal(st.st_mode), fix = "chmod 700 " + d;
  if (st.st_uid != ::geteuid()) {
    why += ", owned by uid " + std::to_string(st.st_uid) + ", not by this user (uid " +
           std::to_string(::geteuid()) + ")";
    fix = "chown " + std::to_string(::geteuid()) + " " + d + " && " + fix;
  } else if (st.st_mode & S_ISVTX) {
    why += ", a shared (sticky) directory";
  } else {
    why += ", holding files that are not dabs's";
  }
  return Error{make_error_code(Errc::kUnsafePermissions),
               d + " (" + why + "); give the daemons a directory of their own, or run: " + fix};
}

}  // namespace

Result<PrivateDirectory> EnsurePrivateDirectory(const fs::path& dir, std::string_view marker) {
  PrivateDirectory result;
  if (Status s = MakeMissing(dir, result.created); !s) return s.error();
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return SysError("cannot reach", dir);
  if (!S_ISDIR(st.st_mode)) {
    return Error{std::make_error_code(std::errc::not_a_directory), dir.string()};
  }
  if ((st.st_mode & 077) == 0) return result;
  if (!EvidentlyOurs(dir, st, marker)) return Unsafe(dir, st);
  if (::chmod(dir.c_str(), kPrivateDirectoryMode) != 0) return SysError("cannot chmod", dir);
  result.tightened_from = st.st_mode & 07777;
  return result;
}

Result<std::string> PrepareStateDirectory(const fs::path& dir) {
  auto made = EnsurePrivateDirectory(dir, "store");
  if (!made) return made.error();
  if (made->tightened_from == 0) return std::string();
  return "state directory " + dir.string() + " was open to other users (mode " +
         Octal(made->tightened_from) + "); it is now 0700";
}

Status TightenPrivateFile(const fs::path& file) {
  struct stat st {};
  if (::lstat(file.c_str(), &st) != 0) {
    return errno == ENOENT ? Status::Ok() : Status(SysError("cannot reach", file));
  }
  if (!S_ISREG(st.st_mode) || st.st_uid != ::geteuid() || (st.st_mode & 077) == 0) {
    return Status::Ok();
  }
  if (::chmod(file.c_str(), st.st_mode & 0700) != 0) return SysError("cannot chmod", file);
  return Status::Ok();
}

Status WritePrivateFile(const fs::path& file, std::string_view text) {
  const fs::path temp = file.string() + ".tmp";
  const int fd =
      ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, kPrivateFileMode);
  if (fd < 0) return SysError("cannot create", temp);
  // An older temporary keeps its mode through O_TRUNC: set ours.
  int err = ::fchmod(fd, kPrivateFileMode) == 0 ? 0 : errno;
  for (size_t done = 0; err == 0 && done < text.size();) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
    } else if (n == 0 || errno != EINTR) {
      err = n == 0 ? EIO : errno;
    }
  }
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err != 0) {
    ::unlink(temp.c_str());
    errno = err;
    return SysError("cannot write", temp);
  }
  if (::rename(temp.c_str(), file.c_str()) != 0) return SysError("cannot rename onto", file);
  return Status::Ok();
}

}  // namespace dabs::store
