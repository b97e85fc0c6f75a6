// Running a short system command (ip, ...) to completion, as dabs-farm sets up namespaces.
#pragma once

#include <string>
#include <vector>

#include <dabs/mp/result.h>

namespace dabs::farm {

// Runs argv[0] (searched in PATH) with its arguments, waits, and fails with the command line
// and what it printed on standard error when it does not exit 0.
Status RunCommand(const std::vector<std::string>& argv);

}  // namespace dabs::farm
