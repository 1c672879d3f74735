#pragma once
// An allocator for large buffers whose lifetimes interleave with other allocations (the spectra of the clips a
// training batch walks through): each allocation is its own anonymous memory mapping, so freeing it returns the
// memory to the system at once. Through malloc, glibc moves blocks of that size into its heaps after the first
// one is freed (its dynamic mmap threshold) and the holes they leave stay resident: in training with 25 s clips
// that kept several hundred MB of freed spectra in the process. A global mallopt() threshold would fix that too,
// but it also maps Eigen's per-product GEMM buffers, which slowed training steps by about 10 %.
#include <sys/mman.h>

#include <cstddef>
#include <new>

namespace nnse {

template <class T>
struct MappedAllocator {
  using value_type = T;

  MappedAllocator() noexcept = default;
  template <class U>
  MappedAllocator(const MappedAllocator<U>&) noexcept {}

  // Below this a mapping's page granularity and system call cost more than fragmentation does.
  static constexpr std::size_t kMinMappedBytes = std::size_t{64} << 10;

  T* allocate(std::size_t n) {
    if (n > static_cast<std::size_t>(-1) / sizeof(T)) throw std::bad_array_new_length();
    if (n * sizeof(T) < kMinMappedBytes) return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{alignof(T)}));
    // MAP_POPULATE: the buffer is written whole right away (vector value-initializes it), and faulting its pages in
    // with the mapping costs less system time than one page fault per page.
    void* p = mmap(nullptr, n * sizeof(T), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t n) noexcept {
    if (!p) return;
    if (n * sizeof(T) < kMinMappedBytes) {
      ::operator delete(p, std::align_val_t{alignof(T)});
    } else {
      munmap(p, n * sizeof(T));
    }
  }

  template <class U>
  bool operator==(const MappedAllocator<U>&) const noexcept {
    return true;
  }
};

}  // namespace nnse
