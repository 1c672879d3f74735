#pragma once
// What `nnse train` (and compare-losses) check and arrange before the first step, so that problems are refused
// up front instead of hours or gigabytes later.
#include <filesystem>

#include "nnse/train/trainer.h"

namespace nnse::cli {

// --batch-size larger than the training set is capped to the number of clips (said in a warning); then the
// batch's estimated memory (train/memory_estimate.h) must fit the memory available, or the command is refused with
// the largest --batch-size that fits. Over several `processes` (mpirun) the batch stays a multiple of their number
// and the memory is that of one process's share.
void fit_batch_to_data_and_memory(train::TrainOptions& options, std::size_t training_clips, int processes = 1);

// --epoch-loaded N when the folder already has later epochs: training from N would replace epochs N+1.. and the
// rows of loss_history.csv after N. Without `rewind` that is refused; with it, the later checkpoints and the
// current loss history are first moved to checkpoints/rewound-from-epoch-<M>/ (nothing is deleted), `latest` is
// set to N, and a log line says so.
void prepare_resume(const std::filesystem::path& model_dir, const model::EpochSelection& selection, bool rewind);

}  // namespace nnse::cli
