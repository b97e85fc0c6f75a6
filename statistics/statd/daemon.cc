// dabs-statd: start-up, the configuration, and the cron.
#include <spdlog/spdlog.h>

#include <dabs/config/errc.h>
#include <dabs/config/load.h>
#include <dabs/config/persist.h>
#include <dabs/mp/errc.h>
#include <dabs/store/layout.h>
#include <dabs/store/private_files.h>

#include "statd_impl.h"

namespace dabs::statd {

namespace {

Error Bad(std::string what) {
  return Error{make_error_code(config::DaemonErrc::kStartup), std::move(what)};
}

Result<config::FarmConfig> FromRecords(const config::Records& records, const std::string& where) {
  auto farm = config::Build(records);
  if (!farm) return Error{farm.error().code, where + ": " + farm.error().detail};
  return farm;
}

SelfReportConfig ReportConfigOf(const config::FarmConfig& c) {
  SelfReportConfig r;
  r.min_free = {c.min_free_cpu_pct, static_cast<double>(c.min_free_memory_mb),
                static_cast<double>(c.min_free_disk_mb)};
  r.high_water_ms = c.high_water_ms;
  r.low_water_ms = c.low_water_ms;
  return r;
}

// A period of the cron (STYLE 11): when it is due next.
struct Task {
  std::chrono::milliseconds period;
  mp::TimePoint next;
  bool Due(mp::TimePoint now) const { return now >= next; }
  void Done(mp::TimePoint now) {
    next += period;
    if (next <= now) next = now + period;  // a slow round skips, it does not burst
  }
};

}  // namespace

std::chrono::milliseconds StatsLease(const StatdOptions& options) {
  return 3 * options.sample_period;
}

Status StatdOptions::Validate() const {
  if (server_id.empty()) return Bad("--server is empty");
  if (state_dir.empty()) return Bad("--state-dir is empty");
  if (sample_period < std::chrono::milliseconds(100) || sample_period > std::chrono::minutes(1)) {
    return Bad("--sample-ms must be within 100..60000");
  }
  if (dasp_poll_period.count() <= 0 || config_check_period.count() <= 0) {
    return Bad("poll periods must be positive");
  }
  if (history_samples < 1) return Bad("the history keeps at least one sample");
  // Unix socket paths are limited to 107 bytes.
  if (StatdSocketPath(state_dir).string().size() > 107) {
    return Bad("--state-dir is too long for a local socket path: " + state_dir.string());
  }
  return Status::Ok();
}

// The server's one layout (runtime/store/layout.h), shared with dabs-lbd and the supervisor.
std::filesystem::path StorePath(const std::filesystem::path& dir) {
  return store::ServerLayout{dir}.store();
}
std::filesystem::path StatdSocketPath(const std::filesystem::path& dir) {
  return store::ServerLayout{dir}.statd_socket();
}
std::filesystem::path LbdSocketPath(const std::filesystem::path& dir) {
  return store::ServerLayout{dir}.lbd_socket();
}

Statd::Impl::Impl(const StatdOptions& options)
    : options_(options), changes_(2 * StatsLease(options)) {}

Status Statd::Impl::Open() {
  if (Status s = options_.Validate(); !s) return s;
  auto prepared = store::PrepareStateDirectory(options_.state_dir);
  if (!prepared) return prepared.error();
  if (!prepared->empty()) spdlog::warn("{}", *prepared);
  auto store = store::Store::Open(StorePath(options_.state_dir));
  if (!store) return Error{store.error().code, "store: " + store.error().detail};
  store_ = std::move(*store);
  if (Status s = LoadInitialConfig(); !s) return s;

  statistics::SamplerConfig sampling;
  sampling.disk_path = options_.state_dir.string();  // where LMDB lives
  if (Status s = sampling.Validate(); !s) return s;
  sampler_ = std::make_unique<statistics::Sampler>(proc_, clock_, sampling);
  (void)sampler_->Sample();  // the first reading: figures start with the next one

  Status read = store_->Read([&](const store::ReadTxn& txn) -> Status {
    auto current = ReadCurrent(txn);
    if (!current) return current.error();
    current_ = std::move(*current);  // what this server knew before a restart
    return Status::Ok();
  });
  if (!read) return read;
  ReadView();  // the first DASP poll needs the dasps database

  const std::string socket = options_.agentx_socket.value_or(config_.agentx_socket);
  if (socket != kNoSubagent && !socket.empty()) {
    auto agent = snmp::Subagent::Start({socket}, box_);
    if (!agent) return agent.error();
    subagent_ = std::move(*agent);
  }
  return Status::Ok();
}

Status Statd::Impl::LoadInitialConfig() {
  auto stored = config::LoadConfig(*store_);
  if (!stored) return Error{stored.error().code, "stored configuration: " + stored.error().detail};
  if (*stored) {
    auto farm = FromRecords(**stored, "stored configuration");
    if (!farm) return farm.error();
    stored_version_ = std::pair{(*stored)->version, (*stored)->origin};
    spdlog::info("configuration version {} from the store", (*stored)->version);
    return ApplyConfig(std::move(*farm));
  }
  std::vector<config::Problem> problems;
  auto loaded = config::LoadFarmFile(options_.farm_file, &problems);
  if (!loaded) {
    return Error{loaded.error().code,
                 problems.empty() ? loaded.error().detail : problems.front().ToString()};
  }
  auto farm = FromRecords(loaded->records, options_.farm_file.string());
  if (!farm) return farm.error();
  spdlog::info("configuration from {}", options_.farm_file.string());
  return ApplyConfig(std::move(*farm));
}

Result<LinkSettings> Statd::Impl::LinkSettingsFor(const config::FarmConfig& c) const {
  LinkSettings s;
  s.self = options_.server_id;
  s.stats_group = c.stats_group;
  const config::ServerEntry* pinned = c.Server(options_.server_id);
  // decisions.md D33: --address, else the pinned address, else farm.interface.
  s.multicast_interface = !options_.address.empty()   ? options_.address
                          : pinned && pinned->address ? *pinned->address
                                                      : c.interface;
  s.local_path = StatdSocketPath(options_.state_dir).string();
  s.guard = channel_->guard();
  s.engine.max_transmissions = c.max_transmissions;
  s.engine.rto.initial = c.initial_rto;
  s.engine.reassembly.max_message_bytes = c.max_message_bytes;
  const config::ServerEntry* entry = pinned;
  const std::string address = !options_.address.empty() ? options_.address
                              : entry && entry->address ? *entry->address
                                                        : "0.0.0.0";
  uint16_t port = entry && entry->stats_port ? *entry->stats_port : 0;
  if (options_.stats_port) port = *options_.stats_port;
  auto bind = mp::Endpoint::Parse(address + ":" + std::to_string(port));
  if (!bind) return Bad("servers[" + options_.server_id + "]: bad address " + address);
  s.bind = *bind;
  return s;
}

Status Statd::Impl::ApplyConfig(config::FarmConfig c) {
  if (!channel_) {
    // dabs-statd takes nothing from outsiders: every datagram it hears comes sealed.
    auto channel = keyring::FarmChannel::Open(
        options_.state_dir, c.name, c.IndexOf(options_.server_id), mp::FarmRole::kStatd, {});
    if (!channel) return channel.error();
    channel_ = std::move(*channel);
  }
  auto settings = LinkSettingsFor(c);
  if (!settings) return settings.error();
  SelfReportConfig report = ReportConfigOf(c);
  if (reporter_) {
    if (Status s = reporter_->Reconfigure(report); !s) return s;
  } else {
    auto reporter = SelfReporter::Create(report);
    if (!reporter) return reporter.error();
    reporter_.emplace(std::move(*reporter));
  }
  const bool relink = !link_ || settings->bind != link_settings_.bind ||
                      settings->stats_group != link_settings_.stats_group ||
                      settings->multicast_interface != link_settings_.multicast_interface;
  if (relink) {
    std::unique_ptr<FarmLink> old;
    {
      std::lock_guard lock(link_mu_);
      old = std::move(link_);  // close the old sockets before binding the same port again
    }
    old.reset();
    auto link = FarmLink::Create(io_.io(), *settings, clock_);
    if (!link) return Error{link.error().code, "node: " + link.error().detail};
    std::lock_guard lock(link_mu_);
    link_ = std::move(*link);
    link_settings_ = *settings;
  }
  if (options_.agentx_socket.value_or(c.agentx_socket) !=
          options_.agentx_socket.value_or(config_.agentx_socket) &&
      subagent_) {
    spdlog::warn("snmp.agentx_socket changed to {}: it takes effect when dabs-statd restarts",
                 c.agentx_socket);
  }
  config_ = std::move(c);
  return Status::Ok();
}

void Statd::Impl::CheckConfig() {
  auto stored = config::LoadConfig(*store_);
  if (!stored) {
    spdlog::warn("cannot read the stored configuration: {}", stored.error().Message());
    return;
  }
  if (!*stored) return;  // none saved yet: the farm file's stays
  const std::pair version{(*stored)->version, (*stored)->origin};
  if (stored_version_ == version) return;
  stored_version_ = version;
  auto farm = FromRecords(**stored, "stored configuration");
  Status s = farm ? ApplyConfig(std::move(*farm)) : Status(farm.error());
  if (!s) {
    spdlog::error("configuration version {} not taken: {}", version.first, s.error().Message());
    return;
  }
  spdlog::info("configuration version {} taken", version.first);
}

uint16_t Statd::Impl::OwnIndex() const {
  if (const auto* entry = config_.Server(options_.server_id)) return entry->index;
  for (const auto& s : view_.servers) {
    if (s.id == options_.server_id) return s.index;  // dabs-lbd's, for unpinned servers
  }
  return 0;
}

void Statd::Impl::Run() {
  const mp::TimePoint start = clock_.Now();
  Task sample{options_.sample_period, start + options_.sample_period};
  Task poll{options_.dasp_poll_period, start};
  Task config{options_.config_check_period, start + options_.config_check_period};
  std::unique_lock lock(mu_);
  while (!stop_) {
    const mp::TimePoint next = std::min({sample.next, poll.next, config.next});
    cv_.wait_until(lock, next, [&] { return stop_; });
    if (stop_) break;
    lock.unlock();
    const mp::TimePoint now = clock_.Now();
    if (config.Due(now)) {
      CheckConfig();
      (void)channel_->Refresh();  // dabs-lbd adopted a new keyring for this server
      config.Done(now);
    }
    if (poll.Due(now)) {
      PollDasps();
      poll.Done(now);
    } else if (link_->TakePollRequest()) {
      PollDasps();  // an instance's threshold nears: ask now, keep the schedule
    }
    if (sample.Due(now)) {
      SampleRound();
      if (Status s =
              channel_->Record(*store_, clock_.UnixMillis(), link_->node_stats().local_refused);
          !s) {
        spdlog::debug("security counters not stored: {}", s.error().Message());
      }
      sample.Done(now);
    }
    lock.lock();
  }
}

void Statd::Impl::Stop() {
  std::lock_guard lock(mu_);
  stop_ = true;
  cv_.notify_all();
}

std::optional<mp::Endpoint> Statd::Impl::udp_endpoint() const {
  std::lock_guard lock(link_mu_);
  return link_ ? link_->udp_endpoint() : std::nullopt;
}

// ---------------------------------------------------------------------------- Statd

Result<std::unique_ptr<Statd>> Statd::Create(const StatdOptions& options) {
  auto impl = std::make_unique<Impl>(options);
  if (Status s = impl->Open(); !s) return s.error();
  return std::unique_ptr<Statd>(new Statd(std::move(impl)));
}

Statd::Statd(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Statd::~Statd() = default;
void Statd::Run() {
  impl_->Run();
}
void Statd::Stop() {
  impl_->Stop();
}
std::optional<mp::Endpoint> Statd::udp_endpoint() const {
  return impl_->udp_endpoint();
}

}  // namespace dabs::statd
