// The browser backend: emscripten_fetch (XMLHttpRequest underneath) on the browser main thread.
#pragma once

#include <asyncload/backend.hpp>

#include <memory>

namespace asyncload {

std::unique_ptr<Backend> make_fetch_backend();

}  // namespace asyncload
