// The human form of dabsctl's listings: a header row and aligned columns, as ps and
// kubectl print them.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace dabs::ctl {

class Table {
 public:
  explicit Table(std::vector<std::string> header) : rows_{std::move(header)} {}

  // REQUIRES: as many cells as the header has columns.
  void Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  bool empty() const { return rows_.size() == 1; }

  // Every row, columns padded to their widest cell and two spaces apart; `none` instead
  // of the header when there are no rows.
  void Print(std::FILE* out, const std::string& none) const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

// "0.42", "12.5" (figures); "-" for null.
std::string FormatNumber(double v, int decimals);

}  // namespace dabs::ctl
