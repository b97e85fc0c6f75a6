#pragma once
// Test helpers: a clock the test moves by hand, and a scripted run used by several tests.

#include <atomic>

#include "dabs/emu/recorder.h"

namespace dabs::emu::testing {

// Seconds since the run started, set by the test; safe to read from any thread.
class FakeClock {
 public:
  void Set(double t_s) { t_.store(t_s, std::memory_order_relaxed); }
  double Now() const { return t_.load(std::memory_order_relaxed); }
  RunClock AsRunClock() {
    return [this] { return Now(); };
  }

 private:
  std::atomic<double> t_{0};
};

// A 3.5 s run: 3 set-tops; s1 and s2 get sessions over docsis and oob; second 1 has 100
// docsis requests at 10 ms, one oob at 50 ms, a failed request and a failed session;
// second 2 closes a session on s1 and re-homes s2's to s1. Returns Finish()'s snapshot.
inline RecorderSnapshot ScriptedRun(Recorder& recorder, FakeClock& clock) {
  using std::chrono::milliseconds;
  clock.Set(0.1);
  for (int i = 0; i < 3; ++i)
    recorder.StbStarted();
  recorder.SessionOpened("s1", "docsis");
  recorder.SessionOpened("s2", "oob");
  recorder.SessionOpened("s1", "docsis");
  clock.Set(1.5);
  for (int i = 0; i < 100; ++i)
    recorder.RequestOk("docsis", milliseconds(10));
  recorder.RequestOk("oob", milliseconds(50));
  recorder.RequestFailed("timeout");
  recorder.SessionFailed("no_server");
  clock.Set(2.2);
  recorder.SessionClosed("s1");
  recorder.Rehomed("s2", "s1");
  recorder.LocalOp();
  clock.Set(3.5);
  return recorder.Finish();
}

}  // namespace dabs::emu::testing
