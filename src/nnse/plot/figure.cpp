#include "nnse/plot/figure.h"

#include <cairo.h>
#include <fmt/format.h>

#include <algorithm>

#include "nnse/plot/canvas.h"
#include "nnse/plot/font_caches.h"
#include "nnse/plot/panels.h"
#include "nnse/util/atomic_file.h"
#include "nnse/util/error.h"

// Fontconfig (under cairo's text API) keeps what it parses from its configuration files for the life of the
// process and never frees some of it; LeakSanitizer would report that in every program that draws text. This
// suppresses leaks allocated inside libfontconfig only; it is an unused function in builds without LSan.
extern "C" const char* __lsan_default_suppressions();
extern "C" const char* __lsan_default_suppressions() { return "leak:libfontconfig.so\n"; }

namespace nnse::plot {
namespace {

void panel_title(cairo_t* cr, const Rect& r, double top, const std::string& title) {
  if (!title.empty()) text(cr, r.x + r.w / 2.0, top + 6.0, title, kTitleFont, 0.5, 0.0, true);
}

// The plot area of a panel `height` pixels high whose top is at `top`, inside the given margins.
Rect plot_area(int width, double top, int height, double right_margin, double bottom_margin) {
  return {kMarginLeft, top + kMarginTop, width - kMarginLeft - right_margin, height - kMarginTop - bottom_margin};
}

}  // namespace

Figure::Figure(int width) : width_(width) {
  release_font_caches_at_exit();  // every figure draws text
  if (width < kMinWidth || width > kMaxWidth) {
    throw Error(fmt::format("plot: width must be in {}..{} pixels, got {}", kMinWidth, kMaxWidth, width));
  }
}

int Figure::height() const {
  int h = title_.empty() ? 0 : kFigureTitleHeight;
  for (const auto& p : panels_) h += p.height;
  return h;
}

Figure& Figure::add_heatmap(std::span<const float> values, int columns, int rows, const HeatmapOptions& options) {
  if (columns <= 0 || rows <= 0 || values.size() != static_cast<std::size_t>(columns) * static_cast<std::size_t>(rows)) {
    throw Error(fmt::format("plot: heat map '{}' needs columns x rows = {} x {} values, got {}", options.title, columns,
                            rows, values.size()));
  }
  Panel panel;
  panel.kind = Panel::Kind::heatmap;
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
  panel.kind = Panel::Kind::lines;
  panel.lines.series = series;
  panel.lines.options = options;
  panel.height = std::max(kMinPanelHeight, options.height);
  panels_.push_back(std::move(panel));
  return *this;
}

Figure& Figure::add_bars(const std::vector<Bar>& bars, const BarOptions& options) {
  if (options.name_height < 0 || !(options.min_span > 0.0)) {
    throw Error(fmt::format("plot: bar chart '{}' needs name_height >= 0 and min_span > 0", options.title));
  }
  Panel panel;
  panel.kind = Panel::Kind::bars;
  panel.bars.bars = bars;
  panel.bars.options = options;
  panel.height = std::max(static_cast<int>(kMarginTop) + options.name_height + 40, options.height);
  panels_.push_back(std::move(panel));
  return *this;
}

Figure& Figure::set_title(std::string title) {
  title_ = std::move(title);
  return *this;
}

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
  if (!title_.empty()) {
    text(cr.get(), width_ / 2.0, 12.0, title_, kFigureTitleFont, 0.5, 0.0, true);
    top = kFigureTitleHeight;
  }
  for (const auto& panel : panels_) {
    switch (panel.kind) {
      case Panel::Kind::heatmap: {
        const Rect r = plot_area(width_, top, panel.height, kMarginRightHeat, kMarginBottom);
        panel_title(cr.get(), r, top, panel.heatmap.options.title);
        draw_heatmap(cr.get(), r, panel.heatmap.values, panel.heatmap.columns, panel.heatmap.rows,
                     panel.heatmap.options);
        break;
      }
      case Panel::Kind::lines: {
        const Rect r = plot_area(width_, top, panel.height, kMarginRightLines, kMarginBottom);
        panel_title(cr.get(), r, top, panel.lines.options.title);
        draw_lines(cr.get(), r, panel.lines.series, panel.lines.options);
        break;
      }
      case Panel::Kind::bars: {
        const Rect r = plot_area(width_, top, panel.height, kMarginRightLines, panel.bars.options.name_height);
        panel_title(cr.get(), r, top, panel.bars.options.title);
        draw_bars(cr.get(), r, panel.bars.bars, panel.bars.options);
        break;
      }
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
