// dabsctl dasps and sessions: the farm's DASP instances and client sessions as this
// server's directory records them, with this server's own DASP records merged in.
#include <algorithm>

#include "commands.h"
#include "records_read.h"
#include "state.h"
#include "table.h"
#include "views.h"

namespace dabs::ctl {

namespace {

bool Keep(const ListFilter& f, const std::string& app, const std::string& server) {
  return (f.app.empty() || f.app == app) && (f.on.empty() || f.on == server);
}

}  // namespace

int RunDasps(const Globals& g, const ListFilter& filter) {
  auto c = ServerContext::Open(g);
  if (!c) return Fail(c.error());
  auto dir = ReadDirectory(c->store());
  if (!dir) return Fail("reading the directory: " + dir.error().Message());
  auto& dasps = dir->dasps;
  std::sort(dasps.begin(), dasps.end(), [](const auto& a, const auto& b) { return a.va < b.va; });
  json list = json::array();
  Table t({"VA", "URI", "APP", "SERVER", "PID", "STATE", "SESSIONS", "RESTARTS"});
  for (const auto& d : dasps) {
    if (!Keep(filter, d.app, d.server) || (!filter.state.empty() && d.state != filter.state)) {
      continue;
    }
    json j = DaspJson(d, dir->Local(d.va));
    t.Add({j["va"].get<std::string>(), d.uri, d.app, d.server, std::to_string(d.pid), d.state,
           std::to_string(d.sessions),
           j["restarts"].is_null() ? "-" : std::to_string(j["restarts"].get<uint32_t>())});
    list.push_back(std::move(j));
  }
  if (g.json) {
    PrintJson({{"dasps", list}});
  } else {
    t.Print(stdout, "no DASP instances");
  }
  return 0;
}

int RunSessions(const Globals& g, const ListFilter& filter) {
  auto c = ServerContext::Open(g);
  if (!c) return Fail(c.error());
  auto dir = ReadDirectory(c->store());
  if (!dir) return Fail("reading the directory: " + dir.error().Message());
  auto& sessions = dir->sessions;
  std::sort(sessions.begin(), sessions.end(), [](const auto& a, const auto& b) {
    return std::tie(a.opened_ms, a.client_va) < std::tie(b.opened_ms, b.client_va);
  });
  json list = json::array();
  Table t({"APP", "SERVER", "DASP VA", "CLIENT VA", "CLIENT ENDPOINT", "OPENED AT"});
  for (const auto& s : sessions) {
    if (!Keep(filter, s.app, s.server)) continue;
    json j = SessionJson(s);
    t.Add({s.app, s.server, j["dasp_va"].get<std::string>(), j["client_va"].get<std::string>(),
           s.client_endpoint, j["opened_at"].get<std::string>()});
    list.push_back(std::move(j));
  }
  if (g.json) {
    PrintJson({{"sessions", list}});
  } else {
    t.Print(stdout, "no sessions");
  }
  return 0;
}

}  // namespace dabs::ctl
