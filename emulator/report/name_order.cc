#include "name_order.h"

#include <algorithm>
#include <array>
#include <numeric>

namespace dabs::emu::internal {
namespace {

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

// Compares the digit runs at the start of a and b as numbers (leading zeros ignored);
// consumes them. Returns <0, 0, >0.
int CompareNumbers(std::string_view& a, std::string_view& b) {
  auto take = [](std::string_view& s) {
    std::size_t n = 0;
    while (n < s.size() && IsDigit(s[n]))
      ++n;
    std::string_view run = s.substr(0, n);
    s.remove_prefix(n);
    while (run.size() > 1 && run.front() == '0')
      run.remove_prefix(1);
    return run;
  };
  const std::string_view x = take(a);
  const std::string_view y = take(b);
  if (x.size() != y.size()) return x.size() < y.size() ? -1 : 1;
  return x.compare(y);
}

int KnownChannelRank(std::string_view name) {
  static constexpr std::array<std::string_view, 3> kKnown = {"docsis", "oob", "modem"};
  for (std::size_t i = 0; i < kKnown.size(); ++i) {
    if (kKnown[i] == name) return static_cast<int>(i);
  }
  return static_cast<int>(kKnown.size());
}

}  // namespace

bool NaturalLess(std::string_view a, std::string_view b) {
  const std::string_view a0 = a, b0 = b;
  while (!a.empty() && !b.empty()) {
    if (IsDigit(a.front()) && IsDigit(b.front())) {
      if (const int c = CompareNumbers(a, b); c != 0) return c < 0;
      continue;
    }
    if (a.front() != b.front()) return a.front() < b.front();
    a.remove_prefix(1);
    b.remove_prefix(1);
  }
  if (a.size() != b.size()) return a.size() < b.size();
  return a0 < b0;  // equal but for leading zeros: keep a strict, total order
}

std::vector<std::size_t> ServerOrder(const std::vector<std::string>& names) {
  std::vector<std::size_t> order(names.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](std::size_t x, std::size_t y) { return NaturalLess(names[x], names[y]); });
  return order;
}

std::vector<std::size_t> ChannelOrder(const std::vector<std::string>& names) {
  std::vector<std::size_t> order(names.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
    const int rx = KnownChannelRank(names[x]), ry = KnownChannelRank(names[y]);
    if (rx != ry) return rx < ry;
    return NaturalLess(names[x], names[y]);
  });
  return order;
}

}  // namespace dabs::emu::internal
