// The compile-time choice of the platform backend: libcurl natively, emscripten_fetch in
// browsers. Each backend folder provides its make_*_backend().
#include <asyncload/backend.hpp>

#if defined(__EMSCRIPTEN__)
#include "web/fetch_backend.hpp"
#else
#include "native/curl_backend.hpp"
#endif

namespace asyncload {

std::unique_ptr<Backend> make_platform_backend() {
#if defined(__EMSCRIPTEN__)
  return make_fetch_backend();
#else
  return make_curl_backend();
#endif
}

}  // namespace asyncload
