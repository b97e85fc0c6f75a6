#pragma once
// A hand-written SVG line chart: title, axes with ticks at nice numbers, grid, axis
// labels, a legend, one <path class="series"> per series and no other <path>. Colours
// are the Okabe-Ito palette (safe for colour-blind readers), with dashes once it runs out.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dabs::emu::internal {

struct ChartSeries {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (x, y), x increasing
};

struct ChartAxis {
  std::string label;
  bool log = false;           // decades; every x must be > 0
  std::optional<double> min;  // fixed ends instead of the data's (nice-rounded)
  std::optional<double> max;
  bool percent = false;  // tick labels as percent of 1 (0.25 -> 25%)
};

struct LineChart {
  std::string title;
  ChartAxis x;
  ChartAxis y;
  std::vector<ChartSeries> series;
};

// The whole SVG document. Pure function.
std::string RenderSvg(const LineChart& chart);

// Ticks at 1, 2 or 5 times a power of ten covering [lo, hi] in about `target` steps;
// the first and last tick enclose the range.
std::vector<double> NiceTicks(double lo, double hi, int target = 6);

// Text made safe inside an XML element or attribute: markup escaped, control
// characters and bytes that are not UTF-8 replaced by '?'.
std::string XmlEscape(std::string_view text);

}  // namespace dabs::emu::internal
