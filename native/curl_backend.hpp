// The native backend: libcurl's multi interface on one internal I/O thread.
#pragma once

#include <asyncload/backend.hpp>

#include <memory>

namespace asyncload {

std::unique_ptr<Backend> make_curl_backend();

}  // namespace asyncload
