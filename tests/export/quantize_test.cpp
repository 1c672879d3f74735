// The quantizer and the C writer: the bundled model, quantized, run by the runtime itself, against the float
// enhancer; the generated C files are deterministic, compile as C99 and C++17 and link twice into one program
// that computes exactly what the in-memory model computes.
#include "nnse/export/quantize.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "nnse/audio/audio_io.h"
#include "nnse/enhance/enhancer.h"
#include "nnse/export/c_writer.h"
#include "nnse/model/checkpoint.h"
#include "nnse/model/checkpoint_match.h"
#include "nnse/nn/arch.h"
#include "nnse/util/error.h"
#include "test_support.h"

namespace nnse::deploy {
namespace {
namespace fs = std::filesystem;

const fs::path kSource(NNSE_SOURCE_DIR);

struct Bundled {
  dsp::FrontendConfig frontend;
  dsp::FeatureStats stats;
  std::unique_ptr<nn::Model> model;
};

Bundled load_bundled() {
  const fs::path file = kSource / "models" / "se_nn_arch72_mel" / "model.ckpt";
  const model::Checkpoint ckpt = model::load_checkpoint(file);
  Bundled b;
  b.frontend = ckpt.frontend;
  b.stats.mean = ckpt.feature_mean;
  b.stats.inv_std = ckpt.feature_inv_std;
  b.model = std::make_unique<nn::Model>(nn::parse_arch(ckpt.arch_text, file.string()), 1);
  model::restore_parameters(ckpt, file, b.model->parameters());
  return b;
}

std::vector<float> noisy_speech() {
  const auto speech = audio::read_mono(kSource / "tests" / "fixtures" / "speech" / "agent-pass-2s5.flac", 16000, false);
  const auto noise = test::white_noise(speech.size(), 5, 0.03f);
  std::vector<float> x(speech.size());
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = speech[i] + noise[i];
  return x;
}

std::int16_t to_q15(float v) {
  return static_cast<std::int16_t>(std::clamp(std::nearbyint(v * 32768.0f), -32768.0f, 32767.0f));
}

// The runtime on a whole signal, output aligned with the input (the NNSP_DELAY leading samples dropped).
std::vector<float> run_runtime(const nnsp_model& model, const std::vector<float>& x) {
  std::vector<std::uint64_t> arena((nnsp_arena_size(&model) + 7) / 8);
  const nnsp_params params = nnsp_default_params();
  nnsp_status status;
  nnsp_state* st = nnsp_init(&model, arena.data(), static_cast<std::uint32_t>(arena.size() * 8), &params, &status);
  EXPECT_NE(st, nullptr) << "status " << status;
  std::vector<float> y;
  if (!st) return y;
  const std::size_t hops = (x.size() + NNSP_DELAY + NNSP_HOP - 1) / NNSP_HOP;
  std::int16_t in[NNSP_HOP], out[NNSP_HOP];
  for (std::size_t h = 0; h < hops; ++h) {
    for (int n = 0; n < NNSP_HOP; ++n) {
      const std::size_t i = h * NNSP_HOP + static_cast<std::size_t>(n);
      in[n] = i < x.size() ? to_q15(x[i]) : 0;
    }
    nnsp_process_q15(st, in, out);
    for (int n = 0; n < NNSP_HOP; ++n) y.push_back(out[n] / 32768.0f);
  }
  y.erase(y.begin(), y.begin() + NNSP_DELAY);
  y.resize(x.size());
  return y;
}

TEST(Quantize, BundledModelThroughTheRuntimeTracksTheFloatEnhancer) {
  const Bundled b = load_bundled();
  const auto x = noisy_speech();
  const auto y_float = enhance::enhance_signal(*b.model, b.frontend, b.stats, x);
  // The comparison means something only if the model changes the signal a lot (measured: the change is 14.9 dB
  // below the input, the runtime's deviation from the float output 45 dB below that).
  const double change = test::snr_db(x, y_float);
  std::cout << "float enhancer output vs its input: " << change << " dB\n";
  EXPECT_LT(change, 20.0);
  for (bool per_channel : {false, true}) {
    QuantizeOptions options;
    options.per_channel = per_channel;
    QuantizedModel q;
    quantize_into(*b.model, b.frontend, b.stats, options, q);
    EXPECT_EQ(q.model().num_layers, 5);
    const auto y = run_runtime(q.model(), x);
    ASSERT_EQ(y.size(), x.size());
    const double snr = test::snr_db(y_float, y);
    std::cout << (per_channel ? "per-channel" : "per-tensor") << " formats: runtime vs float enhancer "
              << snr << " dB, " << q.weight_bytes() << " bytes of weights\n";
    // Post-training int8 weights (no QAT) with int16 activations: measured 59.7 dB per tensor, 63.2 dB per
    // channel (the gains agree to ~0.1%); held to 40 dB.
    EXPECT_GT(snr, 40.0);
  }
}

TEST(Quantize, WeightFormats) {
  EXPECT_EQ(weight_fraction_bits(0.99, 16), 7);   // 0.99 * 128 = 126.7
  EXPECT_EQ(weight_fraction_bits(0.9961, 16), 6);  // 127.5 would round to 128
  EXPECT_EQ(weight_fraction_bits(7.9, 16), 4);
  EXPECT_EQ(weight_fraction_bits(0.0, 16), 16);
  EXPECT_EQ(weight_fraction_bits(1000.0, 16), 0);
}

std::string read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

TEST(CWriter, DeterministicCompilesAsCAndCxxAndTwoModelsLink) {
  const Bundled b = load_bundled();
  QuantizedModel tensor_q, channel_q;
  quantize_into(*b.model, b.frontend, b.stats, {}, tensor_q);
  QuantizeOptions per_channel;
  per_channel.per_channel = true;
  quantize_into(*b.model, b.frontend, b.stats, per_channel, channel_q);
  test::ScratchDir dir;
  const auto first = write_c_model(tensor_q, 3, "se", dir / "a");
  write_c_model(tensor_q, 3, "se", dir / "b");
  EXPECT_EQ(read_file(first.source), read_file(dir / "b" / "def_nn3_se.c"));
  EXPECT_EQ(read_file(first.header), read_file(dir / "b" / "def_nn3_se.h"));
  write_c_model(channel_q, 4, "se_pc", dir / "a");
  EXPECT_THROW(write_c_model(tensor_q, 3, "bad-name", dir / "a"), Error);

  // A program with both models: it prints a hash of each model's output on a fixed input.
  {
    std::ofstream main(dir / "a" / "main.c");
    main << "#include <stdio.h>\n#include \"def_nn3_se.h\"\n#include \"def_nn4_se_pc.h\"\n"
            "static unsigned long long arena[4096];\n"
            "static unsigned hash_of(const nnsp_model *m) {\n"
            "  nnsp_params p = nnsp_default_params(); nnsp_status s; unsigned h = 2166136261u; int t, n;\n"
            "  nnsp_state *st = nnsp_init(m, arena, sizeof arena, &p, &s);\n"
            "  if (!st) return 0;\n"
            "  for (t = 0; t < 50; ++t) { short in[160], out[160];\n"
            "    for (n = 0; n < 160; ++n) in[n] = (short)(((t * 160 + n) * 7919) % 20000 - 10000);\n"
            "    nnsp_process_q15(st, in, out);\n"
            "    for (n = 0; n < 160; ++n) h = (h ^ (unsigned)(unsigned short)out[n]) * 16777619u; }\n"
            "  return h; }\n"
            "int main(void) { printf(\"%u %u\\n\", hash_of(&nnsp_model_se), hash_of(&nnsp_model_se_pc)); return 0; }\n";
  }
  const std::string runtime = (kSource / "runtime").string();
  const std::string flags = "-Wall -Wextra -Werror -pedantic -I" + runtime + "/include -I" + (dir / "a").string();
  auto r = test::run_shell("cd " + (dir / "a").string() + " && cc -std=c99 " + flags + " -c def_nn3_se.c def_nn4_se_pc.c" +
                           " && c++ -std=c++17 " + flags + " -x c++ -c def_nn3_se.c -o se_cxx.o" +
                           " && cc -std=c99 -O1 " + flags + " main.c def_nn3_se.o def_nn4_se_pc.o " + runtime +
                           "/src/*.c -o two_models && ./two_models");
  ASSERT_EQ(r.exit_code, 0) << r.output;

  // The same hashes from the in-memory models.
  auto hash_of = [](const nnsp_model& m) {
    std::vector<std::uint64_t> arena(4096);
    const nnsp_params p = nnsp_default_params();
    nnsp_state* st = nnsp_init(&m, arena.data(), 4096 * 8, &p, nullptr);
    std::uint32_t h = 2166136261u;
    for (int t = 0; st && t < 50; ++t) {
      std::int16_t in[160], out[160];
      for (int n = 0; n < 160; ++n) in[n] = static_cast<std::int16_t>(((t * 160 + n) * 7919) % 20000 - 10000);
      nnsp_process_q15(st, in, out);
      for (int n = 0; n < 160; ++n) h = (h ^ static_cast<std::uint16_t>(out[n])) * 16777619u;
    }
    return h;
  };
  std::ostringstream want;
  want << hash_of(tensor_q.model()) << " " << hash_of(channel_q.model()) << "\n";
  EXPECT_EQ(r.output, want.str());
}

}  // namespace
}  // namespace nnse::deploy
