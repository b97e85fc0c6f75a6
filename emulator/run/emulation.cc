#include "emulation.h"

#include <array>
#include <atomic>
#include <condition_variable>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <dabs/dacp/client.h>
#include <dabs/dacp/client_app.h>
#include <dabs/emu/population.h>
#include <dabs/emu/run_report.h>
#include <dabs/emu/viewers.h>
#include <dabs/mp/errc.h>
#include <dabs/mp/node.h>

#include "farm_control.h"

namespace dabs::emu {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

// A short, stable cause for the report ("no_capacity", "timed_out", "no_channel: ...").
std::string CauseOf(const Error& e) {
  if (e.code.category() == mp::MpCategory())
    return std::string(mp::ErrcName(static_cast<mp::Errc>(e.code.value())));
  return e.code.message();
}

// Set-tops in a session, and the state of each: allocated at tune-in, freed when it tunes
// away, so an idle set-top costs a null pointer here.
struct Stb {
  std::shared_ptr<dacp::Client> client;
  std::unique_ptr<dacp::ClientApp> app;
  std::string server;  // where its session is
  uint32_t index = 0;
  ChannelKind channel = ChannelKind::kDocsis;
  uint16_t app_index = 0;
  bool open = false;     // a session was opened (it may be re-homing)
  bool acting = false;   // a viewer action is in flight
  bool leaving = false;  // tuned away (before the session opened, or while an action was in flight)
  bool ended_by_server = false;  // SHUTDOWN or CLOSE_SESSION: the next call reopens
};

class Run : public std::enable_shared_from_this<Run> {
 public:
  Run(const EmulationOptions& o, asio::io_context& io)
      : o_(o),
        io_(io),
        start_(Clock::now()),
        population_(o.scenario),
        schedule_(o.scenario, population_),
        recorder_([start = start_] {
          return std::chrono::duration<double>(Clock::now() - start).count();
        }),
        plant_(io, o.scenario, population_, o.addressing, [this] { return NowS(); }),
        stbs_(population_.size()),
        started_(population_.size(), false),
        driver_(io) {}

  Status Prepare() {
    for (const auto& name : schedule_.apps()) {
      const dacp::ClientAppFactory* f = dacp::FindClientApp(name);
      if (!f) {
        std::string known;
        for (const auto& n : dacp::DefaultClientApps().Names())
          known += (known.empty() ? "" : ", ") + n;
        return Error{make_error_code(mp::Errc::kUnknownApplication),
                     "the scenario's application '" + name +
                         "' has no client portion in dabs-emu (it knows: " + known + ")"};
      }
      factories_.push_back(f);
    }
    for (const auto& f : o_.scenario.faults) {
      if (f.action != FaultEvent::Action::kLossBurst && !farm_) {
        if (!o_.farm_dir) {
          return Error{
              make_error_code(mp::Errc::kMalformed),
              "the scenario's fault '" + std::string(ActionName(f.action)) +
                  "' acts on the farm's servers: give --farm-state DIR (dabs-farm's --state-dir)"};
        }
        auto c = FarmControl::Load(*o_.farm_dir);
        if (!c) return c.error();
        farm_ = std::make_unique<FarmControl>(std::move(*c));
      }
      if (!f.server.empty() && farm_ && !farm_->Find(f.server))
        return Error{
            make_error_code(mp::Errc::kMalformed),
            "fault at " + std::to_string(f.at_s) + " s: no server '" + f.server + "' in the farm"};
    }
    rss_start_kb_ = ResidentKb();
    return Status::Ok();
  }

  void Start() {
    next_ = schedule_.NextEvent();
    for (const auto& f : o_.scenario.faults)
      ScheduleFault(f);
    Drive();
  }

  // Called from the main thread once a second until the run's end.
  void Tick(ProgressPrinter* printer) {
    auto snap = recorder_.Snapshot();
    if (snap.sessions_open > static_cast<int64_t>(peak_open_)) {
      peak_open_ = static_cast<uint64_t>(snap.sessions_open);
      rss_peak_kb_ = std::max(rss_peak_kb_, ResidentKb());
    }
    if (printer) printer->Update(snap);
  }

  // Stops the schedule and closes every session; waits at most `drain`. At most
  // kDrainWindow closes are in flight at once: set-tops do not all leave in the same
  // millisecond, and 100,000 exit reports in one burst outrun the DASPs' replies, which
  // then resend to sockets already gone.
  void Drain(double drain_s) {
    stopping_ = true;
    asio::post(io_, [this] { driver_.cancel(); });
    auto q = std::make_shared<DrainQueue>();
    for (uint32_t i = 0; i < stbs_.size(); ++i) {
      std::lock_guard lock(LockOf(i));
      if (stbs_[i]) q->rest.push_back(std::exchange(stbs_[i], nullptr));
    }
    q->left = q->rest.size();
    for (size_t i = 0; i < kDrainWindow; ++i)
      DrainNext(q);
    const auto deadline = Clock::now() + Seconds(drain_s);
    while (q->left.load() > 0 && Clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (q->left.load() > 0)
      spdlog::warn("{} sessions still closing after {} s", q->left.load(), drain_s);
  }

  EmulationSummary Finish() {
    EmulationSummary s;
    s.end = recorder_.Finish();
    s.module_downloads = plant_.downloads();
    s.requests_skipped = skipped_.load();
    s.peak_sessions_open = peak_open_;
    s.rss_start_kb = rss_start_kb_;
    s.rss_peak_kb = rss_peak_kb_;
    s.bytes_per_open_stb =
        peak_open_ ? static_cast<double>(rss_peak_kb_ - std::min(rss_peak_kb_, rss_start_kb_)) *
                         1024 / static_cast<double>(peak_open_)
                   : 0;
    s.sockets = plant_.sockets();
    std::lock_guard lock(faults_mu_);
    s.faults_done = faults_done_;
    return s;
  }

  Recorder& recorder() { return recorder_; }
  Plant& plant() { return plant_; }
  uint64_t planned() const { return population_.size(); }

 private:
  double NowS() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }
  std::mutex& LockOf(uint32_t stb) { return locks_[stb % locks_.size()]; }

  // ---------------------------------------------------------------- the schedule

  // Runs every event that is due, then sleeps until the next one (at most 50 ms, so that the
  // end of the run is noticed).
  void Drive() {
    if (stopping_) return;
    const double now = NowS();
    while (next_ && next_->at_s <= now) {
      Dispatch(*next_);
      next_ = schedule_.NextEvent();
    }
    const double wait = next_ ? std::min(next_->at_s - now, 0.05) : 0.05;
    driver_.expires_after(Seconds(std::max(wait, 0.0)));
    driver_.async_wait([wself = weak_from_this()](const boost::system::error_code& ec) {
      auto self = wself.lock();
      if (!self) return;
      if (!ec) self->Drive();
    });
  }

  void Dispatch(const ViewerEvent& e) {
    switch (e.kind) {
      case ViewerEvent::Kind::kTuneIn:
        return TuneIn(e.stb, e.app);
      case ViewerEvent::Kind::kRequest:
        return Act(e.stb);
      case ViewerEvent::Kind::kSessionEnd: {
        std::shared_ptr<Stb> st;
        {
          std::lock_guard lock(LockOf(e.stb));
          st = std::exchange(stbs_[e.stb], nullptr);
        }
        if (st) TuneAway(st);
        return;
      }
    }
  }

  // ---------------------------------------------------------------- one set-top

  void TuneIn(uint32_t i, uint16_t app) {
    auto st = std::make_shared<Stb>();
    st->app_index = app;
    st->index = i;
    {
      std::lock_guard lock(LockOf(i));
      if (stbs_[i]) return;  // still in a session (the schedule never does this)
      stbs_[i] = st;
      if (!started_[i]) {
        started_[i] = true;
        recorder_.StbStarted();
      }
    }
    // The selector and its module source live until the selection ends (its callback holds
    // them), even when the viewer tunes away meanwhile.
    std::shared_ptr<dacp::ModuleSource> modules = plant_.ModulesFor(i);
    auto selector = std::make_shared<dacp::ChannelSelector>(plant_.Installed(i), modules.get());
    std::weak_ptr<Stb> weak = st;
    selector->Select(
        [wself = weak_from_this(), i, weak, selector, modules](Result<dacp::SelectedChannel> r) {
          auto self = wself.lock();
          if (!self) return;
          if (auto held = weak.lock()) self->OnChannel(i, held, std::move(r));
        });
  }

  dacp::ClientConfig ClientConfigFor(uint32_t i, const std::string& app) const {
    dacp::ClientConfig c;
    c.app = app;
    c.client_id = "stb-" + std::to_string(i);
    c.caps = population_[i].Caps();
    c.farm = o_.farm_group;
    c.reopen_on_failure = true;
    c.open_timeout = std::chrono::seconds(60);  // a modem's call takes ~20 s to connect
    // The example apps answer at once: a reply 2 s overdue (after the ACK) means the server
    // is in trouble, and the client checks it and re-homes.
    c.call_reply_timeout = std::chrono::seconds(2);
    if (auto e = o_.encryption.find(app); e != o_.encryption.end()) c.encryption = e->second;
    return c;
  }

  // Re-homes, redirects and ends of set-top `i`'s sessions, reported to the run (weakly: the
  // client may outlive both).
  dacp::ClientCallbacks CallbacksFor(uint32_t i, std::weak_ptr<Stb> weak) {
    dacp::ClientCallbacks cb;
    auto reopened = [wself = weak_from_this(), i, weak](const dacp::SessionInfo& info) {
      auto self = wself.lock();
      if (!self) return;
      if (auto held = weak.lock()) self->OnReopened(i, *held, info);
    };
    cb.on_reopened = reopened;
    cb.on_redirect = reopened;
    cb.on_session_end = [wself = weak_from_this(), i, weak](dacp::SessionEnd how,
                                                            const std::string&) {
      auto self = wself.lock();
      if (!self) return;
      if (auto held = weak.lock()) self->OnSessionEnd(i, *held, how);
    };
    return cb;
  }

  void OnChannel(uint32_t i, const std::shared_ptr<Stb>& st, Result<dacp::SelectedChannel> r) {
    if (!r) {
      recorder_.SessionFailed("no_channel");
      if (no_channel_logged_++ < 5) spdlog::warn("set-top {}: {}", i, r.error().Message());
      return Forget(i, st);
    }
    auto seat = r->pool->Acquire();
    if (!seat) {
      recorder_.SessionFailed("no_socket");
      if (no_socket_logged_++ < 5)
        spdlog::warn("set-top {}: no socket: {}", i, seat.error().Message());
      return Forget(i, st);
    }
    const StbRecord& rec = population_[i];
    const Profile& profile = o_.scenario.profiles[rec.profile];
    const dacp::ClientAppFactory* factory = factories_[st->app_index];
    auto client = dacp::Client::Create(std::move(*seat), ClientConfigFor(i, factory->app));
    dacp::SetTopProfile p;
    p.caps = rec.Caps();
    p.memory_kib = profile.memory_kb;
    p.client_id = client->config().client_id;
    std::weak_ptr<Stb> weak = st;
    client->SetCallbacks(CallbacksFor(i, weak));
    {
      std::lock_guard lock(LockOf(i));
      st->channel = FromDacp(r->channel->kind());
      st->client = client;
      st->app = factory->make(p, client);
    }
    client->Open([wself = weak_from_this(), i, weak](Status s) {
      auto self = wself.lock();
      if (!self) return;
      if (auto held = weak.lock()) self->OnOpened(i, held, s);
    });
  }

  void OnOpened(uint32_t i, const std::shared_ptr<Stb>& st, const Status& s) {
    if (!s) {
      recorder_.SessionFailed(CauseOf(s.error()));
      if (open_failed_logged_++ < 5)
        spdlog::warn("set-top {}: opening failed: {}", i, s.error().Message());
      return Forget(i, st);
    }
    bool leaving;
    {
      std::lock_guard lock(LockOf(i));
      auto info = st->client->session();
      st->server = info ? info->server : "";
      st->open = true;
      leaving = st->leaving;
    }
    recorder_.SessionOpened(st->server, ChannelName(st->channel));
    if (leaving) TuneAway(st);
  }

  void OnReopened(uint32_t i, Stb& st, const dacp::SessionInfo& info) {
    std::string from;
    bool fresh;
    {
      std::lock_guard lock(LockOf(i));
      from = std::exchange(st.server, info.server);
      fresh = std::exchange(st.ended_by_server, false);
    }
    if (fresh) {
      recorder_.SessionOpened(info.server, ChannelName(st.channel));
    } else if (from != info.server) {
      recorder_.Rehomed(from, info.server);
    }
  }

  void OnSessionEnd(uint32_t i, Stb& st, dacp::SessionEnd how) {
    if (how == dacp::SessionEnd::kServerLost) return;  // re-homing follows, counted when done
    std::string server;
    {
      std::lock_guard lock(LockOf(i));
      if (st.ended_by_server) return;
      st.ended_by_server = true;
      server = st.server;
    }
    recorder_.SessionClosed(server);
  }

  void Act(uint32_t i) {
    std::shared_ptr<Stb> st;
    {
      std::lock_guard lock(LockOf(i));
      st = stbs_[i];
      if (!st || !st->open || st->acting || !st->app) {
        ++skipped_;
        return;
      }
      st->acting = true;
    }
    const auto sent = Clock::now();
    const uint64_t random = DeriveSeed(o_.scenario.seed, (uint64_t{i} << 24) ^ ++actions_);
    st->app->Act(random, [wself = weak_from_this(), i, st, sent](dacp::ActOutcome out) {
      auto self = wself.lock();
      if (!self) return;
      bool left;
      {
        std::lock_guard lock(self->LockOf(i));
        st->acting = false;
        left = st->leaving;
      }
      if (!out.status && left) {
        return;  // the viewer tuned away while it was in flight: the close ended it, not a fault
      }
      if (!out.status) {
        self->recorder_.RequestFailed(CauseOf(out.status.error()));
        if (self->request_failed_logged_++ < 5)
          spdlog::warn("set-top {}: request failed: {}", i, out.status.error().Message());
      } else if (!out.verified) {
        self->recorder_.RequestFailed("wrong_answer");
      } else if (!out.over_network) {
        self->recorder_.LocalOp();
      } else {
        self->recorder_.RequestOk(ChannelName(st->channel), Clock::now() - sent);
      }
    });
  }

  // The sessions Drain has still to close, and how many are not closed yet.
  struct DrainQueue {
    std::mutex mu;
    std::vector<std::shared_ptr<Stb>> rest;
    std::atomic<size_t> left{0};
  };
  static constexpr size_t kDrainWindow = 512;

  void DrainNext(const std::shared_ptr<DrainQueue>& q) {
    std::shared_ptr<Stb> st;
    {
      std::lock_guard lock(q->mu);
      if (q->rest.empty()) return;
      st = std::move(q->rest.back());
      q->rest.pop_back();
    }
    TuneAway(st, [wself = weak_from_this(), q] {
      --q->left;
      if (auto self = wself.lock()) self->DrainNext(q);
    });
  }

  // The viewer leaves: the session closes (exit report, CLOSE_SESSION). `closed` runs once
  // it is done, on an I/O thread (never inside this call).
  void TuneAway(const std::shared_ptr<Stb>& st, std::function<void()> closed = {}) {
    bool open;
    std::shared_ptr<dacp::Client> client;
    {
      std::lock_guard lock(LockOf(st->index));
      open = st->open && !st->ended_by_server;
      client = st->client;
      st->leaving = true;
    }
    if (!client || !open) {
      if (closed) asio::post(io_, std::move(closed));
      return;  // not yet open (it closes when it opens) or already closed by the server
    }
    client->Close("viewer tuned away",
                  [wself = weak_from_this(), st, closed = std::move(closed)](const Status&) {
                    auto self = wself.lock();
                    if (!self) return;
                    self->recorder_.SessionClosed(st->server);
                    if (closed) closed();
                  });
  }

  void Forget(uint32_t i, const std::shared_ptr<Stb>& st) {
    std::lock_guard lock(LockOf(i));
    if (stbs_[i] == st) stbs_[i] = nullptr;
  }

  // ---------------------------------------------------------------- faults

  void ScheduleFault(const FaultEvent& f) {
    auto timer = std::make_shared<asio::steady_timer>(io_, start_ + Seconds(f.at_s));
    timer->async_wait([wself = weak_from_this(), timer, f](const boost::system::error_code& ec) {
      auto self = wself.lock();
      if (!self) return;
      if (!ec && !self->stopping_) self->Apply(f);
    });
  }

  void Apply(const FaultEvent& f) {
    Result<std::string> done = std::string();
    switch (f.action) {
      case FaultEvent::Action::kKill:
        done = farm_->Kill(f.server);
        break;
      case FaultEvent::Action::kStop:
        done = farm_->Stop(f.server);
        break;
      case FaultEvent::Action::kRestart:
        done = farm_->Restart(f.server);
        break;
      case FaultEvent::Action::kPartition:
        done = farm_->Partition(f.server);
        break;
      case FaultEvent::Action::kHeal:
        if (f.server.empty()) {
          std::string all;
          for (const auto& s : farm_->servers())
            if (auto r = farm_->Heal(s.id); r) all += (all.empty() ? "" : "; ") + *r;
          done = all.empty() ? std::string("heal: nothing to heal") : all;
        } else {
          done = farm_->Heal(f.server);
        }
        break;
      case FaultEvent::Action::kLossBurst:
        plant_.LossBurst(f.channel, f.loss, f.for_s);
        done = "loss burst on " + std::string(ChannelName(f.channel)) + ": " +
               std::to_string(f.loss) + " for " + std::to_string(f.for_s) + " s";
        break;
    }
    const std::string line = "t=" + std::to_string(static_cast<int>(NowS())) + "s " +
                             (done ? *done : "failed: " + done.error().Message());
    spdlog::info("fault: {}", line);
    std::lock_guard lock(faults_mu_);
    faults_done_.push_back(line);
  }

  const EmulationOptions& o_;
  asio::io_context& io_;
  const Clock::time_point start_;
  Population population_;
  ViewerSchedule schedule_;  // the driver's only
  std::optional<ViewerEvent> next_;
  Recorder recorder_;
  Plant plant_;
  std::vector<const dacp::ClientAppFactory*> factories_;  // by the schedule's app index
  std::unique_ptr<FarmControl> farm_;

  std::vector<std::shared_ptr<Stb>> stbs_;
  std::vector<bool> started_;
  std::array<std::mutex, 1024> locks_;  // striped by set-top

  asio::steady_timer driver_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> skipped_{0}, actions_{0};
  std::atomic<int> no_channel_logged_{0}, no_socket_logged_{0}, open_failed_logged_{0},
      request_failed_logged_{0};
  uint64_t peak_open_ = 0, rss_start_kb_ = 0, rss_peak_kb_ = 0;

  std::mutex faults_mu_;
  std::vector<std::string> faults_done_;
};

// Adds what only the emulator knows to report.json (keys beyond config.md's contract).
void AddExtras(const std::filesystem::path& file, const EmulationSummary& s, const Plant& plant,
               const EmulationOptions& o) {
  std::ifstream in(file);
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(in, nullptr, false);
  if (j.is_discarded()) return;
  j["endpoint_mode"] = o.scenario.endpoint_mode == EndpointMode::kGateway ? "gateway" : "per_stb";
  j["module_downloads"] = s.module_downloads;
  j["requests_skipped"] = s.requests_skipped;
  j["sockets"] = s.sockets;
  j["memory"] = {{"rss_start_kb", s.rss_start_kb},
                 {"rss_peak_kb", s.rss_peak_kb},
                 {"peak_sessions_open", s.peak_sessions_open},
                 {"bytes_per_open_stb", s.bytes_per_open_stb}};
  for (int k = 0; k < kChannelKinds; ++k) {
    const auto c = plant.Counts(static_cast<ChannelKind>(k));
    j["channels"][std::string(ChannelName(static_cast<ChannelKind>(k)))] = {
        {"datagrams_up", c.datagrams_up}, {"datagrams_down", c.datagrams_down},
        {"fault_drops", c.fault_drops},   {"collisions", c.collisions},
        {"mac_retries", c.mac_retries},   {"mac_drops", c.mac_drops},
        {"queue_drops", c.queue_drops},   {"calls", c.calls}};
  }
  j["faults"] = s.faults_done;
  const auto tmp = file.string() + ".tmp";
  std::ofstream(tmp) << j.dump(2) << "\n";
  std::error_code ec;
  std::filesystem::rename(tmp, file, ec);
}

}  // namespace

uint64_t ResidentKb() {
  std::ifstream in("/proc/self/statm");
  uint64_t pages = 0, resident = 0;
  in >> pages >> resident;
  return resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE)) / 1024;
}

Result<EmulationSummary> RunEmulation(const EmulationOptions& o) {
  mp::IoThreads threads(std::max(1, o.io_threads));
  auto run = std::make_shared<Run>(o, threads.io());
  if (auto s = run->Prepare(); !s) return s.error();
  ProgressOptions po = o.progress;
  po.stbs_planned = run->planned();
  ProgressPrinter printer(stderr, po);
  run->Start();
  const auto start = Clock::now();
  const auto end = start + Seconds(o.scenario.duration_s);
  while (Clock::now() < end) {
    std::this_thread::sleep_until(std::min(end, Clock::now() + std::chrono::seconds(1)));
    run->Tick(o.show_progress ? &printer : nullptr);
  }
  run->Drain(o.drain_s);
  EmulationSummary summary = run->Finish();
  if (o.show_progress) printer.Finish(summary.end);
  if (o.report_dir) {
    RunInfo info;
    info.stbs_planned = run->planned();
    info.seed = o.scenario.seed;
    info.scenario = o.scenario_name;
    std::filesystem::path failed;
    if (auto ec = WriteRunReport(*o.report_dir, summary.end, run->recorder().GetTimeline(), info,
                                 &failed)) {
      return Error{ec, "cannot write " + failed.string()};
    }
    AddExtras(*o.report_dir / std::string(kReportJsonFile), summary, run->plant(), o);
  }
  run->plant().Stop();
  threads.Stop();
  return summary;
}

}  // namespace dabs::emu
