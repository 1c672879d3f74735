#pragma once
// An upper estimate of the memory a training run takes for its batch, from the arch (no weights allocated) and
// the batch shape, so `nnse train --batch-size 100000` is refused with a message before it starts instead of
// ending in std::bad_alloc after gigabytes.
//
// Per sequence frame the engine keeps every layer's inputs (times the conv1d kernel) and its gate/activation
// values for backpropagation, and the batch holds the features and the noisy and clean spectra. Measured: batch
// 1000 x 500 frames of the bundled arch took 4.4 GB (8.8 KB per frame); this estimate gives 13 KB per frame,
// erring on the side of refusing less than it would take.
#include <cstdint>

#include "nnse/dsp/frontend_config.h"
#include "nnse/nn/arch.h"

namespace nnse::train {

struct MemoryEstimate {
  std::uint64_t per_frame_bytes = 0;  // per sequence frame of a batch
  std::uint64_t fixed_bytes = 0;      // weights, gradients and Adam moments
  std::uint64_t total(int batch_size, int chunk_frames) const {
    return fixed_bytes + per_frame_bytes * static_cast<std::uint64_t>(batch_size) *
                             static_cast<std::uint64_t>(chunk_frames);
  }
};

MemoryEstimate estimate_training_memory(const nn::Arch& arch, const dsp::FrontendConfig& frontend, int threads);

}  // namespace nnse::train
