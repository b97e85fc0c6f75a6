// Load balancing with starvation avoidance (seeds 000 and 004, DESIGN.md section 3), as
// functions of what every server announces, so that every server reaches the same decision
// from the same HELLOs, as with the vote.
//
// Every period each server classifies itself: a source (it holds starving sessions), a sink
// (nothing starving and room for more without starting to starve), or neither, and says so
// in HELLO's BALANCE tag. While some server is a source and some a sink, one session moves
// from the worst-scoring source to the best-scoring sink; the score is the state first and
// the load second (seed 004 claims 9-10). Under `spread` a server whose sessions are over the
// farm's mean by more than spread_pct is a source too.
//
// Two thresholds keep a session from bouncing: a server stops being a sink at the mean (or
// at the sink load ceiling) and becomes a source only well above it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <dabs/mp/va.h>

namespace dabs::farm {

// HELLO's BALANCE tag (docs/payloads.md, 0x69).
enum class BalanceState : uint8_t { kNeither = 0, kSource = 1, kSink = 2 };
const char* BalanceStateName(BalanceState s);
BalanceState BalanceStateFromWire(uint8_t v);  // unknown values: kNeither

enum class RebalanceMode { kStarvation, kSpread };
std::optional<RebalanceMode> ParseRebalanceMode(std::string_view text);
const char* RebalanceModeName(RebalanceMode m);

struct BalanceConfig {
  RebalanceMode mode = RebalanceMode::kStarvation;
  uint32_t spread_pct = 10;  // placement.spread_pct
  // Above this load score (x 100) a server is no sink: it would start to starve first.
  uint32_t sink_load_ceiling_x100 = 7000;
};

// What a server knows of itself at the end of a period.
struct OwnSignals {
  bool starving = false;        // a lock timeout, a backlog, a write timeout, latency high
  bool below_minimums = false;  // statistics under placement.min_free
  bool room = true;             // another session fits (an instance has room or may start)
  bool leaving = false;         // draining or shutting down: sends, never receives
  bool cooling = false;         // a source in the last periods: not a sink yet (no bouncing)
  uint32_t load_x100 = 0;
  uint32_t sessions = 0;
};

// `mean_sessions`: the farm's sessions per live server, this one included.
BalanceState Classify(const OwnSignals& own, double mean_sessions, const BalanceConfig& config);

// A live server as the HELLOs describe it.
struct ServerBalance {
  std::string id;
  uint16_t index = 0;
  BalanceState state = BalanceState::kNeither;
  uint32_t load_x100 = 0;
  uint32_t sessions = 0;
};

struct MovePlan {
  std::string source, sink;
  // The scores that chose them, for the record (dabsctl moves).
  uint32_t source_load_x100 = 0, sink_load_x100 = 0;
  uint32_t source_sessions = 0, sink_sessions = 0;
};

// The worst source and the best sink, or nothing when either is missing. Sources rank from
// the highest load, sinks from the lowest (under spread "load" is sessions first); ties go to
// the lowest index, so the plan is a function of the list alone.
std::optional<MovePlan> PlanMove(std::span<const ServerBalance> servers, RebalanceMode mode);

// A session the source could move.
struct MoveCandidate {
  mp::Va client_va = mp::kVaNone;
  bool starving = false;  // on an instance that starved in the period
  bool movable = true;    // its application saves and restores sessions, not encrypted
  uint32_t moves = 0;     // times it has moved already
};

// Seed 000: each session is moved once before any is moved twice; among equals starving
// sessions go first, then the one whose VA is the least distance above the last one moved
// (the seed's embodiment, with the VA as the farm-wide unique id).
std::optional<mp::Va> PickSession(std::span<const MoveCandidate> sessions, mp::Va last_moved);

}  // namespace dabs::farm
