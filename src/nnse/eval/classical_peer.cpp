#include "nnse/eval/classical_peer.h"

#include <speex/speex_preprocess.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "nnse/util/error.h"

namespace nnse::eval {

struct ClassicalPeer::State {
  SpeexPreprocessState* speex = nullptr;
  ~State() {
    if (speex) speex_preprocess_state_destroy(speex);
  }
};

ClassicalPeer::ClassicalPeer(int sample_rate, int suppress_db)
    : state_(std::make_unique<State>()), sample_rate_(sample_rate), frame_(sample_rate / 100), suppress_db_(suppress_db) {
  if (sample_rate <= 0 || sample_rate % 100 != 0) {
    throw Error("speexdsp peer: sample rate must be a positive multiple of 100 Hz, got " + std::to_string(sample_rate));
  }
  if (suppress_db <= 0) throw Error("speexdsp peer: suppression must be a positive number of dB");
}

ClassicalPeer::~ClassicalPeer() = default;

std::vector<float> ClassicalPeer::process(std::span<const float> input) {
  if (state_->speex) speex_preprocess_state_destroy(state_->speex);
  state_->speex = speex_preprocess_state_init(frame_, sample_rate_);
  if (!state_->speex) throw Error("speexdsp peer: speex_preprocess_state_init failed");
  int on = 1, off = 0, suppress = -suppress_db_;
  speex_preprocess_ctl(state_->speex, SPEEX_PREPROCESS_SET_DENOISE, &on);
  speex_preprocess_ctl(state_->speex, SPEEX_PREPROCESS_SET_AGC, &off);
  speex_preprocess_ctl(state_->speex, SPEEX_PREPROCESS_SET_DEREVERB, &off);
  speex_preprocess_ctl(state_->speex, SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, &suppress);

  // speexdsp's overlap-add delays its output by one frame (measured: an identity run with denoise off returns
  // the input exactly, one frame late); one extra frame of zeros flushes the last input samples out.
  const std::size_t delay = static_cast<std::size_t>(frame_);
  const std::size_t frame = static_cast<std::size_t>(frame_);
  const std::size_t frames = (input.size() + delay + frame - 1) / frame;
  std::vector<spx_int16_t> buffer(frames * frame, 0);
  for (std::size_t i = 0; i < input.size(); ++i) {
    const float x = std::clamp(input[i], -1.0f, 32767.0f / 32768.0f);
    buffer[i] = static_cast<spx_int16_t>(std::lround(x * 32768.0f));
  }
  for (std::size_t f = 0; f < frames; ++f) speex_preprocess_run(state_->speex, buffer.data() + f * frame);
  std::vector<float> out(input.size());
  for (std::size_t i = 0; i < input.size(); ++i) out[i] = static_cast<float>(buffer[i + delay]) / 32768.0f;
  return out;
}

}  // namespace nnse::eval
