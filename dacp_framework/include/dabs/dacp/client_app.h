// Application client portions as a driver (dabs-emu, a test) sees them: one per set-top,
// created from the set-top's profile and its Client, acting once per viewer action. Apps
// register a factory by name, explicitly (e.g. dabs::calculator::RegisterClient()), never
// from static initialisers.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <dabs/dacp/client.h>
#include <dabs/mp/result.h>
#include <dabs/mp/system_messages.h>

namespace dabs::dacp {

// What a set-top offers an application (docs/dacp.md, "Capabilities").
struct SetTopProfile {
  uint32_t caps = 0;        // mp::caps bits (DOCSIS, OOB, telco, floating point, encryption)
  uint32_t memory_kib = 0;  // memory free for downloaded mutable objects
  std::string client_id;

  bool Has(uint32_t cap) const { return (caps & cap) == cap; }
  // Whether a mutable object of `module_kib` fits: it may run here instead of on the server.
  bool CanHost(uint32_t module_kib) const { return memory_kib >= module_kib; }
};

// The outcome of one viewer action.
struct ActOutcome {
  Status status;              // OK, or why the action failed (a call's error)
  bool verified = false;      // the answer was checked and right
  bool over_network = false;  // the action sent messages to the DASP (false: served locally)
};

// Thread safety: Act may be called from any thread, one action at a time per ClientApp.
class ClientApp {
 public:
  virtual ~ClientApp() = default;
  // One viewer action (a calculation, an echo...), drawn from `random`. `done` runs once, on
  // the gateway's strand or inline for local actions.
  virtual void Act(uint64_t random, std::function<void(ActOutcome)> done) = 0;
};

struct ClientAppFactory {
  std::string app;  // the OPEN_SESSION application name its Client uses
  // Creates the app for one set-top. `client` is not yet open: the driver opens it.
  std::function<std::unique_ptr<ClientApp>(const SetTopProfile&, std::shared_ptr<Client>)> make;
};

// Name -> factory. Thread-safe.
class ClientAppRegistry {
 public:
  // kMalformed when the name is empty or `factory.make` is not set. A name registered already
  // keeps its first factory (registration functions may run twice) and OK is returned.
  Status Register(std::string name, ClientAppFactory factory);
  // nullptr when unknown. The pointer stays valid as long as the registry.
  const ClientAppFactory* Find(std::string_view name) const;
  std::vector<std::string> Names() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<ClientAppFactory>, std::less<>> apps_;
};

// The process's registry, used by the functions below (the emulator's and tests').
ClientAppRegistry& DefaultClientApps();
Status RegisterClientApp(std::string name, ClientAppFactory factory);
const ClientAppFactory* FindClientApp(std::string_view name);

}  // namespace dabs::dacp
