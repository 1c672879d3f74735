#pragma once
// Output names of `nnse enhance IN_FOLDER OUT_FOLDER`: every input keeps its own output. "a.wav" -> "a.wav",
// "a.flac" -> "a.wav"; when two inputs would get the same name ("a.wav", "a.flac", "a.ogg" in one folder), the
// ones that are not already that .wav keep their extension in the name: "a.flac.wav", "a.ogg.wav". Before, the
// last one silently overwrote the others and the batch still said "3/3 done".
#include <filesystem>
#include <vector>

namespace nnse::cli {

// One output path per input (throws nnse::Error if two inputs would still share one) (same order), relative paths of `inputs` under `input_root` rebased on `output_root`.
std::vector<std::filesystem::path> enhanced_output_names(const std::vector<std::filesystem::path>& inputs,
                                                         const std::filesystem::path& input_root,
                                                         const std::filesystem::path& output_root);

}  // namespace nnse::cli
