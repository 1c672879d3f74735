#pragma once
// How much memory this process can still take: the kernel's MemAvailable, lowered to the room left under a
// cgroup (container) limit when there is one. Used to refuse work that cannot fit before it starts, instead of
// dying of std::bad_alloc (or the OOM killer) halfway.
#include <cstdint>
#include <optional>

namespace nnse {

// Bytes available, or nullopt where it cannot be read (then nothing is refused on its account).
std::optional<std::uint64_t> available_memory_bytes();

}  // namespace nnse
