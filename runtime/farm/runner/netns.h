// dabs-farm --netns: every server in its own network namespace with its own address, all
// on one bridge, multicast crossing them (a route for 224.0.0.0/4 on each veth). Everything
// made is removed again by Teardown (also on failure half-way).
#pragma once

#include <string>
#include <vector>

#include <dabs/mp/result.h>

namespace dabs::farm {

struct NetnsServer {
  std::string ns;       // the namespace's name
  std::string address;  // its address on the bridge
};

// Kills (SIGKILL) every process in the namespace and waits until none is left (bounded).
void KillEverythingIn(const std::string& ns);

class NetnsFarm {
 public:
  // `tag` makes names unique on the machine (a few letters or digits); servers get
  // 10.X.Y.1 .. 10.X.Y.N/24 with X.Y drawn from the tag.
  static Result<NetnsFarm> Create(const std::string& tag, int servers);
  NetnsFarm() = default;
  NetnsFarm(NetnsFarm&& other) noexcept { *this = std::move(other); }
  NetnsFarm& operator=(NetnsFarm&& other) noexcept;
  ~NetnsFarm() { Teardown(); }

  const std::vector<NetnsServer>& servers() const { return servers_; }
  const std::string& bridge() const { return bridge_; }
  // The bridge's own address (10.X.Y.254): clients in the root namespace (tests, benchmarks,
  // the emulator) reach the farm from it, multicast included (IP_MULTICAST_IF).
  const std::string& client_address() const { return client_address_; }
  // `ip netns exec NS` before a command line.
  std::vector<std::string> Exec(int server, std::vector<std::string> argv) const;
  // Removes the namespaces and the bridge. Idempotent.
  void Teardown();

 private:
  std::string bridge_;
  std::string client_address_;
  std::vector<NetnsServer> servers_;
  std::vector<std::string> made_namespaces_;
  bool bridge_made_ = false;
};

}  // namespace dabs::farm
