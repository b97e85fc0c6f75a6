// Aligned tables for humans (table.h).
#include "table.h"

#include <algorithm>

namespace dabs::ctl {

void Table::Print(std::FILE* out, const std::string& none) const {
  if (empty()) {
    std::fprintf(out, "%s\n", none.c_str());
    return;
  }
  std::vector<size_t> width(rows_[0].size(), 0);
  for (const auto& row : rows_) {
    for (size_t c = 0; c < row.size() && c < width.size(); ++c) {
      width[c] = std::max(width[c], row[c].size());
    }
  }
  for (const auto& row : rows_) {
    std::string line;
    for (size_t c = 0; c < row.size() && c < width.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) line += std::string(width[c] - row[c].size() + 2, ' ');
    }
    std::fprintf(out, "%s\n", line.c_str());
  }
}

std::string FormatNumber(double v, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, v);
  return text;
}

}  // namespace dabs::ctl
