#include <algorithm>
#include <cmath>
#include <limits>

#include <dabs/emu/viewers.h>

namespace dabs::emu {

namespace {
constexpr uint64_t kViewersPart = 0x76696577;  // "view"
constexpr uint32_t kNotIdle = std::numeric_limits<uint32_t>::max();
constexpr double kNever = std::numeric_limits<double>::infinity();

double Exponential(mp::Random& r, double rate) {
  return rate > 0 ? -std::log1p(-r.Uniform01()) / rate : kNever;
}
}  // namespace

ViewerSchedule::ViewerSchedule(const Scenario& scenario, const Population& population)
    : duration_s_(scenario.duration_s),
      tune_rate_(scenario.viewers.tune_rate_per_s),
      session_length_s_(scenario.viewers.session_length_s),
      random_(DeriveSeed(scenario.seed, kViewersPart)) {
  for (const auto& p : scenario.profiles) {
    std::vector<uint16_t> indices;
    for (const auto& name : p.apps) {
      auto it = std::find(apps_.begin(), apps_.end(), name);
      if (it == apps_.end()) {
        apps_.push_back(name);
        think_ms_.push_back(scenario.viewers.For(name).think_time_ms);
        it = apps_.end() - 1;
      }
      indices.push_back(static_cast<uint16_t>(it - apps_.begin()));
    }
    profile_apps_.push_back(std::move(indices));
  }
  const size_t n = population.size();
  profile_.resize(n);
  app_.resize(n);
  session_end_s_.resize(n);
  idle_pos_.assign(n, kNotIdle);
  idle_.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    profile_[i] = population[i].profile;
    if (profile_apps_[profile_[i]].empty()) continue;
    idle_pos_[i] = static_cast<uint32_t>(idle_.size());
    idle_.push_back(static_cast<uint32_t>(i));
  }
  // At most every eligible set-top is in a session: one heap entry each, allocated once.
  heap_.reserve(idle_.size());
  next_arrival_s_ = Exponential(random_, tune_rate_);
  for (const auto& f : scenario.viewers.flash_crowds) {
    Crowd c{f.at_s, f.within_s, 0, 0, f.stbs};
    AdvanceCrowd(c);
    crowds_.push_back(c);
  }
}

bool ViewerSchedule::Later(const Pending& a, const Pending& b) {
  if (a.at_s != b.at_s) return a.at_s > b.at_s;
  if (a.stb != b.stb) return a.stb > b.stb;
  return a.kind > b.kind;
}

void ViewerSchedule::Push(const Pending& p) {
  heap_.push_back(p);
  std::push_heap(heap_.begin(), heap_.end(), Later);
}

ViewerSchedule::Pending ViewerSchedule::Pop() {
  std::pop_heap(heap_.begin(), heap_.end(), Later);
  const Pending p = heap_.back();
  heap_.pop_back();
  return p;
}

// The next of `remaining` uniform arrivals in the rest of the window: the minimum of n
// uniforms on [x, 1] is x + (1 - x)(1 - U^(1/n)), so the crowd needs O(1) state.
void ViewerSchedule::AdvanceCrowd(Crowd& c) {
  if (c.remaining == 0) {
    c.next_s = kNever;
    return;
  }
  const double u = random_.Uniform01();
  c.position += (1 - c.position) * (1 - std::pow(u, 1.0 / c.remaining));
  c.next_s = c.start_s + c.position * c.within_s;
}

double ViewerSchedule::Think(uint32_t stb) {
  return think_ms_[app_[stb]].Sample(random_) / 1000;
}

// A tune-in at `at_s`: a random idle set-top starts a session of one of its apps.
std::optional<ViewerEvent> ViewerSchedule::Arrive(double at_s) {
  if (idle_.empty()) {
    ++unserved_;
    return std::nullopt;
  }
  const uint32_t stb = idle_[random_.Below(idle_.size())];
  const uint32_t last = idle_.back();
  idle_[idle_pos_[stb]] = last;
  idle_pos_[last] = idle_pos_[stb];
  idle_.pop_back();
  idle_pos_[stb] = kNotIdle;
  const auto& choices = profile_apps_[profile_[stb]];
  app_[stb] = choices[random_.Below(choices.size())];
  session_end_s_[stb] = at_s + session_length_s_.Sample(random_);
  const double first = at_s + Think(stb);
  if (first < session_end_s_[stb]) {
    Push({first, stb, ViewerEvent::Kind::kRequest});
  } else {
    Push({session_end_s_[stb], stb, ViewerEvent::Kind::kSessionEnd});
  }
  return ViewerEvent{at_s, stb, app_[stb], ViewerEvent::Kind::kTuneIn};
}

ViewerEvent ViewerSchedule::Fire(const Pending& p) {
  if (p.kind == ViewerEvent::Kind::kSessionEnd) {
    idle_pos_[p.stb] = static_cast<uint32_t>(idle_.size());
    idle_.push_back(p.stb);
  } else {
    const double next = p.at_s + Think(p.stb);
    if (next < session_end_s_[p.stb]) {
      Push({next, p.stb, ViewerEvent::Kind::kRequest});
    } else {
      Push({session_end_s_[p.stb], p.stb, ViewerEvent::Kind::kSessionEnd});
    }
  }
  return ViewerEvent{p.at_s, p.stb, app_[p.stb], p.kind};
}

std::optional<ViewerEvent> ViewerSchedule::NextEvent() {
  for (;;) {
    const double session_s = heap_.empty() ? kNever : heap_.front().at_s;
    Crowd* crowd = nullptr;
    for (auto& c : crowds_) {
      if (!crowd || c.next_s < crowd->next_s) crowd = &c;
    }
    const double crowd_s = crowd ? crowd->next_s : kNever;
    const double t = std::min({session_s, crowd_s, next_arrival_s_});
    if (t > duration_s_ || t == kNever) return std::nullopt;
    if (session_s == t) return Fire(Pop());
    if (crowd_s == t) {
      --crowd->remaining;
      AdvanceCrowd(*crowd);
    } else {
      next_arrival_s_ = t + Exponential(random_, tune_rate_);
    }
    if (auto e = Arrive(t)) return e;
  }
}

size_t ViewerSchedule::MemoryBytes() const {
  return profile_.capacity() * sizeof(uint16_t) + app_.capacity() * sizeof(uint16_t) +
         session_end_s_.capacity() * sizeof(double) + idle_.capacity() * sizeof(uint32_t) +
         idle_pos_.capacity() * sizeof(uint32_t) + heap_.capacity() * sizeof(Pending);
}

}  // namespace dabs::emu
