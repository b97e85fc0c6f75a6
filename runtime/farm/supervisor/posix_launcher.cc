// PosixLauncher: posix_spawn, pidfds on an io_context, waitid(P_PIDFD).
//
// Threads: Spawn, Adopt, Kill and IsAlive run on the callers' threads; every operation on a
// pidfd's stream_descriptor (wait, close) runs on one strand. The map of watched processes
// is under a mutex, and a pidfd is closed only with that mutex held, so Kill never signals
// through a descriptor number that was closed and reused.
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <thread>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dabs/farm/posix_launcher.h>
#include <dabs/farm/supervisor_errc.h>
#include <dabs/store/private_files.h>

namespace dabs::farm {

namespace {

// glibc 2.36's <sys/pidfd.h> declares these without extern "C", so C++ cannot link them:
// call the kernel directly.
int PidfdOpen(pid_t pid) {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0u));
}
int PidfdSendSignal(int pidfd, int sig) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0u));
}

Error SystemError(int err, std::string what) {
  return Error{std::error_code(err, std::system_category()), std::move(what)};
}

// Signals a DASP must not inherit as ignored from dabs-lbd (SIG_IGN survives exec).
constexpr int kDefaultSignals[] = {SIGHUP,  SIGINT,  SIGQUIT, SIGPIPE, SIGTERM, SIGUSR1,
                                   SIGUSR2, SIGCHLD, SIGALRM, SIGTSTP, SIGTTIN, SIGTTOU};

// Owns the spawn attributes and file actions for one posix_spawn call.
class SpawnSetup {
 public:
  SpawnSetup() {
    ::posix_spawn_file_actions_init(&actions_);
    ::posix_spawnattr_init(&attr_);
  }
  ~SpawnSetup() {
    ::posix_spawn_file_actions_destroy(&actions_);
    ::posix_spawnattr_destroy(&attr_);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;

  // Returns 0 or an errno.
  int Prepare(const std::string& output_path) {
    int rc = ::posix_spawn_file_actions_addopen(&actions_, 0, "/dev/null", O_RDONLY, 0);
    if (rc == 0 && !output_path.empty()) {
      // The log is the daemons' user's alone (private_files.h); the child cannot tighten a
      // file an older build created 0644, so the parent does before the spawn.
      (void)store::TightenPrivateFile(output_path);
      rc = ::posix_spawn_file_actions_addopen(&actions_, 1, output_path.c_str(),
                                              O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW,
                                              store::kPrivateFileMode);
      if (rc == 0) rc = ::posix_spawn_file_actions_adddup2(&actions_, 1, 2);
    }
    // No descriptor of dabs-lbd's (store, sockets, other DASPs' pidfds) leaks into a DASP.
    if (rc == 0) rc = ::posix_spawn_file_actions_addclosefrom_np(&actions_, 3);
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    for (int sig : kDefaultSignals)
      sigaddset(&defaults, sig);
    if (rc == 0) rc = ::posix_spawnattr_setsigmask(&attr_, &none);
    if (rc == 0) rc = ::posix_spawnattr_setsigdefault(&attr_, &defaults);
    if (rc == 0) rc = ::posix_spawnattr_setpgroup(&attr_, 0);
    if (rc == 0) {
      rc = ::posix_spawnattr_setflags(
          &attr_, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    }
    return rc;
  }
  const posix_spawn_file_actions_t* actions() const { return &actions_; }
  const posix_spawnattr_t* attr() const { return &attr_; }

 private:
  posix_spawn_file_actions_t actions_;
  posix_spawnattr_t attr_;
};

std::vector<char*> CStrings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const auto& s : strings)
    out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

// Reaps the process `pidfd` names if it is our child; its status, or Unknown if it is not
// (waitid fails with ECHILD). REQUIRES: the process has ended (the pidfd is readable).
ExitStatus Reap(int pidfd) {
  siginfo_t info{};
  int rc;
  do {
    rc = ::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), &info, WEXITED);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0 || info.si_pid == 0) return ExitStatus::Unknown();
  if (info.si_code == CLD_EXITED) return ExitStatus::Exited(info.si_status);
  return ExitStatus::Killed(info.si_status);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The state letter of /proc/PID/stat ('R', 'S', 'Z', ...), or 0 if there is no such process.
char ProcState(pid_t pid) {
  const std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  const auto paren = stat.rfind(')');  // the command name may hold spaces and parentheses
  return paren == std::string::npos || paren + 2 >= stat.size() ? 0 : stat[paren + 2];
}

std::vector<std::string> CommandLine(pid_t pid) {
  const std::string raw = ReadFile("/proc/" + std::to_string(pid) + "/cmdline");
  std::vector<std::string> args;
  size_t start = 0;
  while (start < raw.size()) {
    size_t end = raw.find('\0', start);
    if (end == std::string::npos) end = raw.size();
    args.push_back(raw.substr(start, end - start));
    start = end + 1;
  }
  return args;
}

bool SameExecutable(pid_t pid, const std::string& expected, const std::vector<std::string>& args) {
  if (!args.empty() && args.front() == expected) return true;  // as we started it
  std::error_code ec;
  std::string exe = std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/exe", ec);
  if (ec) return false;
  constexpr std::string_view kDeleted = " (deleted)";  // the file was replaced since
  if (exe.ends_with(kDeleted)) exe.resize(exe.size() - kDeleted.size());
  const auto canonical = std::filesystem::weakly_canonical(expected, ec);
  return exe == expected || (!ec && exe == canonical.string());
}

}  // namespace

struct PosixLauncher::State : std::enable_shared_from_this<State> {
  struct Watched {
    Watched(pid_t p, boost::asio::posix::stream_descriptor d, ExitCallback cb)
        : pid(p), fd(std::move(d)), on_exit(std::move(cb)) {}
    pid_t pid;
    boost::asio::posix::stream_descriptor fd;  // the pidfd
    ExitCallback on_exit;
  };

  explicit State(boost::asio::io_context& io_context)
      : io(io_context), strand(boost::asio::make_strand(io_context)) {}

  // Takes ownership of `pidfd`. kInvalidArgument if `pid` is watched already.
  Status Watch(pid_t pid, int pidfd, ExitCallback on_exit) {
    std::shared_ptr<State::Watched> w;
    {
      std::lock_guard lock(mu);
      if (watches.contains(pid)) {
        ::close(pidfd);
        return Error{make_error_code(SupervisorErrc::kInvalidArgument),
                     "pid " + std::to_string(pid) + " is watched already"};
      }
      w = std::make_shared<State::Watched>(
          pid, boost::asio::posix::stream_descriptor(strand, pidfd), std::move(on_exit));
      watches.emplace(pid, w);
    }
    boost::asio::post(strand, [self = shared_from_this(), w] {
      w->fd.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                       [self, w](const boost::system::error_code& ec) { self->OnEnded(w, ec); });
    });
    return Status::Ok();
  }

  // On the strand.
  void OnEnded(const std::shared_ptr<State::Watched>& w, const boost::system::error_code& ec) {
    if (ec == boost::asio::error::operation_aborted) return;  // the launcher is gone
    const ExitStatus status = ec ? ExitStatus::Unknown() : Reap(w->fd.native_handle());
    if (ec) spdlog::warn("launcher: waiting for pid {}: {}", w->pid, ec.message());
    ExitCallback on_exit;
    {
      std::lock_guard lock(mu);
      if (closed) return;
      auto it = watches.find(w->pid);
      if (it != watches.end() && it->second == w) watches.erase(it);
      boost::system::error_code ignored;
      w->fd.close(ignored);
      on_exit = std::move(w->on_exit);
    }
    if (on_exit) on_exit(status);
  }

  boost::asio::io_context& io;
  boost::asio::strand<boost::asio::io_context::executor_type> strand;
  std::mutex mu;
  bool closed = false;
  std::map<pid_t, std::shared_ptr<State::Watched>> watches;
};

PosixLauncher::PosixLauncher(boost::asio::io_context& io) : state_(std::make_shared<State>(io)) {}

PosixLauncher::~PosixLauncher() {
  std::map<pid_t, std::shared_ptr<State::Watched>> watches;
  {
    std::lock_guard lock(state_->mu);
    state_->closed = true;
    watches.swap(state_->watches);
  }
  // Closing cancels the waits; on the strand, after any wait that was still being started.
  boost::asio::post(state_->strand, [watches = std::move(watches)] {
    for (const auto& [pid, w] : watches) {
      boost::system::error_code ignored;
      w->fd.close(ignored);
    }
  });
}

Result<pid_t> PosixLauncher::Spawn(const SpawnRequest& request, ExitCallback on_exit) {
  if (request.argv.empty()) {
    return Error{make_error_code(SupervisorErrc::kInvalidArgument), "spawn: empty argv"};
  }
  SpawnSetup setup;
  if (int rc = setup.Prepare(request.output_path); rc != 0) {
    return SystemError(rc, "spawn attributes");
  }
  std::vector<char*> argv = CStrings(request.argv);
  std::vector<char*> envp = CStrings(request.env);
  pid_t pid = 0;
  // glibc reports a failed exec (a missing or non-executable file) as the return value.
  if (int rc =
          ::posix_spawn(&pid, argv[0], setup.actions(), setup.attr(), argv.data(), envp.data());
      rc != 0) {
    return SystemError(rc, "posix_spawn " + request.argv[0]);
  }
  const int pidfd = PidfdOpen(pid);
  if (pidfd < 0) {
    // Unwatched it would be a DASP nobody supervises. It is our unreaped child, so the pid
    // still names it.
    const int err = errno;
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return SystemError(err, "pidfd_open");
  }
  if (Status s = state_->Watch(pid, pidfd, std::move(on_exit)); !s) return s.error();
  return pid;
}

Result<bool> PosixLauncher::Adopt(pid_t pid, const ProcessIdentity& identity,
                                  ExitCallback on_exit) {
  const int pidfd = PidfdOpen(pid);
  if (pidfd < 0) {
    if (errno == ESRCH) return false;
    return SystemError(errno, "pidfd_open " + std::to_string(pid));
  }
  // The pidfd names the process that had `pid` before the check. If that process is still
  // running after the check (the pidfd is not readable), the /proc files read were its own.
  pollfd poll_fd{pidfd, POLLIN, 0};
  if (!IsAlive(pid, identity) || ::poll(&poll_fd, 1, 0) != 0) {
    ::close(pidfd);
    return false;
  }
  if (Status s = state_->Watch(pid, pidfd, std::move(on_exit)); !s) return s.error();
  return true;
}

Status PosixLauncher::Kill(pid_t pid, int sig) {
  std::lock_guard lock(state_->mu);
  auto it = state_->watches.find(pid);
  if (it == state_->watches.end()) {
    return Error{make_error_code(SupervisorErrc::kNotWatched), "pid " + std::to_string(pid)};
  }
  if (PidfdSendSignal(it->second->fd.native_handle(), sig) != 0) {
    return SystemError(errno, "signal " + std::to_string(sig) + " to pid " + std::to_string(pid));
  }
  return Status::Ok();
}

bool PosixLauncher::IsAlive(pid_t pid, const ProcessIdentity& identity) {
  if (pid <= 0) return false;
  const char state = ProcState(pid);
  if (state == 0 || state == 'Z' || state == 'X' || state == 'x') return false;
  // A process inside execve shows an empty command line for a moment (the new memory is
  // in place, its arguments not yet): look again before calling it a stranger.
  std::vector<std::string> args = CommandLine(pid);
  for (int i = 0; i < 5 && args.empty() && ProcState(pid) != 'Z'; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    args = CommandLine(pid);
  }
  if (!identity.marker.empty()) {
    bool found = false;
    for (const auto& a : args)
      found = found || a.find(identity.marker) != std::string::npos;
    if (!found) return false;
  }
  return identity.exe.empty() || SameExecutable(pid, identity.exe, args);
}

}  // namespace dabs::farm
