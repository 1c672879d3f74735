#pragma once
// Writes a quantized model as C source, `def_nn{net_id}_{name}.h` and `.c` as in the reference converter: the
// header declares `extern const nnsp_model nnsp_model_{name}`, the source defines it with every table static
// (so several converted models link into one program). The text depends only on the model (byte-identical when
// written twice) and compiles warning-free as C99 and as C++17.
#include <filesystem>
#include <string>

#include "nnse/export/quantize.h"

namespace nnse::deploy {

struct CModelFiles {
  std::filesystem::path header, source;
};

std::string c_model_basename(int net_id, const std::string& name);  // "def_nn3_se"
std::string c_model_header(const QuantizedModel& model, int net_id, const std::string& name);
std::string c_model_source(const QuantizedModel& model, int net_id, const std::string& name);

// Throws nnse::Error if `name` is not a C identifier or a file cannot be written.
CModelFiles write_c_model(const QuantizedModel& model, int net_id, const std::string& name,
                          const std::filesystem::path& dir);

}  // namespace nnse::deploy
