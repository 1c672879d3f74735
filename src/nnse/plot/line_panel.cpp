// Line panels: series of values against x (waveforms, gains, losses), with a legend.
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "nnse/plot/panels.h"

namespace nnse::plot {
namespace {

// Line colours (a qualitative palette that stays distinguishable for common colour-vision deficiencies).
constexpr std::array<Rgb, 8> kLineColours = {{{31, 119, 180}, {255, 127, 14}, {44, 160, 44}, {214, 39, 40},
                                             {148, 103, 189}, {140, 86, 75}, {227, 119, 194}, {127, 127, 127}}};

}  // namespace

void draw_lines(cairo_t* cr, const Rect& r, const std::vector<LineSeries>& series, const LineOptions& o) {
  double xlo = std::numeric_limits<double>::infinity(), xhi = -xlo;
  double ylo = xlo, yhi = -xlo;
  for (const auto& s : series) {
    if (s.values.empty()) continue;
    xlo = std::min(xlo, s.x_start);
    // Each value stands for one step (a sample period), so the axis ends where the last step ends.
    xhi = std::max(xhi, s.x_start + s.x_step * static_cast<double>(s.values.size() > 1 ? s.values.size() : 0));
    for (float v : s.values) {
      if (!std::isfinite(v)) continue;
      ylo = std::min(ylo, static_cast<double>(v));
      yhi = std::max(yhi, static_cast<double>(v));
    }
  }
  if (!std::isfinite(xlo)) xlo = 0.0, xhi = 1.0;
  if (!(xhi > xlo)) xhi = xlo + 1.0;
  if (!std::isfinite(ylo)) ylo = -1.0, yhi = 1.0;
  const double margin = std::max(1e-6, (yhi - ylo) * 0.05);
  ylo -= margin;
  yhi += margin;
  if (!std::isnan(o.y_min)) ylo = o.y_min;
  if (!std::isnan(o.y_max)) yhi = o.y_max;
  if (!(yhi > ylo)) yhi = ylo + 1.0;

  cairo_set_source_rgb(cr, 1.0, 1.0, 1.0);
  cairo_rectangle(cr, r.x, r.y, r.w, r.h);
  cairo_fill(cr);
  draw_y_axis(cr, r, ylo, yhi, o.y_label, true);
  draw_x_axis(cr, r, xlo, xhi, o.x_label);

  auto px_of = [&](double x) { return r.x + (x - xlo) / (xhi - xlo) * r.w; };
  auto py_of = [&](double y) { return r.y + r.h - (y - ylo) / (yhi - ylo) * r.h; };
  cairo_save(cr);
  cairo_rectangle(cr, r.x, r.y, r.w, r.h);
  cairo_clip(cr);
  cairo_set_line_width(cr, 1.2);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  for (std::size_t i = 0; i < series.size(); ++i) {
    const auto& s = series[i];
    if (s.values.empty()) continue;
    set_rgb(cr, kLineColours[i % kLineColours.size()]);
    const std::size_t n = s.values.size();
    const double pixels = std::abs(px_of(s.x_start + s.x_step * static_cast<double>(n)) - px_of(s.x_start));
    if (static_cast<double>(n) > 2.0 * pixels) {
      // Dense data (a waveform): one vertical min-max stroke per pixel column, the envelope a reader expects.
      const auto columns = static_cast<std::size_t>(std::max(1.0, std::ceil(pixels)));
      bool started = false;
      for (std::size_t c = 0; c < columns; ++c) {
        const std::size_t a = c * n / columns, b = std::max(a + 1, (c + 1) * n / columns);
        double lo = std::numeric_limits<double>::infinity(), hi = -lo;
        for (std::size_t j = a; j < std::min(b, n); ++j) {
          if (!std::isfinite(s.values[j])) continue;
          lo = std::min(lo, static_cast<double>(s.values[j]));
          hi = std::max(hi, static_cast<double>(s.values[j]));
        }
        if (!std::isfinite(lo)) continue;
        const double x = px_of(s.x_start + s.x_step * static_cast<double>(a));
        if (!started) {
          cairo_move_to(cr, x, py_of(lo));
          started = true;
        } else {
          cairo_line_to(cr, x, py_of(lo));
        }
        cairo_line_to(cr, x, py_of(hi) - 0.5);
      }
    } else {
      bool started = false;
      for (std::size_t j = 0; j < n; ++j) {
        if (!std::isfinite(s.values[j])) {
          started = false;
          continue;
        }
        const double x = px_of(s.x_start + s.x_step * static_cast<double>(j)), y = py_of(s.values[j]);
        if (!started) {
          cairo_move_to(cr, x, y);
          started = true;
        } else {
          cairo_line_to(cr, x, y);
        }
      }
    }
    cairo_stroke(cr);
  }
  cairo_restore(cr);
  draw_frame(cr, r);

  // Legend, top right inside the plot.
  std::vector<std::size_t> labelled;
  for (std::size_t i = 0; i < series.size(); ++i) {
    if (!series[i].label.empty()) labelled.push_back(i);
  }
  if (!o.legend || labelled.empty()) return;
  cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, kTickFont);
  double text_width = 0.0;
  for (std::size_t i : labelled) {
    cairo_text_extents_t te;
    cairo_text_extents(cr, series[i].label.c_str(), &te);
    text_width = std::max(text_width, te.x_advance);
  }
  constexpr double kSwatch = 22.0, kPad = 6.0, kRow = 17.0;
  const double box_w = kPad * 3 + kSwatch + text_width;
  const double box_h = kPad * 2 + kRow * static_cast<double>(labelled.size());
  const double bx = r.x + r.w - box_w - 8.0, by = r.y + 8.0;
  cairo_set_source_rgba(cr, 1.0, 1.0, 1.0, 0.85);
  cairo_rectangle(cr, bx, by, box_w, box_h);
  cairo_fill_preserve(cr);
  cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
  cairo_set_line_width(cr, 1.0);
  cairo_stroke(cr);
  for (std::size_t row = 0; row < labelled.size(); ++row) {
    const double cy = by + kPad + kRow * (static_cast<double>(row) + 0.5);
    set_rgb(cr, kLineColours[labelled[row] % kLineColours.size()]);
    cairo_set_line_width(cr, 2.5);
    cairo_move_to(cr, bx + kPad, cy);
    cairo_line_to(cr, bx + kPad + kSwatch, cy);
    cairo_stroke(cr);
    text(cr, bx + kPad * 2 + kSwatch, cy, series[labelled[row]].label, kTickFont, 0.0, 0.5);
  }
}

}  // namespace nnse::plot
