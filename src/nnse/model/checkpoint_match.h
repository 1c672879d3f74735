#pragma once
// Whether a checkpoint fits a network: the same architecture (the arch text, compared without comments,
// spacing and dropout rates), the same front end, the same tensors. Checked when training resumes, when a model is
// loaded with an arch file of its own and when checkpoints are averaged.
#include <filesystem>
#include <string>

#include "nnse/dsp/frontend_config.h"
#include "nnse/model/checkpoint.h"
#include "nnse/nn/parameters.h"

namespace nnse::model {

// Arch files are compared by content, ignoring comments, blank lines and spacing (a re-commented file is the
// same model; any other change is not).
std::string canonical_arch_text(const std::string& arch_text);

// The same without `dropprob` statements: dropout acts only while training and leaves the weights' shapes and
// the inference alone, so a checkpoint may be fine-tuned (or run) under an arch file with other dropout rates.
std::string weights_arch_text(const std::string& arch_text);

// Throws nnse::Error naming `file` if the checkpoint was made for a different architecture or front end.
void check_compatible(const Checkpoint& checkpoint, const std::filesystem::path& file, const std::string& arch_text,
                      const dsp::FrontendConfig& frontend);

// Throws nnse::Error naming `file` unless the checkpoint has `layout`'s tensors (names, shapes) in its order.
void check_parameter_layout(const Checkpoint& checkpoint, const std::filesystem::path& file,
                            const nn::ParameterSet& layout);

// Copies the checkpoint's weights into `target`, which must have the same tensors (names, shapes) in the same
// order. Throws nnse::Error naming `file` otherwise.
void restore_parameters(const Checkpoint& checkpoint, const std::filesystem::path& file, nn::ParameterSet& target);

}  // namespace nnse::model
