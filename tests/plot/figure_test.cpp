#include "nnse/plot/figure.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <iterator>

#include "nnse/util/error.h"
#include "test_support.h"

namespace nnse::plot {
namespace {

struct PngHeader {
  bool valid = false;
  std::uint32_t width = 0, height = 0;
};

std::uint32_t big_endian(const std::string& bytes, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
  return v;
}

// Signature, then the IHDR chunk first (as the PNG spec requires), and the IEND chunk last.
PngHeader read_png_header(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  PngHeader h;
  if (bytes.size() < 45 || bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0 || bytes.compare(12, 4, "IHDR") != 0) return h;
  if (bytes.compare(bytes.size() - 8, 4, "IEND") != 0) return h;
  h.valid = true;
  h.width = big_endian(bytes, 16);
  h.height = big_endian(bytes, 20);
  return h;
}

TEST(Figure, WritesValidPngOfExpectedSize) {
  test::ScratchDir dir;
  const int frames = 300, bins = 257;
  std::vector<float> spectrogram(std::size_t(frames) * bins);
  for (int t = 0; t < frames; ++t) {
    for (int k = 0; k < bins; ++k) spectrogram[std::size_t(t) * bins + std::size_t(k)] = float(-60.0 + 50.0 * std::sin(t * 0.05) * std::exp(-k / 60.0));
  }
  std::vector<float> mask(spectrogram.size());
  for (std::size_t i = 0; i < mask.size(); ++i) mask[i] = float(0.5 + 0.5 * std::sin(double(i) * 0.001));
  const auto wave = test::speech_like(3.0, 16000, 2);
  Figure figure(900);
  HeatmapOptions spec;
  spec.title = "noisy spectrogram";
  spec.x_end = 3.0;
  spec.y_end = 8.0;
  figure.add_heatmap(spectrogram, frames, bins, spec);
  HeatmapOptions mask_options;
  mask_options.title = "mask";
  mask_options.x_end = 3.0;
  mask_options.y_end = 8.0;
  mask_options.value_min = 0.0;
  mask_options.value_max = 1.0;
  mask_options.colorbar_label = "gain";
  mask_options.colormap = Colormap::magma;
  mask_options.height = 220;
  figure.add_heatmap(mask, frames, bins, mask_options);
  LineOptions lines;
  lines.title = "waveforms";
  std::vector<float> half(wave.size());
  for (std::size_t i = 0; i < wave.size(); ++i) half[i] = 0.5f * wave[i];
  figure.add_lines({{"noisy", wave, 0.0, 1.0 / 16000}, {"enhanced", half, 0.0, 1.0 / 16000}}, lines);
  EXPECT_EQ(figure.panels(), 3u);
  EXPECT_EQ(figure.height(), 260 + 220 + 200);
  figure.save_png(dir / "figure.png");
  const auto header = read_png_header(dir / "figure.png");
  EXPECT_TRUE(header.valid);
  EXPECT_EQ(header.width, 900u);
  EXPECT_EQ(header.height, 680u);
  if (const char* keep = std::getenv("NNSE_KEEP_PLOT")) std::filesystem::copy_file(dir / "figure.png", keep,
                                                                                   std::filesystem::copy_options::overwrite_existing);
}

TEST(Figure, LongInputsAndFewPoints) {
  test::ScratchDir dir;
  // More columns than a cairo image may have: the heat map is reduced before drawing.
  const int frames = 40000, rows = 8;
  std::vector<float> values(std::size_t(frames) * rows, -20.0f);
  values[5] = std::nanf("");
  Figure figure(400);
  figure.add_heatmap(values, frames, rows, {});
  figure.add_lines({{"three points", {1.0f, 3.0f, 2.0f}}, {"", {}}}, {});
  figure.save_png(dir / "long.png");
  const auto header = read_png_header(dir / "long.png");
  EXPECT_TRUE(header.valid);
  EXPECT_EQ(header.width, 400u);
  EXPECT_EQ(header.height, 460u);
}

TEST(Figure, BarChartsUnderATitle) {
  test::ScratchDir dir;
  Figure figure(600);
  figure.set_title("bars");
  BarOptions gains;
  gains.title = "improvement";
  gains.y_label = "dB";
  figure.add_bars({{"cmix", 5.0, "+5.00", {}}, {"wsdr", -1.5, "-1.50", {}}, {"failed", std::nan(""), "", {}}}, gains);
  BarOptions flat;
  flat.height = 100;  // raised to what the names and the title need
  figure.add_bars({{"a", 0.0, "0", {}}}, flat);
  EXPECT_EQ(figure.panels(), 2u);
  EXPECT_EQ(figure.height(), 44 + 340 + (30 + 110 + 40));
  figure.save_png(dir / "bars.png");
  const auto header = read_png_header(dir / "bars.png");
  EXPECT_TRUE(header.valid);
  EXPECT_EQ(header.width, 600u);
  EXPECT_EQ(header.height, static_cast<std::uint32_t>(figure.height()));
  BarOptions bad;
  bad.min_span = 0.0;
  EXPECT_THROW(figure.add_bars({}, bad), Error);
}

TEST(Figure, RejectsBadInput) {
  test::ScratchDir dir;
  EXPECT_THROW(Figure(10), Error);
  Figure figure;
  EXPECT_THROW(figure.save_png(dir / "empty.png"), Error);
  EXPECT_THROW(figure.add_heatmap(std::vector<float>(10), 3, 3, {}), Error);
  figure.add_lines({{"x", {1.0f}}}, {});
  std::ofstream(dir / "a-file") << "x";
  EXPECT_THROW(figure.save_png(dir / "a-file" / "x.png"), Error);  // the folder is a file
}

TEST(Figure, TicksAndColormaps) {
  EXPECT_EQ(nice_ticks(0.0, 2.5, 5), (std::vector<double>{0.0, 0.5, 1.0, 1.5, 2.0, 2.5}));
  EXPECT_EQ(nice_ticks(0.0, 8.0, 4), (std::vector<double>{0.0, 2.0, 4.0, 6.0, 8.0}));
  const auto ticks = nice_ticks(-47.3, 32.7, 4);
  EXPECT_EQ(ticks.front(), -40.0);
  EXPECT_EQ(ticks.back(), 20.0);
  EXPECT_TRUE(nice_ticks(1.0, 1.0, 5).empty());
  const Rgb low = colormap_lookup(Colormap::viridis, 0.0), high = colormap_lookup(Colormap::viridis, 1.0);
  EXPECT_EQ(low.r, 68);
  EXPECT_EQ(high.g, 231);
  EXPECT_EQ(colormap_lookup(Colormap::gray, 0.5).r, 128);
  EXPECT_EQ(colormap_lookup(Colormap::magma, -3.0).b, 4);  // clamped
}

}  // namespace
}  // namespace nnse::plot
