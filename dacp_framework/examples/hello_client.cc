// An author's first client portion: open a session with the echo application through the
// farm's group (or a standalone echo-dasp), send one command, print the reply, close.
//
//   echo-dasp --standalone --listen 127.0.0.1:0          # prints "listening ADDR:PORT VA"
//   dacp-hello-client ADDR:PORT "hello"
//   dacp-hello-client 239.255.0.1:7400 "hello"           # through a farm's group
#include <cstdio>
#include <future>
#include <string>

#include <dabs/dacp/client.h>
#include <dabs/dacp/gateway.h>
#include <dabs/mp/system_messages.h>

namespace {

constexpr uint16_t kEcho = 0x0100;  // spec 9

// A client portion derives from dacp::Client and reacts to the runtime's events.
class HelloClient final : public dabs::dacp::Client {
 public:
  using Client::Client;

 protected:
  void OnSessionEnd(dabs::dacp::SessionEnd how, const std::string& why) override {
    std::printf("session ended (%s)\n", why.c_str());
    (void)how;
  }
};

}  // namespace

int main(int argc, char** argv) {
  using namespace dabs;
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s FARM_OR_DASP_ADDR:PORT TEXT\n", argv[0]);
    return 2;
  }
  auto farm = mp::Endpoint::Parse(argv[1]);
  if (!farm) {
    std::fprintf(stderr, "%s\n", farm.error().Message().c_str());
    return 2;
  }
  mp::IoThreads io(1);  // the gateway's callbacks run here; the *Sync calls wait on this thread
  dacp::GatewayConfig gc;
  gc.max_clients = 1;  // a set-top: one client on its socket
  auto gateway = dacp::Gateway::Create(io.io(), gc);
  if (!gateway) {
    std::fprintf(stderr, "%s\n", gateway.error().Message().c_str());
    return 1;
  }
  dacp::ClientConfig cc;
  cc.app = "echo";
  cc.client_id = "hello-client";
  cc.caps = mp::caps::kFloatingPoint;
  cc.farm = *farm;
  cc.open_timeout = std::chrono::seconds(10);
  auto client = std::make_shared<HelloClient>((*gateway)->TakeSeat().value(), cc);
  if (Status s = client->OpenSync(); !s) {
    std::fprintf(stderr, "open: %s\n", s.error().Message().c_str());
    return 1;
  }
  const std::string text = argv[2];
  auto reply = client->CallSync(kEcho, std::vector<uint8_t>(text.begin(), text.end()));
  if (!reply) {
    std::fprintf(stderr, "echo: %s\n", reply.error().Message().c_str());
    return 1;
  }
  std::printf("%.*s\n", static_cast<int>(reply->size()),
              reinterpret_cast<const char*>(reply->data()));
  std::promise<void> closed;
  client->Close("done", [&closed](Status) { closed.set_value(); });
  closed.get_future().wait();
  return 0;
}
