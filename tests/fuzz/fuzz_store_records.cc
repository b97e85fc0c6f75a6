// Feeds text to the readers of the store's JSON records (runtime/store/records.h,
// *FromJson): every daemon of a server, and dabsctl, reads records the others wrote.
// And, since records carry what came off the network (an OPEN_SESSION's application name
// and client id end up in a placement decision, a HELLO's server id in a server record),
// it also writes records whose every text is the input's bytes.
// Beyond "no crash" it checks that
//  - whatever reads re-writes (ToJson) to text that reads back to the same text (a fixed
//    point), numbers included;
//  - ToJson never throws, whatever the bytes of a text, and what it writes reads back;
//    texts that are valid UTF-8 come back unchanged.
#include <nlohmann/json.hpp>

#include <dabs/store/records.h>

#include "fuzz_support.h"

namespace {

using namespace dabs;
using namespace dabs::store;

template <typename T>
void CheckReads(std::string_view text, Result<T> (*from_json)(std::string_view)) {
  auto first = from_json(text);
  if (!first) return;
  const std::string once = ToJson(*first);
  auto second = from_json(once);
  DABS_FUZZ_CHECK(second.ok());
  DABS_FUZZ_CHECK(ToJson(*second) == once);
}

bool ValidUtf8(const std::string& s) {
  try {
    (void)nlohmann::json(s).dump();
    return true;
  } catch (const nlohmann::json::exception&) {
    return false;
  }
}

// A placement decision and a server record with every text `s`: written, read back.
void CheckWrites(const std::string& s) {
  DecisionRecord d{s, s, 1, 2, true, s, s, {{s, 1, 7, 1000, false, s}}};
  ServerRecord r;
  r.id = r.lbd = r.stats = r.config = r.state = s;
  std::string decision_json, server_json;
  try {
    decision_json = ToJson(d);
    server_json = ToJson(r);
  } catch (const std::exception& e) {
    fuzz::Fail(e.what(), __FILE__, __LINE__);
  }
  auto d2 = DecisionRecordFromJson(decision_json);
  auto r2 = ServerRecordFromJson(server_json);
  DABS_FUZZ_CHECK(d2.ok() && r2.ok() && d2->ballots.size() == 1);
  if (ValidUtf8(s)) {
    DABS_FUZZ_CHECK(d2->app == s && d2->request_key == s && d2->ballots[0].server == s);
    DABS_FUZZ_CHECK(r2->id == s && r2->state == s);
  }
}

std::vector<fuzz::Seed> Seeds() {
  ServerRecord server;  // field by field: it grows
  server.id = "s2";
  server.index = 2;
  server.lbd = "10.0.0.2:7411";
  server.stats = "10.0.0.2:7511";
  server.incarnation = 99;
  server.lease_ms = 1000;
  server.last_heard_ms = 1700;
  server.state = "suspect";
  server.load_x100 = 4200;
  server.sessions = 120;
  const StatsRecord stats{"s1", 1, 1700, {{"cpu_pct", 12.5}, {"load", 40}}};
  const DaspRecord dasp{0x00200005, "mp://f/echo/5",  "echo",        "s2", 4242, "ready",
                        12,         "10.0.0.2:40000", "/run/d.sock", 1700, 2,    "echo-1"};
  const DirectoryRecord directory{
      0x00200005, "mp://f/echo/5", 1,       "s2", "10.0.0.2:40000", "/run/d.sock",
      4242,       "echo",          "ready", 3};
  const SessionRecord session{"echo", "s2", 0x00200005, 0x00200400, "10.1.1.1:5000", 1700};
  const DecisionRecord decision{
      "127.0.0.1:5000/7/stb-1",
      "echo",
      1700,
      850,
      true,
      "s2",
      "placed",
      {{"s1", 1, 7, 1000, false, ""}, {"s3", 3, 0, 1002, false, "limit"}}};
  std::vector<fuzz::Seed> out;
  for (const auto& json : {ToJson(server), ToJson(stats), ToJson(dasp), ToJson(directory),
                           ToJson(session), ToJson(decision)})
    out.push_back(fuzz::Bytes(json));
  return out;
}

}  // namespace

DABS_FUZZ_SEEDS(Seeds)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = fuzz::Text({data, size});
  CheckReads(text, ServerRecordFromJson);
  CheckReads(text, StatsRecordFromJson);
  CheckReads(text, DaspRecordFromJson);
  CheckReads(text, DirectoryRecordFromJson);
  CheckReads(text, SessionRecordFromJson);
  CheckReads(text, DecisionRecordFromJson);
  CheckWrites(std::string(text.substr(0, 256)));
  return 0;
}
