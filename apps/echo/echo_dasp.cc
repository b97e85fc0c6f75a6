// echo-dasp: the echo application of spec 9, for tests and benchmarks. Command 0x0100 ECHO
// replies with its payload (any size: multi-buffer both ways).
#include <dabs/dasp/main.h>

namespace {

class Echo final : public dabs::dasp::Server {
 public:
  static constexpr uint16_t kEcho = 0x0100;

  // Nothing is kept per session: a session moves as it is (the default save and restore).
  bool SavesSessions() const override { return true; }

  void OnMessage(dabs::dasp::Session&, dabs::dasp::Request& request) override {
    if (request.command() != kEcho) {
      (void)request.Refuse(dabs::mp::Errc::kUnknownCommand, "echo knows 0x0100 only");
      return;
    }
    (void)request.Reply({request.payload().begin(), request.payload().end()});
  }
};

}  // namespace

int main(int argc, char** argv) {
  return dabs::dasp::RunDasp(argc, argv, "echo", [] { return std::make_unique<Echo>(); });
}
