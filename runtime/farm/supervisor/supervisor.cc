// The Supervisor's public face, the lock discipline, and starting processes.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <dabs/farm/supervisor.h>
#include <dabs/store/private_files.h>

#include "supervisor_impl.h"

extern char** environ;

namespace dabs::farm {

const char* ProcessStateName(ProcessState s) {
  switch (s) {
    case ProcessState::kRunning:
      return "running";
    case ProcessState::kRestartPending:
      return "restart-pending";
    case ProcessState::kStopping:
      return "stopping";
    case ProcessState::kFailed:
      return "failed";
  }
  return "unknown";
}

const char* RecordState(mp::wire::DaspState s) {
  switch (s) {
    case mp::wire::DaspState::kStarting:
      return "starting";
    case mp::wire::DaspState::kReady:
      return "ready";
    case mp::wire::DaspState::kBusy:
      return "busy";
    case mp::wire::DaspState::kDraining:
      return "draining";
    case mp::wire::DaspState::kStopped:
      return "stopped";
    case mp::wire::DaspState::kFailed:
      return "failed";
  }
  return "ready";
}

// ------------------------------------------------------------------------ lock discipline

Supervisor::Impl::Impl(SupervisorDeps deps, SupervisorOptions options)
    : deps_(std::move(deps)), options_(std::move(options)) {
  if (!options_.output_dir.empty()) {
    // The DASPs' logs are the daemons' user's alone. A spawn into a missing directory fails
    // and says so; one we may not make private still takes logs (each file is 0600).
    auto made = store::EnsurePrivateDirectory(options_.output_dir, "");
    if (!made) spdlog::warn("DASP logs: {}", made.error().Message());
  }
  if (options_.env.empty()) {
    for (char** e = environ; e != nullptr && *e != nullptr; ++e)
      options_.env.emplace_back(*e);
  }
}

void Supervisor::Impl::Event(const std::function<void(Outbox&)>& fn) {
  Outbox out;
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    ++active_;
    fn(out);
  }
  Finish(out);
}

void Supervisor::Impl::Finish(Outbox& out) {
  for (auto& f : out)
    f();
  std::lock_guard lock(mu_);
  if (--active_ == 0) idle_.notify_all();
}

void Supervisor::Impl::Close() {
  std::unique_lock lock(mu_);
  closed_ = true;
  idle_.wait(lock, [&] { return active_ == 0; });
}

// ------------------------------------------------------------------------------- starting

Status Supervisor::Impl::CheckStartable(const config::AppEntry& app) const {
  if (stopping_all_) return SupervisorErrc::kStopping;
  auto it = apps_.find(app.name);
  if (it != apps_.end() && it->second.failed) {
    return Error{make_error_code(SupervisorErrc::kAppFailed), app.name};
  }
  if (!app.RunsOn(server())) {
    return Error{make_error_code(SupervisorErrc::kNotOnThisServer), app.name + " on " + server()};
  }
  return Status::Ok();
}

Result<ProcessInfo> Supervisor::Impl::StartLocked(const config::AppEntry& app, uint32_t instances) {
  if (Status s = CheckStartable(app); !s) return s.error();
  if (instances == 0 || instances > std::max<uint32_t>(1, app.instances_per_process)) {
    return Error{make_error_code(SupervisorErrc::kInvalidArgument),
                 app.name + ": " + std::to_string(instances) + " instances in one process (1.." +
                     std::to_string(std::max<uint32_t>(1, app.instances_per_process)) + ")"};
  }
  Proc p;
  p.app = app.name;
  p.entry = app;
  for (uint32_t i = 0; i < instances; ++i) {
    auto va = deps_.allocate_va();
    if (!va) return va.error();
    p.vas.push_back(*va);
  }
  p.id = app.name + "/" + mp::FormatVa(p.vas.front());
  if (procs_.contains(p.id)) {
    return Error{make_error_code(SupervisorErrc::kInvalidArgument), "VA in use: " + p.id};
  }
  if (Status s = SpawnLocked(p, /*count_restart=*/false); !s) return s.error();
  for (mp::Va va : p.vas)
    by_va_[va] = p.id;
  ProcessInfo info = Info(p);
  spdlog::info("supervisor {}: started {} (pid {}, {} instance{})", server(), p.id, p.pid,
               p.vas.size(), p.vas.size() == 1 ? "" : "s");
  procs_.emplace(p.id, std::move(p));
  return info;
}

Status Supervisor::Impl::SpawnLocked(Proc& p, bool count_restart) {
  auto argv = DaspArgv(p.entry, p.vas, options_.command);
  if (!argv) return argv.error();
  SpawnRequest request{std::move(*argv), options_.env, {}};
  if (!options_.output_dir.empty()) {
    request.output_path =
        (options_.output_dir / (p.app + "-" + mp::FormatVa(p.vas.front()) + ".log")).string();
  }
  const uint64_t generation = p.generation + 1;
  auto pid = deps_.launcher.Spawn(request, WatchExit(p.id, generation));
  if (!pid) {
    return Error{pid.error().code, p.id + ": " + p.entry.dasp + ": " + pid.error().Message()};
  }
  p.generation = generation;
  p.pid = *pid;
  p.state = ProcessState::kRunning;
  p.started = deps_.clock.Now();
  p.reported_stopped.clear();
  if (count_restart) ++p.restarts;
  const int64_t now_ms = deps_.clock.UnixMillis();
  Status written = WriteRecords(p, [&](store::DaspRecord& r) {
    r.state = "starting";
    r.pid = p.pid;
    r.udp.clear();
    r.sessions = 0;
    r.started_ms = now_ms;
    r.restarts = p.restarts;
  });
  if (!written) {
    // Unrecorded, it would be invisible to a later Reconcile: do not leave it running.
    (void)deps_.launcher.Kill(p.pid, SIGKILL);
    p.pid = 0;
    return written;
  }
  return Status::Ok();
}

ProcessInfo Supervisor::Impl::Info(const Proc& p) const {
  return ProcessInfo{p.id, p.app, p.pid, p.state, p.vas, p.restarts};
}

Supervisor::Impl::Proc* Supervisor::Impl::FindProc(const std::string& id) {
  auto it = procs_.find(id);
  return it == procs_.end() ? nullptr : &it->second;
}

std::string Supervisor::Impl::Control(mp::Va va) const {
  return ControlSocketPath(options_.command.state_dir, va).string();
}

bool Supervisor::Impl::AnyRunning() const {
  for (const auto& [id, p] : procs_) {
    if (p.pid != 0) return true;
  }
  return false;
}

// -------------------------------------------------------------------------------- facade

Supervisor::Supervisor(SupervisorDeps deps, SupervisorOptions options)
    : impl_(std::make_shared<Impl>(std::move(deps), std::move(options))) {}

Supervisor::~Supervisor() {
  impl_->Close();
}

Result<ProcessInfo> Supervisor::StartProcess(const config::AppEntry& app, uint32_t instances) {
  return impl_->Call([&](Impl::Outbox&) { return impl_->StartLocked(app, instances); });
}

Status Supervisor::OnStarted(mp::Va va, const std::string& udp, const std::string& control) {
  return impl_->Call([&](Impl::Outbox&) {
    return impl_->UpdateRecord(va, [&](store::DaspRecord& r) {
      if (r.state == "stopped" || r.state == "failed") return;  // a late STARTED
      if (r.state == "starting") r.state = "ready";
      r.udp = udp;
      if (!control.empty()) r.control = control;
    });
  });
}

Status Supervisor::OnState(mp::Va va, mp::wire::DaspState state, uint32_t sessions) {
  return impl_->Call([&](Impl::Outbox&) {
    Status s = impl_->UpdateRecord(va, [&](store::DaspRecord& r) {
      if (r.state == "stopped" || r.state == "failed") return;
      r.state = RecordState(state);
      r.sessions = sessions;
    });
    if (!s || state != mp::wire::DaspState::kStopped) return s;
    // An instance shut down one by one is done. Of a running instance, remember it: a
    // process whose instances all stopped by themselves is not restarted when it ends.
    for (auto& [id, p] : impl_->procs_) {
      if (std::erase(p.draining, va) > 0) return s;
    }
    auto it = impl_->by_va_.find(va);
    if (it != impl_->by_va_.end()) {
      if (Impl::Proc* p = impl_->FindProc(it->second)) p->reported_stopped.insert(va);
    }
    return s;
  });
}

Result<ReconcileReport> Supervisor::Reconcile(const config::FarmConfig& config) {
  return impl_->Call([&](Impl::Outbox&) { return impl_->ReconcileLocked(config); });
}

Result<uint32_t> Supervisor::EnsureAtInit(const config::FarmConfig& config) {
  return impl_->Call([&](Impl::Outbox&) { return impl_->EnsureLocked(config); });
}

Status Supervisor::Shutdown(mp::Va va, ShutdownMode mode) {
  return impl_->Call([&](Impl::Outbox& out) -> Status {
    auto it = impl_->by_va_.find(va);
    Impl::Proc* p = it == impl_->by_va_.end() ? nullptr : impl_->FindProc(it->second);
    if (p == nullptr) return Error{make_error_code(SupervisorErrc::kUnknownVa), mp::FormatVa(va)};
    if (p->vas.size() == 1 || p->pid == 0) return impl_->ShutdownProcessLocked(*p, mode, out);
    // Its siblings live on: only this instance is told, and no signal can be sent.
    if (!impl_->deps_.deliver_shutdown) {
      return Error{make_error_code(SupervisorErrc::kNoShutdownChannel), mp::FormatVa(va)};
    }
    const mp::Va one[] = {va};
    Status s = impl_->WriteRecords(*p, one, [](store::DaspRecord& r) { r.state = "draining"; });
    std::erase(p->vas, va);
    p->draining.push_back(va);
    impl_->by_va_.erase(va);
    out.push_back([deliver = impl_->deps_.deliver_shutdown,
                   request = ShutdownRequest{va, impl_->Control(va), mode}] { deliver(request); });
    spdlog::info("supervisor {}: shutting down instance {} of {}", impl_->server(),
                 mp::FormatVa(va), p->id);
    return s;
  });
}

Status Supervisor::ShutdownProcess(const std::string& id, ShutdownMode mode) {
  return impl_->Call([&](Impl::Outbox& out) -> Status {
    Impl::Proc* p = impl_->FindProc(id);
    if (p == nullptr) return Error{make_error_code(SupervisorErrc::kUnknownProcess), id};
    return impl_->ShutdownProcessLocked(*p, mode, out);
  });
}

void Supervisor::StopAll(ShutdownMode mode, std::function<void()> done) {
  impl_->Call([&](Impl::Outbox& out) {
    impl_->stopping_all_ = true;
    impl_->stop_all_done_ = std::move(done);
    std::vector<std::string> ids;
    for (const auto& [id, p] : impl_->procs_)
      ids.push_back(id);
    for (const auto& id : ids) {
      if (Impl::Proc* p = impl_->FindProc(id)) (void)impl_->ShutdownProcessLocked(*p, mode, out);
    }
    impl_->CheckStopAllDone(out);
    return 0;
  });
}

Status Supervisor::Reset(const config::AppEntry& app) {
  return impl_->Call([&](Impl::Outbox& out) -> Status {
    Impl::AppState& state = impl_->apps_[app.name];
    const bool was_failed = state.failed;
    state = {};
    Status result = Status::Ok();
    std::vector<std::string> failed;
    for (auto& [id, p] : impl_->procs_) {
      if (p.app != app.name) continue;
      p.entry = app;
      p.restartable = app.RunsOn(impl_->server());
      p.crashes_in_row = 0;
      if (p.state == ProcessState::kFailed) failed.push_back(id);
    }
    for (const auto& id : failed) {
      Impl::Proc& p = *impl_->FindProc(id);
      if (!p.restartable || impl_->stopping_all_) {
        impl_->Forget(p, out);
        continue;
      }
      if (Status s = impl_->SpawnLocked(p, /*count_restart=*/true); !s) {
        result = s;
        impl_->Crashed(p, s.error().Message(), out);
      }
    }
    if (was_failed) {
      spdlog::info("supervisor {}: {} reset, {} failed process{} started again", impl_->server(),
                   app.name, failed.size(), failed.size() == 1 ? "" : "es");
    }
    return result;
  });
}

bool Supervisor::IsFailed(const std::string& app) const {
  std::lock_guard lock(impl_->mu_);
  auto it = impl_->apps_.find(app);
  return it != impl_->apps_.end() && it->second.failed;
}

std::vector<ProcessInfo> Supervisor::Processes() const {
  std::lock_guard lock(impl_->mu_);
  std::vector<ProcessInfo> out;
  for (const auto& [id, p] : impl_->procs_)
    out.push_back(impl_->Info(p));
  return out;
}

std::optional<ProcessInfo> Supervisor::Process(const std::string& id) const {
  std::lock_guard lock(impl_->mu_);
  auto it = impl_->procs_.find(id);
  if (it == impl_->procs_.end()) return std::nullopt;
  return impl_->Info(it->second);
}

}  // namespace dabs::farm
