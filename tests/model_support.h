#pragma once
// Models for tests: the reference arch with weights that make its output easy to predict.
#include <filesystem>

#include "nnse/nn/model.h"

namespace nnse::test {

inline const std::filesystem::path kReferenceArch =
    std::filesystem::path(NNSE_SOURCE_DIR) / "nn_arch" / "def_se_nn_arch72_mel.txt";

// The reference arch with its last layer forced to a constant gain sigmoid(bias) in every bin.
inline nn::Model constant_gain_model(float bias) {
  nn::Model model = nn::Model::from_file(kReferenceArch, 7);
  auto& params = model.parameters();
  params[params.size() - 2].value.setZero();
  params.back().value.setConstant(bias);
  return model;
}

}  // namespace nnse::test
