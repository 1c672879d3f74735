#pragma once
// Atomic file replacement: write to "<target>.tmp-<pid>", fsync, rename over the target, fsync the folder.
// Whatever happens (crash, kill, full disk), the target is either the old complete file or the new one.
// Symlinks, device nodes, FIFOs and "-" follow the output policy of util/output_path.h.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>

namespace nnse {

// Writes `bytes` to `target` atomically. Throws nnse::Error naming the target on failure.
void write_file_atomic(const std::filesystem::path& target, std::span<const std::uint8_t> bytes);
void write_file_atomic(const std::filesystem::path& target, const std::string& text);

// For writers that produce the file themselves (libsndfile, cairo): `produce` writes to the given temporary
// path; on success it is fsync'ed and renamed over `target`, on exception the temporary is removed.
void produce_file_atomic(const std::filesystem::path& target,
                         const std::function<void(const std::filesystem::path& temporary)>& produce);

// Reads a whole file; throws nnse::Error naming it if it cannot.
std::string read_file_bytes(const std::filesystem::path& file);

}  // namespace nnse
