// Rules that span keys, checked on load and on every change: low water under high water,
// a lease of at least two heartbeats, distinct groups, distinct server addresses and ports
// and indexes, sub-groups naming known servers, instance limits within farm limits
// (seed 003: the farm limit always wins), users' roles and applications, DASP executables
// that exist. Each problem names the record path it is about.
#pragma once

#include <vector>

#include <dabs/config/records.h>

namespace dabs::config {

std::vector<Problem> CheckConsistency(const Records& records);

}  // namespace dabs::config
