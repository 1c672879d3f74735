#pragma once
// Internal to plot/: one function per panel kind, each drawing its data into the plot area r (axes and labels
// around it, in the margins Figure::save_png leaves). The panel's title is drawn by save_png.
#include <cairo.h>

#include <vector>

#include "nnse/plot/canvas.h"
#include "nnse/plot/figure.h"

namespace nnse::plot {

void draw_heatmap(cairo_t* cr, const Rect& r, const std::vector<float>& values, int columns, int rows,
                  const HeatmapOptions& o);
void draw_lines(cairo_t* cr, const Rect& r, const std::vector<LineSeries>& series, const LineOptions& o);
void draw_bars(cairo_t* cr, const Rect& r, const std::vector<Bar>& bars, const BarOptions& o);

}  // namespace nnse::plot
