// Reverse-channel add-on modules (seed 002: "add-on modules", Fig. 21 and the text around
// it): a set-top reaches the farm over DOCSIS, the out-of-band return (OOB) or a telephone
// modem. Each is a module; a missing one is downloaded over the forward path (the carousel).
// ChannelSelector tries the installed modules in the order DOCSIS, OOB, modem; when none
// reaches the farm it downloads the next module not installed, in that order, and tries it,
// until one works or none is left.
//
// The emulator implements ReverseChannel and ModuleSource over its channel models and
// carousel; a set-top over its drivers.
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <dabs/dacp/gateway.h>
#include <dabs/mp/result.h>

namespace dabs::dacp {

enum class ChannelKind : uint8_t { kDocsis = 0, kOob = 1, kModem = 2 };
// The order in which channels are tried and downloaded.
inline constexpr std::array<ChannelKind, 3> kChannelOrder = {
    ChannelKind::kDocsis, ChannelKind::kOob, ChannelKind::kModem};
std::string_view ChannelName(ChannelKind k);  // "docsis", "oob", "modem"

// One reverse-channel module, installed on the set-top.
class ReverseChannel {
 public:
  virtual ~ReverseChannel() = default;
  virtual ChannelKind kind() const = 0;
  std::string_view name() const { return ChannelName(kind()); }
  // Tries to reach the farm (ranging, registering, dialling...). `done` runs once, on any
  // thread, with the pool to send through, or why the farm cannot be reached (the error's
  // detail is shown to the operator).
  virtual void Reach(std::function<void(Result<std::shared_ptr<GatewayPool>>)> done) = 0;
};

// Where missing modules come from: a download over the forward path.
class ModuleSource {
 public:
  virtual ~ModuleSource() = default;
  // Downloads and installs the module for `kind`. `done` runs once, on any thread.
  virtual void Download(ChannelKind kind,
                        std::function<void(Result<std::shared_ptr<ReverseChannel>>)> done) = 0;
};

struct ChannelAttempt {
  ChannelKind kind;
  bool downloaded = false;  // the module was downloaded for this attempt
  std::string failure;      // empty: this channel reached the farm
};

struct SelectedChannel {
  std::shared_ptr<ReverseChannel> channel;
  std::shared_ptr<GatewayPool> pool;
  std::vector<ChannelAttempt> attempts;  // in order, the last one the success
};

// Thread safety: Select may be called from any thread; one selection at a time.
class ChannelSelector {
 public:
  // `installed`: the modules on the set-top, in any order. `source` may be null (nothing can
  // be downloaded); when set it must outlive every selection.
  ChannelSelector(std::vector<std::shared_ptr<ReverseChannel>> installed, ModuleSource* source);

  // Finds a channel that reaches the farm. On failure the error (kNoRoute) names each module
  // and why it failed, e.g. "docsis: no cable modem; oob: download failed: carousel timeout;
  // modem: not installed and no module source".
  void Select(std::function<void(Result<SelectedChannel>)> done);
  // The modules installed now (downloads add to them).
  std::vector<std::shared_ptr<ReverseChannel>> installed() const;

 private:
  struct Run;
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<ReverseChannel>> installed_;
  ModuleSource* source_;
};

}  // namespace dabs::dacp
