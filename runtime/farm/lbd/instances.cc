// dabs-lbd: this server's DASPs. The supervisor starts, restarts and stops the processes
// and keeps their records; here are the instances' reports (STARTED, STATE_CHANGE,
// ERROR_REPORT), what dabs-lbd knows of each instance for placement, and SHUTDOWN asked
// by dabsctl.
#include <spdlog/spdlog.h>

#include <dabs/mp/wire.h>

#include "lbd_impl.h"

namespace dabs::farm {

namespace {

mp::wire::DaspState StateFromText(const std::string& s) {
  using S = mp::wire::DaspState;
  if (s == "ready") return S::kReady;
  if (s == "busy") return S::kBusy;
  if (s == "draining") return S::kDraining;
  if (s == "stopped") return S::kStopped;
  if (s == "failed") return S::kFailed;
  return S::kStarting;
}

}  // namespace

void Lbd::Impl::StartSupervisor() {
  launcher = std::make_unique<PosixLauncher>(io);
  scheduler = std::make_unique<AsioTaskScheduler>(io);
  SupervisorOptions so;
  so.command.state_dir = layout.dir;
  so.command.server_id = options.server;
  so.command.address = address;
  so.command.farm_args = FarmDaspArgs(config);
  so.farm_name = config.name;
  so.output_dir = layout.logs();  // the supervisor makes it, private
  SupervisorDeps deps{
      *store,
      *launcher,
      *scheduler,
      clock,
      [this] { return NextVa(); },
      [this](const AppFailure& f) {
        spdlog::error("application {} failed on {}: {} restarts in the window, last: {}", f.app,
                      f.server, f.restarts_in_window, f.last_exit);
      },
      [this](const ShutdownRequest& r) {
        mp::SendOptions o;
        o.reply_timeout = std::chrono::seconds(2);
        node->Send(mp::Endpoint::Local(r.control), mp::wire::kOpeningSession, mp::wire::kShutdown,
                   r.va, mp::EncodeU8(static_cast<uint8_t>(r.mode)), o,
                   [self = shared_from_this(), va = r.va](mp::SendResult&& result) {
                     auto it = self->ctl_shutdowns.find(va);
                     if (it == self->ctl_shutdowns.end()) return;
                     if (result.error) {
                       self->node->Nak(it->second, mp::Errc::kNoCapacity,
                                       "the DASP did not take SHUTDOWN: " + result.error.message());
                     } else {
                       self->node->Reply(it->second, {});
                     }
                     self->ctl_shutdowns.erase(it);
                   });
      }};
  supervisor = std::make_unique<Supervisor>(deps, so);
}

uint32_t Lbd::Impl::SessionsOnThisServer() const {
  // Open, and being opened (won and handed over, or waiting for an instance to start): the
  // figure other servers rank us by.
  uint32_t n = 0;
  for (const auto& [va, i] : instances) {
    if (i.Live()) n += i.sessions + i.handing + static_cast<uint32_t>(i.waiting.size());
  }
  return n;
}

LocalInstance* Lbd::Impl::StartInstances(const config::AppEntry& app) {
  uint32_t n = std::max<uint32_t>(1, app.instances_per_process);
  if (app.limits.farm_instances) {
    const uint32_t running = directory->CountsOf(app.name).instances;
    if (running >= *app.limits.farm_instances) return nullptr;
    n = std::min<uint32_t>(n, static_cast<uint32_t>(*app.limits.farm_instances - running));
  }
  auto p = supervisor->StartProcess(app, n);
  if (!p) {
    spdlog::error("cannot start {}: {}", app.name, p.error().Message());
    return nullptr;
  }
  spdlog::info("started {} (pid {}) with {} instance(s)", p->id, p->pid, p->instances.size());
  for (mp::Va va : p->instances) {
    LocalInstance& i = instances[va];
    i = LocalInstance{};
    i.va = va;
    i.app = app.name;
    i.process = p->id;
    i.max_sessions = static_cast<uint32_t>(app.limits.instance_sessions);
    i.pid = static_cast<uint32_t>(p->pid);
    AnnounceInstance(i);
  }
  return &instances.at(p->instances.front());
}

void Lbd::Impl::OnStarted(const mp::Message& m) {
  auto started = mp::Started::Decode(m.payload);
  if (!started) {
    ++counters.malformed;
    return node->Nak(m, mp::Errc::kMalformed, started.error().detail);
  }
  node->Reply(m, {});  // ends the instance's resends of STARTED
  auto it = instances.find(started->va);
  if (it == instances.end()) {
    // Restarted by the supervisor before we followed it, or started by an earlier dabs-lbd.
    const config::AppEntry* app = config.App(started->app);
    LocalInstance fresh;
    fresh.va = started->va;
    fresh.app = started->app;
    fresh.max_sessions =
        app ? static_cast<uint32_t>(app->limits.instance_sessions) : started->max_sessions;
    it = instances.emplace(started->va, std::move(fresh)).first;
  }
  LocalInstance& i = it->second;
  i.udp = started->udp;
  i.control = started->control;
  i.pid = started->pid;
  i.movable = started->movable;
  i.shutting_down = false;
  if (started->max_sessions)
    i.max_sessions =
        std::min(i.max_sessions ? i.max_sessions : started->max_sessions, started->max_sessions);
  // STARTED comes from a fresh process: whatever sessions an earlier one had are gone.
  DropSessionsOf(i);
  i.state = mp::wire::DaspState::kReady;
  if (Status s = supervisor->OnStarted(i.va, i.udp.ToString(), i.control); !s) {
    spdlog::warn("STARTED from {} that the supervisor does not know: {}", mp::FormatVa(i.va),
                 s.error().Message());
  }
  spdlog::info("{} {} ready on {} (pid {})", i.app, mp::FormatVa(i.va), i.udp.ToString(), i.pid);
  AnnounceInstance(i);
  auto waiting = std::move(i.waiting);
  i.waiting.clear();
  for (const auto& key : waiting)
    HandOver(key, i);
  if (auto r = restores.find(i.va); r != restores.end()) {  // sessions moved here meanwhile
    auto pending = std::move(r->second);
    restores.erase(r);
    for (auto& p : pending)
      RestoreHere(std::move(p), i);
  }
}

void Lbd::Impl::OnStateChange(const mp::Message& m) {
  auto change = mp::StateChange::Decode(m.payload);
  if (!change) {
    ++counters.malformed;
    return;
  }
  const mp::Va va = change->va != mp::kVaNone ? change->va : m.header.va;
  auto it = instances.find(va);
  if (change->reason == mp::StateReason::kSessionClosed) {
    if (auto s = sessions.find(change->client_va); s != sessions.end()) {
      AnnounceClient(s->second, true);
      sessions.erase(s);
    }
    if (it != instances.end() && change->sessions) it->second.sessions = *change->sessions;
    return;
  }
  if (it == instances.end()) {
    spdlog::debug("STATE_CHANGE from unknown instance {}", mp::FormatVa(va));
    return;
  }
  LocalInstance& i = it->second;
  NoteStarvation(va, *change);  // starving sessions make this server a source (moves.cc)
  const bool changed = i.state != change->state;
  i.state = change->state;
  if (change->sessions) i.sessions = *change->sessions;
  if (changed) (void)supervisor->OnState(va, change->state, i.sessions);
  AnnounceInstance(i);
  switch (change->reason) {
    case mp::StateReason::kLockTimeout:
    case mp::StateReason::kBacklog:
    case mp::StateReason::kSessionsFull: {
      // The instance asks for help (seed 002 "Timers"): another instance here while this
      // server may take more, unless one with room already exists.
      const config::AppEntry* app = config.App(i.app);
      bool spare = false;
      for (const auto& [v, other] : instances)
        spare |= v != va && other.app == i.app && other.HasRoom();
      if (app && !spare && !below_minimums && !leaving && app->RunsOn(options.server)) {
        spdlog::info("{} {} asks for another instance ({}{}): starting one", i.app,
                     mp::FormatVa(va), mp::StateReasonName(change->reason),
                     change->resource_type.empty() ? "" : ", resource " + change->resource_type);
        StartInstances(*app);
      }
      break;
    }
    default:
      break;
  }
  ForwardToStatd(m, change->reason);
}

void Lbd::Impl::ForwardToStatd(const mp::Message& m, mp::StateReason reason) {
  // Reports that mean "a figure is near its limit" make dabs-statd poll the instances now
  // instead of at its next period (seed 002 Fig. 14). One way, best effort: a server may run
  // without dabs-statd, and its next poll finds the same figures.
  switch (reason) {
    case mp::StateReason::kBacklog:
    case mp::StateReason::kLockTimeout:
    case mp::StateReason::kWriteTimeout:
    case mp::StateReason::kLatencyHigh:
    case mp::StateReason::kLatencyLow:
    case mp::StateReason::kThreshold:
    case mp::StateReason::kSessionsFull:
      break;
    default:
      return;
  }
  mp::SendOptions o;
  o.expect_reply = false;
  o.max_transmissions = 1;
  node->Send(mp::Endpoint::Local(layout.statd_socket().string()), 0, mp::wire::kStateChange,
             m.header.va, m.payload, o, [](mp::SendResult&&) {});
}

void Lbd::Impl::OnErrorReport(const mp::Message& m) {
  auto report = mp::ErrorReportPayload::Decode(m.payload);
  if (!report) return;
  const bool exit = report->text.rfind("exit:", 0) == 0;
  auto log = exit ? spdlog::level::info : spdlog::level::warn;
  spdlog::log(log, "{} reports: {} (error {})", m.peer.ToString(), report->text, report->error);
}

void Lbd::Impl::OnShutdownRequest(const mp::Message& m) {
  // From dabsctl on our local socket; the header's VA names the instance.
  if (m.peer.kind() != mp::TransportKind::kLocal) {
    return node->Nak(m, mp::Errc::kUnknownCommand, "SHUTDOWN is taken on the local socket only");
  }
  const auto mode = mp::DecodeU8(m.payload);
  if (!mode || (*mode != 1 && *mode != 2))
    return node->Nak(m, mp::Errc::kMalformed, "mode must be 1 (clean) or 2 (emergency)");
  auto it = instances.find(m.header.va);
  if (it == instances.end() || !it->second.Live()) {
    return node->Nak(m, mp::Errc::kMalformed,
                     "no running DASP " + mp::FormatVa(m.header.va) + " on " + options.server);
  }
  it->second.shutting_down = true;
  ctl_shutdowns[m.header.va] = m;
  spdlog::info("{} {}: {} shutdown asked", it->second.app, mp::FormatVa(m.header.va),
               *mode == 1 ? "clean" : "emergency");
  if (Status s = supervisor->Shutdown(m.header.va,
                                      *mode == 1 ? ShutdownMode::kClean : ShutdownMode::kEmergency);
      !s) {
    ctl_shutdowns.erase(m.header.va);
    return node->Nak(m, mp::Errc::kMalformed, s.error().Message());
  }
}

void Lbd::Impl::SyncInstancesFromRecords() {
  auto report = supervisor->Reconcile(config);
  if (!report) {
    spdlog::error("reconciling DASP records: {}", report.error().Message());
  } else {
    spdlog::info("DASPs: {} adopted, {} found dead, {} started for start_at_init",
                 report->adopted.size(), report->stopped.size(), report->started);
  }
  // What the records say of every instance of this server that still runs.
  std::vector<store::DaspRecord> recs;
  (void)store->Read([&](const store::ReadTxn& txn) {
    recs.clear();
    return txn.ForEach(store::Database::kDasps, {}, [&](std::string_view, std::string_view value) {
      if (auto r = store::DaspRecordFromJson(value); r && r->server == options.server)
        recs.push_back(*r);
      return store::Visit::kContinue;
    });
  });
  for (const auto& r : recs) {
    const auto state = StateFromText(r.state);
    if (state == mp::wire::DaspState::kStopped || state == mp::wire::DaspState::kFailed) continue;
    LocalInstance& i = instances[r.va];
    if (i.va == mp::kVaNone) {
      i.va = r.va;
      i.app = r.app;
      i.process = r.process;
      const config::AppEntry* app = config.App(r.app);
      i.max_sessions = app ? static_cast<uint32_t>(app->limits.instance_sessions) : 1000;
    }
    i.state = state;
    i.pid = static_cast<uint32_t>(r.pid);
    if (!r.udp.empty()) {
      if (auto e = mp::Endpoint::Parse(r.udp)) i.udp = *e;
    }
    i.control = state == mp::wire::DaspState::kStarting ? "" : r.control;
    i.sessions = r.sessions;
  }
  // Sessions of surviving instances, as recorded before the restart.
  (void)store->Read([&](const store::ReadTxn& txn) {
    return txn.ForEach(
        store::Database::kDirectory, "session/", [&](std::string_view, std::string_view value) {
          auto s = store::SessionRecordFromJson(value);
          if (!s || s->server != options.server || !instances.count(s->dasp_va))
            return store::Visit::kContinue;
          auto client = mp::Endpoint::Parse(s->client_endpoint);
          sessions[s->client_va] =
              LocalSession{s->client_va, s->dasp_va, s->app, client ? *client : mp::Endpoint{},
                           s->opened_ms, 0,          false};
          return store::Visit::kContinue;
        });
  });
  TrackNewProcesses();
  for (auto& [va, i] : instances) {
    AnnounceInstance(i);
    if (i.Started()) RefreshSessionCount(i);
  }
}

void Lbd::Impl::RefreshSessionCount(LocalInstance& i) {
  // An instance adopted after a restart knows its sessions better than our records, which
  // may have missed the last few before the kill.
  mp::SendOptions o;
  o.reply_timeout = std::chrono::seconds(2);
  node->Send(mp::Endpoint::Local(i.control), mp::wire::kOpeningSession, mp::wire::kGetStatistics,
             i.va, {}, o, [self = shared_from_this(), va = i.va](mp::SendResult&& r) {
               auto it = self->instances.find(va);
               if (it == self->instances.end() || r.error || !r.reply) return;
               auto stats = mp::Statistics::Decode(r.reply->payload);
               if (!stats) return;
               it->second.sessions = static_cast<uint32_t>(stats->Get(mp::stat_tag::kSessions));
               spdlog::info("{} {}: {} sessions open", it->second.app, mp::FormatVa(va),
                            it->second.sessions);
             });
}

void Lbd::Impl::FollowProcesses() {
  // The supervisor restarts a process that died: its instances lose their sessions and wait
  // for STARTED again. A failed application's instances, and stopped ones, are gone.
  std::map<mp::Va, ProcessState> state_of;
  for (const auto& p : supervisor->Processes()) {
    for (mp::Va va : p.instances)
      state_of[va] = p.state;
  }
  for (auto it = instances.begin(); it != instances.end();) {
    LocalInstance& i = it->second;
    auto st = state_of.find(i.va);
    if (st != state_of.end() && st->second == ProcessState::kRunning) {
      ++it;
      continue;
    }
    if (st != state_of.end() &&
        (st->second == ProcessState::kRestartPending || st->second == ProcessState::kStopping)) {
      if (st->second == ProcessState::kStopping) i.shutting_down = true;
      if (i.Started() && st->second == ProcessState::kRestartPending) {
        spdlog::warn("{} {}: its process died; the supervisor restarts it", i.app,
                     mp::FormatVa(i.va));
        DropSessionsOf(i);
        i.state = mp::wire::DaspState::kStarting;
        i.control.clear();
        AnnounceInstance(i);
      }
      ++it;
      continue;
    }
    const bool failed = st != state_of.end() && st->second == ProcessState::kFailed;
    spdlog::warn("{} {}: {}", i.app, mp::FormatVa(i.va),
                 failed ? "its application failed here" : "stopped");
    DropSessionsOf(i);
    i.state = failed ? mp::wire::DaspState::kFailed : mp::wire::DaspState::kStopped;
    for (const auto& key : i.waiting)
      NakRequest(key, mp::Errc::kNoCapacity, i.app + " cannot run on " + options.server);
    if (auto r = restores.find(i.va); r != restores.end()) {
      for (const auto& p : r->second)
        node->Nak(p.request, mp::Errc::kNoCapacity, i.app + " did not start on " + options.server);
      restores.erase(r);
    }
    AnnounceInstance(i, true);
    it = instances.erase(it);
  }
}

void Lbd::Impl::DropSessionsOf(LocalInstance& i) {
  rebalancer->NoteRelieved(i.va);  // a new process, or none: whatever starved is gone
  for (auto s = sessions.begin(); s != sessions.end();) {
    if (s->second.dasp_va == i.va) {
      AnnounceClient(s->second, true);
      s = sessions.erase(s);
    } else {
      ++s;
    }
  }
  i.sessions = 0;
}

void Lbd::Impl::TrackNewProcesses() {
  for (const auto& p : supervisor->Processes()) {
    if (p.state != ProcessState::kRunning) continue;
    for (mp::Va va : p.instances) {
      if (instances.count(va)) continue;
      const config::AppEntry* app = config.App(p.app);
      LocalInstance& i = instances[va];
      i.va = va;
      i.app = p.app;
      i.process = p.id;
      i.pid = static_cast<uint32_t>(p.pid);
      i.max_sessions = app ? static_cast<uint32_t>(app->limits.instance_sessions) : 1000;
      AnnounceInstance(i);
    }
  }
}

void Lbd::Impl::AnnounceInstance(LocalInstance& i, bool removed) {
  mp::DirectoryUpdate u;
  u.va = i.va;
  u.uri = mp::VaUri{config.name, i.app, i.va}.ToString();
  u.kind = 1;
  u.server = options.server;
  u.udp = i.udp;
  u.local = i.control;
  u.pid = i.pid;
  u.removed = removed;
  u.app = i.app;
  u.state = static_cast<uint8_t>(i.state);
  u.sessions = i.sessions;
  i.announced_sessions = i.sessions;
  SendToGroup(mp::wire::kVaUpdate, u.Encode());
  ++counters.va_updates_sent;
  ApplyToDirectory(u);
}

void Lbd::Impl::AnnounceSessionCounts() {
  for (auto& [va, i] : instances) {
    if (i.sessions != i.announced_sessions) AnnounceInstance(i);
  }
}

}  // namespace dabs::farm
