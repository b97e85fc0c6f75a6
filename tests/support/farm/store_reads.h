// What tests read of a server's store while its daemons run (LMDB is made for readers beside
// a writer): the farm's members, decisions, sessions and DASPs as that server recorded them,
// and waiting for a condition with a deadline (a busy two-core machine is slow: a test polls,
// it never sleeps and hopes).
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <dabs/store/records.h>
#include <dabs/store/store.h>

namespace dabs::farm::testing {

// Server id -> its record, as the store's owner sees the farm now.
std::map<std::string, store::ServerRecord> ServerRecords(const store::Store& s);
std::vector<store::DecisionRecord> DecisionRecords(const store::Store& s);
// The moves this server made as a source (starvation avoidance), oldest first.
std::vector<store::MoveRecord> MoveRecords(const store::Store& s);
std::vector<store::SessionRecord> SessionRecords(const store::Store& s);
std::vector<store::DaspRecord> DaspRecords(const store::Store& s);

// Polls `pred` until it holds (true) or `limit` passes (false).
template <typename Pred>
bool WaitUntil(std::chrono::milliseconds limit, Pred pred,
               std::chrono::milliseconds step = std::chrono::milliseconds(5)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(step);
  }
  return pred();
}

}  // namespace dabs::farm::testing
