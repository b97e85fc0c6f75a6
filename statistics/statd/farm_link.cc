#include <spdlog/spdlog.h>

#include <dabs/mp/wire.h>
#include <dabs/statd/farm_link.h>
#include <dabs/statd/server_figures.h>

namespace dabs::statd {

// What the node's callbacks fill in, on the node's strand; the cron takes it out.
struct FarmLink::Inbox {
  explicit Inbox(const mp::Clock& c, std::string s) : clock(c), self(std::move(s)) {}

  const mp::Clock& clock;
  const std::string self;
  mutable std::mutex mu;
  std::vector<Heard> heard;
  uint64_t heard_dropped = 0;
  std::map<mp::Va, DaspFigures> dasps;
  bool poll_requested = false;

  void OnMessage(mp::Message&& m) {
    switch (m.header.command) {
      case mp::wire::kServerStats:
        // Another server's figures come sealed with the farm key, never from anyone else.
        if (m.sealed_by == 0) return;
        return OnServerStats(m);
      case mp::wire::kStateChange: {
        if (m.peer.kind() == mp::TransportKind::kUdp) return;  // this server's DASPs only
        // An instance whose configured threshold nears (or that changed state): poll now.
        auto change = mp::StateChange::Decode(m.payload);
        if (!change) return;
        spdlog::debug("{} reports {} ({})", mp::FormatVa(change->va),
                      mp::DaspStateName(change->state), mp::StateReasonName(change->reason));
        std::lock_guard lock(mu);
        poll_requested = true;
        return;
      }
      default:
        return;  // nothing else is addressed to dabs-statd
    }
  }

  void OnServerStats(const mp::Message& m) {
    auto stats = mp::ServerStats::Decode(m.payload);
    if (!stats || !IsValidServerId(stats->server) || stats->server == self) return;
    Heard h{ToStatsRecord(*stats, clock.UnixMillis()), m.peer};
    std::lock_guard lock(mu);
    if (heard.size() >= kMaxHeardPerRound) {
      ++heard_dropped;
      return;
    }
    heard.push_back(std::move(h));
  }

  void OnDaspReply(mp::Va va, mp::SendResult&& r) {
    if (r.error || !r.reply) return;  // a stopped or busy instance: its old reply ages out
    auto stats = mp::Statistics::Decode(r.reply->payload);
    if (!stats) return;
    std::lock_guard lock(mu);
    dasps[va] = DaspFigures{std::move(*stats), clock.Now()};
  }
};

bool IsValidServerId(std::string_view id) {
  if (id.empty() || id.size() > kMaxServerIdBytes) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Result<std::unique_ptr<FarmLink>> FarmLink::Create(boost::asio::io_context& io,
                                                   const LinkSettings& settings,
                                                   const mp::Clock& clock) {
  std::unique_ptr<FarmLink> link(new FarmLink());
  link->inbox_ = std::make_shared<Inbox>(clock, settings.self);
  link->group_ = settings.stats_group;
  mp::NodeConfig config;
  config.engine = settings.engine;
  config.udp = settings.bind;
  config.groups = {settings.stats_group};
  config.multicast_interface = settings.multicast_interface;
  config.local_path = settings.local_path;
  config.farm_guard = settings.guard;
  // dabs-statd sends a datagram a second and a few GET_STATISTICS: small buffers do.
  config.socket_buffer_bytes = 1 << 20;
  config.udp_offload = false;
  mp::NodeCallbacks callbacks;
  callbacks.on_message = [inbox = link->inbox_](mp::Message&& m) {
    inbox->OnMessage(std::move(m));
  };
  auto node = mp::Node::Create(io, std::move(config), std::move(callbacks));
  if (!node) return node.error();
  link->node_ = std::move(*node);
  return link;
}

FarmLink::~FarmLink() {
  if (node_) node_->Stop();
}

void FarmLink::Publish(const mp::ServerStats& stats) {
  mp::SendOptions once;
  once.expect_reply = false;
  node_->Send(group_, mp::wire::kOpeningSession, mp::wire::kServerStats, mp::kVaStatsGroup,
              stats.Encode(), once, [](mp::SendResult&& r) {
                if (r.error) spdlog::debug("SERVER_STATS not sent: {}", r.error.message());
              });
}

void FarmLink::TellLbd(const std::string& lbd_path, const mp::ServerStats& stats) {
  mp::SendOptions once;
  once.expect_reply = false;
  node_->Send(mp::Endpoint::Local(lbd_path), mp::wire::kOpeningSession, mp::wire::kServerStats,
              mp::kVaNone, stats.Encode(), once, [](mp::SendResult&&) {});
}

void FarmLink::PollDasp(mp::Va va, const std::string& control, mp::Duration timeout) {
  mp::SendOptions ask;
  ask.reply_timeout = timeout;
  node_->Send(mp::Endpoint::Local(control), mp::wire::kOpeningSession, mp::wire::kGetStatistics, va,
              {}, ask,
              [inbox = inbox_, va](mp::SendResult&& r) { inbox->OnDaspReply(va, std::move(r)); });
}

std::vector<Heard> FarmLink::TakeHeard() {
  std::lock_guard lock(inbox_->mu);
  std::vector<Heard> out;
  out.swap(inbox_->heard);
  return out;
}

std::map<mp::Va, DaspFigures> FarmLink::DaspReplies() const {
  std::lock_guard lock(inbox_->mu);
  return inbox_->dasps;
}

void FarmLink::KeepDasps(const std::set<mp::Va>& keep) {
  std::lock_guard lock(inbox_->mu);
  std::erase_if(inbox_->dasps, [&](const auto& entry) { return !keep.count(entry.first); });
}

bool FarmLink::TakePollRequest() {
  std::lock_guard lock(inbox_->mu);
  return std::exchange(inbox_->poll_requested, false);
}

std::optional<mp::Endpoint> FarmLink::udp_endpoint() const {
  return node_->udp_endpoint();
}

uint64_t FarmLink::heard_dropped() const {
  std::lock_guard lock(inbox_->mu);
  return inbox_->heard_dropped;
}

}  // namespace dabs::statd
