#include "svg_chart.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace dabs::emu::internal {
namespace {

constexpr double kWidth = 860, kHeight = 480;
constexpr double kLeft = 80, kRight = 250, kTop = 56, kBottom = 64;  // margins
constexpr double kLegendRow = 18;
// Okabe & Ito (2008), without the yellow, which is too faint on white.
constexpr std::array<const char*, 7> kPalette = {"#0072B2", "#E69F00", "#009E73", "#CC79A7",
                                                 "#56B4E9", "#D55E00", "#000000"};
constexpr std::array<const char*, 4> kDashes = {"", "7 4", "2 3", "9 3 2 3"};

// Maps data values on one axis to pixels.
struct Scale {
  double lo = 0, hi = 1;
  bool log = false;
  double px_lo = 0, px_hi = 1;  // pixel of lo and of hi
  std::vector<double> ticks;    // labelled
  std::vector<double> minor;    // unlabelled (log axes: 2 .. 9 times each decade)

  double operator()(double v) const {
    const double a = log ? std::log10(lo) : lo, b = log ? std::log10(hi) : hi;
    double f = ((log ? std::log10(std::max(v, lo)) : v) - a) / (b - a);
    f = std::clamp(f, 0.0, 1.0);
    return px_lo + f * (px_hi - px_lo);
  }
};

std::pair<double, double> DataRange(const LineChart& chart, bool x_axis) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const ChartSeries& s : chart.series) {
    for (const auto& [x, y] : s.points) {
      const double v = x_axis ? x : y;
      if (!std::isfinite(v) || (x_axis && chart.x.log && v <= 0)) continue;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  }
  if (lo > hi) return {0, 0};  // no data
  return {lo, hi};
}

Scale LinearScale(const ChartAxis& axis, std::pair<double, double> data, double px_lo,
                  double px_hi) {
  Scale s;
  s.lo = axis.min.value_or(data.first);
  s.hi = axis.max.value_or(data.second);
  s.px_lo = px_lo;
  s.px_hi = px_hi;
  if (!(s.hi > s.lo)) s.hi = s.lo + 1;
  const std::vector<double> ticks = NiceTicks(s.lo, s.hi);
  if (!axis.min) s.lo = ticks.front();
  if (!axis.max) s.hi = ticks.back();
  const double eps = (s.hi - s.lo) * 1e-9;
  for (double t : ticks) {
    if (t >= s.lo - eps && t <= s.hi + eps) s.ticks.push_back(t);
  }
  return s;
}

Scale LogScale(std::pair<double, double> data, double px_lo, double px_hi) {
  if (data.first <= 0) data = {1, 10};
  int lo = static_cast<int>(std::floor(std::log10(data.first)));
  int hi = static_cast<int>(std::ceil(std::log10(data.second)));
  if (hi <= lo) hi = lo + 1;
  Scale s;
  s.lo = std::pow(10.0, lo);
  s.hi = std::pow(10.0, hi);
  s.log = true;
  s.px_lo = px_lo;
  s.px_hi = px_hi;
  for (int k = lo; k <= hi; ++k) {
    s.ticks.push_back(std::pow(10.0, k));
    for (int m = 2; k < hi && m <= 9; ++m)
      s.minor.push_back(m * std::pow(10.0, k));
  }
  return s;
}

std::string TickLabel(double v, const Scale& scale, const ChartAxis& axis) {
  double step = scale.log ? v : (scale.ticks.size() > 1 ? scale.ticks[1] - scale.ticks[0] : 1);
  if (axis.percent) {
    v *= 100;
    step *= 100;
  }
  const int decimals = std::max(0, -static_cast<int>(std::floor(std::log10(step) + 1e-9)));
  const double unit = std::pow(10.0, -decimals);
  double shown = std::round(v / unit) * unit;
  if (shown == 0) shown = 0;  // -0 (a tiny negative rounded away) is labelled 0
  std::string label = fmt::format("{:.{}f}", shown, decimals);
  // Appended in place: GCC 12 with the sanitizers takes `label + "%"` for an overlapping
  // memcpy (-Wrestrict, GCC bug 105329).
  if (axis.percent) label += '%';
  return label;
}

void DrawAxes(std::string& out, const LineChart& chart, const Scale& x, const Scale& y) {
  auto o = std::back_inserter(out);
  const double left = x.px_lo, right = x.px_hi, bottom = y.px_lo, top = y.px_hi;
  out += "<g class=\"grid\" stroke=\"#dddddd\" stroke-width=\"1\">\n";
  for (double t : y.ticks)
    fmt::format_to(o, "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\"/>\n", left,
                   y(t), right, y(t));
  for (double t : x.ticks)
    fmt::format_to(o, "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\"/>\n", x(t),
                   top, x(t), bottom);
  out += "</g>\n<g class=\"axes\" stroke=\"#333333\" stroke-width=\"1\">\n";
  fmt::format_to(o, "<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{2:.1f}\" y2=\"{1:.1f}\"/>\n", left,
                 bottom, right);
  fmt::format_to(o, "<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\"/>\n", left,
                 bottom, top);
  for (double t : x.ticks)
    fmt::format_to(o, "<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\"/>\n", x(t),
                   bottom, bottom + 6);
  for (double t : x.minor)
    fmt::format_to(o, "<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\"/>\n", x(t),
                   bottom, bottom + 3);
  for (double t : y.ticks)
    fmt::format_to(o, "<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{2:.1f}\" y2=\"{1:.1f}\"/>\n",
                   left - 6, y(t), left);
  out += "</g>\n<g class=\"tick-labels\" font-size=\"12\" fill=\"#333333\">\n";
  for (double t : x.ticks) {
    fmt::format_to(o, "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n", x(t),
                   bottom + 20, XmlEscape(TickLabel(t, x, chart.x)));
  }
  for (double t : y.ticks) {
    fmt::format_to(o, "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n", left - 10,
                   y(t) + 4, XmlEscape(TickLabel(t, y, chart.y)));
  }
  out += "</g>\n";
  fmt::format_to(o,
                 "<text class=\"x-label\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" "
                 "font-size=\"13\">{}</text>\n",
                 (left + right) / 2, kHeight - 16, XmlEscape(chart.x.label));
  fmt::format_to(o,
                 "<text class=\"y-label\" transform=\"translate(20 {:.1f}) rotate(-90)\" "
                 "text-anchor=\"middle\" font-size=\"13\">{}</text>\n",
                 (top + bottom) / 2, XmlEscape(chart.y.label));
}

std::string SeriesStyle(std::size_t i) {
  const char* dash = kDashes[(i / kPalette.size()) % kDashes.size()];
  std::string style = fmt::format("stroke=\"{}\"", kPalette[i % kPalette.size()]);
  if (*dash != '\0') style += fmt::format(" stroke-dasharray=\"{}\"", dash);
  return style;
}

void DrawSeries(std::string& out, const LineChart& chart, const Scale& x, const Scale& y) {
  auto o = std::back_inserter(out);
  out +=
      "<g class=\"plot\" fill=\"none\" stroke-width=\"2\" stroke-linejoin=\"round\" "
      "stroke-linecap=\"round\">\n";
  for (std::size_t i = 0; i < chart.series.size(); ++i) {
    const ChartSeries& s = chart.series[i];
    std::string d;
    for (const auto& [px, py] : s.points) {
      if (!std::isfinite(px) || !std::isfinite(py) || (x.log && px <= 0)) continue;
      fmt::format_to(std::back_inserter(d), "{}{:.1f} {:.1f}", d.empty() ? "M" : " L", x(px),
                     y(py));
    }
    if (d.find('L') == std::string::npos && !d.empty()) d += " l 0 0";  // one point: a dot
    fmt::format_to(o, "<path class=\"series\" {} d=\"{}\"><title>{}</title></path>\n",
                   SeriesStyle(i), d.empty() ? "M0 0" : d, XmlEscape(s.name));
  }
  out += "</g>\n";
}

void DrawLegend(std::string& out, const LineChart& chart) {
  auto o = std::back_inserter(out);
  const double x0 = kWidth - kRight + 16;
  const auto room = static_cast<std::size_t>((kHeight - kTop - kBottom) / kLegendRow);
  const std::size_t shown = chart.series.size() <= room ? chart.series.size() : room - 1;
  out += "<g class=\"legend\" font-size=\"12\" fill=\"#333333\">\n";
  for (std::size_t i = 0; i < shown; ++i) {
    const double y = kTop + 8 + kLegendRow * static_cast<double>(i);
    fmt::format_to(
        o,
        "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke-width=\"2\" {}/>\n",
        x0, y, x0 + 24, y, SeriesStyle(i));
    fmt::format_to(o, "<text x=\"{:.1f}\" y=\"{:.1f}\">{}</text>\n", x0 + 30, y + 4,
                   XmlEscape(chart.series[i].name));
  }
  if (shown < chart.series.size()) {
    fmt::format_to(o, "<text x=\"{:.1f}\" y=\"{:.1f}\">and {} more</text>\n", x0 + 30,
                   kTop + 12 + kLegendRow * static_cast<double>(shown),
                   chart.series.size() - shown);
  }
  out += "</g>\n";
}

}  // namespace

std::vector<double> NiceTicks(double lo, double hi, int target) {
  if (!(hi > lo)) hi = lo + 1;
  const double rough = (hi - lo) / std::max(target, 1);
  const int exponent = static_cast<int>(std::floor(std::log10(rough)));
  const double residual = rough / std::pow(10.0, exponent);
  const double multiple = residual < 1.5 ? 1 : residual < 3 ? 2 : residual < 7 ? 5 : 10;
  // k * multiple is an integer; dividing by an exact power of ten (not multiplying by
  // 0.1) gives the double nearest the decimal tick: 0.6, not 0.6000000000000001.
  const double scale = std::pow(10.0, std::abs(exponent));
  auto tick = [&](double k) { return exponent < 0 ? k * multiple / scale : k * multiple * scale; };
  const double step = tick(1);
  std::vector<double> ticks;
  const double first = std::floor(lo / step + 1e-9), last = std::ceil(hi / step - 1e-9);
  for (double k = first; k <= last; ++k)
    ticks.push_back(tick(k));
  return ticks;
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    // Length of a well-formed UTF-8 sequence starting here (1 for ASCII), 0 if none.
    std::size_t n = c < 0x80           ? 1
                    : (c >> 5) == 0x6  ? 2
                    : (c >> 4) == 0xE  ? 3
                    : (c >> 3) == 0x1E ? 4
                                       : 0;
    if (c >= 0x80 && (c < 0xC2 || c > 0xF4)) n = 0;  // overlong or beyond U+10FFFF
    for (std::size_t k = 1; n > 1 && k < n; ++k) {
      if (i + k >= text.size() || (static_cast<unsigned char>(text[i + k]) >> 6) != 0x2) n = 0;
    }
    if (n == 0 || (c < 0x20 && c != '\t' && c != '\n')) {
      out += '?';
      i += std::max<std::size_t>(n, 1);
      continue;
    }
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out.append(text.substr(i, n));
    }
    i += n;
  }
  return out;
}

std::string RenderSvg(const LineChart& chart) {
  const Scale x = chart.x.log
                      ? LogScale(DataRange(chart, true), kLeft, kWidth - kRight)
                      : LinearScale(chart.x, DataRange(chart, true), kLeft, kWidth - kRight);
  const Scale y = LinearScale(chart.y, DataRange(chart, false), kHeight - kBottom, kTop);
  std::string out = fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} "
      "{1}\" "
      "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"
      "<text class=\"title\" x=\"{2:.1f}\" y=\"30\" text-anchor=\"middle\" font-size=\"16\" "
      "font-weight=\"bold\">{3}</text>\n",
      kWidth, kHeight, kWidth / 2, XmlEscape(chart.title));
  DrawAxes(out, chart, x, y);
  DrawSeries(out, chart, x, y);
  DrawLegend(out, chart);
  if (chart.series.empty()) {
    fmt::format_to(
        std::back_inserter(out),
        "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" fill=\"#777777\">no data</text>\n",
        (kLeft + kWidth - kRight) / 2, (kTop + kHeight - kBottom) / 2);
  }
  out += "</svg>\n";
  return out;
}

}  // namespace dabs::emu::internal
