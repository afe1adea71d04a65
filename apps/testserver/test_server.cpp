// test_server.cpp — asyncload's loopback HTTP/1.1 test server: Boost.Beast over Boost.Asio with
// one C++20 coroutine per connection, so hundreds of keep-alive connections share one thread and
// slow endpoints wait on asio timers, never on sleeps. stop() halts the io_context, joins its
// threads and destroys it, which closes every socket at once, hung connections included.
//
// ENDPOINTS (the manual). Every endpoint answers any method; HEAD gets the same status and
// headers without a body; keep-alive is honoured; request bodies up to 256 MiB and request
// headers up to 1 MiB are accepted; `Expect: 100-continue` is answered. Query values are
// %XX-decoded ('+' stays '+'). A malformed number answers 400. No response carries
// Access-Control-Allow-Origin, except under /cors/ (below).
//
//   /                            200 text/html: a small index of these endpoints
//   /bytes/N                     200 application/octet-stream, Content-Length N, body
//                                pattern_bytes(0, N), streamed in 256 KiB pieces (any N)
//   /chunked/N                   the same bytes with Transfer-Encoding: chunked (no length)
//   /drip?bytes=N&chunks=K&interval_ms=M
//                                Content-Length N; the N pattern bytes in K pieces (sizes differ
//                                by at most one), the first right after the headers, then one
//                                every M ms. Defaults: N 10, K 10, M 100
//   /status/N                    status N (100..999, unknown codes allowed, reason "Unknown"),
//                                text/plain body "status N"; no body for 1xx, 204, 304
//   /etag                        200, ETag "v1", body "etag body"; 304 (ETag, no body) when
//                                If-None-Match lists "v1", W/"v1" or *
//   /echo, /echo/<anything>      200 application/json {"method", "path" (request target as
//                                received, query included), "headers" {lower-case name: value,
//                                repeats joined with ", "}, "body" (as a string), "body_length"}
//   /echo/raw                    200, body = the request body byte for byte; Content-Type = the
//                                request's, else application/octet-stream
//   /headers?Name=value&...      200 body "headers"; each pair becomes one response header line,
//                                in order, repeats kept as separate lines
//   /redirect/N?code=C           C in 301 302 303 307 308 (default 302): Location
//                                /redirect/<N-1>?code=C (relative); /redirect/0: 200 "redirected"
//   /redirect-to?url=U&code=C    C as above, Location: U verbatim (any scheme: file:, ftp:, ...)
//   /redirect-loop               302, Location /redirect-loop, forever
//   /delay/MS                    200 "delayed" after MS milliseconds
//   /gzip                        gzip_text(); when Accept-Encoding mentions gzip it is sent
//                                gzip-compressed (Content-Encoding: gzip, Content-Length of the
//                                compressed bytes). Vary: Accept-Encoding
//   /hang                        reads the request, never answers; the connection stays open
//                                until the client closes it or the server stops
//   /close-mid-body?bytes=N      Content-Length N, sends the first N/2 pattern bytes, then closes
//                                the connection
//   /resumable-set/<name>?bytes=N&version=V&validator=etag|date|none&ranges=1|0&cut=K&hang=0|1
//                 &change_after=C
//                                (re)defines the resumable file <name> (200 "set") and empties
//                                its request log. Defaults: V 1 (1..28), validator etag, ranges
//                                1, cut 0. Byte i is pattern_bytes(resumable_bytes_offset(V) + i)
//   /resumable/<name>            the file <name> (404 if never set): Content-Length, and with
//                                validator etag a strong ETag "v<V>" and a Last-Modified (a date
//                                that differs per V), with date the Last-Modified only. With
//                                ranges 1: Accept-Ranges: bytes, and `Range: bytes=A-` or
//                                `bytes=A-B` answers 206 with Content-Range (A past the end:
//                                416 with `Content-Range: bytes */N`), unless If-Range names
//                                another ETag or date than the file's: then 200, the whole file.
//                                With ranges 0 every answer is 200. cut K: the first response
//                                that reaches the file's byte K (one only) stops before it and
//                                closes the connection (hang 1: keeps it open, sending nothing
//                                more, until the client goes away). change_after C: after its C-th response the file
//                                becomes version V+1 (same size), as if changed between requests.
//                                Cache-Control: no-store (a browser's cache stays out of it)
//   /resumable-log/<name>        200 application/json: [{"range": R, "if_range": I,
//                                "accept_encoding": A}, ...], those headers ("" when absent) of each request for
//                                /resumable/<name> since its last /resumable-set, in order
//   ?read_pause_ms=M             on any endpoint: the request's body is read only M ms after its
//                                header (after any 100 Continue), so that the client's send
//                                buffers fill and it must wait for its socket to drain
//   /cookie/set?name=value&...   200 "cookie set", one `Set-Cookie: name=value; Path=/` per pair
//   /cookie                      200 text/plain, body = the request's Cookie header ("" if none)
//   /large-header?bytes=N        200 "large header", header X-Large: N times 'a'
//   /static/<path>               the file <path> under ServerOptions::docroot (a directory serves
//                                its index.html), streamed with Content-Length; Content-Type by
//                                extension (.html text/html, .js text/javascript, .wasm
//                                application/wasm (needed by WebAssembly.instantiateStreaming),
//                                .png .css .json .txt, else application/octet-stream);
//                                Cache-Control: no-store. 403 for a ".." segment, 404 when
//                                missing or when no docroot is set
//   /done?code=N                 a page reports its result (browser tests, web demo): calls
//                                ServerOptions::on_done(N, log) when set, log = the request body
//                                (any method; a GET may pass it as ?log=...). N is a decimal int,
//                                possibly negative; missing or malformed: 400. Answers 200 "ok"
//   /cors/<endpoint>             CORS variant of every endpoint above: /cors/status/200,
//                                /cors/echo, /cors/cookie/set?a=b, ... behave exactly like the
//                                endpoint without the /cors prefix (/echo's "path" keeps the
//                                target as received) and add
//                                  Access-Control-Allow-Origin: <the request's Origin, else *>
//                                  Access-Control-Allow-Credentials: true
//                                  Access-Control-Expose-Headers: <the response's header names>
//                                  Vary: Origin  (appended to any Vary the endpoint sets)
//                                An OPTIONS request there that carries
//                                Access-Control-Request-Method is a preflight: 204, no body, with
//                                Access-Control-Allow-Methods = the requested method,
//                                Access-Control-Allow-Headers = the requested headers (when any),
//                                Access-Control-Max-Age: 0 and the headers above.
//                                Cookies from /cors/cookie/set are host cookies with Path=/ and
//                                no SameSite attribute (Lax by default): another port of the same
//                                host is the same site, so a credentialed request from there
//                                stores them and sends them back to either port
//   /leaderboard/top             200 application/json {"scores": [{"name", "score", "avatar"}
//                                x 10]}: a fixed top ten, best first; "avatar" is a path here
//                                (/bytes/N) (examples/leaderboard)
//   /leaderboard/scores          a POST of {"name": S, "score": N}: 201 application/json
//                                {"name", "score", "rank"}, rank = 1 + the top-ten scores above N
//                                (nothing is stored); 400 when the body is not such an object
//   anything else                404 text/plain "not found"
#include "testserver/test_server.hpp"

#include <asyncload/detail/text.hpp>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace asyncload::testserver {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
using Request = http::request<http::string_body>;
using Params = std::vector<std::pair<std::string, std::string>>;

constexpr std::size_t kPiece = 256 * 1024;              // streaming granularity
constexpr std::uint64_t kMaxRequestBody = 256ull << 20;  // brief: at least 64 MiB
constexpr std::uint32_t kMaxRequestHeader = 1u << 20;   // long URLs (up to 64 KiB) must pass

// The files /resumable-set defines, shared by every connection.
struct Resumable {
  std::uint64_t bytes = 0;
  unsigned version = 1;
  std::string validator = "etag";  // etag | date | none
  bool ranges = true;
  std::uint64_t cut = 0;            // the first response reaching this byte stops before it (0 = not)
  bool hang = false;                // ... and then holds the connection open instead of closing it
  std::uint64_t change_after = 0;   // after this many responses the version goes up by one (0 = never)
  json::array log;                  // {"range", "if_range", "accept_encoding"} per request since the last set
};
struct Resumables {
  std::mutex mutex;
  std::unordered_map<std::string, Resumable> files;
};

struct Config {
  std::string docroot;
  std::function<void(int, std::string)> on_done;
  std::shared_ptr<Resumables> resumables = std::make_shared<Resumables>();
};

// Thrown by handlers for unusable parameters; the router answers 400 with the message.
struct BadRequest : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// ---- small parsing helpers ---------------------------------------------------------------

std::string_view sv(beast::string_view s) { return {s.data(), s.size()}; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

Params parse_query(std::string_view q) {
  Params out;
  while (!q.empty()) {
    const auto amp = q.find('&');
    const auto part = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
    if (part.empty()) continue;
    const auto eq = part.find('=');
    out.emplace_back(percent_decode(part.substr(0, eq)),
                     eq == std::string_view::npos ? std::string{} : percent_decode(part.substr(eq + 1)));
  }
  return out;
}

std::uint64_t to_number(std::string_view s, std::string_view what) {
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size())
    throw BadRequest("bad " + std::string(what) + ": '" + std::string(s) + "'");
  return n;
}

// Redirect codes the /redirect endpoints accept.
unsigned redirect_code(std::optional<std::string_view> s) {
  if (!s) return 302;
  const auto code = to_number(*s, "code");
  if (code != 301 && code != 302 && code != 303 && code != 307 && code != 308)
    throw BadRequest("code must be 301, 302, 303, 307 or 308");
  return static_cast<unsigned>(code);
}

bool ifind(std::string_view haystack, std::string_view needle) {
  return detail::to_lower(haystack).find(detail::to_lower(needle)) != std::string::npos;
}

const std::string& gzip_body() {
  // Never destroyed: a server that lives in a static (the tests' shared one) still serves while
  // static destructors run at exit; ThreadSanitizer caught this string being freed under a read.
  static const std::string& compressed = *new std::string([] {
    const std::string text = gzip_text();
    z_stream zs{};
    // windowBits 15 + 16 asks zlib for the gzip wrapper instead of the zlib one.
    if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
      throw std::runtime_error("deflateInit2 failed");
    std::string out(deflateBound(&zs, text.size()), '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
    zs.avail_in = static_cast<uInt>(text.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) throw std::runtime_error("deflate failed");
    return out;
  }());
  return compressed;
}

std::string content_type_for(const std::filesystem::path& p) {
  const auto ext = p.extension().string();
  if (ext == ".html" || ext == ".htm") return "text/html";
  if (ext == ".js" || ext == ".mjs") return "text/javascript";
  if (ext == ".wasm") return "application/wasm";
  if (ext == ".png") return "image/png";
  if (ext == ".css") return "text/css";
  if (ext == ".json") return "application/json";
  if (ext == ".txt") return "text/plain";
  return "application/octet-stream";
}

// Headers every response gets. Deliberately none: Access-Control-Allow-Origin must stay absent
// by default so cross-origin failures are testable. Responses under /cors/ get add_cors_headers().
void add_common_headers(const Request& /*req*/, http::response_header<>& /*res*/) {}

// The CORS headers of a /cors/ response, added last so Expose-Headers can name every header
// the endpoint set (Access-Control-* ones aside; each name once).
void add_cors_headers(const Request& req, http::response_header<>& res) {
  std::vector<std::string> names;
  for (const auto& field : res) {
    const std::string lower = detail::to_lower(sv(field.name_string()));
    if (lower.starts_with("access-control-")) continue;
    if (std::find(names.begin(), names.end(), lower) == names.end()) names.push_back(lower);
  }
  std::string expose;
  for (const auto& name : names) expose += (expose.empty() ? "" : ", ") + name;

  const auto origin = sv(req[http::field::origin]);
  res.set(http::field::access_control_allow_origin, origin.empty() ? std::string_view("*") : origin);
  res.set(http::field::access_control_allow_credentials, "true");
  if (!expose.empty()) res.set(http::field::access_control_expose_headers, expose);
  const auto vary = sv(res[http::field::vary]);
  res.set(http::field::vary, vary.empty() ? std::string("Origin") : std::string(vary) + ", Origin");
}

// ---- one request/response exchange -------------------------------------------------------

class Exchange {
public:
  Exchange(tcp::socket& sock, Request req, const Config& cfg)
      : sock(sock), req(std::move(req)), cfg(cfg) {
    const auto target = sv(this->req.target());
    const auto q = target.find('?');
    path = target.substr(0, q);
    if (q != std::string_view::npos) params = parse_query(target.substr(q + 1));
    if (path.starts_with("/cors/")) {
      cors = true;
      path.remove_prefix(5);  // "/cors/echo" is routed as "/echo"
    }
  }

  tcp::socket& sock;
  const Request req;
  const Config& cfg;
  std::string_view path;  // the target up to '?', not decoded, without a /cors prefix
  Params params;
  bool cors = false;      // the target was under /cors/: CORS headers on the response

  bool head() const { return req.method() == http::verb::head; }

  std::optional<std::string_view> param(std::string_view name) const {
    for (const auto& [k, v] : params)
      if (k == name) return std::string_view(v);
    return std::nullopt;
  }
  std::uint64_t number(std::string_view name, std::uint64_t fallback) const {
    const auto v = param(name);
    return v ? to_number(*v, name) : fallback;
  }

  http::response<http::string_body> make(unsigned status, std::string body = {},
                                         std::string_view type = "text/plain") const {
    http::response<http::string_body> res;
    res.result(status);
    if (!body.empty() || type != "text/plain") res.set(http::field::content_type, type);
    res.body() = std::move(body);
    return res;
  }

  // Sends a complete response; the result says whether the connection stays open.
  awaitable<bool> send(http::response<http::string_body> res) {
    const unsigned code = res.result_int();
    const bool bodyless = code < 200 || code == 204 || code == 304;
    if (bodyless) {
      res.body().clear();
      res.erase(http::field::content_type);
    }
    finish(res);
    if (!bodyless) res.prepare_payload();
    http::response_serializer<http::string_body> sr{res};
    if (head() || bodyless)
      co_await http::async_write_header(sock, sr, use_awaitable);
    else
      co_await http::async_write(sock, sr, use_awaitable);
    co_return res.keep_alive();
  }

  // Writes the header of a streamed response (Content-Length or chunked set by the caller).
  // False means HEAD: no body may follow.
  awaitable<bool> begin_stream(http::response<http::empty_body>& res) {
    finish(res);
    http::response_serializer<http::empty_body> sr{res};
    co_await http::async_write_header(sock, sr, use_awaitable);
    co_return !head();
  }

  awaitable<void> write(std::string_view data) {
    co_await asio::async_write(sock, asio::buffer(data.data(), data.size()), use_awaitable);
  }

  // pattern_bytes [offset, offset + n), a piece at a time so memory stays bounded.
  awaitable<void> write_pattern(std::uint64_t offset, std::uint64_t n, bool chunked = false) {
    while (n > 0) {
      const auto len = static_cast<std::size_t>(std::min<std::uint64_t>(n, kPiece));
      std::string piece = pattern_bytes(offset, len);
      if (chunked) {
        char size_line[32];
        const int k = std::snprintf(size_line, sizeof size_line, "%zx\r\n", len);
        piece.insert(0, size_line, static_cast<std::size_t>(k));
        piece += "\r\n";
      }
      co_await write(piece);
      offset += len;
      n -= len;
    }
  }

  awaitable<void> wait(std::chrono::milliseconds ms) {
    asio::steady_timer timer(sock.get_executor(), ms);
    co_await timer.async_wait(use_awaitable);
  }

private:
  template <class Body>
  void finish(http::response<Body>& res) const {
    res.version(req.version());
    res.keep_alive(req.keep_alive());
    if (http::int_to_status(res.result_int()) == http::status::unknown) res.reason("Unknown");
    add_common_headers(req, res);
    if (cors) add_cors_headers(req, res);
  }
};

// ---- endpoints ---------------------------------------------------------------------------

awaitable<bool> bytes(Exchange& ex, std::uint64_t n, bool chunked) {
  http::response<http::empty_body> res{http::status::ok, ex.req.version()};
  res.set(http::field::content_type, "application/octet-stream");
  if (chunked)
    res.chunked(true);
  else
    res.content_length(n);
  if (co_await ex.begin_stream(res)) {
    co_await ex.write_pattern(0, n, chunked);
    if (chunked) co_await ex.write("0\r\n\r\n");
  }
  co_return res.keep_alive();
}

awaitable<bool> drip(Exchange& ex) {
  const auto n = ex.number("bytes", 10);
  const auto k = std::max<std::uint64_t>(1, ex.number("chunks", 10));
  const std::chrono::milliseconds interval(ex.number("interval_ms", 100));
  http::response<http::empty_body> res{http::status::ok, ex.req.version()};
  res.set(http::field::content_type, "application/octet-stream");
  res.content_length(n);
  if (co_await ex.begin_stream(res)) {
    std::uint64_t offset = 0;
    for (std::uint64_t i = 0; i < k; ++i) {
      if (i > 0) co_await ex.wait(interval);
      const auto len = n / k + (i < n % k ? 1 : 0);
      co_await ex.write_pattern(offset, len);
      offset += len;
    }
  }
  co_return res.keep_alive();
}

awaitable<bool> echo(Exchange& ex) {
  json::object headers;
  for (const auto& field : ex.req) {
    const std::string name = detail::to_lower(sv(field.name_string()));
    if (auto* existing = headers.if_contains(name)) {
      auto& s = existing->as_string();
      s.append(", ");
      s.append(sv(field.value()));
    } else {
      headers[name] = sv(field.value());
    }
  }
  json::object o;
  o["method"] = sv(ex.req.method_string());
  o["path"] = sv(ex.req.target());
  o["headers"] = std::move(headers);
  o["body"] = ex.req.body();
  o["body_length"] = ex.req.body().size();
  co_return co_await ex.send(ex.make(200, json::serialize(o), "application/json"));
}

// The fixed top ten of /leaderboard/top.
constexpr std::pair<const char*, std::int64_t> leaderboard_top[] = {
    {"ann", 9100}, {"bo", 8800}, {"cy", 8350}, {"di", 7900}, {"ed", 7420},
    {"flo", 7000}, {"gus", 6600}, {"hal", 6150}, {"ivy", 5800}, {"jo", 5500}};

std::string leaderboard_top_json() {
  json::array scores;
  std::size_t avatar_bytes = 1000;
  for (const auto& entry : leaderboard_top) {
    avatar_bytes += 37;
    scores.push_back(json::object{{"name", entry.first}, {"score", entry.second},
                                  {"avatar", "/bytes/" + std::to_string(avatar_bytes)}});
  }
  return json::serialize(json::object{{"scores", std::move(scores)}});
}

// The answer to a posted score; "" when the body is not {"name": string, "score": integer}.
std::string leaderboard_rank_json(const std::string& body) {
  boost::system::error_code ec;
  const json::value posted = json::parse(body, ec);
  const json::object* o = !ec && posted.is_object() ? &posted.get_object() : nullptr;
  if (!o || !o->contains("name") || !o->at("name").is_string() || !o->contains("score") || !o->at("score").is_int64())
    return {};
  const std::int64_t score = o->at("score").get_int64();
  std::int64_t rank = 1;
  for (const auto& entry : leaderboard_top) rank += entry.second > score ? 1 : 0;
  return json::serialize(json::object{{"name", o->at("name")}, {"score", score}, {"rank", rank}});
}

awaitable<bool> leaderboard(Exchange& ex, std::string_view what) {
  if (what == "top") co_return co_await ex.send(ex.make(200, leaderboard_top_json(), "application/json"));
  if (what != "scores") co_return co_await ex.send(ex.make(404, "not found"));
  const std::string answer = leaderboard_rank_json(ex.req.body());
  if (answer.empty()) throw BadRequest("POST {\"name\": string, \"score\": integer}");
  co_return co_await ex.send(ex.make(201, answer, "application/json"));
}

awaitable<bool> static_file(Exchange& ex, std::string_view rest) {
  namespace fs = std::filesystem;
  if (ex.cfg.docroot.empty()) co_return co_await ex.send(ex.make(404, "not found"));
  std::string rel = percent_decode(rest);
  // Refuse anything that could leave the docroot: ".." segments, NULs, backslashes.
  bool escapes = rel.find('\0') != std::string::npos || rel.find('\\') != std::string::npos;
  for (std::size_t start = 0; !escapes && start <= rel.size();) {
    const auto slash = std::min(rel.find('/', start), rel.size());
    escapes = std::string_view(rel).substr(start, slash - start) == "..";
    start = slash + 1;
  }
  if (escapes) co_return co_await ex.send(ex.make(403, "forbidden"));
  rel.erase(0, rel.find_first_not_of('/'));  // a leading '/' would make the path absolute
  fs::path file = fs::path(ex.cfg.docroot) / rel;
  std::error_code ec;
  if (fs::is_directory(file, ec)) file /= "index.html";
  std::ifstream in(file, std::ios::binary);
  const auto size = fs::file_size(file, ec);
  if (!fs::is_regular_file(file, ec) || !in || ec) co_return co_await ex.send(ex.make(404, "not found"));

  http::response<http::empty_body> res{http::status::ok, ex.req.version()};
  res.set(http::field::content_type, content_type_for(file));
  res.set(http::field::cache_control, "no-store");  // a rebuilt page is never served stale
  res.content_length(size);
  if (co_await ex.begin_stream(res)) {
    std::string piece(kPiece, '\0');
    for (std::uint64_t left = size; left > 0;) {
      in.read(piece.data(), static_cast<std::streamsize>(std::min<std::uint64_t>(left, kPiece)));
      const auto got = static_cast<std::size_t>(in.gcount());
      if (got == 0) co_return false;  // file shrank underneath us: the length is now a lie
      co_await ex.write(std::string_view(piece).substr(0, got));
      left -= got;
    }
  }
  co_return res.keep_alive();
}

// A distinct date per version, for Last-Modified and a date If-Range (January 2025, day V).
std::string modified_date(unsigned version) {
  static constexpr const char* weekdays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  const char* weekday = weekdays[(3 + version - 1) % 7];  // 1 January 2025 was a Wednesday
  char text[40];
  std::snprintf(text, sizeof text, "%s, %02u Jan 2025 00:00:00 GMT", weekday, version);
  return text;
}

// "bytes=A-" or "bytes=A-B" (one range): [A, B] within a file of `size` bytes, or nothing when
// the header is anything else (then the whole file is sent, as RFC 9110 14.2 allows). A start
// past the end comes back as is: 416.
std::optional<std::pair<std::uint64_t, std::uint64_t>> byte_range(std::string_view header, std::uint64_t size) {
  if (!header.starts_with("bytes=")) return std::nullopt;
  header.remove_prefix(6);
  const auto dash = header.find('-');
  if (dash == std::string_view::npos || dash == 0) return std::nullopt;
  std::uint64_t first = 0, last = size ? size - 1 : 0;
  const auto a = header.substr(0, dash), b = header.substr(dash + 1);
  if (std::from_chars(a.data(), a.data() + a.size(), first).ptr != a.data() + a.size()) return std::nullopt;
  if (!b.empty()) {
    if (std::from_chars(b.data(), b.data() + b.size(), last).ptr != b.data() + b.size() || last < first)
      return std::nullopt;
    if (size) last = std::min(last, size - 1);
  }
  return std::pair{first, last};
}

awaitable<bool> resumable(Exchange& ex, std::string_view name) {
  Resumable file;
  const std::string range = std::string(sv(ex.req[http::field::range]));
  const std::string if_range = std::string(sv(ex.req[http::field::if_range]));
  {
    std::lock_guard lock(ex.cfg.resumables->mutex);
    const auto found = ex.cfg.resumables->files.find(std::string(name));
    if (found == ex.cfg.resumables->files.end()) co_return co_await ex.send(ex.make(404, "not found"));
    found->second.log.push_back(json::object{
        {"range", range}, {"if_range", if_range}, {"accept_encoding", sv(ex.req[http::field::accept_encoding])}});
    file = found->second;
    if (file.change_after > 0 && found->second.log.size() == file.change_after) ++found->second.version;
  }
  const std::string etag = "\"v" + std::to_string(file.version) + "\"";
  const std::string modified = modified_date(file.version);
  // If-Range: the range applies only to the representation the client names (RFC 9110 13.1.5).
  bool same = true;
  if (!if_range.empty())
    same = if_range.starts_with("\"") ? file.validator == "etag" && if_range == etag
                                      : file.validator != "none" && if_range == modified;
  const auto wanted = file.ranges && same && !range.empty() ? byte_range(range, file.bytes) : std::nullopt;

  auto set_headers = [&](auto& res) {
    if (file.validator == "etag") res.set(http::field::etag, etag);
    if (file.validator != "none") res.set(http::field::last_modified, modified);
    if (file.ranges) res.set(http::field::accept_ranges, "bytes");
    // A browser's cache would answer, or complete a cut entry with its own range requests.
    res.set(http::field::cache_control, "no-store");
  };
  if (wanted && wanted->first >= file.bytes) {
    auto res = ex.make(416, "range not satisfiable");
    set_headers(res);
    res.set(http::field::content_range, "bytes */" + std::to_string(file.bytes));
    co_return co_await ex.send(std::move(res));
  }
  const std::uint64_t first = wanted ? wanted->first : 0;
  const std::uint64_t count = wanted ? wanted->second - first + 1 : file.bytes;
  if (file.cut > first && file.cut < first + count) {  // this response is the one cut, once
    std::lock_guard lock(ex.cfg.resumables->mutex);
    auto& stored = ex.cfg.resumables->files[std::string(name)];
    if (stored.cut == file.cut) stored.cut = 0;
    else file.cut = 0;  // another request took it meanwhile
  } else {
    file.cut = 0;
  }
  http::response<http::empty_body> res{wanted ? http::status::partial_content : http::status::ok, ex.req.version()};
  res.set(http::field::content_type, "application/octet-stream");
  set_headers(res);
  if (wanted)
    res.set(http::field::content_range, "bytes " + std::to_string(first) + "-" + std::to_string(wanted->second) + "/" +
                                            std::to_string(file.bytes));
  res.content_length(count);
  if (!co_await ex.begin_stream(res)) co_return res.keep_alive();
  const std::uint64_t offset = resumable_bytes_offset(file.version);
  if (file.cut == 0) {
    co_await ex.write_pattern(offset + first, count);
    co_return res.keep_alive();
  }
  co_await ex.write_pattern(offset + first, file.cut - first);
  if (file.hang) {  // until the client goes away: the read throws on EOF, reset or server stop
    std::array<char, 4096> ignored;
    for (;;) co_await ex.sock.async_read_some(asio::buffer(ignored), use_awaitable);
  }
  beast::error_code ignored;
  ex.sock.shutdown(tcp::socket::shutdown_both, ignored);
  ex.sock.close(ignored);
  co_return false;
}

struct IndexEntry {
  const char* example;
  const char* what;
};
constexpr IndexEntry kIndex[] = {
    {"/bytes/1024", "N pattern bytes with Content-Length"},
    {"/chunked/1024", "N pattern bytes, chunked"},
    {"/drip?bytes=10&chunks=5&interval_ms=200", "N bytes in K pieces, M ms apart"},
    {"/status/418", "any status code"},
    {"/etag", "ETag &quot;v1&quot;; 304 on If-None-Match"},
    {"/echo", "the request as JSON"},
    {"/echo/raw", "the request body verbatim"},
    {"/headers?X-Test=a&X-Test=b", "query pairs as response headers"},
    {"/redirect/3", "redirect chain (code=301|302|303|307|308)"},
    {"/redirect-to?url=/echo", "redirect to any URL"},
    {"/redirect-loop", "redirects to itself"},
    {"/delay/500", "answers after MS ms"},
    {"/gzip", "gzip-encoded text"},
    {"/hang", "never answers"},
    {"/close-mid-body?bytes=1000", "closes halfway through the body"},
    {"/resumable-set/f?bytes=1000&cut=300", "defines a resumable file (then /resumable/f, /resumable-log/f)"},
    {"/cookie/set?name=value", "sets a cookie"},
    {"/cookie", "the Cookie header received"},
    {"/large-header?bytes=10000", "a large X-Large response header"},
    {"/static/", "files from the docroot"},
    {"/done?code=0", "a page reports its result (POST the log)"},
    {"/cors/echo", "any endpoint under /cors/ answers with CORS headers"},
};

std::string index_html() {
  std::string html =
      "<!doctype html><html><head><meta charset=\"utf-8\"><title>asyncload test server</title>"
      "</head><body><h1>asyncload test server</h1><ul>\n";
  for (const auto& e : kIndex) {
    std::string link;
    for (const char* c = e.example; *c; ++c) link += *c == '&' ? std::string("&amp;") : std::string(1, *c);
    html += "<li><a href=\"" + link + "\">" + link + "</a> &mdash; " + e.what + "</li>\n";
  }
  html += "</ul></body></html>\n";
  return html;
}

// Returns the part of `path` after `prefix`, if it starts with it.
std::optional<std::string_view> after(std::string_view path, std::string_view prefix) {
  if (path.substr(0, prefix.size()) != prefix) return std::nullopt;
  return path.substr(prefix.size());
}

// A signed decimal int, nothing else.
int to_int(std::string_view s, std::string_view what) {
  int n = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size())
    throw BadRequest("bad " + std::string(what) + ": '" + std::string(s) + "'");
  return n;
}

awaitable<bool> route(Exchange& ex) {
  const auto path = ex.path;
  if (ex.cors && ex.req.method() == http::verb::options &&
      ex.req.find(http::field::access_control_request_method) != ex.req.end()) {
    auto res = ex.make(204);
    res.set(http::field::access_control_allow_methods,
            ex.req[http::field::access_control_request_method]);
    if (const auto wanted = ex.req[http::field::access_control_request_headers]; !wanted.empty())
      res.set(http::field::access_control_allow_headers, wanted);
    res.set(http::field::access_control_max_age, "0");
    co_return co_await ex.send(std::move(res));
  }
  if (path == "/") co_return co_await ex.send(ex.make(200, index_html(), "text/html"));
  if (path == "/done") {
    const auto code = ex.param("code");
    if (!code) throw BadRequest("code missing");
    const int n = to_int(*code, "code");
    std::string log = ex.req.body();
    if (log.empty())
      if (const auto given = ex.param("log")) log = std::string(*given);
    if (ex.cfg.on_done) ex.cfg.on_done(n, std::move(log));
    co_return co_await ex.send(ex.make(200, "ok"));
  }
  if (auto n = after(path, "/bytes/")) co_return co_await bytes(ex, to_number(*n, "size"), false);
  if (auto n = after(path, "/chunked/")) co_return co_await bytes(ex, to_number(*n, "size"), true);
  if (path == "/drip") co_return co_await drip(ex);

  if (auto n = after(path, "/status/")) {
    const auto code = to_number(*n, "status");
    if (code < 100 || code > 999) throw BadRequest("status must be 100..999");
    co_return co_await ex.send(ex.make(static_cast<unsigned>(code), "status " + std::to_string(code)));
  }

  if (path == "/etag") {
    // If-None-Match is a list of entity tags; a weak match or * counts (RFC 9110 13.1.2).
    bool match = false;
    std::string_view inm = sv(ex.req[http::field::if_none_match]);
    while (!inm.empty() && !match) {
      const auto comma = inm.find(',');
      auto tag = inm.substr(0, comma);
      inm = comma == std::string_view::npos ? std::string_view{} : inm.substr(comma + 1);
      tag.remove_prefix(std::min(tag.find_first_not_of(" \t"), tag.size()));
      tag = tag.substr(0, tag.find_last_not_of(" \t") + 1);
      if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
      match = tag == "\"v1\"" || tag == "*";
    }
    auto res = match ? ex.make(304) : ex.make(200, "etag body");
    res.set(http::field::etag, "\"v1\"");
    co_return co_await ex.send(std::move(res));
  }

  if (path == "/echo/raw") {
    const auto type = ex.req[http::field::content_type];
    co_return co_await ex.send(
        ex.make(200, ex.req.body(), type.empty() ? "application/octet-stream" : sv(type)));
  }
  if (path == "/echo" || after(path, "/echo/")) co_return co_await echo(ex);

  if (path == "/headers") {
    auto res = ex.make(200, "headers");
    for (const auto& [name, value] : ex.params) res.insert(name, value);
    co_return co_await ex.send(std::move(res));
  }

  if (auto n = after(path, "/redirect/")) {
    const auto left = to_number(*n, "count");
    const auto code = redirect_code(ex.param("code"));
    if (left == 0) co_return co_await ex.send(ex.make(200, "redirected"));
    auto res = ex.make(code, "redirecting");
    res.set(http::field::location,
            "/redirect/" + std::to_string(left - 1) + "?code=" + std::to_string(code));
    co_return co_await ex.send(std::move(res));
  }
  if (path == "/redirect-to") {
    const auto url = ex.param("url");
    if (!url) throw BadRequest("url missing");
    auto res = ex.make(redirect_code(ex.param("code")), "redirecting");
    res.set(http::field::location, *url);
    co_return co_await ex.send(std::move(res));
  }
  if (path == "/redirect-loop") {
    auto res = ex.make(302, "redirecting");
    res.set(http::field::location, "/redirect-loop");
    co_return co_await ex.send(std::move(res));
  }

  if (auto n = after(path, "/delay/")) {
    const auto ms = to_number(*n, "delay");
    co_await ex.wait(std::chrono::milliseconds(ms));
    co_return co_await ex.send(ex.make(200, "delayed"));
  }

  if (path == "/gzip") {
    const bool gzip = ifind(sv(ex.req[http::field::accept_encoding]), "gzip");
    auto res = ex.make(200, gzip ? gzip_body() : gzip_text(), "text/plain");
    if (gzip) res.set(http::field::content_encoding, "gzip");
    res.set(http::field::vary, "Accept-Encoding");
    co_return co_await ex.send(std::move(res));
  }

  if (path == "/hang") {
    // Wait for the client to go away; the read throws on EOF/reset or when the server stops.
    std::array<char, 4096> sink;
    for (;;) co_await ex.sock.async_read_some(asio::buffer(sink), use_awaitable);
  }

  if (path == "/close-mid-body") {
    const auto n = ex.number("bytes", 1000);
    http::response<http::empty_body> res{http::status::ok, ex.req.version()};
    res.set(http::field::content_type, "application/octet-stream");
    res.content_length(n);
    if (co_await ex.begin_stream(res)) co_await ex.write_pattern(0, n / 2);
    beast::error_code ignored;
    ex.sock.shutdown(tcp::socket::shutdown_both, ignored);
    ex.sock.close(ignored);
    co_return false;
  }

  if (auto name = after(path, "/resumable/")) co_return co_await resumable(ex, *name);
  if (auto name = after(path, "/resumable-set/")) {
    Resumable file;
    file.bytes = ex.number("bytes", 0);
    file.version = static_cast<unsigned>(ex.number("version", 1));
    if (file.version < 1 || file.version > 28) throw BadRequest("version must be 1..28");
    file.validator = std::string(ex.param("validator").value_or("etag"));
    if (file.validator != "etag" && file.validator != "date" && file.validator != "none")
      throw BadRequest("validator must be etag, date or none");
    file.ranges = ex.number("ranges", 1) != 0;
    file.cut = ex.number("cut", 0);
    file.hang = ex.number("hang", 0) != 0;
    file.change_after = ex.number("change_after", 0);
    {
      std::lock_guard lock(ex.cfg.resumables->mutex);
      ex.cfg.resumables->files[std::string(*name)] = std::move(file);
    }
    co_return co_await ex.send(ex.make(200, "set"));
  }
  if (auto name = after(path, "/resumable-log/")) {
    json::array log;
    {
      std::lock_guard lock(ex.cfg.resumables->mutex);
      const auto found = ex.cfg.resumables->files.find(std::string(*name));
      if (found == ex.cfg.resumables->files.end()) co_return co_await ex.send(ex.make(404, "not found"));
      log = found->second.log;
    }
    co_return co_await ex.send(ex.make(200, json::serialize(log), "application/json"));
  }

  if (path == "/cookie/set") {
    auto res = ex.make(200, "cookie set");
    for (const auto& [name, value] : ex.params)
      res.insert(http::field::set_cookie, name + "=" + value + "; Path=/");
    co_return co_await ex.send(std::move(res));
  }
  if (path == "/cookie")
    co_return co_await ex.send(ex.make(200, std::string(sv(ex.req[http::field::cookie]))));

  if (path == "/large-header") {
    auto res = ex.make(200, "large header");
    res.set("X-Large", std::string(static_cast<std::size_t>(ex.number("bytes", 16384)), 'a'));
    co_return co_await ex.send(std::move(res));
  }

  if (auto what = after(path, "/leaderboard/")) co_return co_await leaderboard(ex, *what);
  if (auto rest = after(path, "/static/")) co_return co_await static_file(ex, *rest);

  co_return co_await ex.send(ex.make(404, "not found"));
}

// ---- connections -------------------------------------------------------------------------

// A request's ?read_pause_ms=M (see the table at the top).
std::optional<std::chrono::milliseconds> read_pause(std::string_view target) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  for (const auto& [name, value] : parse_query(target.substr(q + 1)))
    if (name == "read_pause_ms") return std::chrono::milliseconds(to_number(value, name));
  return std::nullopt;
}

awaitable<void> session(tcp::socket sock, std::shared_ptr<const Config> cfg) {
  beast::flat_buffer buffer;  // survives across requests: it may hold a pipelined request
  for (bool keep_alive = true; keep_alive;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(kMaxRequestHeader);
    parser.body_limit(kMaxRequestBody);
    co_await http::async_read_header(sock, buffer, parser, use_awaitable);
    // Without this, curl waits a second before sending a large body.
    if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      co_await asio::async_write(sock, asio::buffer(kContinue.data(), kContinue.size()),
                                 use_awaitable);
    }
    if (!parser.is_done()) {
      if (const auto pause = read_pause(sv(parser.get().target()))) {
        asio::steady_timer timer(sock.get_executor(), *pause);
        co_await timer.async_wait(use_awaitable);
      }
      co_await http::async_read(sock, buffer, parser, use_awaitable);
    }

    Exchange ex(sock, parser.release(), *cfg);
    std::optional<std::string> bad;
    try {
      keep_alive = co_await route(ex);
    } catch (const BadRequest& e) {
      bad = e.what();  // nothing was written yet: handlers validate before sending
    }
    if (bad) keep_alive = co_await ex.send(ex.make(400, *bad + "\n"));
  }
  beast::error_code ignored;
  sock.shutdown(tcp::socket::shutdown_send, ignored);
}

awaitable<void> accept_loop(tcp::acceptor acceptor, std::shared_ptr<const Config> cfg) {
  for (;;) {
    auto [ec, sock] = co_await acceptor.async_accept(asio::as_tuple(use_awaitable));
    if (ec) {
      // Out of descriptors and the like: back off briefly instead of spinning.
      asio::steady_timer timer(acceptor.get_executor(), std::chrono::milliseconds(10));
      co_await timer.async_wait(use_awaitable);
      continue;
    }
    beast::error_code ignored;
    sock.set_option(tcp::no_delay(true), ignored);  // header and body go out as separate writes
    // Exceptions end only that connection (client gone, bad request, ...).
    asio::co_spawn(acceptor.get_executor(), session(std::move(sock), cfg), asio::detached);
  }
}

}  // namespace

// ---- public API --------------------------------------------------------------------------

std::string pattern_bytes(std::uint64_t offset, std::size_t n) {
  std::string out(n, '\0');
  for (std::size_t k = 0; k < n; ++k)
    out[k] = static_cast<char>(static_cast<unsigned char>(((offset + k) * 2654435761ull) >> 13));
  return out;
}

std::uint64_t resumable_bytes_offset(unsigned version) { return std::uint64_t{version} * 1000; }

std::string gzip_text() {
  std::string text;
  for (int i = 1; i <= 2000; ++i) text += "asyncload gzip line " + std::to_string(i) + "\n";
  return text;
}

struct TestServer::Impl {
  std::mutex mutex;  // guards stop()
  std::unique_ptr<asio::io_context> ioc;
  std::vector<std::thread> threads;
  std::uint16_t port = 0;
  std::string host;
};

TestServer::TestServer(ServerOptions options) : impl_(std::make_unique<Impl>()) {
  auto cfg = std::make_shared<Config>();
  cfg->docroot = options.docroot;
  cfg->on_done = std::move(options.on_done);
  const int nthreads = std::max(1, options.threads);
  impl_->ioc = std::make_unique<asio::io_context>(nthreads);

  const auto address = asio::ip::make_address(options.address);
  tcp::acceptor acceptor(*impl_->ioc);
  const tcp::endpoint endpoint(address, options.port);
  acceptor.open(endpoint.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen(asio::socket_base::max_listen_connections);
  impl_->port = acceptor.local_endpoint().port();

  // A wildcard listen address is reached through loopback.
  const auto reach = address.is_unspecified()
                         ? (address.is_v6() ? asio::ip::address(asio::ip::address_v6::loopback())
                                            : asio::ip::address(asio::ip::address_v4::loopback()))
                         : address;
  impl_->host = reach.is_v6() ? "[" + reach.to_string() + "]" : reach.to_string();

  asio::co_spawn(*impl_->ioc, accept_loop(std::move(acceptor), cfg), asio::detached);
  for (int i = 0; i < nthreads; ++i) impl_->threads.emplace_back([ioc = impl_->ioc.get()] { ioc->run(); });
}

TestServer::~TestServer() { stop(); }

std::uint16_t TestServer::port() const { return impl_->port; }

std::string TestServer::base_url() const {
  return "http://" + impl_->host + ":" + std::to_string(impl_->port);
}

void TestServer::stop() {
  std::lock_guard lock(impl_->mutex);
  if (!impl_->ioc) return;
  impl_->ioc->stop();  // run() returns after the handler in progress, whatever is pending
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
  // Destroying the io_context destroys every suspended coroutine, which closes the acceptor
  // and all connection sockets (hung ones too), so clients see the server go away now.
  impl_->ioc.reset();
}

}  // namespace asyncload::testserver
