// This build's backend: CMake compiles native/ for every target but the browser.
#include "curl_backend.hpp"

namespace asyncload {

std::unique_ptr<Backend> make_platform_backend() { return make_curl_backend(); }

}  // namespace asyncload
