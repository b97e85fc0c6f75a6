// dabsctl decisions: the placement decisions this server took most recently, with the
// ballots each one counted (dabs-lbd keeps the last 1,000 in the store's placement
// database).
#include <algorithm>

#include "commands.h"
#include "state.h"
#include "table.h"
#include "views.h"

namespace dabs::ctl {

int RunDecisions(const Globals& g, const DecisionsArgs& args) {
  auto c = ServerContext::Open(g);
  if (!c) return Fail(c.error());
  std::vector<store::DecisionRecord> all;
  Status s = c->store().Read([&](const store::ReadTxn& txn) {
    all.clear();
    return txn.ForEach(store::Database::kPlacement, {},
                       [&](std::string_view key, std::string_view value) {
                         if (key.size() != 8) return store::Visit::kContinue;  // "m...": moves
                         if (auto r = store::DecisionRecordFromJson(value))
                           all.push_back(std::move(*r));
                         return store::Visit::kContinue;
                       });
  });
  if (!s) return Fail("reading the decisions: " + s.error().Message());
  // Keys are sequence numbers: the newest last. Keep the newest `last` that match.
  std::vector<const store::DecisionRecord*> shown;
  for (auto it = all.rbegin(); it != all.rend() && shown.size() < args.last; ++it) {
    if (args.app.empty() || it->app == args.app) shown.push_back(&*it);
  }
  std::reverse(shown.begin(), shown.end());
  json list = json::array();
  Table t({"DECIDED AT", "APP", "OUTCOME", "WINNER", "WAITED",
           "BALLOTS (server=votes, i: has an instance)"});
  for (const auto* d : shown) {
    json ballots = json::array();
    std::string text;
    for (const auto& b : d->ballots) {
      ballots.push_back({{"server", b.server},
                         {"index", b.index},
                         {"votes", b.votes},
                         {"ballot_time_us", b.ballot_time_us},
                         {"has_instance", b.has_instance},
                         {"abstain", b.abstain}});
      text += (text.empty() ? "" : " ") + b.server + "=" + std::to_string(b.votes) +
              (b.has_instance ? "i" : "") + (b.abstain.empty() ? "" : "(" + b.abstain + ")");
    }
    list.push_back({{"request_key", d->request_key},
                    {"app", d->app},
                    {"decided_at", IsoTime(d->decided_ms)},
                    {"outcome", d->outcome},
                    {"winner", d->winner},
                    {"waited_us", d->waited_us},
                    {"all_voted", d->all_voted},
                    {"ballots", ballots}});
    t.Add({IsoTime(d->decided_ms), d->app, d->outcome, d->winner.empty() ? "-" : d->winner,
           std::to_string(d->waited_us) + " us" + (d->all_voted ? "" : " (window)"), text});
  }
  if (g.json) {
    PrintJson({{"decisions", list}});
  } else {
    t.Print(stdout, "no decisions recorded");
  }
  return 0;
}

}  // namespace dabs::ctl
