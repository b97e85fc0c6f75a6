// dabs-statd: what the cron does each period.
#include <spdlog/spdlog.h>

#include <dabs/statd/server_figures.h>
#include <dabs/statistics/errc.h>

#include "statd_impl.h"

namespace dabs::statd {

namespace {

// A reply counts for the totals while it is at most this many poll periods old.
constexpr double kDaspRepliesLastPolls = 2.5;

// Errors that repeat every second are logged the first few times, then every this many.
constexpr uint64_t kLogEvery = 60;

snmp::Notification LatencyNotification(statistics::WaterMarks::State state,
                                       const store::StatsRecord& own, const std::string& address) {
  snmp::Notification n;
  n.kind = state == statistics::WaterMarks::State::kHigh ? snmp::NotificationKind::kLatencyHigh
                                                         : snmp::NotificationKind::kLatencyLow;
  n.server.id = own.server;
  n.server.index = own.index;
  n.server.address = address;
  n.server.latency_p99_ms = FigureOr(own, figure::kLatencyP99Ms);
  return n;
}

}  // namespace

void Statd::Impl::SampleRound() {
  const mp::TimePoint now = clock_.Now();
  const int64_t now_ms = clock_.UnixMillis();
  std::vector<store::StatsRecord> records;
  for (Heard& h : link_->TakeHeard()) {
    heard_from_[h.record.server] = h.from.ToString();
    records.push_back(std::move(h.record));
  }

  const auto max_age =
      std::chrono::duration_cast<mp::Duration>(options_.dasp_poll_period * kDaspRepliesLastPolls);
  totals_ = AggregateDasps(view_.dasps, link_->DaspReplies(), options_.server_id, now, max_age);
  auto figures = sampler_->Sample();
  std::vector<snmp::Notification> notifications;
  if (figures) {
    SelfReport report =
        reporter_->Report(*figures, totals_, now, now_ms, options_.server_id, OwnIndex());
    const mp::ServerStats stats = ToServerStats(report.record);
    // Store what the others store: the record as it reads back from the wire.
    own_ = ToStatsRecord(stats, now_ms);
    link_->Publish(stats);
    for (const auto& c : report.crossings) {
      spdlog::warn("free {} {} the minimum {} ({})", statistics::ResourceName(c.resource),
                   c.below ? "fell below" : "is back over", c.minimum, c.free);
    }
    if (report.latency_change) {
      const bool high = *report.latency_change == statistics::WaterMarks::State::kHigh;
      spdlog::warn("latency p99 {} ms: {}", totals_.latency_p99_ms,
                   high ? "over the high-water mark" : "back under the low-water mark");
      const auto self = link_->udp_endpoint();
      notifications.push_back(
          LatencyNotification(*report.latency_change, *own_, self ? self->ToString() : ""));
    }
    if (report.TellLbd()) {
      link_->TellLbd(LbdSocketPath(options_.state_dir).string(), stats);  // seed 002 Fig. 14
    }
    records.push_back(*own_);
  } else if (figures.code() != statistics::Errc::kNotReady) {
    if (failures_logged_++ % kLogEvery == 0) {
      spdlog::error("sampling failed: {}", figures.error().Message());
    }
  }

  WriteRecords(records);
  for (auto& r : records) {
    auto it = current_.find(r.server);
    if (it == current_.end() || it->second.sampled_ms <= r.sampled_ms) current_[r.server] = r;
  }
  ReadView();
  if (!notifications.empty()) box_->Notify(std::move(notifications));
  PublishSnapshot(now, now_ms);
}

void Statd::Impl::WriteRecords(const std::vector<store::StatsRecord>& records) {
  if (records.empty()) return;
  // One write transaction a second for every server's figures (NOTES.md: batch writes).
  Status s = store_->Write(
      [&](store::WriteTxn& txn) { return WriteStats(txn, records, options_.history_samples); });
  if (!s && failures_logged_++ % kLogEvery == 0) {
    spdlog::error("storing figures failed: {}", s.error().Message());
  }
}

void Statd::Impl::ReadView() {
  Status s = store_->Read([&](const store::ReadTxn& txn) -> Status {
    auto view = ReadStoreView(txn);
    if (!view) return view.error();
    view_ = std::move(*view);
    return Status::Ok();
  });
  if (!s && failures_logged_++ % kLogEvery == 0) {
    spdlog::error("reading the store failed: {}", s.error().Message());
  }
}

void Statd::Impl::PollDasps() {
  std::set<mp::Va> known;
  const auto timeout = std::min<mp::Duration>(options_.dasp_poll_period, std::chrono::seconds(2));
  for (const auto& d : view_.dasps) {
    known.insert(d.va);
    if (!IsLive(d.state) || d.control.empty()) continue;
    if (!d.server.empty() && d.server != options_.server_id) continue;
    link_->PollDasp(d.va, d.control, timeout);
  }
  link_->KeepDasps(known);
}

void Statd::Impl::PublishSnapshot(mp::TimePoint now, int64_t now_ms) {
  ViewInputs in;
  in.config = &config_;
  in.self = options_.server_id;
  if (auto self = link_->udp_endpoint()) in.self_address = self->ToString();
  in.now_ms = now_ms;
  in.now = now;
  in.store = &view_;
  in.current = &current_;
  in.heard_from = heard_from_;
  in.dasp_figures = link_->DaspReplies();
  in.dasp_max_age =
      std::chrono::duration_cast<mp::Duration>(options_.dasp_poll_period * kDaspRepliesLastPolls);
  in.stats_lease = StatsLease(options_);
  snmp::AgentSnapshot snapshot = BuildAgentSnapshot(in);
  auto changes = changes_.Update(snapshot, now);
  for (const auto& n : changes) {
    if (n.kind == snmp::NotificationKind::kDaspStateChange) {
      spdlog::info("DASP {} ({}) is {}", mp::FormatVa(n.dasp.va), n.dasp.app, n.dasp.state);
    } else if (n.kind == snmp::NotificationKind::kSessionMoved) {
      // dabs-lbd logs the move itself at info.
      spdlog::debug("notifying the move of {} ({}) to {}", mp::FormatVa(n.move.client_va),
                    n.move.app, n.move.to);
    } else {
      spdlog::info("server {} {}", n.server.id,
                   n.kind == snmp::NotificationKind::kServerJoined ? "joined" : "left");
    }
  }
  if (!changes.empty()) box_->Notify(std::move(changes));
  box_->Publish(std::move(snapshot));
}

}  // namespace dabs::statd
