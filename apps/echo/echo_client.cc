#include "echo_client.h"

#include <dabs/mp/clock.h>
#include <dabs/mp/system_messages.h>

namespace dabs::echo {

void EchoClientApp::Act(uint64_t random, std::function<void(dacp::ActOutcome)> done) {
  mp::SeededRandom rng(random);
  const size_t size =
      broadband_ && rng.Below(8) == 0
          ? kMaxSmallPayload + 200 + rng.Below(kMaxLargePayload - kMaxSmallPayload - 200)
          : 1 + rng.Below(kMaxSmallPayload);
  auto payload = std::make_shared<std::vector<uint8_t>>(size);
  for (auto& byte : *payload)
    byte = static_cast<uint8_t>(rng.Next());
  client_->Call(kEcho, *payload, [payload, done](Result<std::vector<uint8_t>>&& r) {
    if (!r) return done({Status(r.error()), false, true});
    done({Status::Ok(), *r == *payload, true});
  });
}

Status RegisterClient() {
  dacp::ClientAppFactory f;
  f.app = kAppName;
  f.make = [](const dacp::SetTopProfile& profile, std::shared_ptr<dacp::Client> client) {
    return std::make_unique<EchoClientApp>(std::move(client), profile.Has(mp::caps::kDocsis));
  };
  return dacp::RegisterClientApp(kAppName, std::move(f));
}

}  // namespace dabs::echo
