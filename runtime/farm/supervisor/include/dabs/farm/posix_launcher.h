// The real ProcessLauncher: posix_spawn, a pidfd per process watched for readability on a
// Boost.Asio io_context, and waitid(P_PIDFD) to reap our own children.
//
// pidfds are used rather than SIGCHLD because the supervisor must also watch processes that
// are not its children: after dabs-lbd restarts, the DASPs the previous dabs-lbd started
// belong to init (or a subreaper), and only a pidfd tells of their end. A pidfd also names
// one process for good, so Kill never signals a stranger that reused the pid.
#pragma once

#include <memory>

#include <boost/asio/io_context.hpp>

#include <dabs/farm/process_launcher.h>

namespace dabs::farm {

class PosixLauncher final : public ProcessLauncher {
 public:
  // Exit callbacks run on `io` (any thread running it). `io` must outlive the launcher and
  // every callback it posted.
  explicit PosixLauncher(boost::asio::io_context& io);
  // Stops watching: no exit callback runs after this returns, apart from one already
  // running on another thread. Kills nothing: the processes live on (a dabs-lbd restart
  // adopts them). Their pidfds are closed on `io`.
  ~PosixLauncher() override;
  PosixLauncher(const PosixLauncher&) = delete;
  PosixLauncher& operator=(const PosixLauncher&) = delete;

  // The child: stdin from /dev/null, stdout and stderr to request.output_path if given
  // (appended; created 0600, never through a symlink),
  // no other descriptor of ours, default signal dispositions and an empty signal mask, and
  // its own process group (a Ctrl-C meant for dabs-lbd does not reach the DASPs).
  Result<pid_t> Spawn(const SpawnRequest& request, ExitCallback on_exit) override;
  Result<bool> Adopt(pid_t pid, const ProcessIdentity& identity, ExitCallback on_exit) override;
  Status Kill(pid_t pid, int sig) override;
  bool IsAlive(pid_t pid, const ProcessIdentity& identity) override;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace dabs::farm
