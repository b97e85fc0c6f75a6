// Finding a server's state directory and opening its store (state.h).
#include "state.h"

#include <algorithm>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <dabs/config/load.h>
#include <dabs/config/persist.h>
#include <dabs/store/layout.h>
#include <dabs/store/records.h>

namespace dabs::ctl {

namespace fs = std::filesystem;

namespace {

// A store directory that LMDB has written, not an empty one Store::Open would fill.
bool HasStore(const fs::path& server_dir) {
  std::error_code ec;
  return fs::is_regular_file(store::ServerLayout{server_dir}.store() / "data.mdb", ec);
}

// The subdirectories of a dabs-farm directory that hold a store, sorted.
std::vector<std::string> FarmServers(const fs::path& dir) {
  std::vector<std::string> ids;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_directory(ec) && HasStore(it->path())) ids.push_back(it->path().filename());
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::string SelfId(const store::Store& s) {
  std::string id;
  Status read = s.Read([&](const store::ReadTxn& txn) {
    return txn.ForEach(store::Database::kServers, "", [&](std::string_view, std::string_view v) {
      auto r = store::ServerRecordFromJson(v);
      if (r && r->self) {
        id = r->id;
        return store::Visit::kStop;
      }
      return store::Visit::kContinue;
    });
  });
  if (!read) spdlog::warn("reading the servers database: {}", read.error().Message());
  return id;
}

}  // namespace

Result<fs::path> FindServerDir(const Globals& g) {
  const fs::path dir = g.state_dir;
  if (!g.server.empty()) {
    if (HasStore(dir / g.server)) return dir / g.server;
    if (HasStore(dir)) return dir;  // one server's own directory, named by --server
    return Failure("no store for server " + g.server + " in " + dir.string() + " (looked for " +
                   (dir / g.server / "store").string() + " and " + (dir / "store").string() +
                   "; see --state-dir)");
  }
  if (HasStore(dir)) return dir;
  const auto ids = FarmServers(dir);
  if (ids.empty()) {
    return Failure("no store in " + dir.string() + " (is dabs running? see --state-dir)");
  }
  if (g.verbose) {
    std::fprintf(stderr, "dabsctl: %s holds servers %s; using %s (choose with --server ID)\n",
                 dir.c_str(), fmt::format("{}", fmt::join(ids, ", ")).c_str(), ids[0].c_str());
  }
  return dir / ids[0];
}

Result<ServerContext> ServerContext::Open(const Globals& g) {
  auto dir = FindServerDir(g);
  if (!dir) return dir.error();
  ServerContext c;
  c.dir_ = *dir;
  auto s = store::Store::Open(store::ServerLayout{c.dir_}.store());
  if (!s) {
    return Failure("cannot open the store in " + c.dir_.string() + ": " + s.error().Message());
  }
  c.store_ = std::move(*s);
  c.server_id_ = SelfId(*c.store_);
  if (c.server_id_.empty()) c.server_id_ = g.server.empty() ? c.dir_.filename().string() : g.server;
  return c;
}

Result<config::FarmConfig> ServerContext::Configuration(const Globals& g) const {
  auto stored = config::LoadConfig(*store_);
  if (!stored) return Failure("reading the stored configuration: " + stored.error().Message());
  if (*stored) {
    auto built = config::Build(**stored);
    if (!built) return Failure("the stored configuration: " + built.error().Message());
    return built;
  }
  if (g.farm.empty()) {
    return Failure("no configuration stored in " + dir_.string() + " (give --farm FILE)");
  }
  std::vector<config::Problem> problems;
  auto loaded = config::LoadFarmFile(g.farm, &problems);
  if (!loaded) {
    return Failure(problems.empty() ? loaded.error().Message() : problems.front().ToString());
  }
  auto built = config::Build(loaded->records);
  if (!built) return Failure(g.farm + ": " + built.error().Message());
  return built;
}

}  // namespace dabs::ctl
