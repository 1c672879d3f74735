#pragma once
// Internal to plot/: what every panel kind draws with. The page layout (margins, fonts, tick spacing), the cairo
// handles, text with an anchor point, framed plot areas and their axes with "nice" ticks.
#include <cairo.h>

#include <memory>
#include <string>
#include <vector>

#include "nnse/plot/figure.h"

namespace nnse::plot {

// Layout, in pixels and points.
inline constexpr double kMarginLeft = 80.0;     // y tick labels and the rotated y label
inline constexpr double kMarginRightHeat = 112.0;  // colour bar, its ticks and label
inline constexpr double kMarginRightLines = 24.0;
inline constexpr double kMarginTop = 30.0;      // title
inline constexpr double kMarginBottom = 48.0;   // x tick labels and x label
inline constexpr double kColorbarGap = 14.0;
inline constexpr double kColorbarWidth = 16.0;
inline constexpr double kTickLength = 5.0;
inline constexpr double kTickFont = 12.0;
inline constexpr double kLabelFont = 13.0;
inline constexpr double kTitleFont = 15.0;
inline constexpr double kFigureTitleFont = 17.0;
inline constexpr int kFigureTitleHeight = 44;  // the band above the first panel when a figure has a title
inline constexpr double kPixelsPerXTick = 90.0;
inline constexpr double kPixelsPerYTick = 32.0;
inline constexpr int kMinWidth = 320;
inline constexpr int kMaxWidth = 16000;
inline constexpr int kMinPanelHeight = kMarginTop + kMarginBottom + 40;

struct CairoDeleter {
  void operator()(cairo_t* c) const { cairo_destroy(c); }
  void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};
using Context = std::unique_ptr<cairo_t, CairoDeleter>;
using Surface = std::unique_ptr<cairo_surface_t, CairoDeleter>;

struct Rect {
  double x, y, w, h;
};

// The source colour for the next stroke or fill.
void set_rgb(cairo_t* cr, Rgb c, double alpha = 1.0);
// Draws `s` with its anchor point (ax, ay in [0, 1]: 0 = left/top, 0.5 = centre, 1 = right/bottom) at (x, y);
// vertical text reads upwards.
void text(cairo_t* cr, double x, double y, const std::string& s, double size, double ax, double ay, bool bold = false,
          bool vertical = false);
double text_width(cairo_t* cr, const std::string& s, double size);
// A tick's label with as many decimals as the tick step needs; the step of evenly spaced ticks.
std::string tick_label(double value, double step);
double tick_step(const std::vector<double>& ticks);
// Ticks, tick labels and the axis label under / left of the plot area r, for values lo..hi along it; `grid` adds
// light horizontal lines across r at the y ticks.
void draw_x_axis(cairo_t* cr, const Rect& r, double lo, double hi, const std::string& label);
void draw_y_axis(cairo_t* cr, const Rect& r, double lo, double hi, const std::string& label, bool grid);
void draw_frame(cairo_t* cr, const Rect& r);

}  // namespace nnse::plot
