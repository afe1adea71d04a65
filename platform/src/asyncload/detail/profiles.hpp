// What each real backend can do and what the browser refuses at call time, in one place: the
// backends (native/, web/) and the replay backend's profiles (replay/, ReplayOptions::profile)
// read the same definitions, so a game's native CI sees exactly what its browser build would.
// Not installed, not public API.
#pragma once

#include <asyncload/backend.hpp>

#include <cstddef>
#include <string>

namespace asyncload::detail {

// Browsers run at most this many HTTP/1.1 connections per origin (web/fetch_backend.cpp says
// why the web backend queues the rest itself).
inline constexpr std::size_t browser_connections_per_origin = 6;
// emscripten_fetch_attr_t::requestMethod holds this many bytes, NUL included.
inline constexpr std::size_t emscripten_fetch_method_bytes = 32;

// The libcurl backend's capabilities (native/curl_backend.cpp).
Capabilities curl_capabilities();
// The emscripten_fetch backend's (web/fetch_backend.cpp); resume_downloads and
// ranged_downloads hold while BackendSettings::web_piece_bytes > 0, persistent_files while a
// persistent_root is set.
Capabilities emscripten_fetch_capabilities(std::size_t web_piece_bytes, bool persistent_root);

// Why a browser cannot send `transfer` (the Fetch standard's forbidden methods and request
// headers, a body with GET or HEAD, a method too long for emscripten_fetch), or "" when it can.
// XHR would refuse or silently drop these, so asyncload refuses the call instead.
std::string browser_refusal(const Transfer& transfer);

}  // namespace asyncload::detail
