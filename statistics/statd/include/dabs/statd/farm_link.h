// dabs-statd's MP node and what travels through it: SERVER_STATS to and from the farm's
// statistics group, GET_STATISTICS to the local DASP instances (their replies kept per VA),
// the one-way SERVER_STATS to dabs-lbd when a minimum or a water mark is crossed, and
// STATE_CHANGE reports from instances whose threshold nears (they ask for an early poll).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include <dabs/mp/farm_messages.h>
#include <dabs/mp/node.h>
#include <dabs/statd/dasp_figures.h>
#include <dabs/store/records.h>

namespace dabs::statd {

// SERVER_STATS held between two of the cron's rounds: a farm of 4,095 servers fits; beyond it
// the newest are dropped (counted) until the cron takes them.
inline constexpr size_t kMaxHeardPerRound = 4096;
// Longest server id taken from the wire (the farm file's ids are far shorter).
inline constexpr size_t kMaxServerIdBytes = 64;

struct LinkSettings {
  std::string self;   // this server's id: its own SERVER_STATS looped back are ignored
  mp::Endpoint bind;  // UDP
  mp::Endpoint stats_group;
  std::string multicast_interface;
  std::string local_path;  // dabs-statd's local socket (DASPs' replies and reports)
  mp::EngineConfig engine;
  std::shared_ptr<mp::FarmGuard> guard;  // seals SERVER_STATS, opens the others' (farm-seal.md)
};

// A SERVER_STATS from another server.
struct Heard {
  store::StatsRecord record;
  mp::Endpoint from;
};

// [A-Za-z0-9._-], 1..kMaxServerIdBytes: the ids that may become store keys.
bool IsValidServerId(std::string_view id);

class FarmLink {
 public:
  // Opens the node's sockets. `io` must be run by some thread and outlive the link; `clock`
  // must outlive it.
  static Result<std::unique_ptr<FarmLink>> Create(boost::asio::io_context& io,
                                                  const LinkSettings& settings,
                                                  const mp::Clock& clock);
  ~FarmLink();
  FarmLink(const FarmLink&) = delete;
  FarmLink& operator=(const FarmLink&) = delete;

  // Every method is thread-safe.

  // SERVER_STATS to the statistics group: one transmission, no ACK (spec 2, 4).
  void Publish(const mp::ServerStats& stats);
  // SERVER_STATS, one-way, to dabs-lbd's local socket; a missing dabs-lbd is ignored.
  void TellLbd(const std::string& lbd_path, const mp::ServerStats& stats);
  // GET_STATISTICS to an instance's local socket; its reply replaces the instance's figures.
  void PollDasp(mp::Va va, const std::string& control, mp::Duration timeout);

  // The SERVER_STATS heard since the last call.
  std::vector<Heard> TakeHeard();
  // The instances' last replies.
  std::map<mp::Va, DaspFigures> DaspReplies() const;
  // Drops the replies of instances not in `keep` (gone from the dasps database).
  void KeepDasps(const std::set<mp::Va>& keep);
  // True (once) when an instance reported a nearing threshold since the last call.
  bool TakePollRequest();

  std::optional<mp::Endpoint> udp_endpoint() const;
  mp::NodeStats node_stats() const { return node_->Stats(); }
  uint64_t heard_dropped() const;

  struct Inbox;

 private:
  FarmLink() = default;
  std::shared_ptr<Inbox> inbox_;  // shared with the node's callbacks, which may outlive us
  std::unique_ptr<mp::Node> node_;
  mp::Endpoint group_;
};

}  // namespace dabs::statd
