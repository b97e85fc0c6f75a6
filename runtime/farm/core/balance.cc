#include <dabs/farm/balance.h>

#include <tuple>

#include <dabs/farm/voting.h>

namespace dabs::farm {

const char* BalanceStateName(BalanceState s) {
  switch (s) {
    case BalanceState::kSource:
      return "source";
    case BalanceState::kSink:
      return "sink";
    case BalanceState::kNeither:
      break;
  }
  return "neither";
}

BalanceState BalanceStateFromWire(uint8_t v) {
  return v == 1 ? BalanceState::kSource : v == 2 ? BalanceState::kSink : BalanceState::kNeither;
}

std::optional<RebalanceMode> ParseRebalanceMode(std::string_view text) {
  if (text == "starvation") return RebalanceMode::kStarvation;
  if (text == "spread") return RebalanceMode::kSpread;
  return std::nullopt;
}

const char* RebalanceModeName(RebalanceMode m) {
  return m == RebalanceMode::kSpread ? "spread" : "starvation";
}

BalanceState Classify(const OwnSignals& own, double mean_sessions, const BalanceConfig& config) {
  if (own.starving) return BalanceState::kSource;
  if (own.leaving) return own.sessions > 0 ? BalanceState::kSource : BalanceState::kNeither;
  const double sessions = own.sessions;
  if (config.mode == RebalanceMode::kSpread && own.sessions > 0 &&
      sessions > mean_sessions * (1.0 + config.spread_pct / 100.0) &&
      sessions >= mean_sessions + 1.0) {
    return BalanceState::kSource;
  }
  if (own.cooling || own.below_minimums || !own.room || own.load_x100 > config.sink_load_ceiling_x100) {
    return BalanceState::kNeither;
  }
  // Under spread a sink must stay at or under the mean once it has taken one more: the
  // source threshold is spread_pct above it, so nothing moved can make it a source.
  if (config.mode == RebalanceMode::kSpread && sessions + 1.0 > mean_sessions) {
    return BalanceState::kNeither;
  }
  return BalanceState::kSink;
}

namespace {

// Under starvation the load score leads (within one band servers are level) and sessions
// break ties; under spread sessions lead.
std::tuple<uint32_t, uint32_t> LoadKey(const ServerBalance& s, RebalanceMode mode) {
  if (mode == RebalanceMode::kSpread) return {s.sessions, s.load_x100};
  return {s.load_x100 / kLoadBandX100, s.sessions};
}

}  // namespace

std::optional<MovePlan> PlanMove(std::span<const ServerBalance> servers, RebalanceMode mode) {
  const ServerBalance* worst = nullptr;
  const ServerBalance* best = nullptr;
  for (const auto& s : servers) {
    if (s.state == BalanceState::kSource) {
      if (!worst || LoadKey(s, mode) > LoadKey(*worst, mode) ||
          (LoadKey(s, mode) == LoadKey(*worst, mode) && s.index < worst->index)) {
        worst = &s;
      }
    } else if (s.state == BalanceState::kSink) {
      if (!best || LoadKey(s, mode) < LoadKey(*best, mode) ||
          (LoadKey(s, mode) == LoadKey(*best, mode) && s.index < best->index)) {
        best = &s;
      }
    }
  }
  if (!worst || !best) return std::nullopt;
  return MovePlan{worst->id, best->id, worst->load_x100, best->load_x100, worst->sessions,
                  best->sessions};
}

std::optional<mp::Va> PickSession(std::span<const MoveCandidate> sessions, mp::Va last_moved) {
  const MoveCandidate* pick = nullptr;
  // The distance above the last one moved, wrapping round: the seed's "least numerical
  // distance above the previous thread moved".
  auto above = [last_moved](mp::Va va) { return static_cast<uint32_t>(va - last_moved - 1); };
  auto key = [&](const MoveCandidate& c) {
    return std::make_tuple(c.moves, !c.starving, above(c.client_va));
  };
  for (const auto& c : sessions) {
    if (!c.movable) continue;
    if (!pick || key(c) < key(*pick)) pick = &c;
  }
  if (!pick) return std::nullopt;
  return pick->client_va;
}

}  // namespace dabs::farm
