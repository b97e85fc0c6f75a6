// counter-dasp, the example of docs/dasp.md. 0x0100 ADD (u64 n) adds n to the session's total
// and to the instance's and replies both (two u64); 0x0101 TOTAL (empty) gives the same reply
// later. GET_STATISTICS carries the instance's total as application statistic 0x80. A session
// moves with its total (SaveSession / RestoreSession: one u64), so a client's count goes on
// across moves between instances and servers: the farm tests' proof of exactly once.
#include <mutex>

#include <dabs/dasp/main.h>
#include <dabs/dasp/runtime.h>
#include <dabs/mp/coding.h>

namespace {

using namespace dabs;

class Counter final : public dasp::Server {
 public:
  struct Tally {  // per-session state
    uint64_t total = 0;
  };

  Status OnOpen(dasp::Session&, const mp::OpenSessionRequest&) override {
    SetUp();
    return Status::Ok();
  }

  bool SavesSessions() const override { return true; }

  std::vector<uint8_t> SaveSession(dasp::Session& session) override {
    std::vector<uint8_t> out;
    mp::ByteWriter(out).U64(session.State<Tally>().total);
    return out;
  }

  // Instead of OnOpen for a session moved here: this instance may not have seen one yet.
  Status RestoreSession(dasp::Session& session, std::span<const uint8_t> saved) override {
    SetUp();
    if (saved.size() != 8)
      return Error{make_error_code(mp::Errc::kMalformed), "a tally is 8 bytes"};
    session.State<Tally>().total = mp::GetU64(saved.data());
    return Status::Ok();
  }

  void OnMessage(dasp::Session& session, dasp::Request& request) override {
    const uint16_t command = request.command();
    const auto p = request.payload();
    if (command != 0x0100 && command != 0x0101) {
      return (void)request.Refuse(mp::Errc::kUnknownCommand, "counter knows 0x0100, 0x0101");
    }
    if (p.size() != (command == 0x0100 ? 8u : 0u))
      return (void)request.Refuse(mp::Errc::kMalformed);
    const uint64_t n = command == 0x0100 ? mp::GetU64(p.data()) : 0;
    std::vector<uint8_t> totals;
    mp::ByteWriter w(totals);
    {
      auto hold = lock_->Acquire();  // all_ is shared by every session of the instance
      if (!hold) return (void)request.Refuse(mp::Errc::kLimitExceeded, hold.error().detail);
      w.U64(session.State<Tally>().total += n);
      w.U64(all_ += n);
    }
    if (command == 0x0100) return (void)request.Reply(std::move(totals));  // now
    // Later: the Responder outlives this handler. An AsyncTimer calls back once, when
    // Complete()d or when its timeout passes; nothing completes this one: a 50 ms delay.
    runtime().StartAsyncTimer("total", std::chrono::milliseconds(50), session.client_va(),
                              [r = request.TakeResponder(), totals](const dasp::AsyncOutcome&) {
                                (void)r.Reply(totals);
                              });
  }

 private:
  void SetUp() {
    std::call_once(set_up_, [this] {  // runtime() is attached after the constructor
      lock_ = runtime().MakeLock("instance total", "memory");
      runtime().OnStatisticsRequest([this](mp::Statistics& s) {
        if (auto hold = lock_->Acquire()) s.values[0x80] = all_;
      });
    });
  }

  std::once_flag set_up_;
  std::shared_ptr<dasp::ResourceLock> lock_;
  uint64_t all_ = 0;  // guarded by lock_
};

}  // namespace

int main(int argc, char** argv) {
  return dasp::RunDasp(argc, argv, "counter", [] { return std::make_unique<Counter>(); });
}
