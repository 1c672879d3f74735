// Bar chart panels: one bar per named item from zero to its value, the value written at the bar's end and the
// name under it.
#include <algorithm>
#include <cmath>

#include "nnse/plot/panels.h"

namespace nnse::plot {

void draw_bars(cairo_t* cr, const Rect& r, const std::vector<Bar>& bars, const BarOptions& o) {
  // The y range holds 0 and every value, with room above (and below, for negative bars) for the value labels.
  double lo = 0.0, hi = 0.0;
  for (const auto& bar : bars) {
    if (!std::isfinite(bar.value)) continue;
    lo = std::min(lo, bar.value);
    hi = std::max(hi, bar.value);
  }
  if (!(hi > lo)) hi = lo + o.min_span;
  const double pad = 0.08 * (hi - lo);
  hi += pad;
  if (lo < 0.0) lo -= pad;

  cairo_set_source_rgb(cr, 1.0, 1.0, 1.0);
  cairo_rectangle(cr, r.x, r.y, r.w, r.h);
  cairo_fill(cr);
  draw_y_axis(cr, r, lo, hi, o.y_label, true);
  auto py_of = [&](double v) { return r.y + r.h - (v - lo) / (hi - lo) * r.h; };
  const double zero = std::round(py_of(0.0)) + 0.5;
  cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
  cairo_set_line_width(cr, 1.0);
  cairo_move_to(cr, r.x, zero);
  cairo_line_to(cr, r.x + r.w, zero);
  cairo_stroke(cr);

  const double slot = r.w / static_cast<double>(std::max<std::size_t>(1, bars.size()));
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const Bar& bar = bars[i];
    const double cx = r.x + slot * (static_cast<double>(i) + 0.5);
    if (std::isfinite(bar.value)) {
      const double end = py_of(bar.value);
      set_rgb(cr, bar.colour);
      cairo_rectangle(cr, cx - 0.35 * slot, std::min(end, zero), 0.7 * slot, std::fabs(end - zero));
      cairo_fill(cr);
      const bool up = bar.value >= 0.0;
      text(cr, cx, up ? end - 3.0 : end + 3.0, bar.value_label, kTickFont - 2.0, 0.5, up ? 1.0 : 0.0);
    } else {
      text(cr, cx, zero - 3.0, "n/a", kTickFont - 2.0, 0.5, 1.0);
    }
    text(cr, cx, r.y + r.h + 6.0, bar.name, kTickFont - 1.0, 1.0, 0.5, false, true);
  }
  draw_frame(cr, r);
}

}  // namespace nnse::plot
