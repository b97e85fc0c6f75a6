#include <cstdio>

#include <nlohmann/json.hpp>

#include <dabs/store/errc.h>
#include <dabs/store/records.h>

namespace dabs::store {

namespace {

using nlohmann::json;

template <typename T>
Result<T> Parse(std::string_view text, const char* what, void (*fill)(const json&, T&)) {
  json j = json::parse(text, nullptr, false);
  if (!j.is_object())
    return Error{make_error_code(Errc::kCorrupted),
                 std::string(what) + " record is not a JSON object"};
  T r;
  try {
    fill(j, r);
  } catch (const json::exception& e) {
    return Error{make_error_code(Errc::kCorrupted), std::string(what) + " record: " + e.what()};
  }
  return r;
}

template <typename T>
void Get(const json& j, const char* key, T& out) {
  if (auto it = j.find(key); it != j.end() && !it->is_null()) out = it->get<T>();
}

}  // namespace

std::string ToJson(const ServerRecord& r) {
  return json{{"id", r.id},
              {"index", r.index},
              {"lbd", r.lbd},
              {"stats", r.stats},
              {"config", r.config},
              {"incarnation", r.incarnation},
              {"lease_ms", r.lease_ms},
              {"last_heard_ms", r.last_heard_ms},
              {"joined_ms", r.joined_ms},
              {"state", r.state},
              {"load_x100", r.load_x100},
              {"eligible", r.eligible},
              {"config_version", r.config_version},
              {"self", r.self},
              {"instances", r.instances},
              {"sessions", r.sessions}}
      .dump();
}

Result<ServerRecord> ServerRecordFromJson(std::string_view text) {
  return Parse<ServerRecord>(text, "server", [](const json& j, ServerRecord& r) {
    Get(j, "id", r.id);
    Get(j, "index", r.index);
    Get(j, "lbd", r.lbd);
    Get(j, "stats", r.stats);
    Get(j, "config", r.config);
    Get(j, "incarnation", r.incarnation);
    Get(j, "lease_ms", r.lease_ms);
    Get(j, "last_heard_ms", r.last_heard_ms);
    Get(j, "joined_ms", r.joined_ms);
    Get(j, "state", r.state);
    Get(j, "load_x100", r.load_x100);
    Get(j, "eligible", r.eligible);
    Get(j, "config_version", r.config_version);
    Get(j, "self", r.self);
    Get(j, "instances", r.instances);
    Get(j, "sessions", r.sessions);
  });
}

std::string ToJson(const StatsRecord& r) {
  return json{{"server", r.server},
              {"index", r.index},
              {"sampled_ms", r.sampled_ms},
              {"figures", r.figures}}
      .dump();
}

Result<StatsRecord> StatsRecordFromJson(std::string_view text) {
  return Parse<StatsRecord>(text, "statistics", [](const json& j, StatsRecord& r) {
    Get(j, "server", r.server);
    Get(j, "index", r.index);
    Get(j, "sampled_ms", r.sampled_ms);
    Get(j, "figures", r.figures);
  });
}

std::string ToJson(const DaspRecord& r) {
  return json{{"va", r.va},
              {"uri", r.uri},
              {"app", r.app},
              {"server", r.server},
              {"pid", r.pid},
              {"state", r.state},
              {"sessions", r.sessions},
              {"udp", r.udp},
              {"control", r.control},
              {"started_ms", r.started_ms},
              {"restarts", r.restarts},
              {"process", r.process}}
      .dump();
}

Result<DaspRecord> DaspRecordFromJson(std::string_view text) {
  return Parse<DaspRecord>(text, "DASP", [](const json& j, DaspRecord& r) {
    Get(j, "va", r.va);
    Get(j, "uri", r.uri);
    Get(j, "app", r.app);
    Get(j, "server", r.server);
    Get(j, "pid", r.pid);
    Get(j, "state", r.state);
    Get(j, "sessions", r.sessions);
    Get(j, "udp", r.udp);
    Get(j, "control", r.control);
    Get(j, "started_ms", r.started_ms);
    Get(j, "restarts", r.restarts);
    Get(j, "process", r.process);
  });
}

std::string ToJson(const DirectoryRecord& r) {
  return json{{"va", r.va},       {"uri", r.uri},          {"kind", r.kind}, {"server", r.server},
              {"udp", r.udp},     {"local", r.local},      {"pid", r.pid},   {"app", r.app},
              {"state", r.state}, {"sessions", r.sessions}}
      .dump();
}

Result<DirectoryRecord> DirectoryRecordFromJson(std::string_view text) {
  return Parse<DirectoryRecord>(text, "directory", [](const json& j, DirectoryRecord& r) {
    Get(j, "va", r.va);
    Get(j, "uri", r.uri);
    Get(j, "kind", r.kind);
    Get(j, "server", r.server);
    Get(j, "udp", r.udp);
    Get(j, "local", r.local);
    Get(j, "pid", r.pid);
    Get(j, "app", r.app);
    Get(j, "state", r.state);
    Get(j, "sessions", r.sessions);
  });
}

std::string ToJson(const SessionRecord& r) {
  return json{{"app", r.app},
              {"server", r.server},
              {"dasp_va", r.dasp_va},
              {"client_va", r.client_va},
              {"client_endpoint", r.client_endpoint},
              {"opened_ms", r.opened_ms}}
      .dump();
}

Result<SessionRecord> SessionRecordFromJson(std::string_view text) {
  return Parse<SessionRecord>(text, "session", [](const json& j, SessionRecord& r) {
    Get(j, "app", r.app);
    Get(j, "server", r.server);
    Get(j, "dasp_va", r.dasp_va);
    Get(j, "client_va", r.client_va);
    Get(j, "client_endpoint", r.client_endpoint);
    Get(j, "opened_ms", r.opened_ms);
  });
}

std::string VaKey(uint32_t va) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", va);
  return buf;
}

std::string HistoryKey(const std::string& server, int64_t ms) {
  std::string key = "history/" + server + "/";
  for (int shift = 56; shift >= 0; shift -= 8)
    key.push_back(static_cast<char>((static_cast<uint64_t>(ms) >> shift) & 0xFF));
  return key;
}

std::string ToJson(const DecisionRecord& r) {
  json ballots = json::array();
  for (const auto& b : r.ballots) {
    ballots.push_back({{"server", b.server},
                       {"index", b.index},
                       {"votes", b.votes},
                       {"ballot_time_us", b.ballot_time_us},
                       {"has_instance", b.has_instance},
                       {"abstain", b.abstain}});
  }
  return json{{"request_key", r.request_key}, {"app", r.app},
              {"decided_ms", r.decided_ms},   {"waited_us", r.waited_us},
              {"all_voted", r.all_voted},     {"winner", r.winner},
              {"outcome", r.outcome},         {"ballots", ballots}}
      .dump();
}

Result<DecisionRecord> DecisionRecordFromJson(std::string_view text) {
  return Parse<DecisionRecord>(text, "decision", [](const json& j, DecisionRecord& r) {
    Get(j, "request_key", r.request_key);
    Get(j, "app", r.app);
    Get(j, "decided_ms", r.decided_ms);
    Get(j, "waited_us", r.waited_us);
    Get(j, "all_voted", r.all_voted);
    Get(j, "winner", r.winner);
    Get(j, "outcome", r.outcome);
    if (auto it = j.find("ballots"); it != j.end() && it->is_array()) {
      for (const auto& b : *it) {
        BallotRecord br;
        Get(b, "server", br.server);
        Get(b, "index", br.index);
        Get(b, "votes", br.votes);
        Get(b, "ballot_time_us", br.ballot_time_us);
        Get(b, "has_instance", br.has_instance);
        Get(b, "abstain", br.abstain);
        r.ballots.push_back(std::move(br));
      }
    }
  });
}

}  // namespace dabs::store
