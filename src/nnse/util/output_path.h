#pragma once
// The one output-path policy: what writing an output named by the user does to whatever is at that path.
//   - nothing there, or a regular file: the data goes to "<path>.tmp-<pid>" beside it, is fsync'ed and renamed
//     over it (a crash leaves the old complete file or the new one, never half of each);
//   - a symlink: followed (through chains); its final target is written as above and the link stays a link;
//   - a device node, FIFO or socket: written through. The writer fills a private temporary file first and the
//     bytes are then copied into the existing node, so /dev/null stays /dev/null and a FIFO's reader gets a
//     complete file (WAV headers need seeking, which a FIFO cannot do);
//   - "-": standard output, like a device (refused when stdout is a terminal: binary data on a screen);
//   - a folder: refused with an error naming it.
// Every command writes through this (write_file_atomic, WavWriter, figures), so no command renames over a node.
#include <filesystem>
#include <memory>
#include <vector>

namespace nnse {

// The spelling that means standard output.
inline constexpr const char* kStandardOutput = "-";

enum class OutputKind { regular, stream, standard_output };

struct OutputDestination {
  std::filesystem::path path;  // symlinks resolved; "-" for standard output
  OutputKind kind = OutputKind::regular;
};

// Decides how `requested` is written (see above). Throws nnse::Error naming it for a folder or a symlink loop.
OutputDestination resolve_output(const std::filesystem::path& requested);

class TempFileRegistration;

// One output being written: a writer produces temporary() completely, then commit() puts it in place. Destroyed
// without commit() (error, exception), it removes the temporary and leaves the target untouched.
class OutputFile {
 public:
  explicit OutputFile(const std::filesystem::path& requested);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  const std::filesystem::path& temporary() const { return temporary_; }
  const std::filesystem::path& requested() const { return requested_; }
  // Renames (regular) or copies (stream, stdout) the finished temporary into place. Throws nnse::Error naming
  // the requested path.
  void commit();

 private:
  std::filesystem::path requested_;
  OutputDestination destination_;
  std::filesystem::path temporary_;
  std::unique_ptr<TempFileRegistration> registration_;
  bool committed_ = false;
};

// True when both paths exist and are the same file: same device and inode, so different spellings, symlinks and
// hard links are all recognised.
bool same_file(const std::filesystem::path& a, const std::filesystem::path& b);

// Throws nnse::Error naming `output` when it is the same file as `input` (writing it would destroy the input).
// Checked before any work starts.
void refuse_output_over_input(const std::filesystem::path& output, const std::filesystem::path& input);

// The same for many outputs and inputs at once (a folder of files): one stat per file.
void refuse_outputs_over_inputs(const std::vector<std::filesystem::path>& outputs,
                                const std::vector<std::filesystem::path>& inputs);

}  // namespace nnse
