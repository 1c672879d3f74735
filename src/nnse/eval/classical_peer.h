#pragma once
// The classical suppressor every evaluation is reported next to: speexdsp's preprocessor (Debian's
// libspeexdsp), noise suppression only (no AGC, VAD or dereverberation), run in-process on the same audio the
// model sees. It says how far ahead of a classical single-channel suppressor a model is.
#include <memory>
#include <span>
#include <vector>

namespace nnse::eval {

class ClassicalPeer {
 public:
  // 10 ms frames at `sample_rate`; `suppress_db` is speexdsp's maximum attenuation of noise (its default: 15).
  explicit ClassicalPeer(int sample_rate, int suppress_db = 15);
  ~ClassicalPeer();
  ClassicalPeer(const ClassicalPeer&) = delete;
  ClassicalPeer& operator=(const ClassicalPeer&) = delete;

  // A whole signal, from a fresh state: output of the same length, sample-aligned with the input (speexdsp's
  // own delay is removed). Samples are clipped to [-1, 1) for speexdsp's 16-bit interface.
  std::vector<float> process(std::span<const float> input);
  static const char* name() { return "speexdsp"; }

 private:
  struct State;
  std::unique_ptr<State> state_;
  int sample_rate_;
  int frame_;
  int suppress_db_;
};

}  // namespace nnse::eval
