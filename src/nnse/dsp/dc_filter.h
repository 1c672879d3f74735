#pragma once
// DC-removal high-pass H(z) = (1 - z^-1) / (1 - a z^-1), a = FrontendConfig::dc_pole (reference 1.4). Applied to
// the input before analysis in training-data synthesis, file processing and streaming alike.
#include <span>

#include "nnse/dsp/frontend_config.h"

namespace nnse::dsp {

class DcRemover {
 public:
  explicit DcRemover(double pole = FrontendConfig{}.dc_pole);
  float process(float x);
  void process(std::span<float> inout);
  // Zero state, as after construction (the reference resets its int32 state to 0).
  void reset();
  double pole() const { return pole_; }
  // The recursion's state, to resume it elsewhere bit-exactly (the audio cache restarts it mid-file).
  double previous_input() const { return previous_input_; }
  double previous_output() const { return previous_output_; }
  void set_state(double previous_input, double previous_output) {
    previous_input_ = previous_input;
    previous_output_ = previous_output;
  }

 private:
  double pole_;
  // Kept in double: the pole is close to 1, so a float state would add audible-level rounding noise at DC.
  double previous_input_ = 0.0;
  double previous_output_ = 0.0;
};

}  // namespace nnse::dsp
