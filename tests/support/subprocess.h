// A child process for tests that drive real executables: started with fork and exec, its
// standard output readable line by line, killed (SIGKILL) and reaped if still running when
// the object goes away, and sent SIGTERM by the kernel if the test process dies first.
#pragma once

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace dabs::testing {

class Subprocess {
 public:
  // Starts argv[0] (a path) with its stdout on a pipe; stderr is inherited, or appended to
  // `stderr_path` when one is given.
  explicit Subprocess(const std::vector<std::string>& argv, const std::string& stderr_path = {}) {
    int fds[2];
    if (argv.empty() || ::pipe2(fds, O_CLOEXEC) != 0) return;
    // Everything the child needs is prepared before fork: after it, only async-signal-safe calls.
    std::vector<char*> args;
    for (const auto& a : argv)
      args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ == 0) {
      // A test that crashes or is killed by ctest's timeout takes its children with it (SIGTERM:
      // dabs-farm then stops its daemons), instead of leaving daemons holding ports.
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (::getppid() != parent) ::_exit(127);
      ::dup2(fds[1], STDOUT_FILENO);
      if (!stderr_path.empty()) {
        const int err =
            ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (err >= 0) ::dup2(err, STDERR_FILENO);
      }
      ::execve(args[0], args.data(), environ);
      ::_exit(127);
    }
    ::close(fds[1]);
    out_ = fds[0];
  }
  ~Subprocess() {
    if (running()) {
      ::kill(pid_, SIGKILL);
      Wait();
    }
    if (out_ >= 0) ::close(out_);
  }
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  bool started() const { return pid_ > 0; }
  bool running() const { return pid_ > 0 && !exited_; }
  pid_t pid() const { return pid_; }

  // The next line of standard output, without its newline; nullopt on timeout or EOF.
  std::optional<std::string> ReadLine(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char chunk[4096];
      const ssize_t n = ::read(out_, chunk, sizeof chunk);
      if (n <= 0) return std::nullopt;
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }

  void Signal(int sig) {
    if (running()) ::kill(pid_, sig);
  }
  // Reaps the child if it ends within `limit`; its exit status as waitpid gives it.
  std::optional<int> WaitFor(std::chrono::milliseconds limit) {
    if (pid_ <= 0 || exited_) return status_;
    const auto end = std::chrono::steady_clock::now() + limit;
    do {
      if (::waitpid(pid_, &status_, WNOHANG) == pid_) {
        exited_ = true;
        return status_;
      }
      ::usleep(10'000);
    } while (std::chrono::steady_clock::now() < end);
    return std::nullopt;
  }
  // Reaps the child; its exit status as waitpid gives it.
  int Wait() {
    if (pid_ <= 0 || exited_) return status_;
    ::waitpid(pid_, &status_, 0);
    exited_ = true;
    return status_;
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  bool exited_ = false;
  int status_ = 0;
  std::string buffer_;
};

// A command run to its end: its exit code (128 + signal when killed), standard output and
// standard error.
struct CommandResult {
  int status = -1;
  std::string out, err;
};

inline CommandResult RunCommand(const std::vector<std::string>& argv,
                                std::chrono::milliseconds limit = std::chrono::seconds(60)) {
  char err_path[] = "/tmp/dabs-test-stderr-XXXXXX";
  const int err_fd = ::mkstemp(err_path);
  if (err_fd >= 0) ::close(err_fd);
  CommandResult r;
  {
    Subprocess p(argv, err_path);
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      auto line = p.ReadLine(std::chrono::milliseconds(100));
      if (line) {
        r.out += *line + "\n";
      } else if (p.WaitFor(std::chrono::milliseconds(0))) {
        while (auto rest = p.ReadLine(std::chrono::milliseconds(10)))
          r.out += *rest + "\n";
        break;
      }
    }
    if (!p.WaitFor(std::chrono::milliseconds(0))) p.Signal(SIGKILL);
    const int status = p.Wait();
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  if (FILE* f = std::fopen(err_path, "r")) {
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0)
      r.err.append(buf, n);
    std::fclose(f);
  }
  ::unlink(err_path);
  return r;
}

}  // namespace dabs::testing
