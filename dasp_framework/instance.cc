// Instance set-up, lifecycle, the runtime API, reports to dabs-lbd, housekeeping and
// statistics. Opening, messages and closing are in sessions.cc.
#include <cstdlib>
#include <fstream>
#include <thread>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "instance_impl.h"

namespace dabs::dasp {

namespace {
constexpr auto kTick = std::chrono::seconds(1);
constexpr auto kBacklogClears = std::chrono::seconds(2);    // no backlog report this long: ready
constexpr auto kLockReportEvery = std::chrono::seconds(1);  // per resource type
constexpr auto kStartedCap = std::chrono::seconds(8);
// Standalone: client VAs take counters from here up, below are the instances' own.
constexpr uint32_t kFirstClientCounter = 1024;

uint64_t ResidentKb() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE)) / 1024;
}

int DefaultWorkers() {
  return std::max(2u, std::thread::hardware_concurrency());
}
}  // namespace

Instance::Impl::Impl(boost::asio::io_context& io_context, InstanceConfig cfg,
                     std::unique_ptr<Server> srv)
    : io(io_context),
      config(std::move(cfg)),
      server(std::move(srv)),
      housekeeping(io_context),
      client_vas(config.server_index, kFirstClientCounter) {}

// Fault injection for test teams (docs/dasp.md "Faults"): DABS_FAULT_HANDLER_DELAY=SERVER:MS[,...]
// delays every application handler of the instances on SERVER by MS milliseconds, so a test
// can starve one server of a farm without changing its applications.
static std::chrono::milliseconds HandlerDelayFor(const std::string& server) {
  const char* spec = std::getenv("DABS_FAULT_HANDLER_DELAY");
  if (!spec) return std::chrono::milliseconds(0);
  std::string_view rest(spec);
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    const auto colon = item.find(':');
    if (colon == std::string_view::npos || item.substr(0, colon) != server) continue;
    uint32_t ms = 0;
    for (char c : item.substr(colon + 1)) {
      if (c < '0' || c > '9' || ms > 60'000) return std::chrono::milliseconds(0);
      ms = ms * 10 + static_cast<uint32_t>(c - '0');
    }
    return std::chrono::milliseconds(ms);
  }
  return std::chrono::milliseconds(0);
}

Status Instance::Impl::Open(Instance* instance) {
  facade = instance;
  fault_delay = HandlerDelayFor(config.server_id);
  if (fault_delay.count() > 0) {
    spdlog::warn("{}: fault injection: every handler delayed {} ms (DABS_FAULT_HANDLER_DELAY)",
                 config.app, fault_delay.count());
  }
  if (config.encryption.policy != mp::EncryptionPolicy::kOff && !config.encryption.identity) {
    return Error{make_error_code(mp::Errc::kCrypto),
                 "encryption " + std::string(mp::EncryptionPolicyName(config.encryption.policy)) +
                     " needs the farm's identity key (--identity-key)"};
  }
  if (config.lbd && config.control.empty()) {
    // Local datagrams need a bound sender: a control socket beside dabs-lbd's.
    const std::string& lbd = config.lbd->path();
    const auto slash = lbd.rfind('/');
    config.control = (slash == std::string::npos ? std::string(".") : lbd.substr(0, slash)) +
                     "/dasp-" + mp::FormatVa(config.va).substr(2) + "-" +
                     std::to_string(::getpid()) + ".sock";
  }
  mp::NodeConfig nc;
  nc.engine = config.engine;
  nc.udp = config.listen;
  if (!config.control.empty()) nc.local_path = config.control;
  nc.groups = config.groups;
  nc.multicast_interface = config.multicast_interface;
  nc.udp_offload = config.udp_offload;
  std::weak_ptr<Impl> weak = weak_from_this();
  mp::NodeCallbacks cb;
  cb.on_message = [weak](mp::Message&& m) {
    if (auto self = weak.lock()) self->OnNodeMessage(std::move(m));
  };
  cb.on_error_report = [weak](const mp::ErrorReport& r) {
    if (auto self = weak.lock()) self->OnNodeError(r);
  };
  auto created = mp::Node::Create(io, nc, cb);
  if (!created) return created.error();
  node = std::move(*created);
  read_timer = std::make_unique<ReadTimer>("queue", config.read_timer, [weak](uint64_t reads) {
    if (auto self = weak.lock()) {
      {
        std::lock_guard lock(self->state_mu);
        self->last_backlog = std::chrono::steady_clock::now();
      }
      self->SetBusy(mp::StateReason::kBacklog, true,
                    std::to_string(reads) + " reads in a row did not time out");
    }
  });
  dispatcher = std::make_unique<internal::Dispatcher>(
      config.workers > 0 ? config.workers : DefaultWorkers(), *read_timer, config.queue_limit,
      [weak](const char* what) {
        if (auto self = weak.lock()) self->ReportError(0, std::string("handler threw: ") + what);
      });
  server->Attach(facade);
  return Status::Ok();
}

void Instance::Impl::Start() {
  dispatcher->Start();
  last_tick = std::chrono::steady_clock::now();
  Housekeeping();
  ReportState(mp::wire::DaspState::kReady, mp::StateReason::kNone);
  SendStarted(std::chrono::milliseconds(250));
  spdlog::info("{} {}: serving on {}{}", config.app, mp::FormatVa(config.va),
               node->udp_endpoint()->ToString(),
               config.standalone ? " (standalone)" : " for dabs-lbd at " + config.lbd->ToString());
}

// ---------------------------------------------------------------------------- reports

void Instance::Impl::SendToLbd(uint16_t command, std::vector<uint8_t> payload) {
  if (!config.lbd || !node) return;
  mp::SendOptions one_way;
  one_way.expect_reply = false;
  node->Send(*config.lbd, 0, command, mp::kVaNone, std::move(payload), one_way,
             [](mp::SendResult&&) {});
}

// STARTED is resent with growing timeouts until dabs-lbd answers (spec 7).
void Instance::Impl::SendStarted(mp::Duration timeout) {
  if (!config.lbd || stopped) return;
  mp::Started s{config.va,
                *node->udp_endpoint(),
                config.control,
                config.app,
                static_cast<uint32_t>(::getpid()),
                static_cast<uint32_t>(config.max_sessions),
                server->SavesSessions()};
  mp::SendOptions o;
  o.reply_timeout = timeout;
  node->Send(*config.lbd, 0, mp::wire::kStarted, mp::kVaNone, s.Encode(), o,
             [weak = weak_from_this(), timeout](mp::SendResult&& r) {
               auto self = weak.lock();
               if (!self || !r.error) return;
               self->SendStarted(std::min<mp::Duration>(timeout * 2, kStartedCap));
             });
}

void Instance::Impl::ReportState(mp::wire::DaspState s, mp::StateReason reason,
                                 std::string resource_type, std::string detail) {
  state.store(s);
  mp::StateChange change;
  change.state = s;
  change.va = config.va;
  change.reason = reason;
  change.resource_type = std::move(resource_type);
  change.detail = std::move(detail);
  change.sessions = static_cast<uint32_t>(SessionCount());
  spdlog::info(
      "{} {}: {}{}{}", config.app, mp::FormatVa(config.va), mp::DaspStateName(s),
      reason == mp::StateReason::kNone ? "" : std::string(" (") + mp::StateReasonName(reason) + ")",
      change.detail.empty() ? "" : ": " + change.detail);
  SendToLbd(mp::wire::kStateChange, change.Encode());
}

// Busy while any reason holds (backlog, latency over high water, sessions nearly full).
void Instance::Impl::SetBusy(mp::StateReason reason, bool on, std::string detail) {
  mp::wire::DaspState next;
  {
    std::lock_guard lock(state_mu);
    const uint32_t bit = 1u << static_cast<uint32_t>(reason);
    const uint32_t before = busy_reasons;
    busy_reasons = on ? (busy_reasons | bit) : (busy_reasons & ~bit);
    if (before == busy_reasons) return;
    const auto s = state.load();
    if (s != mp::wire::DaspState::kReady && s != mp::wire::DaspState::kBusy) return;
    next = busy_reasons ? mp::wire::DaspState::kBusy : mp::wire::DaspState::kReady;
    if (next == s && !on) return;
  }
  if (reason == mp::StateReason::kLatencyHigh && !on) reason = mp::StateReason::kLatencyLow;
  ReportState(next, reason, {}, std::move(detail));
}

void Instance::Impl::ReportSessionClosed(mp::Va client_va, size_t sessions_left) {
  mp::StateChange change;
  change.state = state.load();
  change.va = config.va;
  change.reason = mp::StateReason::kSessionClosed;
  change.sessions = static_cast<uint32_t>(sessions_left);
  change.client_va = client_va;
  SendToLbd(mp::wire::kStateChange, change.Encode());
}

void Instance::Impl::ReportError(uint16_t error, std::string text) {
  ++errors;
  spdlog::warn("{} {}: error {}: {}", config.app, mp::FormatVa(config.va), error, text);
  SendToLbd(mp::wire::kErrorReport, mp::ErrorReportPayload{error, std::move(text)}.Encode());
}

// ---------------------------------------------------------------------------- housekeeping

void Instance::Impl::Housekeeping() {
  const auto now = std::chrono::steady_clock::now();
  const double seconds = std::chrono::duration<double>(now - last_tick).count();
  last_tick = now;
  const uint64_t total = messages_total.load();
  if (seconds > 0)
    messages_per_second = static_cast<uint64_t>((total - messages_at_last_tick) / seconds);
  messages_at_last_tick = total;

  const auto lat = latency_ms.Take(/*reset=*/true);
  const uint64_t p99 = lat.Percentile(0.99);
  if (lat.total > 0) {
    latency_p50 = lat.Percentile(0.50);
    latency_p99 = p99;
  }
  const auto proc = processing_us.Take(true);
  if (proc.total > 0) processing_p99 = proc.Percentile(0.99);
  // High- and low-water marks of the message latency (DESIGN.md section 3).
  if (!latency_high && lat.total > 0 && p99 > config.high_water_ms) {
    latency_high = true;
    ++high_water_crossings;
    SetBusy(mp::StateReason::kLatencyHigh, true, "latency p99 " + std::to_string(p99) + " ms");
  } else if (latency_high && p99 < config.low_water_ms) {
    latency_high = false;
    SetBusy(mp::StateReason::kLatencyHigh, false, "latency p99 " + std::to_string(p99) + " ms");
  }
  bool backlog_over;
  {
    std::lock_guard lock(state_mu);
    backlog_over = (busy_reasons & (1u << static_cast<uint32_t>(mp::StateReason::kBacklog))) &&
                   now - last_backlog > kBacklogClears;
  }
  if (backlog_over) SetBusy(mp::StateReason::kBacklog, false, "the queue keeps up again");
  // Sessions nearly full: tell dabs-lbd before it is refused (a threshold near, seed Fig. 14).
  const size_t sessions_now = SessionCount();
  if (sessions_now * 10 >= config.max_sessions * 9) {
    SetBusy(mp::StateReason::kSessionsFull, true, std::to_string(sessions_now) + " sessions");
  } else if (sessions_now * 10 < config.max_sessions * 8) {
    SetBusy(mp::StateReason::kSessionsFull, false);
  }
  if (stopped) return;
  housekeeping.expires_after(kTick);
  housekeeping.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->Housekeeping();
  });
}

mp::Statistics Instance::Impl::Snapshot() {
  mp::Statistics s;
  using namespace mp::stat_tag;
  uint64_t lock_timeouts = 0, write_timeouts = 0;
  std::vector<std::function<void(mp::Statistics&)>> callbacks;
  {
    std::lock_guard lock(callbacks_mu);
    for (const auto& l : locks)
      lock_timeouts += l->timeouts();
    for (const auto& w : write_timers)
      write_timeouts += w->timeouts();
    callbacks = on_statistics;
  }
  s.values[kSessions] = SessionCount();
  s.values[kQueueDepth] = dispatcher->depth();
  s.values[kMessagesPerSecond] = messages_per_second;
  s.values[kMessagesTotal] = messages_total;
  s.values[kLatencyP50Ms] = latency_p50;
  s.values[kLatencyP99Ms] = latency_p99;
  s.values[kHighWaterCrossings] = high_water_crossings;
  s.values[kLockTimeouts] = lock_timeouts;
  s.values[kReadsNotTimedOut] = read_timer->reads_not_timed_out();
  s.values[kBacklogReports] = read_timer->backlog_reports();
  s.values[kWriteTimeouts] = write_timeouts;
  s.values[kResidentKb] = ResidentKb();
  s.values[kState] = static_cast<uint64_t>(state.load());
  s.values[kVa] = config.va;
  s.values[kProcessingP99Us] = processing_p99;
  s.values[kErrors] = errors;
  for (const auto& cb : callbacks)
    cb(s);
  return s;
}

void Instance::Impl::RunControl(std::function<void()> task) {
  dispatcher->Post(control, std::move(task), /*limited=*/false);
}

// ---------------------------------------------------------------------------- shutdown

void Instance::Impl::Shutdown(ShutdownMode mode, std::function<void()> done) {
  {
    std::lock_guard lock(state_mu);
    if (shutting_down) return;
    shutting_down = true;
  }
  // The waits below must not hold an I/O thread: the node needs one for the clients' ACKs.
  // Joined by ~Instance: the thread must not outlive the io_context it posts to.
  shutdown_thread = std::thread([self = shared_from_this(), mode, done = std::move(done)] {
    self->FinishShutdown(mode);
    if (done) boost::asio::post(self->io, done);
  });
}

// SHUTDOWN to every client (spec 7). A clean shutdown waits (until `deadline`) for their
// ACKs and counts those that never came into one report. Returns the sessions it told.
std::vector<std::shared_ptr<SessionImpl>> Instance::Impl::TellClientsShutdown(
    bool clean, std::chrono::steady_clock::time_point deadline) {
  auto sessions_now = AllSessions();
  auto done = std::make_shared<std::atomic<size_t>>(0);  // answered or given up
  auto acked = std::make_shared<std::atomic<size_t>>(0);
  mp::SendOptions one_way;
  one_way.expect_reply = false;
  one_way.max_transmissions = clean ? config.engine.max_transmissions : 1;
  for (const auto& s : sessions_now) {
    node->Send(s->client, s->id, mp::wire::kShutdown, s->client_va,
               mp::EncodeU8(clean ? mp::wire::kShutdownClean : mp::wire::kShutdownEmergency),
               one_way, [done, acked](mp::SendResult&& r) {
                 if (!r.error) ++*acked;
                 ++*done;
               });
  }
  if (!clean) return sessions_now;
  while (*done < sessions_now.size() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (const size_t unacked = sessions_now.size() - *acked; unacked > 0) {
    ReportError(static_cast<uint16_t>(mp::Errc::kTimedOut),
                std::to_string(unacked) + " of " + std::to_string(sessions_now.size()) +
                    " clients did not acknowledge SHUTDOWN");
  }
  return sessions_now;
}

void Instance::Impl::FinishShutdown(ShutdownMode mode) {
  const bool clean = mode == ShutdownMode::kClean;
  const auto deadline = std::chrono::steady_clock::now() + config.shutdown_timeout;
  ReportState(clean ? mp::wire::DaspState::kDraining : mp::wire::DaspState::kStopped,
              mp::StateReason::kShutdown, {}, clean ? "clean shutdown" : "emergency shutdown");
  std::vector<std::function<void(ShutdownMode)>> callbacks;
  {
    std::lock_guard lock(callbacks_mu);
    callbacks = on_shutdown;
  }
  for (const auto& cb : callbacks)
    cb(mode);
  const auto sessions_now = TellClientsShutdown(clean, deadline);
  if (clean) {
    // Pending transactions finish: queued messages run, replies get their ACKs.
    dispatcher->Drain(
        std::max<mp::Duration>(deadline - std::chrono::steady_clock::now(), mp::Duration(0)));
    // Requests still owed a reply (a Responder not yet used) are answered, then those
    // replies are ACKed.
    while (unanswered.load() > 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    while (node->Stats().pending > 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    for (const auto& s : sessions_now) {
      dispatcher->Post(
          s->mailbox, [self = shared_from_this(), s] { self->CloseSession(s, false); }, false);
    }
    dispatcher->Drain(std::chrono::seconds(1));
    ReportState(mp::wire::DaspState::kStopped, mp::StateReason::kShutdown, {},
                "clean shutdown done");
  }
  stopped = true;
  SendToLbd(mp::wire::kErrorReport,
            mp::ErrorReportPayload{0, clean ? "exit: clean shutdown" : "exit: emergency shutdown"}
                .Encode());
  node->Flush();
  dispatcher->Stop();
  housekeeping.cancel();
  node->Stop();
}

ReplyTarget::~ReplyTarget() {
  if (replied.load()) return;
  if (instance) --instance->unanswered;
  if (session) --session->unanswered;
}

// ---------------------------------------------------------------------------- Instance

Result<std::unique_ptr<Instance>> Instance::Create(boost::asio::io_context& io,
                                                   InstanceConfig config,
                                                   std::unique_ptr<Server> server) {
  auto impl = std::make_shared<Impl>(io, std::move(config), std::move(server));
  std::unique_ptr<Instance> instance(new Instance(impl));
  if (Status s = impl->Open(instance.get()); !s) return s.error();
  return instance;
}

Instance::~Instance() {
  if (impl_->shutdown_thread.joinable()) {
    if (impl_->shutdown_thread.get_id() == std::this_thread::get_id()) {
      impl_->shutdown_thread.detach();  // destroyed from its own `done`: it ends by itself
    } else {
      impl_->shutdown_thread.join();
    }
  }
  if (!impl_->stopped) {
    impl_->stopped = true;
    if (impl_->dispatcher) impl_->dispatcher->Stop();  // null when Create failed
    impl_->housekeeping.cancel();
    if (impl_->node) impl_->node->Stop();
  }
  impl_->facade = nullptr;
}

void Instance::Start() {
  impl_->Start();
}
void Instance::OnStopped(std::function<void()> done) {
  impl_->on_stopped = std::move(done);
}
void Instance::Shutdown(ShutdownMode mode, std::function<void()> done) {
  impl_->Shutdown(mode, std::move(done));
}
mp::Endpoint Instance::udp_endpoint() const {
  return *impl_->node->udp_endpoint();
}
size_t Instance::session_count() const {
  return impl_->SessionCount();
}
mp::wire::DaspState Instance::state() const {
  return impl_->state.load();
}
const InstanceConfig& Instance::config() const {
  return impl_->config;
}

void Instance::OnStatisticsRequest(std::function<void(mp::Statistics&)> callback) {
  std::lock_guard lock(impl_->callbacks_mu);
  impl_->on_statistics.push_back(std::move(callback));
}
void Instance::OnShutdown(std::function<void(ShutdownMode)> callback) {
  std::lock_guard lock(impl_->callbacks_mu);
  impl_->on_shutdown.push_back(std::move(callback));
}
void Instance::OnStateRequest(std::function<void(mp::wire::DaspState&)> callback) {
  std::lock_guard lock(impl_->callbacks_mu);
  impl_->on_state.push_back(std::move(callback));
}
void Instance::OnAddClient(std::function<void(const mp::AddClient&)> callback) {
  std::lock_guard lock(impl_->callbacks_mu);
  impl_->on_add_client.push_back(std::move(callback));
}
void Instance::ReportError(uint16_t error, std::string text) {
  impl_->ReportError(error, std::move(text));
}

std::shared_ptr<ResourceLock> Instance::MakeLock(std::string name, std::string resource_type,
                                                 int capacity, mp::Duration timeout) {
  if (timeout <= mp::Duration(0)) timeout = impl_->config.lock_timeout;
  auto lock = std::make_shared<ResourceLock>(
      name, std::move(resource_type), capacity, timeout,
      [weak = impl_->weak_from_this(), name](const std::string& type) {
        auto self = weak.lock();
        if (!self) return;
        {
          std::lock_guard l(self->state_mu);
          auto& last = self->last_lock_report[type];
          const auto now = std::chrono::steady_clock::now();
          if (now - last < kLockReportEvery) return;
          last = now;
        }
        // A request for another instance with this resource type (DESIGN.md section 3).
        self->ReportState(self->state.load(), mp::StateReason::kLockTimeout, type,
                          "lock '" + name + "' timed out");
      });
  std::lock_guard l(impl_->callbacks_mu);
  impl_->locks.push_back(lock);
  return lock;
}

std::shared_ptr<WriteTimer> Instance::MakeWriteTimer(std::string name) {
  auto timer = std::make_shared<WriteTimer>(
      name, impl_->config.write_timer,
      [weak = impl_->weak_from_this(), name](uint64_t in_interval) {
        if (auto self = weak.lock()) {
          self->ReportState(self->state.load(), mp::StateReason::kWriteTimeout, {},
                            "write '" + name + "' timed out (" + std::to_string(in_interval) +
                                " in this interval)");
        }
      },
      impl_->clock);
  std::lock_guard l(impl_->callbacks_mu);
  impl_->write_timers.push_back(timer);
  return timer;
}

std::shared_ptr<AsyncTimer> Instance::StartAsyncTimer(std::string name, mp::Duration timeout,
                                                      uint64_t client_id,
                                                      AsyncTimer::Callback callback) {
  return AsyncTimer::Start(impl_->io, std::move(name), timeout, client_id, std::move(callback));
}

mp::Va Instance::va() const {
  return impl_->config.va;
}
const std::string& Instance::app() const {
  return impl_->config.app;
}
mp::Statistics Instance::Snapshot() {
  return impl_->Snapshot();
}
boost::asio::io_context& Instance::io() {
  return impl_->io;
}

}  // namespace dabs::dasp
