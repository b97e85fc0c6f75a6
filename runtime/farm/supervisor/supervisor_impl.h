// The supervisor's state and the steps its public methods and notifications share. Private.
//
// Locking: one mutex guards everything here. Every public method and every notification
// (a process's exit, a due task) runs under it, calls the launcher, scheduler and store
// with it held (they never call back from inside), and collects its callbacks out in an
// Outbox that runs after the mutex is released.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <span>

#include <dabs/farm/supervisor.h>
#include <dabs/store/records.h>

namespace dabs::farm {

class Supervisor::Impl : public std::enable_shared_from_this<Impl> {
 public:
  using Outbox = std::vector<std::function<void()>>;

  struct Proc {
    std::string id, app;
    config::AppEntry entry;        // how it is started again
    bool restartable = true;       // false: adopted, but its app no longer runs here
    std::vector<mp::Va> vas;       // the instances it runs and runs again after a crash
    std::vector<mp::Va> draining;  // shut down one by one, not yet reported stopped
    std::set<mp::Va> reported_stopped;
    pid_t pid = 0;
    ProcessState state = ProcessState::kRunning;
    uint64_t generation = 0;     // one per spawn or adoption: stale notifications are ignored
    uint64_t stop_sequence = 0;  // one per shutdown request: stale escalations are ignored
    ShutdownMode stop_mode = ShutdownMode::kClean;
    uint32_t restarts = 0;
    uint32_t crashes_in_row = 0;
    mp::TimePoint started{};
  };

  struct AppState {
    bool failed = false;
    std::deque<mp::TimePoint> restarts;  // within the window
  };

  Impl(SupervisorDeps deps, SupervisorOptions options);

  // Runs `fn` under the lock, then its outbox without it.
  template <typename Fn>
  auto Call(Fn&& fn) {
    Outbox out;
    std::unique_lock lock(mu_);
    ++active_;
    auto result = fn(out);
    lock.unlock();
    Finish(out);
    return result;
  }
  // The same for notifications, which do nothing once the supervisor is closed.
  void Event(const std::function<void(Outbox&)>& fn);
  // Marks the supervisor closed and waits for running calls and notifications.
  void Close();

  // ---- Starting (supervisor.cc).
  Result<ProcessInfo> StartLocked(const config::AppEntry& app, uint32_t instances);
  // Spawns `p` (new, restarted or revived) and records it "starting" with its pid.
  Status SpawnLocked(Proc& p, bool count_restart);
  Status CheckStartable(const config::AppEntry& app) const;
  ProcessInfo Info(const Proc& p) const;

  // ---- Exits, restarts and failure (supervisor_restart.cc).
  void OnExit(const std::string& id, uint64_t generation, ExitStatus status);
  void OnRestartDue(const std::string& id, uint64_t generation);
  void Crashed(Proc& p, const std::string& what, Outbox& out);
  void FailApp(const std::string& app, const std::string& what, Outbox& out);
  // Ends `p` for good: its records "stopped", and it is forgotten.
  void Forget(Proc& p, Outbox& out);
  milliseconds Backoff(uint32_t crashes_in_row) const;
  ExitCallback WatchExit(const std::string& id, uint64_t generation);

  // ---- Shutdown (supervisor_shutdown.cc).
  Status ShutdownProcessLocked(Proc& p, ShutdownMode mode, Outbox& out);
  void OnEscalationDue(const std::string& id, uint64_t generation, uint64_t sequence, int sig);
  void ScheduleEscalation(const Proc& p, milliseconds after, int sig);

  // ---- Reconcile and start_at_init (supervisor_reconcile.cc).
  Result<ReconcileReport> ReconcileLocked(const config::FarmConfig& config);
  Result<uint32_t> EnsureLocked(const config::FarmConfig& config);
  Result<std::vector<store::DaspRecord>> ReadRecords() const;

  // ---- Records (supervisor_records.cc).
  // Applies `change` to the records of `vas` of `p` (fresh ones where missing), and appends
  // `audit` if not empty, in one transaction.
  Status WriteRecords(const Proc& p, std::span<const mp::Va> vas,
                      const std::function<void(store::DaspRecord&)>& change,
                      const std::string& audit = {});
  Status WriteRecords(const Proc& p, const std::function<void(store::DaspRecord&)>& change,
                      const std::string& audit = {}) {
    return WriteRecords(p, p.vas, change, audit);
  }
  // Read-modify-write of one existing record of this server; kUnknownVa if there is none.
  Status UpdateRecord(mp::Va va, const std::function<void(store::DaspRecord&)>& change);
  store::DaspRecord BaseRecord(const Proc& p, mp::Va va) const;

  // Helpers.
  Proc* FindProc(const std::string& id);
  const std::string& server() const { return options_.command.server_id; }
  std::string Control(mp::Va va) const;
  bool AnyRunning() const;
  void CheckStopAllDone(Outbox& out);

  SupervisorDeps deps_;
  SupervisorOptions options_;

  mutable std::mutex mu_;
  std::condition_variable idle_;
  int active_ = 0;
  bool closed_ = false;
  bool stopping_all_ = false;
  std::function<void()> stop_all_done_;
  std::map<std::string, Proc> procs_;
  std::map<mp::Va, std::string> by_va_;  // every VA in some Proc::vas -> its process
  std::map<std::string, AppState> apps_;

 private:
  void Finish(Outbox& out);
};

// "starting", "ready", ... as in store::DaspRecord::state.
const char* RecordState(mp::wire::DaspState s);

}  // namespace dabs::farm
