#include "nnse/dsp/dc_filter.h"

#include <string>

#include "nnse/util/error.h"

namespace nnse::dsp {

DcRemover::DcRemover(double pole) : pole_(pole) {
  if (!(pole >= 0.0 && pole < 1.0)) throw Error("DcRemover: pole must be in [0, 1), got " + std::to_string(pole));
}

float DcRemover::process(float x) {
  const double input = x;
  const double output = input - previous_input_ + pole_ * previous_output_;
  previous_input_ = input;
  previous_output_ = output;
  return static_cast<float>(output);
}

void DcRemover::process(std::span<float> inout) {
  for (float& v : inout) v = process(v);
}

void DcRemover::reset() {
  previous_input_ = 0.0;
  previous_output_ = 0.0;
}

}  // namespace nnse::dsp
