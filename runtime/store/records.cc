#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <tuple>

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
  } catch (const std::exception& e) {  // json::exception, or Get's std::out_of_range
    return Error{make_error_code(Errc::kCorrupted), std::string(what) + " record: " + e.what()};
  }
  return r;
}

// JSON text of a record. Texts come off the network unchecked (an OPEN_SESSION's APP and
// CLIENT_ID end up in a placement decision): bytes that are not UTF-8 are written as U+FFFD
// rather than thrown as json::type_error, which would take the daemon down.
std::string Dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Whether the number `j` is a whole number T can hold. get<T>() would cast whatever it finds:
// a float beyond T's range is undefined behaviour, an integer beyond it wraps.
template <typename T>
bool Fits(const json& j) {
  using limits = std::numeric_limits<T>;
  if (j.is_number_unsigned()) return j.get<uint64_t>() <= uint64_t{limits::max()};
  if (j.is_number_integer()) {
    const int64_t v = j.get<int64_t>();
    return v >= 0 ? uint64_t(v) <= uint64_t{limits::max()} : v >= int64_t{limits::min()};
  }
  const double v = j.get<double>();
  // The bounds as doubles: 2^64 for a uint64_t's max + 1, exact for the smaller types.
  return v == std::trunc(v) && v >= double(limits::min()) && v < double(limits::max()) + 1.0;
}

template <typename T>
void Get(const json& j, const char* key, T& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return;
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    if (it->is_number() && !Fits<T>(*it))
      throw std::out_of_range(std::string("'") + key + "' is out of range: " + it->dump());
  }
  out = it->get<T>();
}

// One field of a record: its JSON name and where it lives. A record's fields are listed
// once, as a tuple of these, and both directions walk the same list.
template <typename R, typename T>
struct Field {
  const char* name;
  T R::*member;
};
// Spelled out for clang before 17 (the fuzz build's), which does not deduce an aggregate's
// template arguments from its initialiser.
template <typename R, typename T>
Field(const char*, T R::*) -> Field<R, T>;

template <typename R, typename Fields>
json ToJsonWith(const R& r, const Fields& fields) {
  json j = json::object();
  std::apply([&](const auto&... f) { ((j[f.name] = r.*(f.member)), ...); }, fields);
  return j;
}

template <typename R, typename Fields>
void FillWith(const json& j, R& r, const Fields& fields) {
  std::apply([&](const auto&... f) { (Get(j, f.name, r.*(f.member)), ...); }, fields);
}

}  // namespace

// ServerRecord's fields, listed once for both directions.
constexpr auto kServerFields = std::make_tuple(
    Field{"id", &ServerRecord::id}, Field{"index", &ServerRecord::index},
    Field{"lbd", &ServerRecord::lbd}, Field{"stats", &ServerRecord::stats},
    Field{"config", &ServerRecord::config}, Field{"incarnation", &ServerRecord::incarnation},
    Field{"lease_ms", &ServerRecord::lease_ms},
    Field{"last_heard_ms", &ServerRecord::last_heard_ms},
    Field{"joined_ms", &ServerRecord::joined_ms}, Field{"state", &ServerRecord::state},
    Field{"load_x100", &ServerRecord::load_x100}, Field{"eligible", &ServerRecord::eligible},
    Field{"config_version", &ServerRecord::config_version}, Field{"self", &ServerRecord::self},
    Field{"instances", &ServerRecord::instances}, Field{"sessions", &ServerRecord::sessions},
    Field{"balance", &ServerRecord::balance},
    Field{"keyring_version", &ServerRecord::keyring_version},
    Field{"keyring_primary", &ServerRecord::keyring_primary},
    Field{"key_ids", &ServerRecord::key_ids});

std::string ToJson(const ServerRecord& r) {
  return Dump(ToJsonWith(r, kServerFields));
}

Result<ServerRecord> ServerRecordFromJson(std::string_view text) {
  return Parse<ServerRecord>(text, "server",
                             [](const json& j, ServerRecord& r) { FillWith(j, r, kServerFields); });
}

std::string ToJson(const StatsRecord& r) {
  return Dump(json{{"server", r.server},
                   {"index", r.index},
                   {"sampled_ms", r.sampled_ms},
                   {"figures", r.figures}});
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
  return Dump(json{{"va", r.va},
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
                   {"process", r.process}});
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
  return Dump(json{{"va", r.va},
                   {"uri", r.uri},
                   {"kind", r.kind},
                   {"server", r.server},
                   {"udp", r.udp},
                   {"local", r.local},
                   {"pid", r.pid},
                   {"app", r.app},
                   {"state", r.state},
                   {"sessions", r.sessions}});
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
  return Dump(json{{"app", r.app},
                   {"server", r.server},
                   {"dasp_va", r.dasp_va},
                   {"client_va", r.client_va},
                   {"client_endpoint", r.client_endpoint},
                   {"opened_ms", r.opened_ms}});
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
  return Dump(json{{"request_key", r.request_key},
                   {"app", r.app},
                   {"decided_ms", r.decided_ms},
                   {"waited_us", r.waited_us},
                   {"all_voted", r.all_voted},
                   {"winner", r.winner},
                   {"outcome", r.outcome},
                   {"ballots", ballots}});
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

std::string ToJson(const MoveRecord& r) {
  return Dump(json{{"seq", r.seq},
                   {"at_ms", r.at_ms},
                   {"client_va", r.client_va},
                   {"app", r.app},
                   {"from", r.from},
                   {"to", r.to},
                   {"why", r.why},
                   {"from_load_x100", r.from_load_x100},
                   {"to_load_x100", r.to_load_x100},
                   {"from_sessions", r.from_sessions},
                   {"to_sessions", r.to_sessions},
                   {"moves", r.moves},
                   {"pause_us", r.pause_us},
                   {"state_bytes", r.state_bytes},
                   {"outcome", r.outcome}});
}

Result<MoveRecord> MoveRecordFromJson(std::string_view text) {
  return Parse<MoveRecord>(text, "move", [](const json& j, MoveRecord& r) {
    Get(j, "seq", r.seq);
    Get(j, "at_ms", r.at_ms);
    Get(j, "client_va", r.client_va);
    Get(j, "app", r.app);
    Get(j, "from", r.from);
    Get(j, "to", r.to);
    Get(j, "why", r.why);
    Get(j, "from_load_x100", r.from_load_x100);
    Get(j, "to_load_x100", r.to_load_x100);
    Get(j, "from_sessions", r.from_sessions);
    Get(j, "to_sessions", r.to_sessions);
    Get(j, "moves", r.moves);
    Get(j, "pause_us", r.pause_us);
    Get(j, "state_bytes", r.state_bytes);
    Get(j, "outcome", r.outcome);
  });
}

}  // namespace dabs::store
