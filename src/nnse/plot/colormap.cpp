// The colour maps of heat maps (figure.h's colormap_lookup).
#include <algorithm>
#include <array>
#include <cmath>

#include "nnse/plot/figure.h"

namespace nnse::plot {
namespace {

// Anchor colours sampled evenly from matplotlib's perceptually uniform maps (viridis, magma); in between is linear.
constexpr std::array<Rgb, 10> kViridis = {{{68, 1, 84}, {72, 40, 120}, {62, 73, 137}, {49, 104, 142},
                                           {38, 130, 142}, {31, 158, 137}, {53, 183, 121}, {109, 205, 89},
                                           {180, 222, 44}, {253, 231, 37}}};
constexpr std::array<Rgb, 10> kMagma = {{{0, 0, 4}, {24, 15, 61}, {68, 15, 118}, {114, 31, 129}, {158, 47, 127},
                                         {205, 64, 113}, {241, 96, 93}, {253, 150, 104}, {254, 202, 141},
                                         {252, 253, 191}}};
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

}  // namespace nnse::plot
