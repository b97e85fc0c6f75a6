// The supervisor's error vocabulary (category "dabs.supervisor"). System calls that fail
// (posix_spawn, pidfd_open, kill) keep std::system_category with their errno; store errors
// keep "dabs.store".
#pragma once

#include <system_error>

namespace dabs::farm {

enum class SupervisorErrc {
  kOk = 0,
  kInvalidArgument = 1,    // instances 0 or over instances_per_process, a path too long, ...
  kAppFailed = 2,          // the app used up its restart budget here: Reset it first
  kNotOnThisServer = 3,    // the app's server sub-group does not include this server
  kUnknownVa = 4,          // no DASP instance of this server has that VA
  kUnknownProcess = 5,     // no DASP process of this server has that id
  kStopping = 6,           // StopAll has run: nothing new is started
  kNoShutdownChannel = 7,  // one instance of several in a process, and no way to tell it
  kNotWatched = 8,         // Kill of a process the launcher does not watch
};

// The "dabs.supervisor" category. Thread-safe.
const std::error_category& SupervisorCategory();

inline std::error_code make_error_code(SupervisorErrc e) {
  return {static_cast<int>(e), SupervisorCategory()};
}

}  // namespace dabs::farm

template <>
struct std::is_error_code_enum<dabs::farm::SupervisorErrc> : std::true_type {};
