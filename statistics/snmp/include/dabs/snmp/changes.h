// Which notifications a new snapshot calls for, found by comparing it with the previous one:
// a DASP instance whose state changed, appeared or went away (dabsDaspStateChange), and a
// server that joined or left (dabsServerJoined / dabsServerLeft). Latency crossings are not
// found here: dabs-statd's WaterMarks report them as they happen.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <dabs/snmp/snapshot.h>

namespace dabs::snmp {

class ChangeDetector {
 public:
  // For `server_grace` after the first snapshot no server joins or leaves are reported: a
  // dabs-statd that just started learns of the farm's servers one by one, and they did not
  // join; DASP changes are reported from the second snapshot on.
  explicit ChangeDetector(std::chrono::milliseconds server_grace) : grace_(server_grace) {}

  // The notifications from the previous snapshot to `next`, taken at `now` (any monotonic
  // clock). The first call only records. Not thread-safe.
  //   DASP: a VA new in `next` (its state), a changed state word, a VA gone from `next` whose
  //         last state was not stopped or failed (reported as "stopped").
  //   server: joined when alive in `next` and absent or gone before; left when alive or
  //           suspect before and gone or absent in `next`.
  std::vector<Notification> Update(const AgentSnapshot& next,
                                   std::chrono::steady_clock::time_point now);

 private:
  std::chrono::milliseconds grace_;
  std::optional<std::chrono::steady_clock::time_point> first_;
  std::map<uint32_t, DaspRow> dasps_;
  std::map<std::string, ServerRow> servers_;
};

}  // namespace dabs::snmp
