// C++ side of the PyTorch oracle for the training engine (tests/parity/test_nn_parity.py).
//
//   nnse_nn_driver --arch FILE --out DIR [--seed N] [--sequences S] [--frames T1,T2] [--threads W]
//
// Builds the model from FILE (weights from the seed, biases shifted by random values so every bias path
// matters), draws two chunks of random features for S sequences plus a pad frame, and runs the float engine on
// W threads: chunk 1 from a fresh state, chunk 2 carrying state from chunk 1 (its sequence 1 is padded after
// T2/2 frames). Loss per chunk: sum over real frames of c * y^2 with fixed random weights c. Writes to DIR
// (float64 .npy, values exactly as the engine saw them):
//   layers.json                       [{type, input, units, kernel, activation, concat_input}], scalar_output
//   param_<name>.npy                  every parameter tensor in its logical shape
//   pad.npy [D], x1.npy x2.npy [S,T,D], valid2.npy [S,T2], c1.npy c2.npy [S,T,O]
//   y1.npy y2.npy [S,T,O], loss.npy [2], grad1_<name>.npy grad2_<name>.npy
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "nnse/nn/model.h"
#include "nnse/nn/random.h"
#include "nnse/train/engine.h"
#include "nnse/util/npy.h"

using namespace nnse;

namespace {

std::vector<std::size_t> shape_of(const std::vector<int>& shape) { return {shape.begin(), shape.end()}; }

void write(const std::filesystem::path& file, const float* values, std::size_t n, const std::vector<std::size_t>& shape) {
  std::vector<double> v(values, values + n);
  write_npy(file, v, shape);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::string arch_file, out;
    std::uint64_t seed = 1;
    int S = 3, T1 = 8, T2 = 6, threads = 2;
    for (int i = 1; i + 1 < argc; i += 2) {
      const std::string key = argv[i], value = argv[i + 1];
      if (key == "--arch") arch_file = value;
      else if (key == "--out") out = value;
      else if (key == "--seed") seed = std::stoull(value);
      else if (key == "--sequences") S = std::stoi(value);
      else if (key == "--threads") threads = std::stoi(value);
      else if (key == "--frames") {
        const auto comma = value.find(',');
        T1 = std::stoi(value.substr(0, comma));
        T2 = std::stoi(value.substr(comma + 1));
      } else throw std::invalid_argument("unknown option " + key);
    }
    if (arch_file.empty() || out.empty()) throw std::invalid_argument("usage: nnse_nn_driver --arch FILE --out DIR ...");
    std::filesystem::create_directories(out);
    const std::filesystem::path dir(out);

    nn::Model model = nn::Model::from_file(arch_file, seed);
    nn::Rng rng(seed * 7919 + 1);
    for (auto& tensor : model.parameters())
      if (tensor.is_bias)
        for (Eigen::Index i = 0; i < tensor.value.size(); ++i) tensor.value[i] += static_cast<float>(rng.uniform(-0.3, 0.3));
    const int D = model.input_dim(), O = model.output_dim();

    nlohmann::json layers = nlohmann::json::array();
    for (const auto& layer : model.network().layers())
      layers.push_back({{"type", nn::to_string(layer.spec.type)}, {"input", layer.input_dim}, {"units", layer.units},
                        {"kernel", layer.kernel}, {"activation", nn::to_string(layer.spec.activation)},
                        {"concat_input", layer.spec.concat_input}});
    std::ofstream(dir / "layers.json") << nlohmann::json{{"layers", layers}, {"scalar_output", model.arch().scalar_output}}.dump(1);
    for (const auto& tensor : model.parameters())
      write(dir / ("param_" + tensor.name + ".npy"), tensor.value.data(), static_cast<std::size_t>(tensor.value.size()),
            shape_of(tensor.shape));

    auto normal = [&](std::size_t n, double scale) {
      std::vector<float> v(n);
      for (float& x : v) x = static_cast<float>(scale * rng.normal());
      return v;
    };
    std::vector<float> pad = normal(static_cast<std::size_t>(D), 1.0);
    write(dir / "pad.npy", pad.data(), pad.size(), {static_cast<std::size_t>(D)});

    train::EngineOptions options;
    options.threads = threads;
    options.seed = seed;
    options.random_initial_state = false;
    options.pad_frame = pad;
    train::Engine engine(model, options);

    std::vector<double> losses;
    for (int chunk = 1; chunk <= 2; ++chunk) {
      const int T = chunk == 1 ? T1 : T2;
      const std::size_t n_out = static_cast<std::size_t>(S) * T * O;
      std::vector<float> x = normal(static_cast<std::size_t>(S) * T * D, 1.0);
      std::vector<std::uint8_t> valid(static_cast<std::size_t>(S) * T, 1), new_clip(static_cast<std::size_t>(S), chunk == 1);
      if (chunk == 2 && S > 1)
        for (int t = T / 2; t < T; ++t) valid[static_cast<std::size_t>(T) + t] = 0;
      std::vector<float> c(n_out);
      for (std::size_t i = 0; i < n_out; ++i) c[i] = valid[i / O] ? static_cast<float>(rng.uniform(0.5, 1.5)) : 0.0f;
      std::vector<float> y(n_out);
      train::LossFn loss = [&](int first, int count, const float* output, float* grad) {
        double sum = 0;
        const std::size_t base = static_cast<std::size_t>(first) * T * O;
        for (std::size_t i = 0; i < static_cast<std::size_t>(count) * T * O; ++i) {
          y[base + i] = output[i];
          sum += static_cast<double>(c[base + i]) * output[i] * output[i];
          grad[i] = 2.0f * c[base + i] * output[i];
        }
        return sum;
      };
      std::vector<Eigen::VectorXf> gradient;
      train::ChunkInput input{S, T, D, x.data(), valid.data(), new_clip.data()};
      losses.push_back(engine.compute_gradient(input, loss, gradient));
      const std::string tag = std::to_string(chunk);
      const std::vector<std::size_t> xs = {static_cast<std::size_t>(S), static_cast<std::size_t>(T), static_cast<std::size_t>(D)};
      const std::vector<std::size_t> ys = {static_cast<std::size_t>(S), static_cast<std::size_t>(T), static_cast<std::size_t>(O)};
      write(dir / ("x" + tag + ".npy"), x.data(), x.size(), xs);
      write(dir / ("c" + tag + ".npy"), c.data(), c.size(), ys);
      write(dir / ("y" + tag + ".npy"), y.data(), y.size(), ys);
      std::vector<double> v(valid.begin(), valid.end());
      write_npy(dir / ("valid" + tag + ".npy"), v, {static_cast<std::size_t>(S), static_cast<std::size_t>(T)});
      for (std::size_t i = 0; i < gradient.size(); ++i)
        write(dir / ("grad" + tag + "_" + model.parameters()[i].name + ".npy"), gradient[i].data(),
              static_cast<std::size_t>(gradient[i].size()), shape_of(model.parameters()[i].shape));
    }
    write_npy(dir / "loss.npy", losses, {losses.size()});
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "nnse_nn_driver: %s\n", e.what());
    return 1;
  }
}
