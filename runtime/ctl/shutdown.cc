// dabsctl shutdown DASP --clean|--emergency: finds the DASP instance in the directory, asks
// this server's dabs-lbd to shut it down (SHUTDOWN over lbd's local socket; lbd passes it to
// the instance and replies once the instance took it, or NAKs with why not), then watches
// the directory until the instance is stopped or gone.
#include <chrono>
#include <thread>

#include <dabs/mp/errc.h>
#include <dabs/mp/system_messages.h>
#include <dabs/mp/wire.h>
#include <dabs/store/layout.h>

#include "commands.h"
#include "lbd_link.h"
#include "state.h"
#include "views.h"

namespace dabs::ctl {

namespace fs = std::filesystem;

namespace {

constexpr auto kPollPeriod = std::chrono::milliseconds(100);

// The directory record of `dasp` (a VA or mp:// URI), or nullopt when there is none.
Result<std::optional<store::DirectoryRecord>> FindDasp(const store::Store& s,
                                                       const std::string& dasp) {
  std::optional<store::DirectoryRecord> found;
  Status read = s.Read([&](const store::ReadTxn& txn) -> Status {
    found.reset();
    std::optional<uint32_t> va = ParseVaText(dasp);
    if (!va) {
      auto uri = mp::VaUri::Parse(dasp);
      if (!uri) return Failure(dasp + " is neither a VA (0x00100001) nor a URI (mp://farm/app/1)");
      auto by_uri = txn.Get(store::Database::kDirectory, "uri/" + uri->ToString());
      if (!by_uri) return by_uri.error();
      if (*by_uri) va = ParseVaText(**by_uri);
      if (!va) return Status::Ok();
    }
    auto entry = txn.Get(store::Database::kDirectory, "va/" + store::VaKey(*va));
    if (!entry) return entry.error();
    if (!*entry) return Status::Ok();
    auto r = store::DirectoryRecordFromJson(**entry);
    if (!r) return r.error();
    found = std::move(*r);
    return Status::Ok();
  });
  if (!read) return read.error();
  return found;
}

bool IsLocalDasp(const store::Store& s, uint32_t va) {
  bool local = false;
  (void)s.Read([&](const store::ReadTxn& txn) -> Status {
    auto r = txn.Get(store::Database::kDasps, store::VaKey(va));
    local = r && *r;
    return Status::Ok();
  });
  return local;
}

// Sends SHUTDOWN and waits for dabs-lbd's answer; the error is the line to print.
Status AskShutdown(const ServerContext& c, const store::DirectoryRecord& d, bool emergency,
                   std::chrono::milliseconds timeout, bool progress) {
  const store::ServerLayout layout{c.dir()};
  if (!fs::exists(layout.lbd_socket())) {
    return Failure("dabs-lbd is not running on " + c.server_id() + " (no " +
                   layout.lbd_socket().string() + ")");
  }
  if (progress) {
    std::fprintf(stderr, "asking dabs-lbd on %s for %s shutdown of %s\n", c.server_id().c_str(),
                 emergency ? "an emergency" : "a clean", mp::FormatVa(d.va).c_str());
  }
  const uint8_t mode = emergency ? mp::wire::kShutdownEmergency : mp::wire::kShutdownClean;
  auto reply = ctl::AskLbd(c.dir(), mp::wire::kShutdown, d.va, mp::EncodeU8(mode), timeout);
  if (reply) return Status::Ok();
  const Error& e = reply.error();
  const std::string what = mp::FormatVa(d.va);
  if (e.code.category() == mp::MpCategory() &&
      mp::IsNakCode(static_cast<uint16_t>(e.code.value()))) {
    // The NAK's text, when the mp library hands it over in the detail.
    const std::string nak = std::string(mp::ErrcName(static_cast<mp::Errc>(e.code.value()))) +
                            ", NAK " + std::to_string(e.code.value());
    return Failure("dabs-lbd on " + c.server_id() + " refused to shut down " + what + ": " +
                   (e.detail.empty() ? nak : e.detail + " (" + nak + ")"));
  }
  if (e.code == mp::Errc::kReplyTimeout) {
    return Failure("dabs-lbd on " + c.server_id() + " did not answer within " +
                   std::to_string(timeout.count()) + " ms (see --timeout-ms)");
  }
  return Failure("asking dabs-lbd on " + c.server_id() + " to shut down " + what + ": " +
                 e.Message());
}

// Polls the directory until the instance is stopped, failed or gone; returns its last state
// ("" when gone), or the line to print on a timeout.
Result<std::string> AwaitStop(const ServerContext& c, const store::DirectoryRecord& d,
                              std::chrono::steady_clock::time_point deadline, bool progress) {
  std::string last = d.state;
  const std::string key = store::VaKey(d.va);
  for (;;) {
    auto now = FindDasp(c.store(), key);
    if (!now) return Failure("reading the directory: " + now.error().Message());
    if (!*now) return std::string();
    const auto& r = **now;
    if (r.state == "stopped" || r.state == "failed") return r.state;
    if (progress && r.state != last) {
      std::fprintf(stderr, "%s: %s, %u session(s)\n", key.c_str(), r.state.c_str(), r.sessions);
    }
    last = r.state;
    if (std::chrono::steady_clock::now() >= deadline) {
      return Failure(key + " is still " + last + " (see --timeout-ms)");
    }
    std::this_thread::sleep_for(kPollPeriod);
  }
}

}  // namespace

int RunShutdown(const Globals& g, const ShutdownArgs& a) {
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::milliseconds(a.timeout_ms);
  auto c = ServerContext::Open(g);
  if (!c) return Fail(c.error());
  auto found = FindDasp(c->store(), a.dasp);
  if (!found) return Fail(found.error());
  if (!*found) return Fail("no DASP " + a.dasp + " in the directory of " + c->server_id());
  const store::DirectoryRecord d = **found;
  const std::string va = mp::FormatVa(d.va);
  if (d.kind != 1) return Fail(va + " is a client, not a DASP instance");
  if (d.server != c->server_id() && !IsLocalDasp(c->store(), d.va)) {
    return Fail(va + " (" + d.uri + ") runs on server " + d.server + ", not " + c->server_id() +
                ": run dabsctl there, or with --server " + d.server +
                " where one machine runs the farm (dabs-farm)");
  }
  const char* mode = a.emergency ? "emergency" : "clean";
  std::string state = d.state;
  if (state != "stopped" && state != "failed") {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - start);
    if (Status asked = AskShutdown(*c, d, a.emergency, left, !g.json); !asked)
      return Fail(asked.error());
    auto final_state = AwaitStop(*c, d, deadline, !g.json);
    if (!final_state) return Fail(final_state.error());
    state = final_state->empty() ? "gone" : *final_state;
  }
  if (state == "failed")
    return Fail(va + " ended as failed (see " + (c->dir() / "logs").string() + ")");
  const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - start)
                          .count();
  if (g.json) {
    PrintJson({{"va", va},
               {"uri", d.uri},
               {"server", d.server},
               {"mode", mode},
               {"state", state},
               {"waited_ms", waited}});
  } else {
    std::printf("%s (%s) %s after %.1f s\n", va.c_str(), d.uri.c_str(),
                state == "gone" ? "left the directory" : state.c_str(), waited / 1000.0);
  }
  return 0;
}

}  // namespace dabs::ctl
