// The daemon's life cycle, its housekeeping timer (STYLE 11: one timer, per-task periods)
// and its sending side. See daemon.h and README.md.
#include <random>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <dabs/config/errc.h>
#include <dabs/config/adopt.h>
#include <dabs/config/persist.h>
#include <dabs/mp/va.h>
#include <dabs/mp/wire.h>

#include "daemon_impl.h"

namespace dabs::configd {

namespace {

constexpr Duration kTick = milliseconds(10);
constexpr Duration kExpirePeriod = milliseconds(1000);

SyncTimings Timings(const DaemonOptions& o) {
  return {o.announce_period, o.full_min_interval, o.announce_min_interval, o.answer_delay_max};
}

ConfigId IdOf(const config::Records& r) {
  return {r.version, r.origin, config::RecordsDigest(r)};
}

}  // namespace

// ---- Daemon

Result<std::unique_ptr<Daemon>> Daemon::Create(boost::asio::io_context& io,
                                               const DaemonOptions& options) {
  auto impl = std::make_shared<Impl>(io, options);
  if (dabs::Status s = impl->Open(); !s) return s.error();
  return std::unique_ptr<Daemon>(new Daemon(std::move(impl)));
}

Daemon::~Daemon() {
  Stop();
}
void Daemon::Start(bool imported) {
  impl_->Start(imported);
}
void Daemon::Stop() {
  impl_->Stop();
}
Result<config::Records> Daemon::Apply(const std::vector<config::Change>& changes,
                                      const config::Actor& who,
                                      std::vector<config::Problem>* problems) {
  return impl_->Apply(changes, who, problems);
}
DaemonStatus Daemon::Status() const {
  return impl_->Status();
}
mp::NodeStats Daemon::NodeStats() const {
  return impl_->NodeStats();
}

std::string Daemon::StatusJson(const DaemonStatus& s) {
  const Counters& c = s.counters;
  nlohmann::json j = {
      {"server", s.server},
      {"version", s.version},
      {"origin", s.origin},
      {"digest", s.digest},
      {"group", s.group},
      {"udp", s.udp},
      {"counters",
       {{"fulls_sent", c.fulls_sent},
        {"parts_sent", c.parts_sent},
        {"announcements_sent", c.announcements_sent},
        {"fulls_received", c.fulls_received},
        {"parts_received", c.parts_received},
        {"announcements_received", c.announcements_received},
        {"older_heard", c.older_heard},
        {"newer_heard", c.newer_heard},
        {"adopted", c.adopted},
        {"refused", c.refused},
        {"local_changes", c.local_changes},
        {"malformed", c.malformed},
        {"send_failures", c.send_failures}}},
  };
  return j.dump();
}

// ---- Life cycle

Daemon::Impl::Impl(boost::asio::io_context& io, const DaemonOptions& options)
    : options_(options),
      io_(io),
      timer_(io),
      random_(std::random_device{}()),
      policy_(Timings(options), random_),
      assembler_(AssemblyLimits{options.max_config_bytes, 4, milliseconds(5000)}) {}

dabs::Status Daemon::Impl::Open() {
  mp::NodeConfig config;
  config.engine = options_.engine;
  const std::string address = options_.interface.empty() ? "0.0.0.0" : options_.interface;
  auto udp = mp::Endpoint::Parse(address + ":" + std::to_string(options_.port));
  if (!udp) return Error{udp.error().code, "interface " + address + ": " + udp.error().detail};
  config.udp = *udp;
  config.groups = {options_.group};
  config.multicast_interface = address;
  config.udp_offload = false;  // little traffic: not worth 512 KiB of receive buffers
  config.farm_guard = options_.guard;
  if (!options_.local_socket.empty()) config.local_path = options_.local_socket.string();
  std::weak_ptr<Impl> weak = weak_from_this();
  mp::NodeCallbacks callbacks;
  callbacks.on_message = [weak](mp::Message&& m) {
    if (auto self = weak.lock()) self->OnMessage(std::move(m));
  };
  auto node = mp::Node::Create(io_, std::move(config), std::move(callbacks));
  if (!node) return node.error();
  node_ = std::move(*node);
  self_ = node_->udp_endpoint().value_or(mp::Endpoint{});
  return dabs::Status::Ok();
}

void Daemon::Impl::Start(bool imported) {
  ConfigId id;
  Actions actions;
  {
    std::lock_guard change(change_mu_);
    auto stored = config::LoadConfig(*options_.store);
    if (!stored)
      spdlog::error("cannot read the stored configuration: {}", stored.error().Message());
    config::Records records = stored && *stored ? std::move(**stored) : config::Records{};
    id = IdOf(records);
    const TimePoint now = clock_.Now();
    std::lock_guard lock(mu_);
    if (started_ || stopped_) return;
    started_ = true;
    SetLocal(std::move(records), id);
    actions = policy_.Start(id, imported, now);
    next_poll_ = now + options_.poll_period;
    next_expire_ = now + kExpirePeriod;
  }
  spdlog::info("configuration group {} joined from {}; holding {}", options_.group.ToString(),
               self_.ToString(), id.ToString());
  Carry(actions);
  Arm();
}

void Daemon::Impl::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    timer_.cancel();  // under mu_, as Arm: a timer is not thread-safe
  }
  if (node_) node_->Stop();
  const DaemonStatus s = Status();
  spdlog::info("stopped at {}; counters {}", ConfigId{s.version, s.origin, {}}.ToString(),
               nlohmann::json::parse(StatusJson(s))["counters"].dump());
}

DaemonStatus Daemon::Impl::Status() const {
  std::lock_guard lock(mu_);
  const ConfigId& id = policy_.local();
  return {options_.server,           id.version,       id.origin, id.digest,
          options_.group.ToString(), self_.ToString(), counters_};
}

// ---- The timer

void Daemon::Impl::Arm() {
  std::weak_ptr<Impl> weak = weak_from_this();
  std::lock_guard lock(mu_);
  if (stopped_) return;
  timer_.expires_after(kTick);
  timer_.async_wait([weak](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->Tick();
  });
}

void Daemon::Impl::Tick() {
  const TimePoint now = clock_.Now();
  bool poll = false;
  Actions actions;
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    if (now >= next_poll_) {
      poll = true;
      next_poll_ = now + options_.poll_period;
    }
    if (now >= next_expire_) {
      assembler_.Expire(now);
      next_expire_ = now + kExpirePeriod;
    }
    actions = policy_.OnTick(now);
  }
  if (poll) Poll(now);
  Carry(actions);
  Pump();
  Arm();
}

// dabsctl config import (or another process) wrote the store: that is a change made here.
void Daemon::Impl::Poll(TimePoint now) {
  ConfigId id;
  Actions actions;
  {
    std::lock_guard change(change_mu_);
    auto version = config::StoredConfigVersion(*options_.store);
    if (!version) {
      std::lock_guard lock(mu_);
      Warn(failure_log_,
           "cannot read the stored configuration version: " + version.error().Message());
      return;
    }
    {
      std::lock_guard lock(mu_);
      if (*version == policy_.local().version) return;
    }
    auto stored = config::LoadConfig(*options_.store);
    if (!stored || !*stored) return;
    id = IdOf(**stored);
    std::lock_guard lock(mu_);
    ++counters_.local_changes;
    SetLocal(std::move(**stored), id);
    actions = policy_.OnLocalChange(id, true, now);
  }
  spdlog::info("the stored configuration changed here: now {}; sending it to the group",
               id.ToString());
  Carry(actions);
}

// ---- Sending

void Daemon::Impl::SetLocal(config::Records records, const ConfigId& id) {
  local_full_ = EncodeFull(records, id.digest);
  if (local_full_.empty() && id.version != 0) {
    spdlog::error("{} is too large to send (over 65535 parts)", id.ToString());
  }
  local_ = std::move(records);
  outbox_.clear();  // parts of the configuration we had: nobody needs them now
  assembler_.DropNotNewer(id);
}

void Daemon::Impl::Carry(const Actions& actions) {
  std::vector<uint8_t> announce;
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    if (actions.send_full && !local_full_.empty()) {
      ++counters_.fulls_sent;
      outbox_.assign(local_full_.begin(), local_full_.end());
      outbox_parts_ = local_full_.size() > 1;
    }
    if (actions.send_announce) {
      ++counters_.announcements_sent;
      announce = EncodeAnnounce(policy_.local());
    }
  }
  if (!announce.empty()) SendToGroup(std::move(announce));
  if (actions.send_full) Pump();
}

// Parts go out at most parts_per_tick per tick: the receivers' session-0 duplicate check
// knows a message by transaction id and sent time (ms), and the group's transaction ids
// wrap after 256 (README.md, C2).
void Daemon::Impl::Pump() {
  std::vector<std::vector<uint8_t>> batch;
  {
    std::lock_guard lock(mu_);
    while (!outbox_.empty() && batch.size() < options_.parts_per_tick) {
      batch.push_back(std::move(outbox_.front()));
      outbox_.pop_front();
    }
    if (outbox_parts_) counters_.parts_sent += batch.size();
  }
  for (auto& payload : batch)
    SendToGroup(std::move(payload));
}

void Daemon::Impl::SendToGroup(std::vector<uint8_t> payload) {
  mp::SendOptions once;
  once.expect_reply = false;  // group sends are not ACKed (spec 2)
  std::weak_ptr<Impl> weak = weak_from_this();
  node_->Send(options_.group, mp::wire::kOpeningSession, mp::wire::kConfigSync, mp::kVaConfigGroup,
              std::move(payload), once, [weak](mp::SendResult&& r) {
                if (!r.error) return;
                auto self = weak.lock();
                if (!self) return;
                std::lock_guard lock(self->mu_);
                ++self->counters_.send_failures;
                self->Warn(self->failure_log_,
                           "CONFIG_SYNC to the group failed: " + r.error.message());
              });
}

void Daemon::Impl::Warn(LogLimiter& limiter, const std::string& line) {
  uint64_t suppressed = 0;
  if (!limiter.Allow(clock_.Now(), suppressed)) return;
  if (suppressed > 0) {
    spdlog::warn("{} ({} more like it not logged)", line, suppressed);
  } else {
    spdlog::warn("{}", line);
  }
}

// ---- Changes made here (the HTTP API's seam)

Result<config::Records> Daemon::Impl::Apply(const std::vector<config::Change>& changes,
                                            const config::Actor& who,
                                            std::vector<config::Problem>* problems) {
  std::vector<config::Problem> found;
  config::Records next;
  ConfigId id;
  Actions actions;
  {
    std::lock_guard change(change_mu_);
    dabs::Status s = options_.store->Write([&](store::WriteTxn& txn) -> dabs::Status {
      found.clear();  // the function may run again (store.h)
      auto stored = config::ReadConfig(txn);
      if (!stored) return stored.error();
      if (!*stored) return Error{make_error_code(config::DaemonErrc::kStartup), "no configuration stored"};
      auto applied = config::Apply(**stored, changes, who, options_.server, &found);
      if (!applied) return applied.error();
      next = std::move(*applied);
      return config::WriteConfig(txn, next, who.name);
    });
    if (problems) *problems = found;
    if (!s) return s.error();
    id = IdOf(next);
    std::lock_guard lock(mu_);
    ++counters_.local_changes;
    SetLocal(next, id);
    actions = policy_.OnLocalChange(id, true, clock_.Now());
  }
  spdlog::info("{} changed {} key(s): now {}; sending it to the group", who.name, changes.size(),
               id.ToString());
  Carry(actions);
  return next;
}

}  // namespace dabs::configd
