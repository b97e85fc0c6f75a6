// A process's end: stopped for good, restarted with backoff, or its application marked
// failed when the restart budget is spent.
#include <spdlog/spdlog.h>

#include "supervisor_impl.h"

namespace dabs::farm {

namespace {

std::string Seconds(milliseconds ms) {
  return ms.count() % 1000 == 0 ? std::to_string(ms.count() / 1000) + " s"
                                : std::to_string(ms.count()) + " ms";
}

}  // namespace

ExitCallback Supervisor::Impl::WatchExit(const std::string& id, uint64_t generation) {
  // Never a bare `this`: the launcher may outlive the supervisor (STYLE 7).
  return [weak = weak_from_this(), id, generation](ExitStatus status) {
    if (auto self = weak.lock()) self->OnExit(id, generation, status);
  };
}

milliseconds Supervisor::Impl::Backoff(uint32_t crashes_in_row) const {
  const RestartPolicy& policy = options_.restart;
  milliseconds delay = policy.first_delay;
  for (uint32_t i = 0; i < crashes_in_row && delay < policy.max_delay; ++i)
    delay *= 2;
  return std::min(delay, policy.max_delay);
}

void Supervisor::Impl::OnExit(const std::string& id, uint64_t generation, ExitStatus status) {
  Event([&](Outbox& out) {
    Proc* p = FindProc(id);
    if (p == nullptr || p->generation != generation || p->pid == 0) return;
    const std::string what = "pid " + std::to_string(p->pid) + " " + status.ToString();
    p->pid = 0;
    // A DASP killed inside a read transaction would hold a reader slot (D22).
    (void)deps_.store.ClearStaleReaders();
    if (p->state == ProcessState::kStopping) {
      spdlog::info("supervisor {}: {} shut down ({})", server(), id, what);
      Forget(*p, out);
      return;
    }
    bool all_stopped = !p->vas.empty();
    for (mp::Va va : p->vas)
      all_stopped = all_stopped && p->reported_stopped.contains(va);
    if (status.clean() || all_stopped) {
      // The framework exits 0 only after every instance stopped: someone (an operator's
      // SIGTERM, the application itself) shut it down on purpose.
      spdlog::info("supervisor {}: {} ended by itself ({}): not restarted", server(), id, what);
      Forget(*p, out);
      return;
    }
    Crashed(*p, what, out);
  });
}

void Supervisor::Impl::Crashed(Proc& p, const std::string& what, Outbox& out) {
  AppState& app = apps_[p.app];
  const mp::TimePoint now = deps_.clock.Now();
  auto mark = [&](const char* state, const std::string& audit) {
    (void)WriteRecords(
        p,
        [&](store::DaspRecord& r) {
          r.state = state;
          r.pid = 0;
          r.udp.clear();
          r.sessions = 0;
        },
        audit);
  };
  if (app.failed) {
    p.state = ProcessState::kFailed;
    spdlog::error("supervisor {}: {} {}: {} has failed here, not restarted", server(), p.id, what,
                  p.app);
    mark("failed", {});
    return;
  }
  if (!p.restartable || stopping_all_) {
    spdlog::warn("supervisor {}: {} {}: not restarted ({})", server(), p.id, what,
                 stopping_all_ ? "stopping" : "its application no longer runs here");
    Forget(p, out);
    return;
  }
  const RestartPolicy& policy = options_.restart;
  while (!app.restarts.empty() && now - app.restarts.front() >= policy.window) {
    app.restarts.pop_front();
  }
  if (app.restarts.size() >= policy.budget) {
    p.state = ProcessState::kFailed;
    FailApp(p.app, p.id + " " + what, out);
    return;
  }
  if (now - p.started >= policy.stable_after) p.crashes_in_row = 0;
  const milliseconds delay = Backoff(p.crashes_in_row++);
  app.restarts.push_back(now);
  p.state = ProcessState::kRestartPending;
  p.reported_stopped.clear();
  // Instances being shut down one by one are not started again.
  const std::vector<mp::Va> draining = std::exchange(p.draining, {});
  (void)WriteRecords(p, draining, [](store::DaspRecord& r) {
    r.state = "stopped";
    r.pid = 0;
    r.udp.clear();
  });
  mark("starting", {});
  spdlog::warn("supervisor {}: {} {}; restarting in {} ({} of {} restarts of {} within {})",
               server(), p.id, what, Seconds(delay), app.restarts.size(), policy.budget, p.app,
               Seconds(policy.window));
  deps_.scheduler.RunAt(now + delay, [weak = weak_from_this(), id = p.id, g = p.generation] {
    if (auto self = weak.lock()) self->OnRestartDue(id, g);
  });
}

void Supervisor::Impl::OnRestartDue(const std::string& id, uint64_t generation) {
  Event([&](Outbox& out) {
    Proc* p = FindProc(id);
    if (p == nullptr || p->generation != generation || p->state != ProcessState::kRestartPending) {
      return;
    }
    if (Status s = SpawnLocked(*p, /*count_restart=*/true); !s) {
      p->started = deps_.clock.Now();  // a start that failed at once: not a stable run
      Crashed(*p, "could not start: " + s.error().Message(), out);
      return;
    }
    spdlog::warn("supervisor {}: {} restarted as pid {} (restarts {})", server(), id, p->pid,
                 p->restarts);
  });
}

void Supervisor::Impl::FailApp(const std::string& app_name, const std::string& what, Outbox& out) {
  AppState& app = apps_[app_name];
  app.failed = true;
  const auto in_window = static_cast<uint32_t>(app.restarts.size());
  const std::string audit = "app " + app_name + " failed on " + server() + ": " +
                            std::to_string(in_window) + " restarts within " +
                            Seconds(options_.restart.window) + ", then " + what +
                            "; not restarted until reset";
  spdlog::error("supervisor {}: {}", server(), audit);
  // Every process of the app that is not running now stays down; running ones serve on.
  bool audited = false;
  for (auto& [id, p] : procs_) {
    if (p.app != app_name || p.pid != 0) continue;
    p.state = ProcessState::kFailed;
    (void)WriteRecords(
        p,
        [](store::DaspRecord& r) {
          r.state = "failed";
          r.pid = 0;
          r.udp.clear();
          r.sessions = 0;
        },
        audited ? std::string() : audit);
    audited = true;
  }
  if (deps_.on_app_failed) {
    out.push_back([cb = deps_.on_app_failed,
                   failure = AppFailure{app_name, server(), in_window, what}] { cb(failure); });
  }
}

void Supervisor::Impl::Forget(Proc& p, Outbox& out) {
  std::vector<mp::Va> vas = p.vas;
  vas.insert(vas.end(), p.draining.begin(), p.draining.end());
  (void)WriteRecords(p, vas, [](store::DaspRecord& r) {
    r.state = "stopped";
    r.pid = 0;
    r.udp.clear();
    r.sessions = 0;
  });
  for (mp::Va va : p.vas)
    by_va_.erase(va);
  procs_.erase(std::string(p.id));  // a copy: `p` dies here
  CheckStopAllDone(out);
}

void Supervisor::Impl::CheckStopAllDone(Outbox& out) {
  if (!stopping_all_ || !stop_all_done_ || AnyRunning()) return;
  out.push_back(std::exchange(stop_all_done_, {}));
}

}  // namespace dabs::farm
