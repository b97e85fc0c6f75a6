#include <dabs/dacp/client_app.h>
#include <dabs/dacp/partition.h>

namespace dabs::dacp {

std::string_view PartitionPlaceName(PartitionPlace p) {
  return p == PartitionPlace::kLocal ? "local" : "network";
}

Status ClientAppRegistry::Register(std::string name, ClientAppFactory factory) {
  if (name.empty() || !factory.make) {
    return Error{make_error_code(mp::Errc::kMalformed), "a client app needs a name and a factory"};
  }
  std::lock_guard lock(mu_);
  apps_.try_emplace(std::move(name), std::make_unique<ClientAppFactory>(std::move(factory)));
  return Status::Ok();
}

const ClientAppFactory* ClientAppRegistry::Find(std::string_view name) const {
  std::lock_guard lock(mu_);
  auto it = apps_.find(name);
  return it == apps_.end() ? nullptr : it->second.get();
}

std::vector<std::string> ClientAppRegistry::Names() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [name, f] : apps_)
    out.push_back(name);
  return out;
}

ClientAppRegistry& DefaultClientApps() {
  static ClientAppRegistry registry;  // created on first use, never destroyed early
  return registry;
}

Status RegisterClientApp(std::string name, ClientAppFactory factory) {
  return DefaultClientApps().Register(std::move(name), std::move(factory));
}

const ClientAppFactory* FindClientApp(std::string_view name) {
  return DefaultClientApps().Find(name);
}

}  // namespace dabs::dacp
