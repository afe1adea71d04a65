// The capability sets and the browser's call-time refusals (asyncload/detail/profiles.hpp).
#include <asyncload/detail/profiles.hpp>
#include <asyncload/detail/text.hpp>

#include <string_view>

namespace asyncload::detail {
namespace {

constexpr std::string_view forbidden_methods[] = {"CONNECT", "TRACE", "TRACK"};
constexpr std::string_view forbidden_headers[] = {
    "Accept-Charset", "Accept-Encoding", "Access-Control-Request-Headers",
    "Access-Control-Request-Method", "Connection", "Content-Length", "Cookie", "Cookie2", "Date",
    "DNT", "Expect", "Host", "Keep-Alive", "Origin", "Referer", "Set-Cookie", "TE", "Trailer",
    "Transfer-Encoding", "Upgrade", "Via"};

}  // namespace

Capabilities curl_capabilities() {
  return {
      .backend = "curl",
      .progress_events = true,
      .response_headers = true,
      .cancel = true,
      .connect_timeout = true,
      .stall_timeout = true,
      .total_timeout = true,
      .file_download = true,
      .crossorigin = false,    // no CORS outside a browser
      .redirect_limit = true,
      .relative_urls = false,  // no page to resolve against
      .blocking_wait = true,
      .connections_per_host = 0,  // only max_connections (no CURLMOPT_MAX_HOST_CONNECTIONS)
      .resume_downloads = true,   // the core sends Range; the sink keeps what arrived
      .persistent_files = true,   // on disk
  };
}

Capabilities emscripten_fetch_capabilities(std::size_t web_piece_bytes, bool persistent_root) {
  return {
      .backend = "emscripten_fetch",
      .progress_events = true,
      .response_headers = true,
      .cancel = true,
      .connect_timeout = false,  // the browser has none
      .stall_timeout = true,
      .total_timeout = true,
      .file_download = true,     // into Emscripten's file system
      .crossorigin = true,
      .redirect_limit = false,   // XHR follows up to 20 redirects, invisibly
      .relative_urls = true,
      .blocking_wait = false,
      .connections_per_host = browser_connections_per_origin,
      // In pieces (Options::web_piece_bytes > 0): a failed download keeps its whole pieces.
      .resume_downloads = web_piece_bytes > 0,
      .ranged_downloads = web_piece_bytes > 0,
      .persistent_files = persistent_root,  // under Options::persistent_root only
  };
}

std::string browser_refusal(const Transfer& transfer) {
  if (transfer.method.size() >= emscripten_fetch_method_bytes)
    return "HTTP method '" + transfer.method.substr(0, 40) + "...' is too long for emscripten_fetch";
  for (std::string_view method : forbidden_methods)
    if (iequals(transfer.method, method)) return "the browser forbids the HTTP method " + transfer.method;
  if (!transfer.body.empty() && (iequals(transfer.method, "GET") || iequals(transfer.method, "HEAD")))
    return "the browser sends no body with " + transfer.method;
  for (const auto& [name, value] : transfer.headers) {
    for (std::string_view forbidden : forbidden_headers)
      if (iequals(name, forbidden)) return "the browser forbids the request header " + name;
    if (istarts_with(name, "Proxy-") || istarts_with(name, "Sec-"))
      return "the browser forbids the request header " + name;
  }
  return {};
}

}  // namespace asyncload::detail
