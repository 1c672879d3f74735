#include "nnse/dsp/stream_enhancer.h"

namespace nnse::dsp {

std::vector<float> enhance_whole(StreamEnhancer& enhancer, std::span<const float> input) {
  std::vector<float> out;
  out.reserve(input.size());
  enhancer.process(input, out);
  enhancer.finish(out);
  return out;
}

}  // namespace nnse::dsp
