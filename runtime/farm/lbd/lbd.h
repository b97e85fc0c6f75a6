// dabs-lbd: the load-balancing process of one server (DESIGN.md section 3). It keeps the
// farm's membership (HELLO every heartbeat, leases, incarnations), votes on every
// OPEN_SESSION heard on the farm's group and hands the sessions it wins to a local DASP
// instance (starting one when needed), keeps the VA directory in step with VA_UPDATE and
// answers VA_QUERY, supervises this server's DASPs, follows configuration changes, and
// records all of it in the server's store for dabsctl and the other daemons.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include <dabs/mp/result.h>

namespace dabs::farm {

struct LbdOptions {
  std::filesystem::path farm_file;
  std::string server;
  std::filesystem::path state_dir;
  std::string
      address;  // this server's address (bind, multicast interface); empty: from the farm file
};

class Lbd {
 public:
  // Opens the store, adopts the farm file, binds the sockets, adopts DASPs that survived a
  // previous dabs-lbd and starts what start_at_init asks for.
  static Result<std::unique_ptr<Lbd>> Start(const LbdOptions& options);
  ~Lbd();
  Lbd(const Lbd&) = delete;
  Lbd& operator=(const Lbd&) = delete;

  // Leaves the farm: LEAVE to the group, this server's DASPs shut down (clean, bounded),
  // records written. `done` runs once everything has stopped.
  void Stop(std::function<void()> done);
  // Blocks until Stop has finished.
  void Wait();

  class Impl;

 private:
  explicit Lbd(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

}  // namespace dabs::farm
