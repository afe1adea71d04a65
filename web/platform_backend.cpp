// This build's backend: CMake compiles web/ for the browser (Emscripten).
#include "fetch_backend.hpp"

namespace asyncload {

std::unique_ptr<Backend> make_platform_backend() { return make_fetch_backend(); }

}  // namespace asyncload
