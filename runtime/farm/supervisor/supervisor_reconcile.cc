// After a dabs-lbd restart: the records against the running processes; then start_at_init.
#include <algorithm>

#include <spdlog/spdlog.h>

#include "supervisor_impl.h"

namespace dabs::farm {

namespace {

// Whether the record says a process should be running. The supervisor clears the pid of
// the records it marks "stopped" or "failed"; a "failed" with a pid is the instance's own
// report, and its process may well still run.
bool IsLive(const store::DaspRecord& r) {
  return r.state != "stopped" && (r.state != "failed" || r.pid > 0);
}

// Records by DaspRecord::process, each group in VA order.
std::map<std::string, std::vector<store::DaspRecord>> ByProcess(
    std::vector<store::DaspRecord> records) {
  std::map<std::string, std::vector<store::DaspRecord>> groups;
  for (auto& r : records) {
    std::string id = r.process.empty() ? r.app + "/" + mp::FormatVa(r.va) : r.process;
    groups[id].push_back(std::move(r));
  }
  for (auto& [id, group] : groups) {
    std::sort(group.begin(), group.end(), [](const auto& a, const auto& b) { return a.va < b.va; });
  }
  return groups;
}

}  // namespace

Result<ReconcileReport> Supervisor::Impl::ReconcileLocked(const config::FarmConfig& config) {
  auto records = ReadRecords();
  if (!records) return records.error();
  ReconcileReport report;
  const int64_t now_ms = deps_.clock.UnixMillis();
  for (auto& [id, group] : ByProcess(std::move(*records))) {
    if (procs_.contains(id)) continue;  // already supervised
    std::vector<store::DaspRecord> live;
    std::copy_if(group.begin(), group.end(), std::back_inserter(live), IsLive);
    if (live.empty()) continue;  // history
    Proc p;
    p.id = id;
    p.app = live.front().app;
    const config::AppEntry* entry = config.App(p.app);
    if (entry != nullptr) p.entry = *entry;
    p.entry.name = p.app;
    p.restartable = entry != nullptr && entry->RunsOn(server());
    for (const auto& r : live) {
      p.vas.push_back(r.va);
      p.restarts = std::max(p.restarts, r.restarts);
    }
    p.generation = 1;
    p.pid = live.front().pid;
    // How long it has run, on our clock, for RestartPolicy::stable_after.
    p.started =
        deps_.clock.Now() - milliseconds(std::max<int64_t>(0, now_ms - live.front().started_ms));
    const ProcessIdentity identity{entry != nullptr ? entry->dasp : "", Control(p.vas.front())};
    bool adopted = false;
    if (p.pid > 0) {
      auto a = deps_.launcher.Adopt(p.pid, identity, WatchExit(p.id, p.generation));
      if (!a) spdlog::warn("supervisor {}: adopt {}: {}", server(), id, a.error().Message());
      adopted = a && *a;
    }
    if (adopted) {
      spdlog::info("supervisor {}: adopted {} (pid {}, {} instance{})", server(), id, p.pid,
                   p.vas.size(), p.vas.size() == 1 ? "" : "s");
      for (mp::Va va : p.vas)
        by_va_[va] = id;
      report.adopted.push_back(id);
      procs_.emplace(id, std::move(p));
      continue;
    }
    spdlog::info("supervisor {}: {} (pid {}) is gone: its records are now stopped", server(), id,
                 p.pid);
    p.pid = 0;
    Status s = WriteRecords(p, [](store::DaspRecord& r) {
      r.state = "stopped";
      r.pid = 0;
      r.udp.clear();
      r.sessions = 0;
    });
    if (!s) return s.error();
    report.stopped.push_back(id);
  }
  auto started = EnsureLocked(config);
  if (!started) return started.error();
  report.started = *started;
  return report;
}

Result<uint32_t> Supervisor::Impl::EnsureLocked(const config::FarmConfig& config) {
  if (stopping_all_) return SupervisorErrc::kStopping;
  auto records = ReadRecords();
  if (!records) return records.error();
  auto groups = ByProcess(std::move(*records));
  uint32_t started = 0;
  for (const config::AppEntry& app : config.apps) {
    if (app.start_at_init == 0 || !CheckStartable(app)) continue;
    uint32_t live = 0;
    for (const auto& [id, p] : procs_) {
      if (p.app == app.name &&
          (p.state == ProcessState::kRunning || p.state == ProcessState::kRestartPending)) {
        live += static_cast<uint32_t>(p.vas.size());
      }
    }
    uint32_t need = app.start_at_init > live ? app.start_at_init - live : 0;
    const uint32_t per_process = std::max<uint32_t>(1, app.instances_per_process);
    // First the VAs this server already had for the app, so clients that remember them
    // find them again and the records do not pile up.
    for (const auto& [id, group] : groups) {
      if (need == 0) break;
      if (procs_.contains(id) || group.front().app != app.name) continue;
      Proc p;
      p.id = id;
      p.app = app.name;
      p.entry = app;
      for (const auto& r : group) {
        p.restarts = std::max(p.restarts, r.restarts);
        if (p.vas.size() < std::min(need, per_process) && !IsLive(r)) p.vas.push_back(r.va);
      }
      if (p.vas.empty()) continue;
      if (Status s = SpawnLocked(p, /*count_restart=*/true); !s) return s.error();
      spdlog::info("supervisor {}: started {} again (pid {}, {} instance{}, start_at_init)",
                   server(), id, p.pid, p.vas.size(), p.vas.size() == 1 ? "" : "s");
      need -= static_cast<uint32_t>(p.vas.size());
      started += static_cast<uint32_t>(p.vas.size());
      for (mp::Va va : p.vas)
        by_va_[va] = id;
      procs_.emplace(id, std::move(p));
    }
    while (need > 0) {
      const uint32_t n = std::min(need, per_process);
      auto info = StartLocked(app, n);
      if (!info) return info.error();
      need -= n;
      started += n;
    }
  }
  return started;
}

}  // namespace dabs::farm
