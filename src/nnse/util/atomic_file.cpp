#include "nnse/util/atomic_file.h"

#include <fstream>
#include <sstream>

#include "nnse/util/error.h"
#include "nnse/util/output_path.h"

namespace nnse {
namespace fs = std::filesystem;

void produce_file_atomic(const fs::path& target, const std::function<void(const fs::path&)>& produce) {
  // The output policy (util/output_path.h) decides where the bytes go: rename for regular files, write-through
  // for device nodes and FIFOs, stdout for "-". On exception the OutputFile removes the temporary.
  OutputFile output(target);
  produce(output.temporary());
  output.commit();
}

void write_file_atomic(const fs::path& target, std::span<const std::uint8_t> bytes) {
  produce_file_atomic(target, [&](const fs::path& temporary) {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(temporary, "cannot open for writing");
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) throw Error(target, "write failed (disk full?)");
  });
}

void write_file_atomic(const fs::path& target, const std::string& text) {
  write_file_atomic(target, std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(text.data()),
                                                          text.size()));
}

std::string read_file_bytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(file, fs::exists(file) ? "cannot open for reading" : "no such file");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw Error(file, "read failed");
  return buffer.str();
}

}  // namespace nnse
