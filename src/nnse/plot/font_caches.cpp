#include "nnse/plot/font_caches.h"

#include <cairo.h>
#include <dlfcn.h>

#include <cstdlib>
#include <mutex>

namespace nnse::plot {

void release_font_caches_at_exit() {
  static std::once_flag once;
  std::call_once(once, [] {
    std::atexit([] {
      cairo_debug_reset_static_data();
      // fontconfig's configuration outlives cairo's reset; FcFini frees it. Looked up at run time because nnse
      // links fontconfig only through cairo.
      if (void* fini = ::dlsym(RTLD_DEFAULT, "FcFini")) reinterpret_cast<void (*)()>(fini)();
    });
  });
}

}  // namespace nnse::plot
