// What the emulated viewers do, as a deterministic stream of events in time order: set-tops
// tuning in to an application (Poisson arrivals at tune_rate_per_s plus flash crowds, each
// picking a set-top not already in a session), the requests of a session (think time
// between them), and session ends (session_length_s after tuning in). A set-top whose
// session ended may be picked again. Set-tops whose profile has no apps never tune in.
//
// Cheap for 100,000 set-tops: 20 bytes of state per set-top and a heap entry (16 bytes)
// per set-top in a session; no allocation per set-top beyond that.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <dabs/emu/population.h>
#include <dabs/emu/scenario.h>
#include <dabs/mp/clock.h>

namespace dabs::emu {

struct ViewerEvent {
  enum class Kind : uint8_t { kTuneIn, kRequest, kSessionEnd };
  double at_s = 0;   // since the run began
  uint32_t stb = 0;  // index into the Population
  uint16_t app = 0;  // index into ViewerSchedule::apps()
  Kind kind = Kind::kTuneIn;
  friend bool operator==(const ViewerEvent&, const ViewerEvent&) = default;
};

// Not thread-safe (one generator, pulled by one thread).
class ViewerSchedule {
 public:
  // Copies what it needs; neither argument need outlive it.
  // REQUIRES: `population` was built from `scenario`.
  ViewerSchedule(const Scenario& scenario, const Population& population);
  ViewerSchedule(const ViewerSchedule&) = delete;
  ViewerSchedule& operator=(const ViewerSchedule&) = delete;

  // The next event (time order; ties by set-top, then kind), or nullopt once the next one
  // would fall after duration_s. The same scenario and seed give the same stream.
  std::optional<ViewerEvent> NextEvent();

  // The app names events refer to (every app some profile subscribes to, in first-seen order).
  const std::vector<std::string>& apps() const { return apps_; }
  size_t in_session() const { return heap_.size(); }
  // Arrivals that found every eligible set-top already in a session.
  uint64_t arrivals_unserved() const { return unserved_; }
  // Heap bytes held (for the memory bound).
  size_t MemoryBytes() const;

 private:
  struct Pending {
    double at_s;
    uint32_t stb;
    ViewerEvent::Kind kind;
  };
  struct Crowd {
    double start_s, within_s;
    double position = 0;  // fraction of the window reached
    double next_s;
    uint32_t remaining;
  };
  static bool Later(const Pending& a, const Pending& b);
  void Push(const Pending& p);
  Pending Pop();
  void AdvanceCrowd(Crowd& c);
  std::optional<ViewerEvent> Arrive(double at_s);
  ViewerEvent Fire(const Pending& p);
  double Think(uint32_t stb);

  double duration_s_;
  double tune_rate_;
  Distribution session_length_s_;
  mp::SeededRandom random_;
  std::vector<std::string> apps_;
  std::vector<Distribution> think_ms_;               // per app
  std::vector<std::vector<uint16_t>> profile_apps_;  // per profile
  // Per set-top (structure of arrays).
  std::vector<uint16_t> profile_;
  std::vector<uint16_t> app_;
  std::vector<double> session_end_s_;
  std::vector<uint32_t> idle_;      // set-tops not in a session (swap-remove pool)
  std::vector<uint32_t> idle_pos_;  // where each is in idle_, or kNotIdle
  std::vector<Pending> heap_;       // the next event of each set-top in a session
  double next_arrival_s_;
  std::vector<Crowd> crowds_;
  uint64_t unserved_ = 0;
};

}  // namespace dabs::emu
