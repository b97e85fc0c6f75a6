// dabs-lbd: following the configuration. dabs-configd (or dabsctl config import) changes
// the store; we notice the new version within a poll and act on it: timers, placement
// policy, applications started, reset or stopped.
#include <spdlog/spdlog.h>

#include <dabs/config/persist.h>

#include "lbd_impl.h"

namespace dabs::farm {

namespace {
constexpr auto kConfigPoll = std::chrono::milliseconds(100);
}  // namespace

BalanceConfig BalanceConfigOf(const config::FarmConfig& c) {
  BalanceConfig b;
  b.mode = ParseRebalanceMode(c.rebalance).value_or(RebalanceMode::kStarvation);
  b.spread_pct = c.spread_pct;
  return b;
}

void Lbd::Impl::WatchConfig() {
  if (leaving) return;
  auto version = config::StoredConfigVersion(*store);
  if (version && *version != records.version) {
    auto loaded = config::LoadConfig(*store);
    if (loaded && *loaded) AdoptConfig(std::move(**loaded));
  }
  if (!config_timer) config_timer.emplace(io);
  config_timer->expires_after(kConfigPoll);
  config_timer->async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec) self->WatchConfig();
  });
}

void Lbd::Impl::AdoptConfig(config::Records next) {
  auto built = config::Build(next);
  if (!built) {
    spdlog::error("configuration version {} cannot be used here, keeping version {}: {}",
                  next.version, records.version, built.error().Message());
    records.version = next.version;  // do not try it again every poll
    return;
  }
  spdlog::info("configuration version {} (from {})", next.version,
               next.origin.empty() ? "?" : next.origin);
  const config::FarmConfig old = std::move(config);
  config = std::move(*built);
  records = std::move(next);
  if (auto p = ParsePolicy(config.policy)) policy = *p;
  members->self().lease = config.lease;
  rebalancer->Configure(BalanceConfigOf(config), config.rebalance_period);
  // Applications: a changed entry resets the supervisor's view (and a failure); a removed
  // one, or one whose sub-group no longer has us, is shut down here.
  for (const auto& app : config.apps) {
    const config::AppEntry* before = old.App(app.name);
    const bool changed = !before || before->dasp != app.dasp || before->args != app.args ||
                         before->instances_per_process != app.instances_per_process ||
                         before->servers != app.servers ||
                         before->limits.instance_sessions != app.limits.instance_sessions;
    if (changed || supervisor->IsFailed(app.name)) (void)supervisor->Reset(app);
    for (auto& [va, i] : instances) {
      if (i.app == app.name) i.max_sessions = static_cast<uint32_t>(app.limits.instance_sessions);
    }
  }
  for (auto& [va, i] : instances) {
    const config::AppEntry* app = config.App(i.app);
    if ((!app || !app->RunsOn(options.server)) && i.Live()) {
      spdlog::info("{} {}: no longer configured here, shutting it down", i.app, mp::FormatVa(va));
      i.shutting_down = true;
      (void)supervisor->Shutdown(va, ShutdownMode::kClean);
    }
  }
  if (auto started = supervisor->EnsureAtInit(config); started && *started) {
    spdlog::info("started {} instance(s) for start_at_init", *started);
    TrackNewProcesses();
  }
}

}  // namespace dabs::farm
