// Which notifications a new snapshot calls for, found by comparing it with the previous one:
// a DASP instance whose state changed, appeared or went away (dabsDaspStateChange), a server
// that joined or left (dabsServerJoined / dabsServerLeft), and a session this server moved
// away (dabsSessionMoved). Latency crossings are not found here: dabs-statd's WaterMarks
// report them as they happen.
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
  //   move:   each successful move of `next.moves` with a sequence number above the highest
  //           seen so far, oldest first; the first snapshot's moves are old news and only
  //           recorded. When dabs-lbd restarted (the newest sequence or the count of moves it
  //           made went down) its sequence begins again, so every move listed is new.
  std::vector<Notification> Update(const AgentSnapshot& next,
                                   std::chrono::steady_clock::time_point now);

 private:
  std::chrono::milliseconds grace_;
  std::optional<std::chrono::steady_clock::time_point> first_;
  std::map<uint32_t, DaspRow> dasps_;
  std::map<std::string, ServerRow> servers_;
  uint64_t last_move_seq_ = 0;  // the highest move sequence number seen
  uint64_t moves_made_ = 0;     // dabs-lbd's moves out plus failures, to see it restart
};

}  // namespace dabs::snmp
