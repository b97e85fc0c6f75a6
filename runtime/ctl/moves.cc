// dabsctl moves: the sessions this server moved away most recently (starvation avoidance,
// seed 000), with why, the scores that chose the source and the sink, and the pause the
// session saw (dabs-lbd keeps the last 1,000 in the store's placement database).
#include <algorithm>

#include <dabs/mp/va.h>

#include "commands.h"
#include "state.h"
#include "table.h"
#include "views.h"

namespace dabs::ctl {

int RunMoves(const Globals& g, const MovesArgs& args) {
  auto c = ServerContext::Open(g);
  if (!c) return Fail(c.error());
  std::vector<store::MoveRecord> all;
  Status s = c->store().Read([&](const store::ReadTxn& txn) {
    all.clear();
    return txn.ForEach(store::Database::kPlacement, "m",
                       [&](std::string_view, std::string_view value) {
                         if (auto r = store::MoveRecordFromJson(value)) all.push_back(std::move(*r));
                         return store::Visit::kContinue;
                       });
  });
  if (!s) return Fail("reading the moves: " + s.error().Message());
  if (all.size() > args.last) all.erase(all.begin(), all.end() - static_cast<long>(args.last));
  json list = json::array();
  Table t({"AT", "SESSION", "APP", "FROM", "TO", "WHY", "SCORES (load/sessions)", "PAUSE",
           "OUTCOME"});
  for (const auto& m : all) {
    list.push_back({{"at", IsoTime(m.at_ms)},
                    {"client_va", mp::FormatVa(m.client_va)},
                    {"app", m.app},
                    {"from", m.from},
                    {"to", m.to},
                    {"why", m.why},
                    {"from_load", m.from_load_x100 / 100.0},
                    {"to_load", m.to_load_x100 / 100.0},
                    {"from_sessions", m.from_sessions},
                    {"to_sessions", m.to_sessions},
                    {"moves_before", m.moves},
                    {"pause_us", m.pause_us},
                    {"state_bytes", m.state_bytes},
                    {"outcome", m.outcome}});
    t.Add({IsoTime(m.at_ms), mp::FormatVa(m.client_va), m.app.empty() ? "-" : m.app, m.from, m.to,
           m.why,
           FormatNumber(m.from_load_x100 / 100.0, 2) + "/" + std::to_string(m.from_sessions) +
               " -> " + FormatNumber(m.to_load_x100 / 100.0, 2) + "/" +
               std::to_string(m.to_sessions),
           std::to_string(m.pause_us / 1000) + " ms", m.outcome});
  }
  if (g.json) {
    PrintJson({{"moves", list}, {"seen_from", c->server_id()}});
  } else {
    t.Print(stdout, "no session moved away from " + c->server_id() + " yet");
  }
  return 0;
}

}  // namespace dabs::ctl
