#include "nnse/plot/canvas.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

namespace nnse::plot {

void set_rgb(cairo_t* cr, Rgb c, double alpha) { cairo_set_source_rgba(cr, c.r / 255.0, c.g / 255.0, c.b / 255.0, alpha); }

void text(cairo_t* cr, double x, double y, const std::string& s, double size, double ax, double ay, bool bold,
          bool vertical) {
  cairo_save(cr);
  cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                         bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
  cairo_text_extents_t te;
  cairo_font_extents_t fe;
  cairo_text_extents(cr, s.c_str(), &te);
  cairo_font_extents(cr, &fe);
  cairo_translate(cr, x, y);
  if (vertical) cairo_rotate(cr, -std::numbers::pi / 2.0);
  const double line = fe.ascent + fe.descent;
  cairo_move_to(cr, -te.x_advance * ax, fe.ascent - line * ay);
  cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
  cairo_show_text(cr, s.c_str());
  cairo_restore(cr);
}

std::string tick_label(double value, double step) {
  const int decimals = std::max(0, static_cast<int>(std::ceil(-std::log10(step) - 1e-9)));
  if (std::abs(value) < step * 1e-6) value = 0.0;  // no "-0"
  return fmt::format("{:.{}f}", value, decimals);
}

double tick_step(const std::vector<double>& ticks) { return ticks.size() > 1 ? ticks[1] - ticks[0] : 1.0; }

void draw_x_axis(cairo_t* cr, const Rect& r, double lo, double hi, const std::string& label) {
  const auto ticks = nice_ticks(lo, hi, std::max(2, static_cast<int>(r.w / kPixelsPerXTick)));
  const double step = tick_step(ticks);
  cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
  cairo_set_line_width(cr, 1.0);
  for (double t : ticks) {
    const double px = std::round(r.x + (t - lo) / (hi - lo) * r.w) + 0.5;
    cairo_move_to(cr, px, r.y + r.h);
    cairo_line_to(cr, px, r.y + r.h + kTickLength);
    cairo_stroke(cr);
    text(cr, px, r.y + r.h + kTickLength + 2.0, tick_label(t, step), kTickFont, 0.5, 0.0);
  }
  text(cr, r.x + r.w / 2.0, r.y + r.h + kMarginBottom - 4.0, label, kLabelFont, 0.5, 1.0);
}

double text_width(cairo_t* cr, const std::string& s, double size) {
  cairo_save(cr);
  cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
  cairo_text_extents_t te;
  cairo_text_extents(cr, s.c_str(), &te);
  cairo_restore(cr);
  return te.x_advance;
}

void draw_y_axis(cairo_t* cr, const Rect& r, double lo, double hi, const std::string& label, bool grid) {
  const auto ticks = nice_ticks(lo, hi, std::max(2, static_cast<int>(r.h / kPixelsPerYTick)));
  const double step = tick_step(ticks);
  double widest = 0.0;
  for (double t : ticks) widest = std::max(widest, text_width(cr, tick_label(t, step), kTickFont));
  cairo_set_line_width(cr, 1.0);
  for (double t : ticks) {
    const double py = std::round(r.y + r.h - (t - lo) / (hi - lo) * r.h) + 0.5;
    if (grid) {
      cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
      cairo_move_to(cr, r.x, py);
      cairo_line_to(cr, r.x + r.w, py);
      cairo_stroke(cr);
    }
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    cairo_move_to(cr, r.x - kTickLength, py);
    cairo_line_to(cr, r.x, py);
    cairo_stroke(cr);
    text(cr, r.x - kTickLength - 3.0, py, tick_label(t, step), kTickFont, 1.0, 0.5);
  }
  // The label sits just left of the widest tick label (but never off the picture).
  const double label_x = std::max(4.0, r.x - kTickLength - 3.0 - widest - 8.0);
  text(cr, label_x, r.y + r.h / 2.0, label, kLabelFont, 0.5, 1.0, false, true);
}

void draw_frame(cairo_t* cr, const Rect& r) {
  cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
  cairo_set_line_width(cr, 1.0);
  cairo_rectangle(cr, std::round(r.x) + 0.5, std::round(r.y) + 0.5, std::round(r.w), std::round(r.h));
  cairo_stroke(cr);
}

std::vector<double> nice_ticks(double lo, double hi, int target) {
  std::vector<double> ticks;
  if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) return ticks;
  target = std::max(2, target);
  auto count = [&](double step) { return std::floor(hi / step + 1e-9) - std::ceil(lo / step - 1e-9) + 1.0; };
  // Among 1, 2, 5 x 10^n, the step whose tick count is closest to the target, with at least two ticks.
  const double magnitude = std::pow(10.0, std::floor(std::log10((hi - lo) / target)));
  double best = magnitude;
  double best_error = std::numeric_limits<double>::infinity();
  for (double scale : {0.1, 1.0, 10.0}) {
    for (double m : {1.0, 2.0, 5.0}) {
      const double step = m * magnitude * scale;
      const double n = count(step);
      const double error = n < 2.0 ? 1e9 + step : std::abs(n - target);
      if (error < best_error) {
        best_error = error;
        best = step;
      }
    }
  }
  const double tolerance = best * 1e-9;
  for (double k = std::ceil((lo - tolerance) / best); k * best <= hi + tolerance; k += 1.0) ticks.push_back(k * best);
  return ticks;
}

}  // namespace nnse::plot
