// A ProcessLauncher for tests: no process is started. The test sees what would have been
// (argv, environment), decides when a process ends and how, and can pretend processes of
// an earlier dabs-lbd are running (for Reconcile).
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include <dabs/farm/process_launcher.h>
#include <dabs/farm/supervisor_errc.h>

namespace dabs::farm::testing {

class FakeLauncher final : public ProcessLauncher {
 public:
  struct Spawned {
    pid_t pid = 0;
    SpawnRequest request;
  };
  struct Signal {
    pid_t pid = 0;
    int sig = 0;
    friend bool operator==(const Signal&, const Signal&) = default;
  };

  explicit FakeLauncher(pid_t first_pid = 1000) : next_pid_(first_pid) {}

  Result<pid_t> Spawn(const SpawnRequest& request, ExitCallback on_exit) override {
    std::lock_guard lock(mu_);
    if (spawn_failures_ > 0) {
      --spawn_failures_;
      return Error{spawn_error_, "fake spawn failure"};
    }
    const pid_t pid = next_pid_++;
    spawned_.push_back({pid, request});
    running_[pid] = Process{request.argv, std::move(on_exit)};
    return pid;
  }

  Result<bool> Adopt(pid_t pid, const ProcessIdentity& identity, ExitCallback on_exit) override {
    std::lock_guard lock(mu_);
    auto it = running_.find(pid);
    if (it == running_.end() || it->second.on_exit || !Matches(it->second.argv, identity)) {
      return false;
    }
    it->second.on_exit = std::move(on_exit);
    adopted_.push_back(pid);
    return true;
  }

  Status Kill(pid_t pid, int sig) override {
    std::lock_guard lock(mu_);
    auto it = running_.find(pid);
    if (it == running_.end() || !it->second.on_exit) return SupervisorErrc::kNotWatched;
    signals_.push_back({pid, sig});
    return Status::Ok();
  }

  bool IsAlive(pid_t pid, const ProcessIdentity& identity) override {
    std::lock_guard lock(mu_);
    auto it = running_.find(pid);
    return it != running_.end() && Matches(it->second.argv, identity);
  }

  // ---- The test's side.

  // The process ends with `status`: its exit callback runs here, on the calling thread.
  // False if no such process runs.
  bool Exit(pid_t pid, ExitStatus status) {
    ExitCallback on_exit;
    {
      std::lock_guard lock(mu_);
      auto it = running_.find(pid);
      if (it == running_.end()) return false;
      on_exit = std::move(it->second.on_exit);
      running_.erase(it);
    }
    if (on_exit) on_exit(status);
    return true;
  }
  // A process this launcher did not start and does not watch, e.g. a DASP the previous
  // dabs-lbd started. Adopt can take it.
  void AddForeign(pid_t pid, std::vector<std::string> argv) {
    std::lock_guard lock(mu_);
    running_[pid] = Process{std::move(argv), {}};
  }
  // The next `n` spawns fail with `error`.
  void FailSpawns(
      int n, std::error_code error = std::make_error_code(std::errc::no_such_file_or_directory)) {
    std::lock_guard lock(mu_);
    spawn_failures_ = n;
    spawn_error_ = error;
  }

  std::vector<Spawned> spawned() const {
    std::lock_guard lock(mu_);
    return spawned_;
  }
  std::optional<Spawned> last_spawned() const {
    std::lock_guard lock(mu_);
    if (spawned_.empty()) return std::nullopt;
    return spawned_.back();
  }
  size_t spawn_count() const {
    std::lock_guard lock(mu_);
    return spawned_.size();
  }
  std::vector<Signal> signals() const {
    std::lock_guard lock(mu_);
    return signals_;
  }
  std::vector<pid_t> adopted() const {
    std::lock_guard lock(mu_);
    return adopted_;
  }
  bool running(pid_t pid) const {
    std::lock_guard lock(mu_);
    return running_.contains(pid);
  }

 private:
  struct Process {
    std::vector<std::string> argv;
    ExitCallback on_exit;  // empty: not watched (foreign, not adopted)
  };

  static bool Matches(const std::vector<std::string>& argv, const ProcessIdentity& identity) {
    if (!identity.exe.empty() && (argv.empty() || argv.front() != identity.exe)) return false;
    if (identity.marker.empty()) return true;
    for (const auto& a : argv) {
      if (a.find(identity.marker) != std::string::npos) return true;
    }
    return false;
  }

  mutable std::mutex mu_;
  pid_t next_pid_;
  int spawn_failures_ = 0;
  std::error_code spawn_error_;
  std::vector<Spawned> spawned_;
  std::map<pid_t, Process> running_;
  std::vector<Signal> signals_;
  std::vector<pid_t> adopted_;
};

}  // namespace dabs::farm::testing
