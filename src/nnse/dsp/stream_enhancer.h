#pragma once
// The contract every enhancer keeps, float (enhance/enhancer.h) or the fixed-point runtime behind it
// (export/quantized_enhancer.h): audio in, audio out, any block size, constant memory; output sample n belongs
// to input sample n, and once finish() has run the output has exactly the input's length. File enhancement,
// evaluation and the tests drive either one through this interface.
#include <span>
#include <vector>

namespace nnse::dsp {

class StreamEnhancer {
 public:
  virtual ~StreamEnhancer() = default;
  // Starts a new stream (all filter and recurrent state back to its start).
  virtual void reset() = 0;
  // Feeds input samples (any count); appends the enhanced samples that are complete to `out`.
  virtual void process(std::span<const float> input, std::vector<float>& out) = 0;
  // Ends the stream: appends the remaining samples.
  virtual void finish(std::vector<float>& out) = 0;
};

// Feeds all of `input` to the stream and ends it: the enhanced signal, as long as `input` when the stream started
// with it.
std::vector<float> enhance_whole(StreamEnhancer& enhancer, std::span<const float> input);

}  // namespace nnse::dsp
