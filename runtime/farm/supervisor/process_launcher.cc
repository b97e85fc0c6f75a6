#include <string.h>

#include <dabs/farm/process_launcher.h>

namespace dabs::farm {

std::string ExitStatus::ToString() const {
  if (!known) return "ended (status unknown)";
  if (signal != 0) {
    const char* name = ::sigdescr_np(signal);
    return "killed by signal " + std::to_string(signal) +
           (name != nullptr ? std::string(" (") + name + ")" : std::string());
  }
  return "exited with " + std::to_string(code);
}

}  // namespace dabs::farm
