#pragma once
// The order in which servers and channels appear in every output (stable across runs,
// unlike the order of first appearance).

#include <string>
#include <string_view>
#include <vector>

namespace dabs::emu::internal {

// Natural order: digit runs compare as numbers, so s2 < s10.
bool NaturalLess(std::string_view a, std::string_view b);

// Indexes of `names` in natural order.
std::vector<std::size_t> ServerOrder(const std::vector<std::string>& names);
// Indexes of `names`: docsis, oob, modem first (the plant's return channels, fastest
// first), then the rest in natural order.
std::vector<std::size_t> ChannelOrder(const std::vector<std::string>& names);

}  // namespace dabs::emu::internal
