/// @file
/// asyncload/types.hpp — the vocabulary shared by games, the core and backends: ids, headers,
/// statuses, capabilities and options. `<asyncload/asyncload.hpp>` is the manual.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

/// GameMaker's asynchronous HTTP model (`<asyncload/asyncload.hpp>` is the manual).
namespace asyncload {

inline constexpr std::string_view version = "0.1.0";  ///< The library's version.

using RequestId = std::int64_t;  ///< >= 0 when accepted, -1 when the call was refused
/// Request or response headers: (name, value) pairs, in order.
using Headers = std::vector<std::pair<std::string, std::string>>;

/// async_load "status". The map holds GameMaker's integers; AsyncLoad::status() gives this.
enum class Status : int {
  downloading = 1,     ///< a progress event
  complete = 0,        ///< the HTTP exchange completed, whatever its code: read http_status
  network_error = -1,  ///< refused, DNS, reset, TLS, protocol, bad redirect
  timeout = -2,        ///< connect, stall or total timeout
  cancelled = -3,      ///< http_cancel
  file_error = -4,     ///< the local file could not be written
  too_large = -5,      ///< body over max_body_bytes
};

/// What a backend can honour. A `false` here is the documented answer for that platform; the core
/// never pretends otherwise (docs/capabilities.md: each backend's values).
struct Capabilities {
  std::string backend;            ///< "curl", "emscripten_fetch", "scripted", ...
  bool progress_events = false;   ///< status 1 events during a download
  bool response_headers = false;  ///< response_headers filled in
  bool cancel = false;            ///< http_cancel stops the transfer itself
  bool connect_timeout = false;   ///< the connect timeout is honoured
  bool stall_timeout = false;     ///< the stall timeout is honoured
  bool total_timeout = false;     ///< the total timeout is honoured
  bool file_download = false;     ///< http_get_file
  bool crossorigin = false;       ///< http_set_request_crossorigin has an effect
  bool redirect_limit = false;    ///< Options::max_redirects is honoured (browsers stop at 20)
  bool relative_urls = false;     ///< URLs may be relative to the page (browsers)
  bool blocking_wait = false;     ///< Http::wait may block the calling thread
  /// The most requests the backend runs at once to one origin (scheme, host, port); more wait in
  /// order inside the backend, their timeouts not yet counting. 0 = no limit of its own (only
  /// Options::max_connections).
  std::size_t connections_per_host = 0;
  /// RequestOptions::resume is honoured: an interrupted http_get_file leaves its partial file,
  /// and the next call continues it with a Range request. The browser keeps whole pieces only
  /// (ranged_downloads; its XHR hands over no part of a body that failed), and only with
  /// Options::web_piece_bytes > 0; false: resume has no effect, every download starts at zero.
  bool resume_downloads = false;
  /// http_get_file fetches a large body in Range pieces of Options::web_piece_bytes when the
  /// server answers ranges (the browser, whose XHR holds a whole response in memory); false:
  /// one request, its body streamed to the file.
  bool ranged_downloads = false;
  /// A downloaded file outlives the program: on disk natively; in the browser only under
  /// Options::persistent_root (IndexedDB), so false there while it is "".
  bool persistent_files = false;
};

/// One Http's settings; each field says what 0 or "" means (core/src/settings.hpp applies it).
struct Options {
  std::chrono::milliseconds connect_timeout{60000};  ///< same as http_set_connect_timeout; 0 = off
  std::chrono::milliseconds stall_timeout{0};        ///< 0 = off: fail with -2 after N ms without a byte
  std::chrono::milliseconds total_timeout{0};        ///< 0 = off
  int max_redirects = 10;            ///< 0 = follow none: the 3xx is the final response
  /// Over it: -5 (memory and buffer bodies; http_get_file streams and is not limited). The body
  /// never grows past it (in the browser the download stops at the first progress event that
  /// shows it larger: the XHR holds the limit plus one progress step at most).
  /// 256 MiB by default: a body that would not fit ends in an event, not in the game being
  /// killed, on every platform (a wasm32 heap is 2-4 GiB at most and holds the game's own data
  /// too). 0 = unlimited, an explicit opt-out.
  std::size_t max_body_bytes = 256u << 20;
  std::size_t max_connections = 64;  ///< transfers at once (0 = 1); the rest wait in order
  bool progress_events = true;       ///< status-1 events where the backend can
  std::string file_root;             ///< "" = targets as given; else confined under it
  std::string ca_file;               ///< extra trusted CA bundle (PEM); "" = system
  std::string user_agent;            ///< "" = `"asyncload/<version>"`
  /// Browser only: http_get_file asks for the body in Range pieces of this many bytes, so that
  /// memory holds one piece, not the whole file (README "Big files in the browser"). 0 = one
  /// request for the whole body. Natively ignored: curl streams to the file.
  std::size_t web_piece_bytes = 8u << 20;
  /// Browser only: a folder of Emscripten's file system kept in IndexedDB (IDBFS), so that what
  /// http_get_file commits under it survives a page reload; its final event comes once the file
  /// is stored (README "Files that survive a reload"). "" = off. Natively ignored: files are on
  /// disk already.
  std::string persistent_root;
  /// Recording (README "Deterministic headless runs"): "" = off; else every exchange of this Http
  /// (failures too) is written to this HAR 1.2 file when the Http is destroyed, on any backend.
  /// The file is written whole then (beside it, then renamed onto it); nothing is written before.
  std::string record_har;
  /// Request and response headers written as "REDACTED" in the recording, besides Authorization,
  /// Cookie, Set-Cookie and Proxy-Authorization, which always are (names in any case).
  std::vector<std::string> redact_headers;
  /// A body (either way) over this many bytes is not recorded: the entry keeps its sizes and says
  /// so (_asyncload_body_omitted), and replaying it fails with -1. 0 = no limit.
  std::size_t record_max_body_bytes = 64u << 20;
};

/// One request's settings (the trailing argument of every http_* call). An unset field takes the
/// Http's value (Options, http_set_connect_timeout); a set one means what it means in Options.
struct RequestOptions {
  /// @{ Options::connect_timeout, Options::stall_timeout and Options::total_timeout for this request.
  std::optional<std::chrono::milliseconds> connect_timeout, stall_timeout, total_timeout;
  /// @}
  std::optional<std::size_t> max_body_bytes;  ///< Options::max_body_bytes for this request
  /// http_get_file: keep what an interrupted download received (a failure -1 or -2, a cancel, or
  /// the Http destroyed mid-download) and continue it on the next call with resume for the same
  /// URL and target (Range + If-Range). The rules are in the README ("Resumable downloads");
  /// Capabilities::resume_downloads says whether the backend can.
  bool resume = false;
};

}  // namespace asyncload
