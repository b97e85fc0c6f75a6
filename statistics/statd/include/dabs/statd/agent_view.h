// What dabs-statd's SNMP subagent shows, built each second from the store and the daemon's
// memory: the farm scalars, a row per server (dabs-lbd's servers database when it has one,
// else every server whose SERVER_STATS were heard), a row per local DASP instance and a row
// per configured application.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <dabs/config/farm.h>
#include <dabs/mp/clock.h>
#include <dabs/snmp/snapshot.h>
#include <dabs/statd/dasp_figures.h>
#include <dabs/store/records.h>
#include <dabs/store/txn.h>

namespace dabs::statd {

// The store's part of the inputs, read in one transaction.
struct StoreView {
  std::vector<store::ServerRecord> servers;  // dabs-lbd's view; empty without dabs-lbd
  std::vector<store::DaspRecord> dasps;
  std::map<std::string, uint64_t> app_sessions;   // limits "sessions/<app>"
  std::map<std::string, uint64_t> app_instances;  // limits "instances/<app>"
  // Statistics "security/<daemon>": this server's daemons' farm-guard counters.
  uint64_t rejected_datagrams = 0;
  std::string farm_key;  // dabs-statd's own record's primary
};
// Reads the servers, dasps and limits databases. Undecodable records are skipped.
Result<StoreView> ReadStoreView(const store::ReadTxn& txn);

struct ViewInputs {
  const config::FarmConfig* config = nullptr;  // REQUIRES: not null
  std::string self;
  std::string self_address;  // dabs-statd's own UDP endpoint
  int64_t now_ms = 0;        // Unix milliseconds
  mp::TimePoint now{};
  const StoreView* store = nullptr;                                    // REQUIRES: not null
  const std::map<std::string, store::StatsRecord>* current = nullptr;  // REQUIRES: not null
  std::map<std::string, std::string> heard_from;  // server id -> endpoint its stats came from
  std::map<mp::Va, DaspFigures> dasp_figures;
  mp::Duration dasp_max_age{};
  // Without dabs-lbd: a server is alive while its newest figures are at most this old,
  // suspect up to three times as old, then gone.
  std::chrono::milliseconds stats_lease{3000};
};

snmp::AgentSnapshot BuildAgentSnapshot(const ViewInputs& in);

}  // namespace dabs::statd
