// Finite-difference checks of the backward pass, in double precision, for every layer type and activation,
// with and without dropout, padded frames, scalar_output, and a second chunk that starts from carried state.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "nnse/nn/model.h"
#include "nnse/nn/network.h"
#include "nnse/nn/random.h"

namespace nnse::nn {
namespace {

// A network in double with the model's initial weights, biases made non-zero so their paths are exercised.
struct DoubleNet {
  explicit DoubleNet(const std::string& text, std::uint64_t seed = 7, double weight_scale = 1.0)
      : arch(parse_arch(text, "test.txt")), net(arch) {
    Model model(arch, seed);
    Rng rng(seed + 100);
    for (const ParameterTensor& tensor : model.parameters()) {
      std::vector<double> v(tensor.value.data(), tensor.value.data() + tensor.value.size());
      for (double& x : v) x = tensor.is_bias ? x + rng.uniform(-0.5, 0.5) : x * weight_scale;
      params.push_back(std::move(v));
    }
    for (auto& p : params) pointers.push_back(p.data());
    for (auto& p : params) grads.emplace_back(p.size(), 0.0);
    for (auto& g : grads) grad_pointers.push_back(g.data());
  }
  Arch arch;
  Network<double> net;
  std::vector<std::vector<double>> params, grads;
  std::vector<const double*> pointers;
  std::vector<double*> grad_pointers;
};

struct Chunk {
  int sequences, frames, dim;
  std::vector<double> features;
  std::vector<std::uint8_t> valid;
  Chunk(int s, int f, int d, std::uint64_t seed, double scale = 1.0) : sequences(s), frames(f), dim(d) {
    Rng rng(seed);
    features.resize(static_cast<std::size_t>(s) * f * d);
    for (double& x : features) x = scale * rng.normal();
    valid.assign(static_cast<std::size_t>(s) * f, 1);
  }
  ChunkSlice<double> slice() const { return {sequences, frames, features.data(), valid.data()}; }
};

// loss = sum over valid frames of a . y + 0.5 y^2 (a fixed random); dL/dy = a + y for every frame, so padded
// frames hand the backward pass a non-zero gradient that it must ignore.
struct QuadraticLoss {
  std::vector<double> a;
  QuadraticLoss(std::size_t n, std::uint64_t seed) : a(n) {
    Rng rng(seed);
    for (double& x : a) x = rng.normal();
  }
  double value(const std::vector<double>& y, const Chunk& chunk, int out_dim) const {
    double sum = 0;
    for (std::size_t i = 0; i < y.size(); ++i)
      if (chunk.valid[i / static_cast<std::size_t>(out_dim)]) sum += a[i] * y[i] + 0.5 * y[i] * y[i];
    return sum;
  }
  std::vector<double> gradient(const std::vector<double>& y) const {
    std::vector<double> g(y.size());
    for (std::size_t i = 0; i < y.size(); ++i) g[i] = a[i] + y[i];
    return g;
  }
};

// Runs an optional warm-up chunk (state carry), then checks d(loss of `chunk`)/d(every parameter) against central
// differences with the carried state held fixed (truncated BPTT).
void check_gradients(DoubleNet& n, const Chunk& chunk, const Chunk* warmup, const DropoutKey* dropout,
                     int block_steps = 0, double tolerance = 1e-6) {
  const int out_dim = n.net.output_dim();
  StreamState<double> state(n.net, chunk.sequences);
  std::vector<double> pad(static_cast<std::size_t>(n.net.input_dim()));
  for (std::size_t i = 0; i < pad.size(); ++i) pad[i] = -1.0 + 0.1 * static_cast<double>(i);
  state.set_pad_frame(pad);
  for (int s = 0; s < chunk.sequences; ++s) state.reset(s);
  Worker<double> worker(n.net);
  worker.set_block_steps(block_steps);
  std::vector<double> y(static_cast<std::size_t>(chunk.sequences) * chunk.frames * out_dim);
  if (warmup) {
    std::vector<double> y0(static_cast<std::size_t>(warmup->sequences) * warmup->frames * out_dim);
    worker.forward(n.pointers, warmup->slice(), state, 0, dropout, y0.data());
  }
  StreamState<double> carried(n.net, chunk.sequences);
  carried.copy_from(state);

  QuadraticLoss loss(y.size(), 99);
  worker.forward(n.pointers, chunk.slice(), state, 0, dropout, y.data());
  const std::vector<double> gy = loss.gradient(y);
  worker.backward(n.pointers, gy.data(), n.grad_pointers);

  Worker<double> probe(n.net);
  auto loss_at = [&]() {
    state.copy_from(carried);
    std::vector<double> yp(y.size());
    probe.forward(n.pointers, chunk.slice(), state, 0, dropout, yp.data());
    return loss.value(yp, chunk, out_dim);
  };
  double worst = 0;
  std::string worst_name;
  for (std::size_t t = 0; t < n.params.size(); ++t) {
    double scale = 0;
    std::vector<double> numeric(n.params[t].size());
    for (std::size_t i = 0; i < n.params[t].size(); ++i) {
      const double saved = n.params[t][i];
      const double h = 1e-6 * std::max(1.0, std::fabs(saved));
      n.params[t][i] = saved + h;
      const double up = loss_at();
      n.params[t][i] = saved - h;
      const double down = loss_at();
      n.params[t][i] = saved;
      numeric[i] = (up - down) / (2 * h);
      scale = std::max(scale, std::fabs(numeric[i]));
    }
    ASSERT_GT(scale, 0.0) << n.net.parameter_specs()[t].name << " has an all-zero gradient: the check would be vacuous";
    for (std::size_t i = 0; i < numeric.size(); ++i) {
      const double error = std::fabs(numeric[i] - n.grads[t][i]) / scale;
      if (error > worst) {
        worst = error;
        worst_name = n.net.parameter_specs()[t].name + "[" + std::to_string(i) + "]";
      }
    }
  }
  EXPECT_LT(worst, tolerance) << "worst relative error at " << worst_name;
}

const char kFcActivations[] =
    "input_neurons 5\ndropprob 0\n"
    "layer_type fc\nlayer_neurons 6\nactivation relu6\ndropprob 0\n"
    "layer_type fc\nlayer_neurons 5\nactivation tanh\ndropprob 0\n"
    "layer_type fc\nlayer_neurons 4\nactivation sigmoid\ndropprob 0\n"
    "layer_type fc\nlayer_neurons 3\nactivation linear\n";

TEST(GradientCheck, FcEveryActivation) {
  DoubleNet n(kFcActivations, 3, 2.0);
  Chunk chunk(3, 5, 5, 11, 2.0);
  check_gradients(n, chunk, nullptr, nullptr);
}

TEST(GradientCheck, Relu6HitsBothClampsInThisSetup) {
  // Makes sure the FcEveryActivation case really exercises relu6's flat parts, not only its identity part.
  DoubleNet n(
      "input_neurons 5\ndropprob 0\nlayer_type fc\nlayer_neurons 6\nactivation relu6\n", 3, 2.0);
  Chunk chunk(3, 5, 5, 11, 2.0);
  for (std::size_t i = 0; i < n.params[0].size(); ++i) n.params[0][i] = (i % 3 == 0 ? 2.5 : -0.7);
  StreamState<double> state(n.net, 3);
  Worker<double> worker(n.net);
  std::vector<double> y(3 * 5 * 6);
  worker.forward(n.pointers, chunk.slice(), state, 0, nullptr, y.data());
  int zeros = 0, sixes = 0, inside = 0;
  for (double v : y) (v == 0.0 ? zeros : v == 6.0 ? sixes : inside)++;
  EXPECT_GT(zeros, 0);
  EXPECT_GT(sixes, 0);
  EXPECT_GT(inside, 0);
  check_gradients(n, chunk, nullptr, nullptr);
}

const char kConvLstm[] =
    "input_neurons 4\ndropprob 0\n"
    "layer_type conv1d\nnum_filters 5\nkernel_size 3\nstrides 1\nactivation tanh\ndropprob 0\n"
    "layer_type lstm\nlayer_neurons 4\nactivation tanh\ndropprob 0\n"
    "layer_type fc\nlayer_neurons 3\nactivation sigmoid\n";

const char kConvGru[] =
    "input_neurons 4\ndropprob 0\n"
    "layer_type conv1d\nnum_filters 5\nkernel_size 4\nstrides 1\nactivation relu6\ndropprob 0\n"
    "layer_type gru\nlayer_neurons 4\nactivation tanh\ndropprob 0\n"
    "layer_type fc\nlayer_neurons 3\nactivation linear\n";

// Recurrent layers stacked (input gradients through lstm and gru) and a conv1d that is not the first layer.
const char kStacked[] =
    "input_neurons 3\ndropprob 0\n"
    "layer_type lstm\nlayer_neurons 4\nactivation tanh\ndropprob 0\n"
    "layer_type gru\nlayer_neurons 5\nactivation tanh\ndropprob 0\n"
    "layer_type conv1d\nnum_filters 4\nkernel_size 2\nactivation tanh\ndropprob 0\n"
    "layer_type lstm\nlayer_neurons 3\nactivation tanh\ndropprob 0\n"
    "layer_type fc\nlayer_neurons 2\nactivation tanh\n";

// Skip paths: a conv1d and an lstm that pass their input on beside their output (the conv1d's input is the
// features: no gradient to hand back), then a gru whose input is [lstm h, conv1d output, features].
const char kConcat[] =
    "input_neurons 3\ndropprob 0\n"
    "layer_type conv1d\nnum_filters 4\nkernel_size 3\nactivation tanh\nconcat_input 1\ndropprob 0\n"
    "layer_type lstm\nlayer_neurons 4\nactivation tanh\nconcat_input 1\ndropprob 0\n"
    "layer_type gru\nlayer_neurons 3\nactivation tanh\ndropprob 0\n"
    "layer_type fc\nlayer_neurons 4\nactivation tanh\nconcat_input 1\ndropprob 0\n"
    "layer_type fc\nlayer_neurons 2\nactivation sigmoid\n";

// The same with dropout on every input: the skip part carries the input before its layer's dropout.
const char kConcatDropout[] =
    "input_neurons 3\ndropprob 0.3\n"
    "layer_type conv1d\nnum_filters 4\nkernel_size 3\nactivation tanh\nconcat_input 1\ndropprob 0.4\n"
    "layer_type lstm\nlayer_neurons 4\nactivation tanh\nconcat_input 1\ndropprob 0.5\n"
    "layer_type fc\nlayer_neurons 2\nactivation sigmoid\n";

TEST(GradientCheck, ConcatInputSkipPaths) {
  DoubleNet n(kConcat);
  EXPECT_EQ(n.net.layers()[2].input_dim, 4 + 4 + 3);
  check_gradients(n, Chunk(3, 6, 3, 26), nullptr, nullptr);
}

TEST(GradientCheck, ConcatInputWithDropout) {
  DoubleNet n(kConcatDropout);
  DropoutKey key{5, 20, 1};
  Chunk warm(2, 3, 3, 27);
  check_gradients(n, Chunk(2, 5, 3, 28), &warm, &key);
}

TEST(GradientCheck, Conv1dLstm) {
  DoubleNet n(kConvLstm);
  check_gradients(n, Chunk(3, 6, 4, 21), nullptr, nullptr);
}

TEST(GradientCheck, Conv1dGru) {
  DoubleNet n(kConvGru);
  check_gradients(n, Chunk(2, 7, 4, 22), nullptr, nullptr);
}

TEST(GradientCheck, StackedRecurrentAndInnerConv) {
  DoubleNet n(kStacked);
  check_gradients(n, Chunk(2, 6, 3, 23), nullptr, nullptr);
}

TEST(GradientCheck, ChunkShorterThanConvHistory) {
  DoubleNet n(kConvGru);  // kernel 4: a 2-frame chunk reads old history in every frame
  Chunk warm(2, 3, 4, 24);
  check_gradients(n, Chunk(2, 2, 4, 25), &warm, nullptr);
}

TEST(GradientCheck, SecondChunkFromCarriedState) {
  for (const char* text : {kConvLstm, kConvGru, kStacked, kConcat}) {
    DoubleNet n(text);
    const int dim = n.net.input_dim();
    Chunk warm(3, 5, dim, 31);
    check_gradients(n, Chunk(3, 4, dim, 32), &warm, nullptr);
  }
}

TEST(GradientCheck, PaddedFramesAreIgnored) {
  for (const char* text : {kConvLstm, kConvGru}) {
    DoubleNet n(text);
    Chunk chunk(3, 6, 4, 41);
    // Sequence 1 ends after 4 frames, sequence 2 after 1; sequence 0 is full.
    for (int t = 4; t < 6; ++t) chunk.valid[1 * 6 + t] = 0;
    for (int t = 1; t < 6; ++t) chunk.valid[2 * 6 + t] = 0;
    check_gradients(n, chunk, nullptr, nullptr);
  }
}

const char kDropout[] =
    "input_neurons 4\ndropprob 0.3\n"
    "layer_type conv1d\nnum_filters 5\nkernel_size 3\nactivation tanh\ndropprob 0.4\n"
    "layer_type lstm\nlayer_neurons 4\nactivation tanh\ndropprob 0.3\n"
    "layer_type gru\nlayer_neurons 4\nactivation tanh\ndropprob 0.5\n"
    "layer_type fc\nlayer_neurons 3\nactivation sigmoid\n";

TEST(GradientCheck, WithFixedDropoutMasks) {
  DoubleNet n(kDropout);
  DropoutKey key{5, 17, 3};
  Chunk warm(3, 3, 4, 51);
  check_gradients(n, Chunk(3, 5, 4, 52), &warm, &key);
}

TEST(GradientCheck, ScalarOutputAndLenFilter) {
  DoubleNet n("input_neurons 3\ndropprob 0\nlayer_type gru\nlayer_neurons 3\nactivation tanh\ndropprob 0\n"
              "layer_type fc\nlayer_neurons 2\nactivation sigmoid\nscalar_output 0.7\nlen_filter 2\n");
  EXPECT_EQ(n.net.output_dim(), 4);
  check_gradients(n, Chunk(2, 4, 3, 61), nullptr, nullptr);
}

// The chunk in blocks of a few time steps (what long chunks do): state, gradient carries and conv1d gradients
// cross block boundaries.
TEST(GradientCheck, MultiBlockChunks) {
  for (int steps : {1, 2, 3}) {
    for (const char* text : {kConvLstm, kConvGru, kStacked, kConcat}) {
      DoubleNet n(text);
      const int dim = n.net.input_dim();
      Chunk warm(2, 3, dim, 71);
      Chunk chunk(2, 7, dim, 72);
      chunk.valid[1 * 7 + 6] = 0;
      check_gradients(n, chunk, &warm, nullptr, steps);
    }
    DoubleNet n(kDropout);
    DropoutKey key{5, 18, 0};
    check_gradients(n, Chunk(3, 5, 4, 73), nullptr, &key, steps);
  }
}

}  // namespace
}  // namespace nnse::nn
