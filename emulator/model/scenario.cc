// The scenario loader: one function per section, each reading its keys through a MapReader
// (types, bounds, unknown keys), then the checks that span keys (shares sum to 1, faults
// within the run, flash crowds no larger than the population).
#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include <dabs/emu/scenario.h>
#include <dabs/mp/errc.h>

#include "yaml_reader.h"

namespace dabs::emu {

namespace {

constexpr double kMaxRateBps = 1e11;
constexpr size_t kMaxProfiles = 1000;  // a set-top's profile index is 16 bits
const std::vector<std::string> kChannelNames{"docsis", "oob", "modem"};

ChannelMask MaskOf(const std::vector<std::string>& names) {
  ChannelMask mask = 0;
  for (const auto& n : names) {
    for (int c = 0; c < kChannelKinds; ++c) {
      if (n == kChannelNames[c]) mask |= Bit(static_cast<ChannelKind>(c));
    }
  }
  return mask;
}

// A distribution: a number (an exponential with that mean) or {dist, mean | min + max}.
void ReadDistribution(MapReader& parent, const std::string& key, Distribution* out, double max) {
  const YAML::Node n = parent.Take(key);
  if (!n.IsDefined()) return;
  const std::string path = parent.Path(key);
  if (n.IsScalar()) {
    double v = 0;
    if (!ParseDouble(n.Scalar(), &v) || v < 0 || v > max) {
      return parent.problems().Add(n, path + ": expected a mean >= 0 or {dist, mean | min, max}");
    }
    *out = Distribution{Distribution::Kind::kExponential, v, 0, 0};
    return;
  }
  MapReader r(n, path, parent.problems());
  if (!r.is_map()) return;
  Distribution d = *out;
  int kind = static_cast<int>(d.kind);
  r.Choice("dist", {"fixed", "exponential", "uniform"}, &kind);
  d.kind = static_cast<Distribution::Kind>(kind);
  r.Double("mean", &d.mean, 0, max);
  r.Double("min", &d.min, 0, max);
  r.Double("max", &d.max, 0, max);
  if (d.kind == Distribution::Kind::kUniform && d.max < d.min) {
    r.problems().Add(n, path + ": max must not be below min");
  }
  if (d.kind == Distribution::Kind::kUniform && !r.Take("min").IsDefined() &&
      !r.Take("max").IsDefined()) {
    r.problems().Add(n, path + ": a uniform distribution needs min and max");
  }
  *out = d;
}

void ReadFaults(MapReader& parent, mp::FaultProfile* out) {
  MapReader r(parent.Take("faults"), parent.Path("faults"), parent.problems());
  r.Double("loss", &out->loss, 0, 1);
  r.Double("duplicate", &out->duplicate, 0, 1);
  r.Double("reorder", &out->reorder, 0, 1);
  r.Double("corrupt", &out->corrupt, 0, 1);
  double reorder_ms = static_cast<double>(out->reorder_delay.count()) / 1e6;
  r.Double("reorder_delay_ms", &reorder_ms, 0, 10'000);
  out->reorder_delay = mp::Duration(static_cast<int64_t>(reorder_ms * 1e6));
}

void ReadOob(MapReader& plant, OobParams* p) {
  MapReader r(plant.Take("oob"), plant.Path("oob"), plant.problems());
  r.Double("forward_bps", &p->forward_bps, 1000, kMaxRateBps);
  r.Double("return_bps", &p->return_bps, 1000, kMaxRateBps);
  r.Double("forward_delay_ms", &p->forward_delay_ms, 0, 10'000);
  r.Double("return_delay_ms", &p->return_delay_ms, 0, 10'000);
  r.Uint32("slot_bytes", &p->slot_bytes, 0, 65'535);
  r.Uint32("mac_attempts", &p->mac_attempts, 1, 64);
  r.Double("backoff_short_ms", &p->backoff_short_ms, 0, 60'000);
  r.Double("backoff_long_ms", &p->backoff_long_ms, 0, 60'000);
  ReadFaults(r, &p->faults);
}

void ReadDocsis(MapReader& plant, DocsisParams* p) {
  MapReader r(plant.Take("docsis"), plant.Path("docsis"), plant.problems());
  r.Double("downstream_bps", &p->downstream_bps, 1000, kMaxRateBps);
  r.Double("upstream_bps", &p->upstream_bps, 1000, kMaxRateBps);
  r.Double("downstream_delay_ms", &p->downstream_delay_ms, 0, 10'000);
  r.Double("upstream_delay_ms", &p->upstream_delay_ms, 0, 10'000);
  r.Double("map_interval_ms", &p->map_interval_ms, 0.1, 100);
  r.Uint32("grant_delay_maps", &p->grant_delay_maps, 0, 1000);
  r.Bool("aqm", &p->aqm);
  r.Double("aqm_target_ms", &p->aqm_target_ms, 0, 10'000);
  r.Double("buffer_ms", &p->buffer_ms, 0, 100'000);
  r.Double("upstream_load", &p->upstream_load, 0, 1);
  ReadFaults(r, &p->faults);
}

void ReadModem(MapReader& plant, ModemParams* p) {
  MapReader r(plant.Take("modem"), plant.Path("modem"), plant.problems());
  r.Double("up_bps", &p->up_bps, 300, kMaxRateBps);
  r.Double("down_bps", &p->down_bps, 300, kMaxRateBps);
  r.Double("delay_ms", &p->delay_ms, 0, 10'000);
  r.Double("connect_s", &p->connect_s, 0, 3600);
  r.Double("idle_hangup_s", &p->idle_hangup_s, 0, 86'400);
  ReadFaults(r, &p->faults);
}

void ReadPlant(MapReader& top, PlantParams* p) {
  MapReader r(top.Take("plant"), "plant", top.problems());
  r.Uint32("stbs_per_oob_node", &p->stbs_per_oob_node, 1, kMaxStbs);
  r.Uint32("stbs_per_docsis_group", &p->stbs_per_docsis_group, 1, kMaxStbs);
  ReadOob(r, &p->oob);
  ReadDocsis(r, &p->docsis);
  ReadModem(r, &p->modem);
}

// A list of maps under `key`, each read by `read(reader, item_node, index)`.
template <typename Fn>
void ReadList(MapReader& parent, const std::string& key, Fn read) {
  const YAML::Node n = parent.Take(key);
  if (!n.IsDefined() || n.IsNull()) return;
  if (!n.IsSequence()) return parent.problems().Add(n, parent.Path(key) + ": expected a list");
  size_t index = 0;
  for (const auto& item : n) {
    const std::string path = parent.Path(key) + "[" + std::to_string(index) + "]";
    if (!item.IsMap()) {
      parent.problems().Add(item, path + ": expected a map");
    } else {
      MapReader r(item, path, parent.problems());
      read(r, item, index);
    }
    ++index;
  }
}

void ReadProfiles(MapReader& top, std::vector<Profile>* out) {
  std::vector<Profile> profiles;
  const YAML::Node list = top.Take("profiles");
  if (!list.IsDefined()) return;
  ReadList(top, "profiles", [&](MapReader& r, const YAML::Node& item, size_t) {
    Profile p;
    p.name.clear();
    r.String("name", &p.name);
    if (p.name.empty()) r.problems().Add(item, r.Path("name") + ": every profile needs a name");
    for (const auto& other : profiles) {
      if (!p.name.empty() && other.name == p.name)
        r.problems().Add(r.Take("name"), r.Path("name") + ": '" + p.name + "' is given twice");
    }
    r.Double("share", &p.share, 0, 1);
    if (!r.Take("share").IsDefined())
      r.problems().Add(item, r.Path("share") + ": every profile needs a share");
    std::vector<std::string> channels{"docsis", "oob"}, installed;
    r.Names("channels", &channels, kChannelNames);
    installed = channels;
    r.Names("installed_modules", &installed, kChannelNames);
    p.channels = MaskOf(channels);
    p.installed_modules = MaskOf(installed);
    if (p.installed_modules & ~p.channels) {
      r.problems().Add(
          r.Take("installed_modules"),
          r.Path("installed_modules") + ": a module is installed for a channel the hardware lacks");
    }
    if (p.channels == 0)
      r.problems().Add(r.Take("channels"),
                       r.Path("channels") + ": a set-top needs at least one channel");
    r.Bool("fpu", &p.fpu);
    r.Bool("encryption", &p.encryption);
    r.Uint32("memory_kb", &p.memory_kb, 16, 16u << 20);
    r.Names("apps", &p.apps);
    profiles.push_back(std::move(p));
  });
  if (profiles.empty()) return top.problems().Add(list, "profiles: expected at least one profile");
  if (profiles.size() > kMaxProfiles) {
    return top.problems().Add(list,
                              "profiles: at most " + std::to_string(kMaxProfiles) + " profiles");
  }
  double sum = 0;
  for (const auto& p : profiles)
    sum += p.share;
  if (std::fabs(sum - 1) > 1e-6) {
    std::ostringstream s;
    s << "profiles: the shares add up to " << sum << ", not 1";
    top.problems().Add(list, s.str());
  }
  *out = std::move(profiles);
}

void ReadCarousel(MapReader& top, CarouselParams* c) {
  MapReader r(top.Take("carousel"), "carousel", top.problems());
  r.Double("bitrate_bps", &c->bitrate_bps, 1000, kMaxRateBps);
  if (!r.Take("modules").IsDefined()) return;
  c->modules.clear();
  ReadList(r, "modules", [&](MapReader& m, const YAML::Node& item, size_t) {
    CarouselModule module;
    m.String("name", &module.name);
    if (module.name.empty()) m.problems().Add(item, m.Path("name") + ": every module needs a name");
    for (const auto& other : c->modules) {
      if (other.name == module.name)
        m.problems().Add(m.Take("name"), m.Path("name") + ": '" + module.name + "' is given twice");
    }
    m.Uint("size_bytes", &module.size_bytes, 1, uint64_t{1} << 32);
    if (!m.Take("size_bytes").IsDefined())
      m.problems().Add(item, m.Path("size_bytes") + ": every module needs a size");
    m.Uint32("repetition", &module.repetition, 1, 1000);
    m.Double("section_loss", &module.section_loss, 0, 0.99);
    c->modules.push_back(std::move(module));
  });
}

void ReadViewers(MapReader& top, const Scenario& s, ViewerParams* v) {
  MapReader r(top.Take("viewers"), "viewers", top.problems());
  r.Double("tune_rate_per_s", &v->tune_rate_per_s, 0, 1e6);
  ReadList(r, "flash_crowds", [&](MapReader& f, const YAML::Node&, size_t) {
    FlashCrowd crowd;
    f.Double("at_s", &crowd.at_s, 0, s.duration_s);
    f.Uint32("stbs", &crowd.stbs, 1, s.stbs);
    f.Double("within_s", &crowd.within_s, 0.001, 86'400);
    v->flash_crowds.push_back(crowd);
  });
  ReadDistribution(r, "session_length_s", &v->session_length_s, 1e7);
  const YAML::Node apps = r.Take("apps");
  MapReader a(apps, "viewers.apps", r.problems());
  if (!a.is_map()) return;
  for (auto it = apps.begin(); it != apps.end(); ++it) {
    AppLoad load{it->first.Scalar(), v->default_app.think_time_ms};
    MapReader one(a.Take(load.name), a.Path(load.name), r.problems());
    double rate = 0;
    one.Double("request_rate_per_s", &rate, 1e-6, 1e6);
    if (rate > 0)
      load.think_time_ms = Distribution{Distribution::Kind::kExponential, 1000 / rate, 0, 0};
    ReadDistribution(one, "think_time_ms", &load.think_time_ms, 1e9);
    if (rate > 0 && one.Take("think_time_ms").IsDefined()) {
      r.problems().Add(
          one.Take("think_time_ms"),
          one.Path("think_time_ms") + ": give request_rate_per_s or think_time_ms, not both");
    }
    v->apps.push_back(std::move(load));
  }
}

void ReadFaultTimeline(MapReader& top, const Scenario& s, std::vector<FaultEvent>* out) {
  ReadList(top, "faults", [&](MapReader& r, const YAML::Node& item, size_t) {
    FaultEvent e;
    r.Double("at_s", &e.at_s, 0, s.duration_s);
    int action = -1;
    r.Choice("action", {"kill", "stop", "restart", "partition", "heal", "loss_burst"}, &action);
    if (action < 0) {
      if (!r.Take("action").IsDefined())
        r.problems().Add(item, r.Path("action") + ": every fault needs an action");
      return;
    }
    e.action = static_cast<FaultEvent::Action>(action);
    r.String("server", &e.server);
    const bool server_action =
        e.action != FaultEvent::Action::kLossBurst && e.action != FaultEvent::Action::kHeal;
    if (server_action && e.server.empty()) {
      r.problems().Add(
          item, r.Path("server") + ": '" + std::string(ActionName(e.action)) + "' needs a server");
    }
    if (e.action == FaultEvent::Action::kLossBurst) {
      int channel = -1;
      r.Choice("channel", kChannelNames, &channel);
      r.Double("loss", &e.loss, 0, 1);
      r.Double("for_s", &e.for_s, 0.001, 86'400);
      if (channel < 0 || !r.Take("loss").IsDefined() || !r.Take("for_s").IsDefined()) {
        r.problems().Add(item, r.Path("action") + ": loss_burst needs channel, loss and for_s");
      }
      e.channel = static_cast<ChannelKind>(std::max(channel, 0));
    } else {
      for (const char* k : {"channel", "loss", "for_s"}) {
        if (r.Take(k).IsDefined()) r.problems().Add(r.Take(k), r.Path(k) + ": only for loss_burst");
      }
    }
    out->push_back(std::move(e));
  });
  std::stable_sort(out->begin(), out->end(),
                   [](const auto& a, const auto& b) { return a.at_s < b.at_s; });
}

void ReadTop(const YAML::Node& root, Problems& problems, Scenario* s) {
  MapReader top(root, "", problems);
  if (!top.is_map()) {
    if (!root.IsDefined() || root.IsNull())
      problems.Add(root, "the scenario is empty; expected stbs:, duration_s:, ...");
    return;
  }
  top.Double("duration_s", &s->duration_s, 0.001, 7 * 86'400.0);
  top.Uint("seed", &s->seed, 0, std::numeric_limits<uint64_t>::max());
  int mode = 0;
  top.Choice("endpoint_mode", {"per_stb", "gateway"}, &mode);
  s->endpoint_mode = static_cast<EndpointMode>(mode);
  top.Uint32("stbs", &s->stbs, 1, kMaxStbs);
  ReadProfiles(top, &s->profiles);
  ReadPlant(top, &s->plant);
  ReadCarousel(top, &s->carousel);
  ReadViewers(top, *s, &s->viewers);
  ReadFaultTimeline(top, *s, &s->faults);
}

std::vector<CarouselModule> DefaultModules() {
  // The reverse-channel modules a set-top may lack (DESIGN 4: downloaded as add-ons).
  return {{"docsis", 96 * 1024, 1, 0}, {"oob", 64 * 1024, 1, 0}, {"modem", 48 * 1024, 1, 0}};
}

Error ProblemsError(const std::vector<std::string>& problems) {
  std::string detail = problems.front();
  if (problems.size() > 1) detail += " (and " + std::to_string(problems.size() - 1) + " more)";
  return Error{make_error_code(mp::Errc::kMalformed), detail};
}

}  // namespace

std::string_view ChannelName(ChannelKind c) {
  switch (c) {
    case ChannelKind::kDocsis:
      return "docsis";
    case ChannelKind::kOob:
      return "oob";
    case ChannelKind::kModem:
      return "modem";
  }
  return "?";
}

std::string_view ActionName(FaultEvent::Action a) {
  static constexpr std::string_view kNames[] = {"kill",      "stop", "restart",
                                                "partition", "heal", "loss_burst"};
  return kNames[static_cast<int>(a)];
}

double Distribution::Sample(mp::Random& random) const {
  switch (kind) {
    case Kind::kFixed:
      return mean;
    case Kind::kExponential:
      return -mean * std::log1p(-random.Uniform01());
    case Kind::kUniform:
      return min + (max - min) * random.Uniform01();
  }
  return mean;
}

const AppLoad& ViewerParams::For(std::string_view name) const {
  for (const auto& a : apps) {
    if (a.name == name) return a;
  }
  return default_app;
}

Result<Scenario> ParseScenario(std::string_view yaml, const std::string& name,
                               std::vector<std::string>* problems) {
  Problems found(name);
  Scenario s;
  s.file = name;
  s.carousel.modules = DefaultModules();
  try {
    ReadTop(YAML::Load(std::string(yaml)), found, &s);
  } catch (const YAML::Exception& e) {
    found.Add(e.mark, e.msg);
  }
  if (problems) *problems = found.list();
  if (!found.empty()) return ProblemsError(found.list());
  return s;
}

Result<Scenario> LoadScenario(const std::filesystem::path& file,
                              std::vector<std::string>* problems) {
  std::ifstream in(file);
  if (!in) {
    std::vector<std::string> p{file.string() + ": cannot read the scenario file"};
    if (problems) *problems = p;
    return ProblemsError(p);
  }
  std::stringstream text;
  text << in.rdbuf();
  return ParseScenario(text.str(), file.string(), problems);
}

}  // namespace dabs::emu
