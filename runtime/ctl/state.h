// Finding a server's state directory and opening its store, as dabsctl does before every
// command that reads the farm (servers, apps, dasps, sessions, stats, config, shutdown).
//
// DIR is --state-dir, else $DABS_STATE_DIR, else /var/lib/dabs. DIR/store is one server's
// store; a dabs-farm directory holds one server per subdirectory (DIR/s1/store, ...), and
// then --server ID picks one, or the first id in sorted order is used.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <dabs/config/farm.h>
#include <dabs/store/store.h>

#include "ctl.h"

namespace dabs::ctl {

inline constexpr const char* kDefaultStateDir = "/var/lib/dabs";

// The server directory the globals point at, without opening anything. Fails with one line
// naming what was looked for.
Result<std::filesystem::path> FindServerDir(const Globals& globals);

// One server's open store and what dabsctl knows of the server.
class ServerContext {
 public:
  // Finds the directory and opens its store (never creating one).
  static Result<ServerContext> Open(const Globals& globals);

  const std::filesystem::path& dir() const { return dir_; }
  store::Store& store() const { return *store_; }
  // This server's id: the servers record dabs-lbd marks `self`, else --server, else the
  // directory's name.
  const std::string& server_id() const { return server_id_; }

  // The farm's configuration: the stored one, else the --farm file's (checked); fails
  // with one line when there is neither.
  Result<config::FarmConfig> Configuration(const Globals& globals) const;

 private:
  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
  std::string server_id_;
};

}  // namespace dabs::ctl
