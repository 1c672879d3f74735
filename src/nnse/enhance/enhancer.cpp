#include "nnse/enhance/enhancer.h"

#include <algorithm>
#include <cmath>

#include "nnse/dsp/context.h"
#include "nnse/dsp/frontend.h"
#include "nnse/dsp/stft.h"
#include "nnse/enhance/floor_guard.h"
#include "nnse/enhance/pitch_filter.h"
#include "nnse/nn/network.h"
#include "nnse/util/error.h"

namespace nnse::enhance {
namespace {
constexpr float kAnalysisFloor = 1e-10f;  // of the pictures' dB values
}  // namespace

float EnhancerOptions::gain_floor(double atten_lim_db) {
  if (!(atten_lim_db >= 0.0)) {
    throw Error("attenuation limit must be a non-negative number of dB, got " + std::to_string(atten_lim_db));
  }
  if (std::isinf(atten_lim_db)) return 0.0f;
  return static_cast<float>(std::pow(10.0, -atten_lim_db / 20.0));
}

struct Enhancer::State {
  State(const nn::Model& model, const dsp::FrontendConfig& config, const EnhancerOptions& options)
      : frontend(config, options.output_dc_pole),
        synthesizer(config),
        stream(model.network(), 1),
        worker(model.network()),
        guard(config.bins(), FloorGuardOptions{.beta = options.floor_guard,
                                               .confidence = FloorGuardOptions{}.confidence,
                                               .frame_rate = config.frame_rate(),
                                               .track = options.pitch_filter > 0.0}),
        pitch(config, PitchFilterOptions{.strength = options.pitch_filter}) {}
  dsp::StreamingFrontend frontend;
  dsp::StftSynthesizer synthesizer;
  nn::StreamState<float> stream;
  nn::Worker<float> worker;
  FloorGuard guard;
  PitchFilter pitch;
  std::vector<const float*> parameters;
  std::vector<float> pending_input;       // samples of an incomplete hop
  std::vector<float> block_features;      // [block_frames][feature_dim], normalized
  std::vector<dsp::Complex> block_bins;   // [block_frames][bins]
  std::vector<float> block_gain;          // [block_frames][output_dim]
  std::vector<dsp::Complex> block_pitch;  // [block_frames][bins]: the frames one pitch period back
  std::vector<float> frame_gain;          // [bins]: one frame's final gains
  std::vector<float> hop_out;
  std::vector<float>* out = nullptr;      // where run_block appends
  float gain_floor = 0.0f;
  float gain_scale = 1.0f;                // 1 / pass_gain
  int block_used = 0;
  std::int64_t delay_to_drop = 0;         // leading synthesis samples still to discard
};

Enhancer::Enhancer(const nn::Model& model, const dsp::FrontendConfig& frontend, const dsp::FeatureStats& stats,
                   EnhancerOptions options)
    : model_(model), frontend_(frontend), stats_(stats), options_(options) {
  frontend_.validate("enhancer front end");
  if (model.input_dim() != frontend_.feature_dim()) {
    throw Error("model expects " + std::to_string(model.input_dim()) + " input features but the front end (" +
                dsp::to_string(frontend_.feature_type) + ") gives " + std::to_string(frontend_.feature_dim()));
  }
  if (model.output_dim() != frontend_.bins()) {
    throw Error("model outputs " + std::to_string(model.output_dim()) + " gains but the STFT has " +
                std::to_string(frontend_.bins()) + " bins");
  }
  if (stats.dim() != frontend_.feature_dim()) throw Error("feature statistics do not match the front end's feature size");
  if (options_.block_frames <= 0) throw Error("enhancer: block_frames must be positive");
  const float floor = EnhancerOptions::gain_floor(options_.atten_lim_db);
  state_ = std::make_unique<State>(model, frontend_, options_);
  state_->gain_floor = floor;
  if (!(options_.pass_gain > 0.0 && options_.pass_gain <= 1.0)) {
    throw Error("pass gain must be in (0, 1], got " + std::to_string(options_.pass_gain));
  }
  state_->gain_scale = static_cast<float>(1.0 / options_.pass_gain);
  for (const auto& tensor : model.parameters()) state_->parameters.push_back(tensor.value.data());
  const auto pad = dsp::context_fill_frame(frontend_, &stats_);
  state_->stream.set_pad_frame(pad);
  const auto block = static_cast<std::size_t>(options_.block_frames);
  state_->block_features.resize(block * static_cast<std::size_t>(frontend_.feature_dim()));
  state_->block_bins.resize(block * static_cast<std::size_t>(frontend_.bins()));
  state_->block_gain.resize(block * static_cast<std::size_t>(model.output_dim()));
  if (state_->pitch.enabled()) state_->block_pitch.resize(block * static_cast<std::size_t>(frontend_.bins()));
  state_->frame_gain.resize(static_cast<std::size_t>(frontend_.bins()));
  state_->hop_out.resize(static_cast<std::size_t>(frontend_.hop_length));
  reset();
}

Enhancer::~Enhancer() = default;

void Enhancer::reset() {
  State& s = *state_;
  s.frontend.reset();
  s.synthesizer.reset();
  s.stream.reset(0);
  s.pending_input.clear();
  s.guard.reset();
  s.pitch.reset();
  s.block_used = 0;
  s.delay_to_drop = frontend_.history_length();
  analysis_ = EnhancementAnalysis{};
  analysis_.bins = frontend_.bins();
  frames_processed_ = samples_in_ = samples_out_ = 0;
}

void Enhancer::push_hop(std::span<const float> hop, std::vector<float>& out) {
  State& s = *state_;
  const auto dim = static_cast<std::size_t>(frontend_.feature_dim());
  const auto bins = static_cast<std::size_t>(frontend_.bins());
  const auto row = static_cast<std::size_t>(s.block_used);
  std::span<float> features(s.block_features.data() + row * dim, dim);
  s.frontend.process_hop(hop, std::span<dsp::Complex>(s.block_bins.data() + row * bins, bins), features);
  stats_.normalize(features);
  if (s.pitch.enabled()) {
    s.pitch.analyze_hop(s.frontend.synthesis_hop(), std::span<dsp::Complex>(s.block_pitch.data() + row * bins, bins));
  }
  ++s.block_used;
  if (s.block_used == options_.block_frames) {
    s.out = &out;
    run_block();
  }
}

void Enhancer::run_block() {
  State& s = *state_;
  if (s.block_used == 0) return;
  nn::ChunkSlice<float> slice;
  slice.sequences = 1;
  slice.frames = s.block_used;
  slice.features = s.block_features.data();
  s.worker.forward(s.parameters, slice, s.stream, 0, nullptr, s.block_gain.data());

  const int bins = frontend_.bins();
  const double frame_rate = frontend_.frame_rate();
  const auto keep_frames = static_cast<std::int64_t>(options_.analysis_seconds * frame_rate);
  for (int t = 0; t < s.block_used; ++t) {
    dsp::Complex* spectrum = s.block_bins.data() + static_cast<std::size_t>(t) * static_cast<std::size_t>(bins);
    const float* gain = s.block_gain.data() + static_cast<std::size_t>(t) * static_cast<std::size_t>(bins);
    const bool keep = frames_processed_ < keep_frames;
    s.guard.observe(std::span<const dsp::Complex>(spectrum, static_cast<std::size_t>(bins)));
    for (int k = 0; k < bins; ++k) {
      // A non-finite gain can only come from a broken model; never let it reach the audio.
      float g = std::isfinite(gain[k]) ? std::max(gain[k] * s.gain_scale, s.gain_floor) : s.gain_floor;
      if (s.gain_scale != 1.0f) g = std::min(g, 1.0f);  // the pass level maps to unity, never above
      if (s.guard.enabled()) g = s.guard.apply(k, g);
      s.frame_gain[static_cast<std::size_t>(k)] = g;
      if (keep) {
        analysis_.noisy_db.push_back(10.0f * std::log10(std::norm(spectrum[k]) + kAnalysisFloor));
        analysis_.gain.push_back(g);
      }
    }
    const auto bins_size = static_cast<std::size_t>(bins);
    if (s.pitch.enabled()) {
      const dsp::Complex* delayed = s.block_pitch.data() + static_cast<std::size_t>(t) * bins_size;
      s.pitch.apply(std::span<dsp::Complex>(spectrum, bins_size), std::span<const dsp::Complex>(delayed, bins_size),
                    s.frame_gain, s.guard.noise_floor());
    }
    for (int k = 0; k < bins; ++k) {
      const float g = s.frame_gain[static_cast<std::size_t>(k)];
      if (keep) analysis_.enhanced_db.push_back(10.0f * std::log10(g * g * std::norm(spectrum[k]) + kAnalysisFloor));
      spectrum[k] *= g;
    }
    if (keep) ++analysis_.frames;
    ++frames_processed_;
    s.synthesizer.process_frame(std::span<const dsp::Complex>(spectrum, static_cast<std::size_t>(bins)), s.hop_out);
    std::size_t first = 0;
    if (s.delay_to_drop > 0) {
      first = static_cast<std::size_t>(std::min<std::int64_t>(s.delay_to_drop, frontend_.hop_length));
      s.delay_to_drop -= static_cast<std::int64_t>(first);
    }
    const auto remaining = static_cast<std::int64_t>(s.hop_out.size() - first);
    const std::int64_t wanted = std::min(remaining, samples_in_ - samples_out_);
    s.out->insert(s.out->end(), s.hop_out.begin() + static_cast<std::ptrdiff_t>(first),
                  s.hop_out.begin() + static_cast<std::ptrdiff_t>(first) + wanted);
    samples_out_ += wanted;
  }
  s.block_used = 0;
}

void Enhancer::process(std::span<const float> input, std::vector<float>& out) {
  State& s = *state_;
  const auto hop = static_cast<std::size_t>(frontend_.hop_length);
  samples_in_ += static_cast<std::int64_t>(input.size());
  std::size_t used = 0;
  if (!s.pending_input.empty()) {
    const std::size_t take = std::min(hop - s.pending_input.size(), input.size());
    s.pending_input.insert(s.pending_input.end(), input.begin(), input.begin() + static_cast<std::ptrdiff_t>(take));
    used = take;
    if (s.pending_input.size() == hop) {
      push_hop(s.pending_input, out);
      s.pending_input.clear();
    }
  }
  while (input.size() - used >= hop) {
    push_hop(input.subspan(used, hop), out);
    used += hop;
  }
  s.pending_input.insert(s.pending_input.end(), input.begin() + static_cast<std::ptrdiff_t>(used), input.end());
}

void Enhancer::finish(std::vector<float>& out) {
  State& s = *state_;
  const auto hop = static_cast<std::size_t>(frontend_.hop_length);
  // Zeros complete the last hop and push the delayed tail (window - hop samples) out of the synthesis.
  std::vector<float> zeros(hop, 0.0f);
  if (!s.pending_input.empty()) {
    s.pending_input.resize(hop, 0.0f);
    push_hop(s.pending_input, out);
    s.pending_input.clear();
  }
  s.out = &out;
  const int tail_hops = (frontend_.history_length() + frontend_.hop_length - 1) / frontend_.hop_length;
  for (int i = 0; i < tail_hops; ++i) push_hop(zeros, out);
  run_block();
}

std::vector<float> enhance_signal(const nn::Model& model, const dsp::FrontendConfig& frontend,
                                  const dsp::FeatureStats& stats, std::span<const float> input,
                                  const EnhancerOptions& options) {
  Enhancer enhancer(model, frontend, stats, options);
  return dsp::enhance_whole(enhancer, input);
}

}  // namespace nnse::enhance
