// The local DASP instances' own figures (their GET_STATISTICS replies) and what they add up to
// for the server: instances, sessions and the latency p99 that SERVER_STATS, the load score
// and the water marks use.
#pragma once

#include <cstdint>
#include <map>
#include <string_view>
#include <vector>

#include <dabs/mp/clock.h>
#include <dabs/mp/local_messages.h>
#include <dabs/mp/va.h>
#include <dabs/store/records.h>

namespace dabs::statd {

// One instance's last GET_STATISTICS reply and when it came.
struct DaspFigures {
  mp::Statistics stats;
  mp::TimePoint at{};
};

struct DaspTotals {
  uint32_t instances = 0;     // live instances in the dasps database
  uint64_t sessions = 0;      // over the live instances
  double latency_p99_ms = 0;  // the highest p99 among the live instances' fresh replies
};

// starting, ready, busy and draining instances count; stopped and failed ones do not.
bool IsLive(std::string_view state);

// Adds up this server's instances. A reply counts while it is at most `max_age` old: its
// session count wins over the record's (dabs-lbd updates the record less often) and its p99
// enters the maximum. Records of other servers (`server` differs) are left out.
DaspTotals AggregateDasps(const std::vector<store::DaspRecord>& records,
                          const std::map<mp::Va, DaspFigures>& figures, const std::string& server,
                          mp::TimePoint now, mp::Duration max_age);

// The fresh reply of `va`, or nullptr.
const DaspFigures* FreshFigures(const std::map<mp::Va, DaspFigures>& figures, mp::Va va,
                                mp::TimePoint now, mp::Duration max_age);

}  // namespace dabs::statd
