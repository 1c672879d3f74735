#include "nnse/plot/figure.h"

#include <cairo.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <numbers>

#include "nnse/plot/font_caches.h"
#include "nnse/util/atomic_file.h"
#include "nnse/util/error.h"

// Fontconfig (under cairo's text API) keeps what it parses from its configuration files for the life of the
// process and never frees some of it; LeakSanitizer would report that in every program that draws text. This
// suppresses leaks allocated inside libfontconfig only; it is an unused function in builds without LSan.
extern "C" const char* __lsan_default_suppressions();
extern "C" const char* __lsan_default_suppressions() { return "leak:libfontconfig.so\n"; }

namespace nnse::plot {
namespace {

// Layout, in pixels and points.
constexpr double kMarginLeft = 80.0;     // y tick labels and the rotated y label
constexpr double kMarginRightHeat = 112.0;  // colour bar, its ticks and label
constexpr double kMarginRightLines = 24.0;
constexpr double kMarginTop = 30.0;      // title
constexpr double kMarginBottom = 48.0;   // x tick labels and x label
constexpr double kColorbarGap = 14.0;
constexpr double kColorbarWidth = 16.0;
constexpr double kTickLength = 5.0;
constexpr double kTickFont = 12.0;
constexpr double kLabelFont = 13.0;
constexpr double kTitleFont = 15.0;
constexpr double kPixelsPerXTick = 90.0;
constexpr double kPixelsPerYTick = 32.0;
constexpr int kMinWidth = 320;
constexpr int kMaxWidth = 16000;
constexpr int kMinPanelHeight = kMarginTop + kMarginBottom + 40;

// Anchor colours sampled evenly from matplotlib's perceptually uniform maps (viridis, magma); in between is linear.
constexpr std::array<Rgb, 10> kViridis = {{{68, 1, 84}, {72, 40, 120}, {62, 73, 137}, {49, 104, 142},
                                           {38, 130, 142}, {31, 158, 137}, {53, 183, 121}, {109, 205, 89},
                                           {180, 222, 44}, {253, 231, 37}}};
constexpr std::array<Rgb, 10> kMagma = {{{0, 0, 4}, {24, 15, 61}, {68, 15, 118}, {114, 31, 129}, {158, 47, 127},
                                         {205, 64, 113}, {241, 96, 93}, {253, 150, 104}, {254, 202, 141},
                                         {252, 253, 191}}};
// Line colours (a qualitative palette that stays distinguishable for common colour-vision deficiencies).
constexpr std::array<Rgb, 8> kLineColours = {{{31, 119, 180}, {255, 127, 14}, {44, 160, 44}, {214, 39, 40},
                                             {148, 103, 189}, {140, 86, 75}, {227, 119, 194}, {127, 127, 127}}};

struct CairoDeleter {
  void operator()(cairo_t* c) const { cairo_destroy(c); }
  void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};
using Context = std::unique_ptr<cairo_t, CairoDeleter>;
using Surface = std::unique_ptr<cairo_surface_t, CairoDeleter>;

struct Rect {
  double x, y, w, h;
};

void set_rgb(cairo_t* cr, Rgb c, double alpha = 1.0) { cairo_set_source_rgba(cr, c.r / 255.0, c.g / 255.0, c.b / 255.0, alpha); }

// Draws `s` with its anchor point (ax, ay in [0, 1]: 0 = left/top, 0.5 = centre, 1 = right/bottom) at (x, y).
void text(cairo_t* cr, double x, double y, const std::string& s, double size, double ax, double ay, bool bold = false,
          bool vertical = false) {
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

// Paints an image surface stretched over r (smooth when shrinking, crisp blocks when enlarging).
void paint_image(cairo_t* cr, cairo_surface_t* image, int columns, int rows, const Rect& r) {
  cairo_save(cr);
  cairo_rectangle(cr, r.x, r.y, r.w, r.h);
  cairo_clip(cr);
  cairo_translate(cr, r.x, r.y);
  cairo_scale(cr, r.w / columns, r.h / rows);
  cairo_set_source_surface(cr, image, 0, 0);
  cairo_pattern_t* pattern = cairo_get_source(cr);
  const bool enlarging = r.w >= columns && r.h >= rows;
  cairo_pattern_set_filter(pattern, enlarging ? CAIRO_FILTER_NEAREST : CAIRO_FILTER_GOOD);
  cairo_pattern_set_extend(pattern, CAIRO_EXTEND_PAD);
  cairo_paint(cr);
  cairo_restore(cr);
}

Surface make_image(int columns, int rows) {
  Surface image(cairo_image_surface_create(CAIRO_FORMAT_RGB24, columns, rows));
  if (cairo_surface_status(image.get()) != CAIRO_STATUS_SUCCESS) throw Error("plot: cannot create an image");
  return image;
}

void put_pixel(cairo_surface_t* image, int x, int y, Rgb c) {
  unsigned char* data = cairo_image_surface_get_data(image);
  const int stride = cairo_image_surface_get_stride(image);
  auto* pixel = reinterpret_cast<std::uint32_t*>(data + static_cast<std::ptrdiff_t>(y) * stride) + x;
  *pixel = (std::uint32_t{c.r} << 16) | (std::uint32_t{c.g} << 8) | std::uint32_t{c.b};
}

void axis_range(double start, double end, int count, double& lo, double& hi) {
  if (end > start) {
    lo = start;
    hi = end;
  } else {
    lo = 0.0;
    hi = count;
  }
}

}  // namespace

Rgb colormap_lookup(Colormap map, double v) {
  v = std::isfinite(v) ? std::clamp(v, 0.0, 1.0) : 0.0;
  if (map == Colormap::gray) {
    const auto g = static_cast<unsigned char>(std::lround(v * 255.0));
    return {g, g, g};
  }
  const auto& anchors = map == Colormap::magma ? kMagma : kViridis;
  const double position = v * (anchors.size() - 1);
  const auto i = std::min(static_cast<std::size_t>(position), anchors.size() - 2);
  const double f = position - static_cast<double>(i);
  auto mix = [&](unsigned char a, unsigned char b) {
    return static_cast<unsigned char>(std::lround(a + (b - a) * f));
  };
  return {mix(anchors[i].r, anchors[i + 1].r), mix(anchors[i].g, anchors[i + 1].g), mix(anchors[i].b, anchors[i + 1].b)};
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

Figure::Figure(int width) : width_(width) {
  release_font_caches_at_exit();  // every figure draws text
  if (width < kMinWidth || width > kMaxWidth) {
    throw Error(fmt::format("plot: width must be in {}..{} pixels, got {}", kMinWidth, kMaxWidth, width));
  }
}

int Figure::height() const {
  int h = 0;
  for (const auto& p : panels_) h += p.height;
  return h;
}

Figure& Figure::add_heatmap(std::span<const float> values, int columns, int rows, const HeatmapOptions& options) {
  if (columns <= 0 || rows <= 0 || values.size() != static_cast<std::size_t>(columns) * static_cast<std::size_t>(rows)) {
    throw Error(fmt::format("plot: heat map '{}' needs columns x rows = {} x {} values, got {}", options.title, columns,
                            rows, values.size()));
  }
  Panel panel;
  panel.is_heatmap = true;
  panel.heatmap.values.assign(values.begin(), values.end());
  panel.heatmap.columns = columns;
  panel.heatmap.rows = rows;
  panel.heatmap.options = options;
  panel.height = std::max(kMinPanelHeight, options.height);
  panels_.push_back(std::move(panel));
  return *this;
}

Figure& Figure::add_lines(const std::vector<LineSeries>& series, const LineOptions& options) {
  Panel panel;
  panel.is_heatmap = false;
  panel.lines.series = series;
  panel.lines.options = options;
  panel.height = std::max(kMinPanelHeight, options.height);
  panels_.push_back(std::move(panel));
  return *this;
}

namespace {

void draw_heatmap(cairo_t* cr, const Rect& r, const std::vector<float>& values, int columns, int rows,
                  const HeatmapOptions& o) {
  // Colour range.
  double vmax = o.value_max, vmin = o.value_min;
  if (std::isnan(vmax)) {
    vmax = -std::numeric_limits<double>::infinity();
    for (float v : values) {
      if (std::isfinite(v)) vmax = std::max(vmax, static_cast<double>(v));
    }
    if (!std::isfinite(vmax)) vmax = 0.0;
  }
  if (std::isnan(vmin)) vmin = vmax - o.dynamic_range;
  if (!(vmax > vmin)) vmin = vmax - 1.0;

  // Long signals: keep at most two image columns per pixel (the loudest value of each group survives).
  const int max_columns = std::max(1, static_cast<int>(2.0 * r.w));
  const int group = (columns + max_columns - 1) / max_columns;
  const int image_columns = (columns + group - 1) / group;
  Surface image = make_image(image_columns, rows);
  cairo_surface_flush(image.get());
  for (int c = 0; c < image_columns; ++c) {
    for (int k = 0; k < rows; ++k) {
      double v = -std::numeric_limits<double>::infinity();
      for (int j = c * group; j < std::min(columns, (c + 1) * group); ++j) {
        const float x = values[static_cast<std::size_t>(j) * static_cast<std::size_t>(rows) + static_cast<std::size_t>(k)];
        if (std::isfinite(x)) v = std::max(v, static_cast<double>(x));
      }
      put_pixel(image.get(), c, rows - 1 - k, colormap_lookup(o.colormap, (v - vmin) / (vmax - vmin)));
    }
  }
  cairo_surface_mark_dirty(image.get());
  paint_image(cr, image.get(), image_columns, rows, r);
  draw_frame(cr, r);

  double xlo, xhi, ylo, yhi;
  axis_range(o.x_start, o.x_end, columns, xlo, xhi);
  axis_range(o.y_start, o.y_end, rows, ylo, yhi);
  draw_x_axis(cr, r, xlo, xhi, o.x_label);
  draw_y_axis(cr, r, ylo, yhi, o.y_label, false);

  // Colour bar.
  const Rect bar{r.x + r.w + kColorbarGap, r.y, kColorbarWidth, r.h};
  constexpr int kBarSteps = 256;
  Surface gradient = make_image(1, kBarSteps);
  cairo_surface_flush(gradient.get());
  for (int i = 0; i < kBarSteps; ++i) {
    put_pixel(gradient.get(), 0, kBarSteps - 1 - i, colormap_lookup(o.colormap, i / double(kBarSteps - 1)));
  }
  cairo_surface_mark_dirty(gradient.get());
  paint_image(cr, gradient.get(), 1, kBarSteps, bar);
  draw_frame(cr, bar);
  const auto ticks = nice_ticks(vmin, vmax, std::max(2, static_cast<int>(bar.h / kPixelsPerYTick)));
  const double step = tick_step(ticks);
  double widest = 0.0;
  for (double t : ticks) widest = std::max(widest, text_width(cr, tick_label(t, step), kTickFont));
  cairo_set_line_width(cr, 1.0);
  for (double t : ticks) {
    const double py = std::round(bar.y + bar.h - (t - vmin) / (vmax - vmin) * bar.h) + 0.5;
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    cairo_move_to(cr, bar.x + bar.w, py);
    cairo_line_to(cr, bar.x + bar.w + kTickLength, py);
    cairo_stroke(cr);
    text(cr, bar.x + bar.w + kTickLength + 3.0, py, tick_label(t, step), kTickFont, 0.0, 0.5);
  }
  const double label_x = std::min(bar.x + bar.w + kTickLength + 3.0 + widest + 8.0,
                                  bar.x + kMarginRightHeat - kColorbarGap - 4.0);
  text(cr, label_x, bar.y + bar.h / 2.0, o.colorbar_label, kLabelFont, 0.5, 0.0, false, true);
}

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

}  // namespace

void Figure::save_png(const std::filesystem::path& file) const {
  if (panels_.empty()) throw Error(file, "nothing to plot");
  Surface surface(cairo_image_surface_create(CAIRO_FORMAT_RGB24, width_, height()));
  if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS) {
    throw Error(file, fmt::format("cannot create a {} x {} picture", width_, height()));
  }
  Context cr(cairo_create(surface.get()));
  cairo_set_source_rgb(cr.get(), 1.0, 1.0, 1.0);
  cairo_paint(cr.get());
  double top = 0.0;
  for (const auto& panel : panels_) {
    const double right = panel.is_heatmap ? kMarginRightHeat : kMarginRightLines;
    const Rect r{kMarginLeft, top + kMarginTop, width_ - kMarginLeft - right, panel.height - kMarginTop - kMarginBottom};
    const std::string& title = panel.is_heatmap ? panel.heatmap.options.title : panel.lines.options.title;
    if (!title.empty()) text(cr.get(), r.x + r.w / 2.0, top + 6.0, title, kTitleFont, 0.5, 0.0, true);
    if (panel.is_heatmap) {
      draw_heatmap(cr.get(), r, panel.heatmap.values, panel.heatmap.columns, panel.heatmap.rows, panel.heatmap.options);
    } else {
      draw_lines(cr.get(), r, panel.lines.series, panel.lines.options);
    }
    top += panel.height;
  }
  cairo_surface_flush(surface.get());
  if (cairo_status(cr.get()) != CAIRO_STATUS_SUCCESS) {
    throw Error(file, std::string("drawing failed: ") + cairo_status_to_string(cairo_status(cr.get())));
  }
  produce_file_atomic(file, [&](const std::filesystem::path& temporary) {
    const cairo_status_t status = cairo_surface_write_to_png(surface.get(), temporary.c_str());
    if (status != CAIRO_STATUS_SUCCESS) {
      throw Error(file, std::string("cannot write PNG: ") + cairo_status_to_string(status));
    }
  });
}

}  // namespace nnse::plot
