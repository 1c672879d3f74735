#include "nnse/enhance/enhance_file.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>

#include "nnse/audio/audio_io.h"
#include "nnse/dsp/stream_enhancer.h"
#include "nnse/enhance/stream_factory.h"
#include "nnse/plot/figure.h"
#include "nnse/util/error.h"

namespace nnse::enhance {
namespace {

constexpr std::size_t kBlockSamples = 16000 * 4;

// Waveforms are drawn from at most this many points (min/max pairs would be nicer; a plain stride is enough to
// see the level and where speech is).
std::vector<float> decimate_for_plot(const std::vector<float>& x, std::size_t points) {
  if (x.size() <= points) return x;
  std::vector<float> out;
  out.reserve(points);
  const double step = static_cast<double>(x.size()) / static_cast<double>(points);
  for (std::size_t i = 0; i < points; ++i) out.push_back(x[static_cast<std::size_t>(static_cast<double>(i) * step)]);
  return out;
}

void write_picture(const std::filesystem::path& file, const std::string& name, const EnhancementAnalysis& analysis,
                   const std::vector<float>& noisy, const std::vector<float>& enhanced, const dsp::FrontendConfig& config) {
  if (analysis.frames == 0) {
    spdlog::warn("{}: too short for a picture, none written", name);
    return;
  }
  const double seconds = analysis.frames / config.frame_rate();
  const double nyquist_khz = config.sample_rate / 2000.0;
  plot::Figure figure(1200);
  plot::HeatmapOptions spectrogram{.title = "noisy input: " + name, .x_start = 0.0, .x_end = seconds,
                                   .y_start = 0.0, .y_end = nyquist_khz, .value_min = -50.0, .value_max = 30.0};
  figure.add_heatmap(analysis.noisy_db, analysis.frames, analysis.bins, spectrogram);
  spectrogram.title = "enhanced output";
  figure.add_heatmap(analysis.enhanced_db, analysis.frames, analysis.bins, spectrogram);
  plot::HeatmapOptions mask{.title = "estimated gain mask (0 = removed, 1 = kept)", .x_start = 0.0, .x_end = seconds,
                            .y_start = 0.0, .y_end = nyquist_khz, .value_min = 0.0, .value_max = 1.0,
                            .colorbar_label = "gain", .colormap = plot::Colormap::magma};
  figure.add_heatmap(analysis.gain, analysis.frames, analysis.bins, mask);
  const auto shown = static_cast<std::size_t>(seconds * config.sample_rate);
  auto head = [&](const std::vector<float>& x) {
    return decimate_for_plot(std::vector<float>(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(std::min(shown, x.size()))), 6000);
  };
  const auto noisy_points = head(noisy), enhanced_points = head(enhanced);
  const double step = seconds / static_cast<double>(std::max<std::size_t>(noisy_points.size(), 1));
  figure.add_lines({{.label = "noisy", .values = noisy_points, .x_start = 0.0, .x_step = step},
                    {.label = "enhanced", .values = enhanced_points, .x_start = 0.0, .x_step = step}},
                   {.title = "waveforms", .y_label = "amplitude (full scale = 1)"});
  figure.save_png(file);
}

}  // namespace

FileEnhanceResult enhance_file(const model::TrainedModel& trained, const std::filesystem::path& input,
                               const std::filesystem::path& output, const FileEnhanceOptions& options) {
  const dsp::FrontendConfig& config = trained.frontend;
  audio::AudioReader reader(input, config.sample_rate, options.announce);
  if (reader.info().sample_rate < config.sample_rate) {
    spdlog::warn("{}: {} Hz input upsampled to {} Hz; the model is wideband, so there is nothing above {} Hz to enhance",
                 input.string(), reader.info().sample_rate, config.sample_rate, reader.info().sample_rate / 2);
  }
  const double picture_seconds = options.picture ? options.picture_seconds : 0.0;
  if (options.quantized && options.picture) throw Error("--pictures", "is not available with --quantized");
  EnhancerOptions settings = options.gains;
  settings.block_frames = 100;
  settings.analysis_seconds = picture_seconds;
  const auto enhancer = make_stream_enhancer(trained.model, config, trained.stats, settings, {.quantized = options.quantized});
  // The float enhancer keeps the analysis for pictures (the runtime keeps none).
  const auto* float_enhancer = dynamic_cast<const Enhancer*>(enhancer.get());
  audio::WavWriter writer(output, config.sample_rate, 1);
  const auto keep_for_picture = static_cast<std::size_t>(picture_seconds * config.sample_rate);
  std::vector<float> block(kBlockSamples), enhanced, noisy_head, enhanced_head;
  FileEnhanceResult result;
  auto deliver = [&]() {
    writer.write(enhanced);
    if (enhanced_head.size() < keep_for_picture) {
      const std::size_t take = std::min(keep_for_picture - enhanced_head.size(), enhanced.size());
      enhanced_head.insert(enhanced_head.end(), enhanced.begin(), enhanced.begin() + static_cast<std::ptrdiff_t>(take));
    }
    enhanced.clear();
  };
  while (const std::size_t n = reader.read(block)) {
    const std::span<const float> samples(block.data(), n);
    if (noisy_head.size() < keep_for_picture) {
      const std::size_t take = std::min(keep_for_picture - noisy_head.size(), n);
      noisy_head.insert(noisy_head.end(), samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(take));
    }
    enhancer->process(samples, enhanced);
    result.samples += static_cast<std::int64_t>(n);
    deliver();
  }
  enhancer->finish(enhanced);
  deliver();
  writer.close();
  result.clipped = writer.clipped_samples();
  result.seconds = static_cast<double>(result.samples) / config.sample_rate;
  if (options.picture) write_picture(*options.picture, input.filename().string(), float_enhancer->analysis(), noisy_head, enhanced_head, config);
  return result;
}

}  // namespace nnse::enhance
