// dabsctl keys generate | install | use | remove | list, and dabsctl security: the farm keys
// (docs/spec/farm-seal.md section 4) and what the farm guards of this server refused.
// Changes go to this server's dabs-lbd, which applies them farm-wide through the
// authenticated channel; with no dabs-lbd running, `install` writes the keyring here only
// (how a new server, or one that missed a rotation, gets its first key).
#include <algorithm>
#include <cstdio>

#include <dabs/keyring/farm_channel.h>
#include <dabs/keyring/keyring.h>
#include <dabs/mp/errc.h>
#include <dabs/mp/farm_messages.h>
#include <dabs/mp/secret_file.h>
#include <dabs/mp/wire.h>
#include <dabs/store/private_files.h>
#include <dabs/store/records.h>

#include "commands.h"
#include "lbd_link.h"
#include "state.h"
#include "table.h"

namespace dabs::ctl {

namespace fs = std::filesystem;

namespace {

constexpr auto kAskTimeout = std::chrono::seconds(5);

Result<mp::FarmKey> ReadKeyFile(const std::string& file) {
  auto text = mp::ReadSecretFile(file);
  if (!text) return Failure(text.error().detail);
  auto key = mp::FarmKey::Parse(*text);
  if (!key) return Failure(file + ": " + key.error().detail);
  return key;
}

// Sends one request to dabs-lbd; the line to print when it fails.
Status Ask(const fs::path& dir, const mp::KeyringRequest& r) {
  auto reply = AskLbd(dir, mp::wire::kKeyring, 0, r.Encode(), kAskTimeout);
  if (reply) return Status::Ok();
  const Error& e = reply.error();
  if (e.code == mp::Errc::kReplyTimeout) {
    return Failure("dabs-lbd did not answer within 5 s (is it running?)");
  }
  return Failure(e.detail.empty() ? e.Message() : e.detail);
}

void PrintChanged(const Globals& g, const fs::path& dir, const std::string& what) {
  auto k = keyring::LoadKeyring(dir);
  if (g.json) {
    json ids = json::array();
    if (k) {
      for (auto id : k->Ids())
        ids.push_back(mp::FarmKeyIdText(id));
    }
    PrintJson({{"done", what},
               {"keyring_version", k ? k->version : 0},
               {"primary", k ? mp::FarmKeyIdText(k->primary) : ""},
               {"key_ids", ids}});
    return;
  }
  std::printf("%s; keys here: %s\n", what.c_str(), k ? keyring::Describe(*k).c_str() : "?");
}

// Where a key is installed: the server directory dabsctl finds, or, on a server whose daemons
// have never run (no store yet), --state-dir itself (--state-dir/ID with --server), made 0700.
Result<fs::path> KeyringDir(const Globals& g) {
  if (auto found = FindServerDir(g)) return found;
  const fs::path dir = g.server.empty() ? fs::path(g.state_dir) : fs::path(g.state_dir) / g.server;
  auto prepared = store::PrepareStateDirectory(dir);
  if (!prepared)
    return Failure(prepared.error().detail.empty() ? prepared.error().Message()
                                                   : prepared.error().detail);
  return dir;
}

}  // namespace

int RunKeysGenerate(const Globals& g, const KeysArgs& a) {
  const std::string& out = a.file;
  auto key = mp::FarmKey::Generate();
  if (!key) return Fail(key.error());
  if (Status s = mp::WriteSecretFile(out, key->ToFileText(), a.force); !s) {
    return Fail(s.error().detail + (a.force ? "" : " (--force replaces it)"));
  }
  if (g.json) {
    PrintJson({{"id", key->IdText()}, {"file", fs::absolute(out).string()}});
  } else {
    std::printf("farm key %s written to %s (mode 0600); install it with: dabsctl keys install %s\n",
                key->IdText().c_str(), out.c_str(), out.c_str());
  }
  return 0;
}

int RunKeysInstall(const Globals& g, const KeysArgs& a) {
  auto dir = KeyringDir(g);
  if (!dir) return Fail(dir.error());
  auto key = ReadKeyFile(a.file);
  if (!key) return Fail(key.error());
  if (LbdSocketExists(*dir)) {
    mp::KeyringRequest r{mp::KeyringRequest::Op::kInstall, *key, 0, false};
    if (Status s = Ask(*dir, r); !s) return Fail(s.error());
    PrintChanged(g, *dir, "key " + key->IdText() + " installed farm-wide");
    return 0;
  }
  // No dabs-lbd here: this server's keyring only, taken up when its daemons start.
  if (Status s = keyring::EnsureKey(*dir, *key); !s) return Fail(s.error().detail);
  PrintChanged(g, *dir,
               "key " + key->IdText() + " installed in " + keyring::KeyringPath(*dir).string() +
                   " (no dabs-lbd running: this server only)");
  return 0;
}

int RunKeysChange(const Globals& g, const KeysArgs& a, bool use) {
  auto dir = FindServerDir(g);
  if (!dir) return Fail(dir.error());
  auto id = mp::ParseFarmKeyId(a.id);
  if (!id) return Fail(a.id + ": " + id.error().detail + " (dabsctl keys list shows them)");
  if (!LbdSocketExists(*dir)) {
    return Fail("dabs-lbd is not running in " + dir->string() +
                ": keys use and remove change the whole farm, through a running dabs-lbd");
  }
  mp::KeyringRequest r{use ? mp::KeyringRequest::Op::kUse : mp::KeyringRequest::Op::kRemove,
                       std::nullopt, *id, a.force};
  if (Status s = Ask(*dir, r); !s) return Fail(s.error());
  PrintChanged(g, *dir, "key " + a.id + (use ? " is the primary farm-wide" : " removed farm-wide"));
  return 0;
}

int RunKeysList(const Globals& g) {
  auto c = ServerContext::Open(g);
  if (!c) return Fail(c.error());
  auto k = keyring::LoadKeyring(c->dir());
  if (!k) return Fail(k.error().detail);
  std::vector<store::ServerRecord> servers;
  Status read = c->store().Read([&](const store::ReadTxn& txn) {
    servers.clear();
    return txn.ForEach(store::Database::kServers, "", [&](std::string_view, std::string_view v) {
      auto r = store::ServerRecordFromJson(v);
      if (r && r->state != "gone") servers.push_back(std::move(*r));
      return store::Visit::kContinue;
    });
  });
  if (!read) return Fail("reading the servers database: " + read.error().Message());
  std::sort(servers.begin(), servers.end(), [](auto& a, auto& b) { return a.index < b.index; });
  json keys = json::array();
  Table t({"KEY", "HERE", "HELD BY", "PRIMARY ON"});
  for (mp::FarmKeyId id : k->Ids()) {
    const std::string text = mp::FarmKeyIdText(id);
    json held = json::array(), primary_on = json::array();
    std::string held_text, primary_text;
    for (const auto& s : servers) {
      if (std::find(s.key_ids.begin(), s.key_ids.end(), text) != s.key_ids.end()) {
        held.push_back(s.id);
        held_text += (held_text.empty() ? "" : ",") + s.id;
      }
      if (s.keyring_primary == text) {
        primary_on.push_back(s.id);
        primary_text += (primary_text.empty() ? "" : ",") + s.id;
      }
    }
    keys.push_back({{"id", text},
                    {"primary", id == k->primary},
                    {"held_by", held},
                    {"primary_on", primary_on}});
    t.Add({text, id == k->primary ? "primary" : "accepted", held_text.empty() ? "-" : held_text,
           primary_text.empty() ? "-" : primary_text});
  }
  json list = json::array();
  for (const auto& s : servers) {
    list.push_back({{"id", s.id},
                    {"keyring_version", s.keyring_version},
                    {"primary", s.keyring_primary},
                    {"key_ids", s.key_ids}});
  }
  if (g.json) {
    PrintJson({{"server", c->server_id()},
               {"keyring_version", k->version},
               {"keys", keys},
               {"servers", list}});
  } else {
    std::printf("keyring of %s: version %llu\n", c->server_id().c_str(),
                static_cast<unsigned long long>(k->version));
    t.Print(stdout, "no keys");
  }
  return 0;
}

int RunSecurity(const Globals& g) {
  auto c = ServerContext::Open(g);
  if (!c) return Fail(c.error());
  json daemons = json::array();
  Table t({"DAEMON", "SEALED IN", "SEALED OUT", "OPEN IN", "REJECTED", "BY REASON", "LOCAL REFUSED",
           "AGE"});
  Status read = c->store().Read([&](const store::ReadTxn& txn) {
    daemons = json::array();
    return txn.ForEach(store::Database::kStatistics, "security/",
                       [&](std::string_view, std::string_view v) {
                         json j = json::parse(v, nullptr, false);
                         if (j.is_object()) daemons.push_back(std::move(j));
                         return store::Visit::kContinue;
                       });
  });
  if (!read) return Fail("reading the statistics database: " + read.error().Message());
  const int64_t now = NowMs();
  for (const json& d : daemons) {
    std::string reasons;
    const auto rejected = d.find("rejected");
    if (rejected != d.end() && rejected->is_object()) {
      for (const auto& [reason, n] : rejected->items()) {
        if (!n.is_number_unsigned() || n.get<uint64_t>() == 0) continue;
        reasons += (reasons.empty() ? "" : " ") + reason + "=" + std::to_string(n.get<uint64_t>());
      }
    }
    t.Add({d.value("daemon", "?"), std::to_string(d.value("sealed_in", uint64_t{0})),
           std::to_string(d.value("sealed_out", uint64_t{0})),
           std::to_string(d.value("open_in", uint64_t{0})),
           std::to_string(d.value("rejected_total", uint64_t{0})), reasons.empty() ? "-" : reasons,
           std::to_string(d.value("local_refused", uint64_t{0})),
           FormatNumber(static_cast<double>(now - d.value("updated_ms", int64_t{0})) / 1000.0, 1) +
               " s"});
  }
  if (g.json) {
    PrintJson({{"server", c->server_id()}, {"daemons", daemons}});
  } else {
    t.Print(stdout, "no counters recorded yet in " + c->dir().string());
  }
  return 0;
}

}  // namespace dabs::ctl
