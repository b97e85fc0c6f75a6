// Private to dabs-statd: the daemon's state, shared by daemon.cc (start, configuration, the
// cron) and round.cc (what the cron does each period).
#pragma once

#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>

#include <dabs/config/farm.h>
#include <dabs/keyring/farm_channel.h>
#include <dabs/mp/node.h>
#include <dabs/snmp/changes.h>
#include <dabs/snmp/subagent.h>
#include <dabs/statd/agent_view.h>
#include <dabs/statd/daemon.h>
#include <dabs/statd/farm_link.h>
#include <dabs/statd/self_report.h>
#include <dabs/statistics/proc_source.h>
#include <dabs/statistics/sampler.h>
#include <dabs/store/store.h>

namespace dabs::statd {

// Without dabs-lbd's servers database, a server whose newest figures are older than this is
// no longer alive (three missed samples).
std::chrono::milliseconds StatsLease(const StatdOptions& options);

class Statd::Impl {
 public:
  explicit Impl(const StatdOptions& options);

  Status Open();
  void Run();
  void Stop();
  std::optional<mp::Endpoint> udp_endpoint() const;

 private:
  // daemon.cc
  Status LoadInitialConfig();
  Status ApplyConfig(config::FarmConfig config);
  Result<LinkSettings> LinkSettingsFor(const config::FarmConfig& config) const;
  void CheckConfig();
  uint16_t OwnIndex() const;

  // round.cc
  void SampleRound();
  void PollDasps();
  void PublishSnapshot(mp::TimePoint now, int64_t now_ms);
  void WriteRecords(const std::vector<store::StatsRecord>& records);
  void ReadView();

  const StatdOptions options_;
  const mp::SystemClock clock_;
  std::unique_ptr<store::Store> store_;
  config::FarmConfig config_;
  std::optional<std::pair<uint64_t, std::string>> stored_version_;  // of the stored config

  statistics::FsProcSource proc_;
  std::unique_ptr<statistics::Sampler> sampler_;
  std::optional<SelfReporter> reporter_;

  std::unique_ptr<keyring::FarmChannel> channel_;  // opened with the first configuration
  mp::IoThreads io_{1};
  std::unique_ptr<FarmLink> link_;  // replaced only by the cron thread
  LinkSettings link_settings_;
  mutable std::mutex link_mu_;  // guards link_ for udp_endpoint() from other threads

  std::shared_ptr<snmp::SnapshotBox> box_ = std::make_shared<snmp::SnapshotBox>();
  std::unique_ptr<snmp::Subagent> subagent_;
  snmp::ChangeDetector changes_;

  // The cron thread's.
  std::map<std::string, store::StatsRecord> current_;  // every server's newest figures
  std::map<std::string, std::string> heard_from_;
  StoreView view_;
  DaspTotals totals_;
  std::optional<store::StatsRecord> own_;
  uint64_t failures_logged_ = 0;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
};

}  // namespace dabs::statd
