#include <string>

#include <dabs/farm/supervisor_errc.h>

namespace dabs::farm {

namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "dabs.supervisor"; }
  std::string message(int v) const override {
    switch (static_cast<SupervisorErrc>(v)) {
      case SupervisorErrc::kOk:
        return "ok";
      case SupervisorErrc::kInvalidArgument:
        return "invalid argument";
      case SupervisorErrc::kAppFailed:
        return "application failed on this server (reset it first)";
      case SupervisorErrc::kNotOnThisServer:
        return "application does not run on this server";
      case SupervisorErrc::kUnknownVa:
        return "no DASP instance with that VA here";
      case SupervisorErrc::kUnknownProcess:
        return "no DASP process with that id here";
      case SupervisorErrc::kStopping:
        return "supervisor stopping";
      case SupervisorErrc::kNoShutdownChannel:
        return "no way to shut down one instance of a shared process";
      case SupervisorErrc::kNotWatched:
        return "process not watched by this launcher";
    }
    return "unknown supervisor error " + std::to_string(v);
  }
};

}  // namespace

const std::error_category& SupervisorCategory() {
  static const Category category;
  return category;
}

}  // namespace dabs::farm
