// C++ side of tests/parity/test_loss_parity.py: evaluates every training loss on spectra written by the script.
//   nnse_loss_driver DIR C A EPS TAG
// reads DIR/noisy.npy and DIR/clean.npy ([B][T][K][2], real and imaginary parts), DIR/gain.npy ([B][T][K]) and
// DIR/valid.npy ([B][T], 1 = real frame), and writes DIR/TAG_loss_<name>.npy (one float64) and
// DIR/TAG_grad_<name>.npy ([B][T][K] float32, dL/dG) for every loss, with knobs c = C, a = A, eps = EPS.
// The batch is evaluated as two sequence ranges, as the trainer's threads do.
#include <complex>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "nnse/dsp/frontend_config.h"
#include "nnse/train/loss.h"
#include "nnse/util/error.h"
#include "nnse/util/npy.h"

namespace {

using nnse::Error;
namespace fs = std::filesystem;

std::vector<std::complex<float>> read_complex(const fs::path& file, std::vector<std::size_t>& shape) {
  const nnse::NpyArray a = nnse::read_npy(file);
  if (a.shape.size() != 4 || a.shape[3] != 2) throw Error(file, "expected shape [B][T][K][2]");
  shape = {a.shape[0], a.shape[1], a.shape[2]};
  std::vector<std::complex<float>> out(a.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = {static_cast<float>(a.values[2 * i]), static_cast<float>(a.values[2 * i + 1])};
  }
  return out;
}

int run(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: nnse_loss_driver DIR C A EPS TAG\n");
    return 2;
  }
  const fs::path dir = argv[1];
  nnse::train::LossConfig config;
  config.c = std::stod(argv[2]);
  config.a = std::stod(argv[3]);
  config.eps = std::stod(argv[4]);
  const std::string tag = argv[5];

  std::vector<std::size_t> shape, clean_shape;
  const auto noisy = read_complex(dir / "noisy.npy", shape);
  const auto clean = read_complex(dir / "clean.npy", clean_shape);
  if (clean_shape != shape) throw Error(dir / "clean.npy", "shape differs from noisy.npy");
  const nnse::NpyArray gain_array = nnse::read_npy(dir / "gain.npy");
  if (gain_array.shape != shape) throw Error(dir / "gain.npy", "shape differs from noisy.npy");
  const nnse::NpyArray valid_array = nnse::read_npy(dir / "valid.npy");
  if (valid_array.shape != std::vector<std::size_t>{shape[0], shape[1]}) throw Error(dir / "valid.npy", "expected [B][T]");
  const std::vector<float> gain(gain_array.values.begin(), gain_array.values.end());
  std::vector<std::uint8_t> valid(valid_array.size());
  double valid_frames = 0.0;
  for (std::size_t i = 0; i < valid.size(); ++i) {
    valid[i] = valid_array.values[i] != 0.0 ? 1 : 0;
    valid_frames += valid[i];
  }

  const int sequences = static_cast<int>(shape[0]), frames = static_cast<int>(shape[1]), bins = static_cast<int>(shape[2]);
  const std::size_t per_sequence = static_cast<std::size_t>(frames) * static_cast<std::size_t>(bins);
  const nnse::dsp::FrontendConfig frontend;
  const auto noisy_rows = nnse::train::sequence_rows(noisy, sequences, frames, bins);
  const auto clean_rows = nnse::train::sequence_rows(clean, sequences, frames, bins);
  for (const std::string& name : nnse::train::loss_names()) {
    config.name = name;
    const auto loss = nnse::train::make_loss(config, frontend);
    std::vector<float> grad(gain.size(), 0.0f);
    double total = 0.0;
    const int split = sequences / 2;
    for (const auto& [first, count] : {std::pair{0, split}, std::pair{split, sequences - split}}) {
      nnse::train::LossBatch batch;
      batch.sequences = count;
      batch.frames = frames;
      batch.bins = bins;
      const std::size_t off = static_cast<std::size_t>(first) * per_sequence;
      batch.noisy = noisy_rows.data() + first;
      batch.clean = clean_rows.data() + first;
      batch.gain = gain.data() + off;
      batch.valid = valid.data() + static_cast<std::size_t>(first) * static_cast<std::size_t>(frames);
      batch.total_valid_frames = valid_frames;
      batch.total_sequences = sequences;
      total += loss->evaluate(batch, grad.data() + off);
    }
    const double value[1] = {total};
    nnse::write_npy(dir / (tag + "_loss_" + name + ".npy"), std::span<const double>(value, 1), {1});
    nnse::write_npy(dir / (tag + "_grad_" + name + ".npy"), std::span<const float>(grad), shape);
    std::printf("%s %s %.12g  [%s]\n", tag.c_str(), name.c_str(), total, loss->describe().c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "nnse_loss_driver: %s\n", e.what());
    return 1;
  }
}
