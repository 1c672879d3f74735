#pragma once
// The arithmetic of an nn_arch network over chunks of frames: forward, backward (BPTT over the chunk), and the
// per-slot state carried from one chunk of a clip to the next. Templated on the scalar type: float is what
// trains, double is what the finite-difference tests check.
//
// Layer semantics (docs/reference-facts.md 2.3):
//   fc      y = act(W^T x + b),                       weight [in, units] (Keras layout), bias [units]
//   conv1d  causal over time: an fc over the last K frames stacked oldest first (input index tau * in + f,
//           tau = K-1 the current frame); weight [K, in, units], bias [units]. Its K-1 frames of history are
//           carried across chunks; at a clip start they are the pad frame (layer 0) or zeros (deeper layers).
//   lstm    Keras: gates (i, f, c, o) in that order, one bias, sigmoid gates, tanh cell:
//           z = W^T x + R^T h_prev + b; c = f*c_prev + i*g; h = o*tanh(c). weight [in, 4u],
//           recurrent_weight [u, 4u], bias [4u] (initialized with the forget part at 1: unit_forget_bias).
//   gru     PyTorch's form ("reset after", Keras reset_after=True), gates (r, z, n) in that order:
//           r = s(W_r x + b_r + R_r h), z = s(W_z x + b_z + R_z h), n = tanh(W_n x + b_n + r*(R_n h + b_hn)),
//           h = (1-z)*n + z*h_prev. weight [in, 3u], recurrent_weight [u, 3u], bias [3u], recurrent_bias [u]
//           (= PyTorch's b_hn; PyTorch's b_hr, b_hz are redundant with b_r, b_z and do not exist here).
//   activations relu6 (gradient 1 on 0 < z < 6), tanh, sigmoid, linear; lstm/gru ignore theirs.
//   dropout  on each layer's input (rate = the arch's dropprob for that layer), inverted scaling 1/(1-p), one
//           mask per sequence and layer shared by all frames of the chunk (and by a conv1d's history frames).
//   concat_input  the layer's output is [its own output (units), its input before dropout (input_dim)]; the next
//           layer sees both, and the gradient of the second part flows straight back to the previous layer.
//   output   last layer's output times scalar_output.
// Layout: inside a worker, activations are column-major [features x frames] with frames time-major
// (column t * sequences + s), so that everything except the recurrent product is one GEMM over all frames
// of the chunk, and the recurrent product at step t reads one contiguous block.
#include "nnse/nn/eigen_diagnostics.h"
NNSE_EIGEN_WARNINGS_OFF
#include <Eigen/Core>
NNSE_EIGEN_WARNINGS_ON
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "nnse/nn/arch.h"

namespace nnse::nn {

struct ParameterSpec {
  std::string name;        // "layer<i>.<type>.weight" | recurrent_weight | bias | recurrent_bias
  std::vector<int> shape;  // row-major logical shape
  bool is_bias = false;
  std::size_t size() const;
};

// Quantization-aware training plugs in here (fake quantization with a straight-through gradient): the engine
// passes each parameter of a hooked layer through transform_parameter before a step and the arithmetic uses the
// result; the layer's output (after its activation; for lstm/gru the state h at every step, which also feeds
// the recurrence) goes through transform_activation in place. Gradients pass straight through both: they are
// computed as if the transform were the identity (activation derivatives use the untransformed values).
template <typename T>
class LayerHook {
 public:
  virtual ~LayerHook() = default;
  // tensor: index within the layer (0 weight, 1 recurrent_weight or bias, ...).
  virtual void transform_parameter(int tensor, std::span<const T> stored, std::span<T> effective) {
    (void)tensor;
    std::copy(stored.begin(), stored.end(), effective.begin());
  }
  virtual void transform_activation(std::span<T> values) { (void)values; }
  // A hook that returns true here computes the forward pass's tanh and sigmoid itself through activate() (QAT
  // with the runtime's table-interpolated functions): fc / conv1d outputs, the lstm's gates and tanh of its cell.
  // The gru keeps the engine's functions. Derivatives stay the engine's, taken at the values activate() produced.
  virtual bool replaces_activations() const { return false; }
  // In place: pre-activations in, activation values out (tanh or sigmoid; relu6 and linear stay the engine's).
  virtual void activate(Activation activation, std::span<T> values) {
    (void)activation;
    (void)values;
  }
};

struct LayerInfo {
  LayerSpec spec;
  int index = 0;
  int input_dim = 0;
  int units = 0;
  int output_dim = 0;      // units, plus input_dim for a layer with concat_input
  int kernel = 1;          // conv1d frames (the arch's kernel_size), 1 otherwise
  int first_parameter = 0; // index of its first tensor in the network's parameter list
  int parameter_count = 0; // tensors
  int state_size = 0;      // values carried per slot across chunks
  std::int64_t macs_per_frame = 0;
  std::int64_t weights = 0, biases = 0;
  std::string shape_text() const;  // "6x72 -> 72"
};

template <typename T>
class Network {
 public:
  explicit Network(const Arch& arch);
  const Arch& arch() const { return arch_; }
  int input_dim() const { return arch_.input_neurons; }
  int output_dim() const { return arch_.output_dim(); }
  const std::vector<LayerInfo>& layers() const { return layers_; }
  const std::vector<ParameterSpec>& parameter_specs() const { return specs_; }
  std::int64_t parameter_count() const;
  std::int64_t macs_per_frame() const;

  void set_hook(int layer, std::shared_ptr<LayerHook<T>> hook);
  LayerHook<T>* hook(int layer) const { return hooks_[static_cast<std::size_t>(layer)].get(); }
  bool has_hooks() const;

 private:
  Arch arch_;
  std::vector<LayerInfo> layers_;
  std::vector<ParameterSpec> specs_;
  std::vector<std::shared_ptr<LayerHook<T>>> hooks_;
};

// State carried across chunks for a number of batch slots: conv1d history, lstm (h, c), gru h.
template <typename T>
class StreamState {
 public:
  StreamState(const Network<T>& network, int slots);
  int slots() const { return slots_; }
  // Grows (never shrinks) the number of slots; new slots are reset.
  void ensure_slots(int slots);
  // The frame that fills layer 0's conv1d history at a clip start (the normalized log floor); empty = zeros.
  void set_pad_frame(std::span<const T> pad);
  const std::vector<T>& pad_frame() const { return pad_; }
  // Clip start: zero recurrent state, conv history = pad frame (layer 0) or zeros.
  void reset(int slot);
  // The reference's training start state (docs/reference-facts.md 3.2): h ~ truncated N(0, 1/sqrt(n_in)) clipped to
  // [-1, 1 - 2^-15], c ~ truncated N(0, 1), drawn from stream_key(key, slot-independent parts...) by the caller.
  void randomize_recurrent(int slot, std::uint64_t key);
  // Values of `layer` for `slot` (state_size of that layer): conv1d [(K-1) x in] oldest first; lstm [h(u), c(u)];
  // gru [h(u)].
  T* data(int layer, int slot);
  const T* data(int layer, int slot) const;
  // Copies all slots' values from another state (same network).
  void copy_from(const StreamState& other);

 private:
  const Network<T>* network_;
  int slots_ = 0;
  std::vector<std::vector<T>> values_;  // per layer: [slots][state_size]
  std::vector<T> pad_;
};

// One worker's share of a chunk: `sequences` consecutive sequences of `frames` frames each.
template <typename T>
struct ChunkSlice {
  int sequences = 0;
  int frames = 0;
  const T* features = nullptr;        // [sequences][frames][input_dim]
  const std::uint8_t* valid = nullptr;  // [sequences][frames], 1 = real frame; null = all real
};

// Dropout masks are drawn from stream_key({seed, step, sequence, layer}): the same for a sequence whatever
// the thread split. `first_sequence` is the batch index of the slice's first sequence.
struct DropoutKey {
  std::uint64_t seed = 0;
  std::uint64_t step = 0;
  int first_sequence = 0;
};

template <typename T>
class LayerWork;

// Per-thread working memory and the forward/backward passes. Buffers grow to the largest chunk seen and are then
// reused: steady-state steps do not allocate.
template <typename T>
class Worker {
 public:
  explicit Worker(const Network<T>& network);
  ~Worker();
  Worker(Worker&&) noexcept;
  Worker& operator=(Worker&&) noexcept;

  // Runs the slice through the network. The carried state of its sequences lives in slots [first_slot,
  // first_slot + sequences) of `state`: read at the start, replaced by the state after the last frame.
  // params: one pointer per parameter tensor (Network::parameter_specs order). dropout: null = no dropout
  // (evaluation). output: [sequences][frames][output_dim].
  void forward(std::span<const T* const> params, const ChunkSlice<T>& slice, StreamState<T>& state, int first_slot,
               const DropoutKey* dropout, T* output);
  // Backward through the chunk of the last forward (truncated at the chunk start: no gradient flows into the
  // carried state). grad_output: dLoss/dOutput [sequences][frames][output_dim]; frames with valid == 0 count as
  // zero. grads: one pointer per parameter tensor, overwritten with this slice's gradient.
  void backward(std::span<const T* const> params, const T* grad_output, std::span<T* const> grads);
  // Time steps per block (0 = automatic, about 384 frames x sequences). The chunk runs block by block through
  // all layers, so a block's data stays in cache; results do not depend on it beyond float rounding.
  void set_block_steps(int steps) { block_steps_ = steps; }

 private:
  int block_steps(int sequences) const;
  const Network<T>* network_;
  std::vector<std::unique_ptr<LayerWork<T>>> layers_;
  std::vector<T> input_, masks_;
  std::vector<std::size_t> mask_offset_;
  const std::uint8_t* valid_ = nullptr;
  int sequences_ = 0, frames_ = 0, block_steps_ = 0;
  bool has_masks_ = false;
};

extern template class Network<float>;
extern template class Network<double>;
extern template class StreamState<float>;
extern template class StreamState<double>;
extern template class Worker<float>;
extern template class Worker<double>;

}  // namespace nnse::nn
