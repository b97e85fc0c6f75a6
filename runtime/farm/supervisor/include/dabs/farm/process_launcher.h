// How the supervisor starts, watches and signals processes: a small interface (STYLE 9),
// so that its logic runs under a fake in unit tests (testing/fake_launcher.h) and over
// posix_spawn and pidfds for real (posix_launcher.h).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <sys/types.h>

#include <dabs/mp/result.h>

namespace dabs::farm {

// How a process ended, as far as it can be known. A child's status comes from waitid; a
// process we adopted after a restart is not our child, and its status is unknown.
struct ExitStatus {
  bool known = false;  // false: adopted (not our child), or the status was lost
  int code = 0;        // exit code, when known and signal == 0
  int signal = 0;      // the signal that ended it, when known

  static ExitStatus Exited(int code) { return {true, code, 0}; }
  static ExitStatus Killed(int signal) { return {true, 0, signal}; }
  static ExitStatus Unknown() { return {}; }
  // The DASP framework exits 0 only after every instance has stopped (a clean shutdown).
  bool clean() const { return known && signal == 0 && code == 0; }
  // "exited with 3", "killed by signal 9 (Killed)", "ended (status unknown)".
  std::string ToString() const;
};

// Runs once when the watched process has ended (and, for a child, has been reaped).
using ExitCallback = std::function<void(ExitStatus)>;

// What makes a running process ours, for adoption after dabs-lbd restarts: pids are reused,
// so a live pid alone proves nothing.
struct ProcessIdentity {
  // The executable (absolute path); empty: not checked. Matches /proc/PID/exe or argv[0].
  std::string exe;
  // A string one of its arguments must contain (the supervisor uses the instance's control
  // socket path, unique to this server's state directory and the VA); empty: not checked.
  std::string marker;
};

struct SpawnRequest {
  std::vector<std::string> argv;  // argv[0] is the executable's absolute path
  std::vector<std::string> env;   // "NAME=value"; the whole environment of the process
  std::string output_path;        // stdout and stderr appended here; empty: inherited
};

// Implementations are thread-safe. No callback is ever called from inside one of these
// functions (the supervisor calls them with its lock held).
class ProcessLauncher {
 public:
  virtual ~ProcessLauncher() = default;

  // Starts the process and watches it: `on_exit` runs once when it ends. Fails with the
  // errno of posix_spawn (ENOENT for a missing executable, ...) and then never calls
  // `on_exit`.
  virtual Result<pid_t> Spawn(const SpawnRequest& request, ExitCallback on_exit) = 0;

  // If `pid` is alive and is `identity`, watches it as if it had been spawned here (`on_exit`
  // runs once when it ends) and returns true; returns false if it is not (and never calls
  // `on_exit`).
  virtual Result<bool> Adopt(pid_t pid, const ProcessIdentity& identity, ExitCallback on_exit) = 0;

  // Sends `sig` to a watched process (spawned or adopted); kNotWatched for any other pid, so
  // that a stale pid reused by an unrelated process is never signalled.
  virtual Status Kill(pid_t pid, int sig) = 0;

  // Whether `pid` runs now (a zombie does not) and is `identity`.
  virtual bool IsAlive(pid_t pid, const ProcessIdentity& identity) = 0;
};

}  // namespace dabs::farm
