// The data-parallel engine: its gradient against the double-precision network, determinism and thread
// independence, Adam, clipping, non-finite steps, RNG state, clip boundaries and quantization hooks.
#include "nnse/train/engine.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "nnse/nn/random.h"
#include "nnse/util/error.h"

namespace nnse::train {
namespace {

const char kArch[] =
    "input_neurons 4\ndropprob 0.2\n"
    "layer_type conv1d\nnum_filters 6\nkernel_size 3\nactivation tanh\ndropprob 0.25\n"
    "layer_type lstm\nlayer_neurons 5\nactivation tanh\ndropprob 0.1\n"
    "layer_type gru\nlayer_neurons 4\nactivation tanh\ndropprob 0.3\n"
    "layer_type fc\nlayer_neurons 3\nactivation sigmoid\n";

struct Batch {
  int S, T, D;
  std::vector<float> features;
  std::vector<std::uint8_t> valid, new_clip;
  Batch(int s, int t, int d, std::uint64_t seed) : S(s), T(t), D(d) {
    nn::Rng rng(seed);
    features.resize(static_cast<std::size_t>(s) * t * d);
    for (float& x : features) x = static_cast<float>(rng.normal());
    valid.assign(static_cast<std::size_t>(s) * t, 1);
    new_clip.assign(static_cast<std::size_t>(s), 1);
  }
  ChunkInput input() const { return {S, T, D, features.data(), valid.data(), new_clip.data()}; }
};

// 0.5 * sum over valid frames of (y - 0.3)^2 / (valid frames in the batch): normalized by batch totals.
LossFn mse(const Batch& batch, int out_dim) {
  double frames = 0;
  for (auto v : batch.valid) frames += v;
  return [&batch, out_dim, frames](int first, int count, const float* y, float* g) {
    double sum = 0;
    for (int s = 0; s < count; ++s)
      for (int t = 0; t < batch.T; ++t) {
        const bool real = batch.valid[static_cast<std::size_t>(first + s) * batch.T + t];
        for (int k = 0; k < out_dim; ++k) {
          const std::size_t i = (static_cast<std::size_t>(s) * batch.T + t) * out_dim + k;
          const double e = y[i] - 0.3;
          if (real) sum += 0.5 * e * e / frames;
          g[i] = real ? static_cast<float>(e / frames) : 0.0f;
        }
      }
    return sum;
  };
}

EngineOptions options(int threads, std::uint64_t seed = 3) {
  EngineOptions o;
  o.threads = threads;
  o.seed = seed;
  o.pad_frame = {-1.0f, -0.5f, 0.0f, 0.5f};
  return o;
}

nn::Model make_model(std::uint64_t seed = 5) { return nn::Model(nn::parse_arch(kArch, "engine.txt"), seed); }

double max_relative(const std::vector<Eigen::VectorXf>& a, const std::vector<Eigen::VectorXf>& b) {
  double worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double scale = std::max(1e-12, static_cast<double>(b[i].cwiseAbs().maxCoeff()));
    worst = std::max(worst, static_cast<double>((a[i] - b[i]).cwiseAbs().maxCoeff()) / scale);
  }
  return worst;
}

TEST(Engine, GradientMatchesDoublePrecisionNetworkOverTwoChunks) {
  nn::Model model = make_model();
  Batch first(5, 6, 4, 1), second(5, 7, 4, 2);
  second.new_clip.assign(5, 0);
  for (int t = 5; t < 7; ++t) second.valid[2 * 7 + t] = 0;  // sequence 2 ends early

  // Reference: the double network, one worker over all sequences.
  nn::Network<double> net(model.arch());
  std::vector<std::vector<double>> p;
  std::vector<const double*> pp;
  for (const auto& t : model.parameters()) p.emplace_back(t.value.data(), t.value.data() + t.value.size());
  for (auto& v : p) pp.push_back(v.data());
  std::vector<std::vector<double>> g(p.size());
  std::vector<double*> gp;
  for (std::size_t i = 0; i < p.size(); ++i) g[i].resize(p[i].size());
  for (auto& v : g) gp.push_back(v.data());
  nn::StreamState<double> state(net, 5);
  std::vector<double> pad = {-1.0, -0.5, 0.0, 0.5};
  state.set_pad_frame(pad);
  for (int s = 0; s < 5; ++s) state.reset(s);
  nn::Worker<double> worker(net);
  std::vector<double> f1(first.features.begin(), first.features.end()), f2(second.features.begin(), second.features.end());
  std::vector<double> y1(5 * 6 * 3), y2(5 * 7 * 3);
  worker.forward(pp, {5, 6, f1.data(), nullptr}, state, 0, nullptr, y1.data());
  worker.forward(pp, {5, 7, f2.data(), second.valid.data()}, state, 0, nullptr, y2.data());
  std::vector<double> gy(y2.size());
  double frames = 0;
  for (auto v : second.valid) frames += v;
  double loss = 0;
  for (std::size_t i = 0; i < y2.size(); ++i) {
    const bool real = second.valid[i / 3];
    gy[i] = real ? (y2[i] - 0.3) / frames : 0.0;
    if (real) loss += 0.5 * (y2[i] - 0.3) * (y2[i] - 0.3) / frames;
  }
  worker.backward(pp, gy.data(), gp);
  std::vector<Eigen::VectorXf> expected;
  for (auto& v : g) expected.push_back(Eigen::Map<Eigen::VectorXd>(v.data(), static_cast<Eigen::Index>(v.size())).cast<float>());

  for (int threads : {1, 2, 3, 5}) {
    EngineOptions o = options(threads);
    o.random_initial_state = false;
    Engine engine(model, o);
    std::vector<Eigen::VectorXf> ignored, gradient;
    engine.compute_gradient(first.input(), mse(first, 3), ignored);
    const double value = engine.compute_gradient(second.input(), mse(second, 3), gradient);
    EXPECT_NEAR(value, loss, 1e-6 * std::fabs(loss)) << threads;
    EXPECT_LT(max_relative(gradient, expected), 1e-4) << threads << " threads";
  }
}

std::vector<Eigen::VectorXf> train(int threads, int steps, std::uint64_t seed = 3) {
  nn::Model model = make_model();
  Engine engine(model, options(threads, seed));
  for (int step = 0; step < steps; ++step) {
    Batch batch(6, 5, 4, 100 + static_cast<std::uint64_t>(step));
    batch.new_clip.assign(6, step % 2 == 0);
    StepResult r = engine.train_step(batch.input(), mse(batch, 3));
    EXPECT_FALSE(r.skipped);
    EXPECT_EQ(r.step, step + 1);
  }
  std::vector<Eigen::VectorXf> values;
  for (const auto& t : model.parameters()) values.push_back(t.value);
  return values;
}

TEST(Engine, BitIdenticalForFixedSeedAndThreadsAndCloseAcrossThreadCounts) {
  const auto one = train(1, 4);
  const auto one_again = train(1, 4);
  const auto two = train(2, 4);
  const auto two_again = train(2, 4);
  const auto three = train(3, 4);
  for (std::size_t i = 0; i < one.size(); ++i) {
    EXPECT_EQ(one[i], one_again[i]);
    EXPECT_EQ(two[i], two_again[i]);
  }
  // Same masks and initial states whatever the split: only float summation order differs. Adam's first steps
  // move each weight by about lr * sign(g), so compare the displacement from the start.
  nn::Model start = make_model();
  for (std::size_t i = 0; i < one.size(); ++i) {
    const Eigen::VectorXf d1 = one[i] - start.parameters()[i].value;
    EXPECT_LT((two[i] - one[i]).cwiseAbs().maxCoeff(), 2e-2f * d1.cwiseAbs().maxCoeff() + 1e-7f) << i;
    EXPECT_LT((three[i] - one[i]).cwiseAbs().maxCoeff(), 2e-2f * d1.cwiseAbs().maxCoeff() + 1e-7f) << i;
  }
  const auto other_seed = train(1, 4, 4);
  EXPECT_NE(other_seed[0], one[0]);
}

TEST(Engine, BitIdenticalAcrossThreadCountsWithEightSequencesPerThread) {
  // 24 sequences: 3 shards of 8 for 1, 2 or 3 threads, so the arithmetic is the same.
  std::vector<std::vector<Eigen::VectorXf>> results;
  for (int threads : {1, 2, 3}) {
    nn::Model model = make_model();
    Engine engine(model, options(threads));
    for (int step = 0; step < 2; ++step) {
      Batch batch(24, 4, 4, 50 + static_cast<std::uint64_t>(step));
      engine.train_step(batch.input(), mse(batch, 3));
    }
    std::vector<Eigen::VectorXf> values;
    for (const auto& t : model.parameters()) values.push_back(t.value);
    results.push_back(values);
  }
  for (std::size_t i = 0; i < results[0].size(); ++i) {
    EXPECT_EQ(results[1][i], results[0][i]);
    EXPECT_EQ(results[2][i], results[0][i]);
  }
}

TEST(Engine, DropoutGradientDoesNotDependOnThreadCount) {
  std::vector<std::vector<Eigen::VectorXf>> results;
  for (int threads : {1, 2, 4}) {
    nn::Model model = make_model();
    Engine engine(model, options(threads));
    Batch batch(7, 5, 4, 9);
    std::vector<Eigen::VectorXf> gradient;
    engine.compute_gradient(batch.input(), mse(batch, 3), gradient, /*training=*/true);
    results.push_back(gradient);
  }
  EXPECT_LT(max_relative(results[1], results[0]), 1e-4);
  EXPECT_LT(max_relative(results[2], results[0]), 1e-4);
  // And dropout is really on: the evaluation gradient differs.
  nn::Model model = make_model();
  Engine engine(model, options(1));
  Batch batch(7, 5, 4, 9);
  std::vector<Eigen::VectorXf> plain;
  engine.compute_gradient(batch.input(), mse(batch, 3), plain, false);
  EXPECT_GT(max_relative(plain, results[0]), 1e-2);
}

TEST(Adam, MatchesKerasFormulaOverThreeSteps) {
  nn::ParameterSet params(1);
  params[0].name = "w";
  params[0].shape = {3};
  params[0].value.resize(3);
  params[0].value << 0.5f, -0.25f, 1.0f;
  nn::AdamState state = make_adam_state(params);
  AdamOptions o;
  o.learning_rate = 0.01;
  std::vector<Eigen::VectorXf> grads(1, Eigen::VectorXf(3));
  grads[0] << 0.1f, -2.0f, 1e-9f;
  double w[3] = {0.5, -0.25, 1.0}, m[3] = {}, v[3] = {};
  for (int t = 1; t <= 3; ++t) {
    adam_update(params, grads, state, o);
    const double lr_t = 0.01 * std::sqrt(1 - std::pow(0.999, t)) / (1 - std::pow(0.9, t));
    for (int i = 0; i < 3; ++i) {
      const double g = grads[0][i];
      m[i] = 0.9 * m[i] + 0.1 * g;
      v[i] = 0.999 * v[i] + 0.001 * g * g;
      w[i] -= lr_t * m[i] / (std::sqrt(v[i]) + 1e-7);
      EXPECT_NEAR(params[0].value[i], w[i], 1e-6) << t << " " << i;
    }
  }
  EXPECT_EQ(state.step, 3);
}

TEST(Engine, ClipsWeightsAndBiasesAfterTheUpdate) {
  nn::Model model = make_model();
  model.parameters()[0].value[0] = 100.0f;
  model.parameters()[0].value[1] = -100.0f;
  model.parameters()[1].value[0] = 10.0f;
  model.parameters()[1].value[1] = -10.0f;
  Engine engine(model, options(2));
  Batch batch(3, 4, 4, 1);
  engine.train_step(batch.input(), mse(batch, 3));
  EXPECT_EQ(model.parameters()[0].value[0], 8.0f - 0x1.0p-5f);
  EXPECT_EQ(model.parameters()[0].value[1], -8.0f);
  EXPECT_EQ(model.parameters()[1].value[0], 4.0f - 0x1.0p-6f);
  EXPECT_EQ(model.parameters()[1].value[1], -4.0f);
}

TEST(Engine, NonFiniteStepIsSkippedAndCounted) {
  nn::Model model = make_model();
  Engine engine(model, options(2));
  Batch batch(4, 5, 4, 1);
  std::vector<Eigen::VectorXf> before;
  for (const auto& t : model.parameters()) before.push_back(t.value);
  LossFn nan_loss = [&](int first, int count, const float* y, float* g) {
    mse(batch, 3)(first, count, y, g);
    if (first == 0) g[0] = std::numeric_limits<float>::quiet_NaN();
    return 0.1;
  };
  StepResult r = engine.train_step(batch.input(), nan_loss);
  EXPECT_TRUE(r.skipped);
  EXPECT_EQ(r.skipped_steps, 1);
  EXPECT_FALSE(std::isfinite(r.gradient_norm));
  for (std::size_t i = 0; i < before.size(); ++i) EXPECT_EQ(model.parameters()[i].value, before[i]);
  EXPECT_EQ(engine.adam_state().step, 0);
  LossFn inf_loss = [](int, int, const float*, float*) { return std::numeric_limits<double>::infinity(); };
  EXPECT_TRUE(engine.train_step(batch.input(), inf_loss).skipped);
  StepResult ok = engine.train_step(batch.input(), mse(batch, 3));
  EXPECT_FALSE(ok.skipped);
  EXPECT_EQ(ok.skipped_steps, 2);
  EXPECT_EQ(ok.step, 3);
  EXPECT_EQ(engine.adam_state().step, 1);
  EXPECT_NE(model.parameters()[0].value, before[0]);
}

TEST(Engine, GradientNormClipping) {
  nn::Model model = make_model();
  EngineOptions o = options(2);
  o.clip_norm = 1e-3;
  Engine engine(model, o);
  Batch batch(4, 5, 4, 1);
  StepResult r = engine.train_step(batch.input(), mse(batch, 3));
  ASSERT_GT(r.gradient_norm, 1e-3);
  EXPECT_TRUE(r.clipped);
  // Adam's first moment after one step is (1 - beta1) * the applied gradient.
  double norm = 0;
  for (const auto& m : engine.adam_state().first_moment) norm += m.cast<double>().squaredNorm();
  EXPECT_NEAR(std::sqrt(norm), 0.1 * 1e-3, 1e-8);
}

TEST(Engine, RngStateRestoresTheNextStep) {
  auto run = [](bool restore) {
    nn::Model model = make_model();
    Engine engine(model, options(2, 11));
    Batch b0(4, 5, 4, 1), b1(4, 5, 4, 2);
    engine.train_step(b0.input(), mse(b0, 3));
    if (restore) {
      // A second engine continuing from the first one's weights, Adam and RNG state.
      const std::string rng = engine.rng_state();
      nn::AdamState adam = engine.adam_state();
      EngineOptions o = options(2, 999);
      Engine resumed(model, o);
      resumed.set_rng_state(rng);
      resumed.adam_state() = adam;
      resumed.train_step(b1.input(), mse(b1, 3));
    } else {
      engine.train_step(b1.input(), mse(b1, 3));
    }
    std::vector<Eigen::VectorXf> values;
    for (const auto& t : model.parameters()) values.push_back(t.value);
    return values;
  };
  const auto straight = run(false), resumed = run(true);
  for (std::size_t i = 0; i < straight.size(); ++i) EXPECT_EQ(straight[i], resumed[i]);

  nn::Model model = make_model();
  Engine engine(model, options(1));
  EXPECT_THROW(engine.set_rng_state("garbage"), Error);
  EXPECT_THROW(engine.set_rng_state("nnse-engine-rng v1 seed=1 step=x"), Error);
  engine.set_rng_state("nnse-engine-rng v1 seed=42 step=7");
  EXPECT_EQ(engine.step(), 7);
  EXPECT_EQ(engine.rng_state(), "nnse-engine-rng v1 seed=42 step=7");
}

TEST(Engine, ForwardCarriesStateAndClipsEndAtPadding) {
  nn::Model model = make_model();
  Engine engine(model, options(2));
  const int S = 3, T = 8, O = 3;
  Batch whole(S, T, 4, 3);
  std::vector<float> expected(static_cast<std::size_t>(S) * T * O);
  engine.forward(whole.input(), expected.data());
  // The same clips in chunks of 5 + 3 frames.
  Batch a(S, 5, 4, 0), b(S, 3, 4, 0);
  for (int s = 0; s < S; ++s)
    for (int t = 0; t < T; ++t)
      for (int d = 0; d < 4; ++d) {
        const float x = whole.features[(static_cast<std::size_t>(s) * T + t) * 4 + d];
        if (t < 5) a.features[(static_cast<std::size_t>(s) * 5 + t) * 4 + d] = x;
        else b.features[(static_cast<std::size_t>(s) * 3 + t - 5) * 4 + d] = x;
      }
  b.new_clip.assign(S, 0);
  std::vector<float> ya(static_cast<std::size_t>(S) * 5 * O), yb(static_cast<std::size_t>(S) * 3 * O);
  engine.forward(a.input(), ya.data());
  engine.forward(b.input(), yb.data());
  for (int s = 0; s < S; ++s)
    for (int t = 0; t < T; ++t)
      for (int k = 0; k < O; ++k) {
        const float got = t < 5 ? ya[(static_cast<std::size_t>(s) * 5 + t) * O + k] : yb[(static_cast<std::size_t>(s) * 3 + t - 5) * O + k];
        EXPECT_NEAR(got, expected[(static_cast<std::size_t>(s) * T + t) * O + k], 1e-5f);
      }
  // Slot 1 had padding in chunk `a`: its clip ended, so chunk `b` starts it afresh although new_clip is 0.
  a.valid[1 * 5 + 4] = 0;
  std::vector<float> fresh_b(yb.size()), carried_b(yb.size());
  engine.forward(a.input(), ya.data());
  engine.forward(b.input(), carried_b.data());
  Batch b_new = b;
  b_new.new_clip.assign(S, 1);
  engine.forward(b_new.input(), fresh_b.data());
  for (int k = 0; k < 3 * O; ++k) {
    EXPECT_EQ(carried_b[static_cast<std::size_t>(3 * O + k)], fresh_b[static_cast<std::size_t>(3 * O + k)]);  // slot 1
  }
  bool slot0_differs = false;
  for (int k = 0; k < 3 * O; ++k) slot0_differs |= carried_b[static_cast<std::size_t>(k)] != fresh_b[static_cast<std::size_t>(k)];
  EXPECT_TRUE(slot0_differs);
}

TEST(Engine, EvaluateHasNoDropoutAndCallsEachRangeOnce) {
  nn::Model model = make_model();
  Engine engine(model, options(3));
  Batch batch(7, 4, 4, 5);
  std::mutex mutex;
  std::vector<int> seen(7, 0);
  LossFn loss = [&](int first, int count, const float* y, float* g) {
    {
      std::lock_guard lock(mutex);
      for (int s = first; s < first + count; ++s) ++seen[static_cast<std::size_t>(s)];
    }
    return mse(batch, 3)(first, count, y, g);
  };
  const double a = engine.evaluate(batch.input(), loss);
  const double b = engine.evaluate(batch.input(), loss);
  EXPECT_EQ(a, b);
  for (int n : seen) EXPECT_EQ(n, 2);
  std::vector<float> y(7 * 4 * 3), g(y.size());
  engine.forward(batch.input(), y.data());
  EXPECT_NEAR(mse(batch, 3)(0, 7, y.data(), g.data()), a, 1e-9);
}

TEST(Engine, ErrorsAreReported) {
  nn::Model model = make_model();
  Engine engine(model, options(2));
  Batch batch(2, 3, 4, 1);
  ChunkInput bad = batch.input();
  bad.input_dim = 5;
  EXPECT_THROW(engine.evaluate(bad, mse(batch, 3)), Error);
  LossFn throws = [](int first, int, const float*, float*) -> double {
    if (first > 0) throw std::runtime_error("loss failed");
    return 0;
  };
  EXPECT_THROW(engine.train_step(batch.input(), throws), std::runtime_error);
  EngineOptions o = options(1);
  o.pad_frame = {1.0f};
  EXPECT_THROW(Engine(model, o), Error);
}

// Straight-through weight hook: the arithmetic sees zero weights in the last layer.
struct ZeroWeights : nn::LayerHook<float> {
  void transform_parameter(int tensor, std::span<const float> stored, std::span<float> effective) override {
    for (std::size_t i = 0; i < stored.size(); ++i) effective[i] = tensor == 0 ? 0.0f : stored[i];
  }
};
struct ShiftActivations : nn::LayerHook<float> {
  void transform_activation(std::span<float> values) override {
    for (float& v : values) v += 1.0f;
  }
};

TEST(Engine, QuantizationHooksTransformForwardAndPassGradientsStraightThrough) {
  nn::Model hooked = make_model();
  hooked.set_hook(3, std::make_shared<ZeroWeights>());
  nn::Model zeroed = make_model();
  zeroed.parameters()[9].value.setZero();  // layer3.fc.weight
  ASSERT_EQ(zeroed.parameters()[9].name, "layer3.fc.weight");
  Batch batch(3, 4, 4, 1);
  std::vector<Eigen::VectorXf> g_hooked, g_zeroed;
  Engine(hooked, options(2)).compute_gradient(batch.input(), mse(batch, 3), g_hooked);
  Engine(zeroed, options(2)).compute_gradient(batch.input(), mse(batch, 3), g_zeroed);
  EXPECT_LT(max_relative(g_hooked, g_zeroed), 1e-6);
  EXPECT_GT(g_hooked[9].cwiseAbs().maxCoeff(), 0.0f);
  // Stored weights are untouched by the hook.
  EXPECT_GT(hooked.parameters()[9].value.cwiseAbs().maxCoeff(), 0.0f);

  nn::Model shifted = make_model();
  shifted.set_hook(3, std::make_shared<ShiftActivations>());
  hooked.set_hook(3, nullptr);
  std::vector<float> y_plain(3 * 4 * 3), y_shift(y_plain.size());
  Engine(hooked, options(1)).forward(batch.input(), y_plain.data());
  Engine(shifted, options(1)).forward(batch.input(), y_shift.data());
  EXPECT_NE(y_plain, y_shift);
}

}  // namespace
}  // namespace nnse::train
