// ChannelSelector: installed modules in the order DOCSIS, OOB, modem; then downloads.
#include <dabs/dacp/reverse_channel.h>
#include <dabs/mp/errc.h>

namespace dabs::dacp {

std::string_view ChannelName(ChannelKind k) {
  switch (k) {
    case ChannelKind::kDocsis:
      return "docsis";
    case ChannelKind::kOob:
      return "oob";
    case ChannelKind::kModem:
      return "modem";
  }
  return "?";
}

// One selection, kept alive by the callbacks it hands out.
struct ChannelSelector::Run : std::enable_shared_from_this<Run> {
  ChannelSelector* selector;
  std::function<void(Result<SelectedChannel>)> done;
  std::vector<ChannelAttempt> attempts;
  size_t step = 0;  // 0..2: installed modules in order; 3..5: downloads in order

  std::shared_ptr<ReverseChannel> InstalledOf(ChannelKind k) {
    std::lock_guard lock(selector->mu_);
    for (const auto& c : selector->installed_) {
      if (c && c->kind() == k) return c;
    }
    return nullptr;
  }

  void Next() {
    while (step < 2 * kChannelOrder.size()) {
      const size_t at = step++;
      const ChannelKind kind = kChannelOrder[at % kChannelOrder.size()];
      const bool downloading = at >= kChannelOrder.size();
      auto installed = InstalledOf(kind);
      if (!downloading) {
        if (installed) return Try(installed, false);
        continue;
      }
      if (installed) continue;  // tried above
      if (!selector->source_) {
        attempts.push_back({kind, false, "not installed and no module source"});
        continue;
      }
      return Download(kind);
    }
    std::string why;
    for (const auto& a : attempts) {
      why += (why.empty() ? "" : "; ") + std::string(ChannelName(a.kind)) + ": " + a.failure;
    }
    if (why.empty()) why = "no reverse-channel module installed or available";
    done(Error{make_error_code(mp::Errc::kNoRoute), "no reverse channel reaches the farm: " + why});
  }

  void Download(ChannelKind kind) {
    selector->source_->Download(
        kind, [self = shared_from_this(), kind](Result<std::shared_ptr<ReverseChannel>> r) {
          if (!r || !*r) {
            self->attempts.push_back(
                {kind, true,
                 "download failed: " + (r ? std::string("no module") : r.error().Message())});
            return self->Next();
          }
          {
            std::lock_guard lock(self->selector->mu_);
            self->selector->installed_.push_back(*r);
          }
          self->Try(*r, true);
        });
  }

  void Try(const std::shared_ptr<ReverseChannel>& channel, bool downloaded) {
    channel->Reach(
        [self = shared_from_this(), channel, downloaded](Result<std::shared_ptr<GatewayPool>> r) {
          if (!r || !*r) {
            self->attempts.push_back({channel->kind(), downloaded,
                                      (downloaded ? "downloaded, " : "") +
                                          (r ? std::string("no gateway") : r.error().Message())});
            return self->Next();
          }
          self->attempts.push_back({channel->kind(), downloaded, {}});
          self->done(SelectedChannel{channel, *r, std::move(self->attempts)});
        });
  }
};

ChannelSelector::ChannelSelector(std::vector<std::shared_ptr<ReverseChannel>> installed,
                                 ModuleSource* source)
    : installed_(std::move(installed)), source_(source) {}

void ChannelSelector::Select(std::function<void(Result<SelectedChannel>)> done) {
  auto run = std::make_shared<Run>();
  run->selector = this;
  run->done = std::move(done);
  run->Next();
}

std::vector<std::shared_ptr<ReverseChannel>> ChannelSelector::installed() const {
  std::lock_guard lock(mu_);
  return installed_;
}

}  // namespace dabs::dacp
