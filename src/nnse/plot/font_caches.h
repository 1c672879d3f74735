#pragma once
// Cairo's text drawing leaves cairo and fontconfig caches allocated for the life of the process, which the
// sanitizer CI run reports as leaks.

namespace nnse::plot {

// Registers (once) an exit handler that frees those caches; call it before drawing text with cairo.
void release_font_caches_at_exit();

}  // namespace nnse::plot
