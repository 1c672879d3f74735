#pragma once
// The float streaming enhancer used by `nnse enhance`, `nnse test` and `nnse eval`: audio in, audio out, any
// block size, constant memory. Per 10 ms hop: DC removal -> STFT -> log features -> normalization -> network
// (the gain per bin) -> gain x noisy spectrum (noisy phase) -> inverse STFT with overlap-add.
//
// Alignment: the analysis/synthesis pair delays the signal by (window - hop) samples; the enhancer drops that
// many leading output samples and flushes the tail in finish(), so output sample n belongs to input sample n and
// the output has exactly the input's length.
//
// The network runs over blocks of `block_frames` frames (one GEMM per layer per block instead of one tiny
// product per frame); its recurrent state is carried from block to block, so the result is the same as
// frame-by-frame streaming.
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <vector>

#include "nnse/dsp/feature_stats.h"
#include "nnse/dsp/frontend.h"
#include "nnse/dsp/frontend_config.h"
#include "nnse/dsp/stream_enhancer.h"
#include "nnse/nn/model.h"

namespace nnse::enhance {

struct EnhancerOptions {
  int block_frames = 100;        // frames per network call (1 s of audio at hop 160)
  // Keep per-frame analysis (noisy and enhanced log power, gains) of the first `analysis_seconds` seconds for
  // pictures; 0 = keep nothing. Bounded so that long files keep constant memory.
  double analysis_seconds = 0.0;
  // Gain floor in dB below unity (DeepFilterNet's --atten-lim-db): the enhancer never attenuates a bin by more
  // than this. Infinity = no floor (the network's gain as it is).
  double atten_lim_db = kDefaultAttenLimDb;
  // Pass level: a gain at or above it counts as "leave this bin alone" and becomes exactly 1; below, gains scale
  // by 1 / pass_gain (g' = min(1, g / pass_gain)). A mask network trained with a scale-invariant loss (wsdr,
  // si_sdr) settles its pass level anywhere below 1 and wavers around it on clean speech; mapping that level to
  // unity stops the wavering from distorting speech that needs no help. 1 = the network's gain as it is.
  double pass_gain = kDefaultPassGain;
  // Noise-floor guard (enhance/floor_guard.h): a bin standing far above its tracked noise floor keeps its level
  // unless the network is sure it is noise; the number is beta (10: protected fully 20 dB above the floor).
  // 0 = off.
  double floor_guard = 0.0;
  // Pitch filter (enhance/pitch_filter.h): strength of the comb filter that mixes each voiced band with the
  // frame one pitch period back before the gains; 0 = off.
  double pitch_filter = 0.0;
  // Pole of the synthesis path's DC blocker (dsp::StreamingFrontend); 0 = none.
  double output_dc_pole = dsp::StreamingFrontend::kOutputDcPole;

  static constexpr double kDefaultAttenLimDb = std::numeric_limits<double>::infinity();
  static constexpr double kDefaultPassGain = 1.0;
  // The linear gain floor of atten_lim_db (0 for infinity); throws nnse::Error for a negative or NaN limit.
  static float gain_floor(double atten_lim_db);
};

// Per-frame views for pictures: [frames][bins], row-major.
struct EnhancementAnalysis {
  int frames = 0, bins = 0;
  std::vector<float> noisy_db;     // 10 log10(|Y|^2 + floor)
  std::vector<float> enhanced_db;  // 10 log10(|G Y|^2 + floor)
  std::vector<float> gain;         // G in [0, 1] for a sigmoid output
};

class Enhancer final : public dsp::StreamEnhancer {
 public:
  // The model, config and stats must describe one trained model (a checkpoint); they must outlive the enhancer.
  Enhancer(const nn::Model& model, const dsp::FrontendConfig& frontend, const dsp::FeatureStats& stats,
           EnhancerOptions options = {});
  ~Enhancer() override;
  Enhancer(const Enhancer&) = delete;
  Enhancer& operator=(const Enhancer&) = delete;

  // Starts a new stream: zero DC, STFT and recurrent state, context history = the log floor.
  void reset() override;
  void process(std::span<const float> input, std::vector<float>& out) override;
  void finish(std::vector<float>& out) override;

  const EnhancementAnalysis& analysis() const { return analysis_; }
  std::int64_t frames_processed() const { return frames_processed_; }

 private:
  struct State;
  void run_block();
  void push_hop(std::span<const float> hop, std::vector<float>& out);

  const nn::Model& model_;
  dsp::FrontendConfig frontend_;
  const dsp::FeatureStats& stats_;
  EnhancerOptions options_;
  std::unique_ptr<State> state_;
  EnhancementAnalysis analysis_;
  std::int64_t frames_processed_ = 0;
  std::int64_t samples_in_ = 0;
  std::int64_t samples_out_ = 0;
};

// Whole-signal convenience wrapper (tests, eval): returns an output of the same length as `input`.
std::vector<float> enhance_signal(const nn::Model& model, const dsp::FrontendConfig& frontend,
                                  const dsp::FeatureStats& stats, std::span<const float> input,
                                  const EnhancerOptions& options = {});

}  // namespace nnse::enhance
