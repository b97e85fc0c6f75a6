// The supervisor of one server's DASP processes (DESIGN 3 "Failure"): dabs-lbd's part that
// starts an application's executable with its instances, keeps a record of every instance
// in the store's dasps database (key VaKey(va), a store::DaspRecord), restarts a process
// that dies with backoff and a budget, marks an application failed when the budget is
// spent (never a silent restart loop), shuts DASPs down, and after a dabs-lbd restart
// adopts the DASPs that still run.
//
//   store::Store& store = ...;          // this server's store
//   PosixLauncher launcher(io);         // exits are noticed on `io`
//   AsioTaskScheduler scheduler(io);
//   mp::SystemClock clock;
//   Supervisor supervisor({store, launcher, scheduler, clock, allocate_va, on_failed,
//                          send_shutdown},
//                         options);
//   supervisor.Reconcile(config);       // at start: adopt, mark, start_at_init
//   auto process = supervisor.StartProcess(*config.App("echo"), 2);
//
// A process's life: running (state "starting" in its records until each instance sends
// STARTED, then what the instance reports) -> it dies -> restart pending (records
// "starting", pid 0) -> running again with restarts + 1; or, when the application has used
// its budget, failed (records "failed", an audit record, on_app_failed) until Reset. A
// process asked to shut down is never restarted; its records end "stopped".
//
// Thread safety: every method is thread-safe (one mutex inside). Exit notifications and
// timers arrive on the launcher's and scheduler's threads. Callbacks out (on_app_failed,
// deliver_shutdown, StopAll's done) run without the lock held, on whichever thread caused
// them (possibly inside a call to a method of this class): they may call back in.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

#include <dabs/config/farm.h>
#include <dabs/farm/dasp_command.h>
#include <dabs/farm/process_launcher.h>
#include <dabs/farm/supervisor_errc.h>
#include <dabs/farm/task_scheduler.h>
#include <dabs/mp/clock.h>
#include <dabs/mp/result.h>
#include <dabs/mp/va.h>
#include <dabs/mp/wire.h>
#include <dabs/store/store.h>

namespace dabs::farm {

using std::chrono::milliseconds;

// As MP SHUTDOWN's mode byte.
enum class ShutdownMode : uint8_t { kClean = 1, kEmergency = 2 };

struct RestartPolicy {
  // Delay before the first restart after a crash (the issue asks for one within 100 ms);
  // each further crash in a row doubles it, up to max_delay.
  milliseconds first_delay{50};
  milliseconds max_delay{30'000};
  // At most `budget` restarts of one application on this server within any `window`; the
  // crash after that marks the application failed here.
  uint32_t budget = 5;
  milliseconds window{60'000};
  // A process that ran this long before dying starts again from first_delay.
  milliseconds stable_after{10'000};
};

struct ShutdownPolicy {
  // Clean: SHUTDOWN to each instance (or SIGTERM when there is no deliver_shutdown), then
  // SIGTERM after clean_grace (the framework's own bound is 5 s; a second SIGTERM is its
  // emergency shutdown), then SIGKILL after term_grace more.
  milliseconds clean_grace{7'000};
  milliseconds term_grace{2'000};
  // Emergency: SHUTDOWN(emergency) to each instance, so that it can still tell its DACPs,
  // then SIGKILL after emergency_grace; SIGKILL at once when there is no deliver_shutdown.
  milliseconds emergency_grace{100};
};

struct SupervisorOptions {
  DaspCommandContext command;  // state dir, server id, address, farm-wide DASP flags
  // DaspRecord::uri = mp://FARM/APP/VA (the VA in decimal, unique in the farm); empty: none.
  std::string farm_name;
  // Each DASP process's stdout and stderr are appended to DIR/APP-0xVA.log (its first VA),
  // e.g. store::ServerLayout::logs(); created (or made) 0700 and each log 0600
  // (store/private_files.h). Empty: they inherit dabs-lbd's.
  std::filesystem::path output_dir;
  // The DASPs' environment ("NAME=value"); empty: this process's environment.
  std::vector<std::string> env;
  RestartPolicy restart;
  ShutdownPolicy shutdown;
  std::string audit_who = "dabs-lbd";  // `who` of the audit records written here
};

// Told to dabs-lbd when an application used up its restart budget on this server.
struct AppFailure {
  std::string app;
  std::string server;
  uint32_t restarts_in_window = 0;
  std::string last_exit;  // "pid 1234 killed by signal 9 (Killed)", ...
};

// dabs-lbd sends MP SHUTDOWN with `mode` to the instance's control socket.
struct ShutdownRequest {
  mp::Va va = mp::kVaNone;
  std::string control;
  ShutdownMode mode = ShutdownMode::kClean;
};

// What the supervisor works with. Everything referenced must outlive the Supervisor; the
// launcher and scheduler must also outlive every exit notification and task they hold.
struct SupervisorDeps {
  store::Store& store;
  ProcessLauncher& launcher;
  TaskScheduler& scheduler;
  const mp::Clock& clock;
  // A new VA of this server for each new instance (dabs-lbd persists the counter).
  std::function<Result<mp::Va>()> allocate_va;
  // Optional. An application was marked failed here (see RestartPolicy).
  std::function<void(const AppFailure&)> on_app_failed;
  // Optional. Deliver MP SHUTDOWN to one instance; without it a clean shutdown starts
  // with SIGTERM.
  std::function<void(const ShutdownRequest&)> deliver_shutdown;
};

enum class ProcessState {
  kRunning,         // a live pid, watched
  kRestartPending,  // died; a restart is scheduled
  kStopping,        // asked to shut down; its exit ends it
  kFailed,          // its application used up its budget; restarted only by Reset
};
const char* ProcessStateName(ProcessState s);

struct ProcessInfo {
  std::string id;  // "APP/0xVA" of its first instance; DaspRecord::process
  std::string app;
  pid_t pid = 0;  // 0 when not running
  ProcessState state = ProcessState::kRunning;
  std::vector<mp::Va> instances;  // those it runs (or will run on restart)
  uint32_t restarts = 0;
};

struct ReconcileReport {
  std::vector<std::string> adopted;  // process ids found alive and watched again
  std::vector<std::string> stopped;  // process ids found dead: their records now "stopped"
  uint32_t started = 0;              // instances started for start_at_init
};

class Supervisor {
 public:
  Supervisor(SupervisorDeps deps, SupervisorOptions options);
  // Stops supervising: waits for a notification being handled on another thread, then no
  // more run. Kills nothing (the DASPs outlive a dabs-lbd restart; see Reconcile).
  // REQUIRES: not called from inside one of its callbacks.
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Starts one process of `app` hosting `instances` new instances (VAs from allocate_va)
  // and records them ("starting", the pid) in one transaction. Fails with kAppFailed,
  // kNotOnThisServer, kStopping, kInvalidArgument (0 instances, more than
  // instances_per_process) or the spawn's error (then nothing is recorded).
  Result<ProcessInfo> StartProcess(const config::AppEntry& app, uint32_t instances);

  // An instance sent STARTED: its record gets the endpoints and "ready" (if "starting").
  // A record already "stopped" or "failed" is left alone (a late STARTED). kUnknownVa if
  // this server has no record of it.
  Status OnStarted(mp::Va va, const std::string& udp, const std::string& control);
  // An instance sent STATE_CHANGE. Records that are "stopped" or "failed" keep that state.
  // kUnknownVa if this server has no record of it.
  Status OnState(mp::Va va, mp::wire::DaspState state, uint32_t sessions);

  // At start (after a dabs-lbd restart, or the first start): every live record of this
  // server whose process is still alive and ours (ProcessIdentity: the configured
  // executable and the instance's control socket in its arguments) is adopted and watched;
  // the others' records become "stopped". Then EnsureAtInit(config).
  Result<ReconcileReport> Reconcile(const config::FarmConfig& config);

  // Starts what is missing of start_at_init for every application whose sub-group includes
  // this server, instances_per_process to a process, reviving stopped records (same VAs)
  // before allocating new ones. Stops nothing. Returns the number of instances started.
  Result<uint32_t> EnsureAtInit(const config::FarmConfig& config);

  // Shuts down one instance (see ShutdownPolicy). When other instances share its process,
  // only this one is told (kNoShutdownChannel without deliver_shutdown) and no signal is
  // sent. A shut-down instance is never restarted. kUnknownVa if it is not running here.
  Status Shutdown(mp::Va va, ShutdownMode mode);
  // Shuts down a whole process (ProcessInfo::id). kUnknownProcess if there is none.
  Status ShutdownProcess(const std::string& id, ShutdownMode mode);
  // For dabs-lbd's own exit when the farm stops: shuts down every process; `done` runs
  // once every one has ended (at once if none runs). Nothing is started afterwards.
  void StopAll(ShutdownMode mode, std::function<void()> done);

  // Clears the application's failure and budget (after a configuration change, or an
  // operator's reset), takes `app` as its configuration from now on, and restarts its
  // failed processes if it still runs on this server (else their records become
  // "stopped").
  Status Reset(const config::AppEntry& app);

  // Snapshots.
  bool IsFailed(const std::string& app) const;
  std::vector<ProcessInfo> Processes() const;
  std::optional<ProcessInfo> Process(const std::string& id) const;

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace dabs::farm
