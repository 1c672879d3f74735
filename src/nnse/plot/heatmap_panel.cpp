// Heat map panels: a [time x frequency] matrix as an image, with axes and a colour bar.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "nnse/plot/panels.h"
#include "nnse/util/error.h"

namespace nnse::plot {
namespace {

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

}  // namespace nnse::plot
