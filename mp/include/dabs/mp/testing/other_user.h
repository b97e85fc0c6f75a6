// For attack tests on local sockets: a datagram sent to a Unix-domain socket by a child
// process running as another user (65534, "nobody"), as a local attacker would send it.
// Needs root to switch users; tests skip without it.
#pragma once

#include <cerrno>
#include <cstring>
#include <functional>
#include <span>
#include <string>

#include <grp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

namespace dabs::mp::testing {

inline constexpr uid_t kNobody = 65534;
inline constexpr int kCannotSwitchUser = 250;  // RunAsUser's child could not become the user

inline bool CanSwitchUser() {
  return ::geteuid() == 0;
}

// Runs `fn` in a forked child as `uid` (group `uid`, no supplementary groups, no
// capabilities left) and returns its exit status, or -1 if it could not run. The parent
// may have threads: `fn` must make system calls only (no allocation, no locks).
inline int RunAsUser(uid_t uid, const std::function<int()>& fn) {
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    if (::setgroups(0, nullptr) != 0 || ::setgid(uid) != 0 || ::setuid(uid) != 0)
      ::_exit(kCannotSwitchUser);
    ::_exit(fn());
  }
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

inline bool ToUnixAddress(const std::string& path, sockaddr_un& a) {
  a = {};
  a.sun_family = AF_UNIX;
  if (path.size() >= sizeof a.sun_path) return false;
  std::memcpy(a.sun_path, path.data(), path.size());
  return true;
}

// Sends `bytes` to the socket at `to` from a socket bound at `from` (empty: unbound), as
// user `uid`. Returns 0 when the kernel took the datagram, else the errno of the step that
// failed (EACCES: the socket file's mode kept the user out).
inline int SendAsUser(uid_t uid, const std::string& to, const std::string& from,
                      std::span<const uint8_t> bytes) {
  sockaddr_un dst{}, src{};  // built before the fork: the child only makes system calls
  if (!ToUnixAddress(to, dst) || !ToUnixAddress(from, src)) return ENAMETOOLONG;
  return RunAsUser(uid, [&]() -> int {
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return errno;
    if (!from.empty() && ::bind(fd, reinterpret_cast<const sockaddr*>(&src), sizeof src) != 0) {
      return errno;
    }
    const ssize_t n = ::sendto(fd, bytes.data(), bytes.size(), 0,
                               reinterpret_cast<const sockaddr*>(&dst), sizeof dst);
    return n == static_cast<ssize_t>(bytes.size()) ? 0 : errno;
  });
}

}  // namespace dabs::mp::testing
