#include <algorithm>

#include <dabs/statd/dasp_figures.h>

namespace dabs::statd {

bool IsLive(std::string_view state) {
  return state == "starting" || state == "ready" || state == "busy" || state == "draining";
}

const DaspFigures* FreshFigures(const std::map<mp::Va, DaspFigures>& figures, mp::Va va,
                                mp::TimePoint now, mp::Duration max_age) {
  auto it = figures.find(va);
  if (it == figures.end() || now - it->second.at > max_age) return nullptr;
  return &it->second;
}

DaspTotals AggregateDasps(const std::vector<store::DaspRecord>& records,
                          const std::map<mp::Va, DaspFigures>& figures, const std::string& server,
                          mp::TimePoint now, mp::Duration max_age) {
  DaspTotals t;
  for (const auto& r : records) {
    if (!IsLive(r.state) || (!r.server.empty() && r.server != server)) continue;
    ++t.instances;
    const DaspFigures* f = FreshFigures(figures, r.va, now, max_age);
    if (!f) {
      t.sessions += r.sessions;
      continue;
    }
    t.sessions += f->stats.values.count(mp::stat_tag::kSessions)
                      ? f->stats.Get(mp::stat_tag::kSessions)
                      : r.sessions;
    t.latency_p99_ms =
        std::max(t.latency_p99_ms, static_cast<double>(f->stats.Get(mp::stat_tag::kLatencyP99Ms)));
  }
  return t;
}

}  // namespace dabs::statd
