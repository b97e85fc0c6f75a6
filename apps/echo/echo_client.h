// The echo application's client portion (spec 9: 0x0100 ECHO, the reply carries the same
// payload). EchoClientApp: each Act sends a random payload, now and then one that needs
// several datagrams (multi-buffer, spec 1.5), and checks that the same bytes come back.
// RegisterClient() registers it as "echo". Thread safety: Act from any thread.
#pragma once

#include <memory>

#include <dabs/dacp/client_app.h>

namespace dabs::echo {

inline constexpr char kAppName[] = "echo";
inline constexpr uint16_t kEcho = 0x0100;
inline constexpr size_t kMaxSmallPayload = 400;     // fits one datagram
inline constexpr size_t kMaxLargePayload = 20'000;  // about 40 datagrams

// One action in eight sends a multi-buffer payload, on set-tops with a DOCSIS return only:
// 20 KB is 40 datagrams, which a 256 kbps OOB return shared by hundreds of set-tops (or a
// 33.6 kbps modem) cannot carry as an everyday click. Narrow-band set-tops send one datagram.
class EchoClientApp final : public dacp::ClientApp {
 public:
  EchoClientApp(std::shared_ptr<dacp::Client> client, bool broadband)
      : client_(std::move(client)), broadband_(broadband) {}
  void Act(uint64_t random, std::function<void(dacp::ActOutcome)> done) override;

 private:
  std::shared_ptr<dacp::Client> client_;
  bool broadband_;
};

// Registers "echo" in dacp::DefaultClientApps(). Idempotent.
Status RegisterClient();

}  // namespace dabs::echo
