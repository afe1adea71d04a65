/// @file
/// asyncload/backend.hpp — the contract between the core and a platform backend.
///
/// The core (core/) validates a call, builds a Transfer and hands it to Backend::start(). The
/// backend runs it however its platform can and reports back through the Events it was bound to:
/// progress as often as it likes (the core coalesces), then exactly one report_final() per
/// transfer unless the core cancelled it first. A backend never builds async_load maps, never
/// touches a Buffer and never renames files: that is the core's work on the game thread.
///
/// Threads: start(), cancel(), release(), frame() and capabilities() are called on the game thread. Events
/// may be called from any one thread the backend owns (native: its I/O thread; web: the browser
/// main thread between frames). After ~Backend() returns no Events call may happen.
///
/// Settings: BackendSettings and the Transfer's limits arrive resolved (core/src/settings.hpp has
/// the table): max_connections >= 1, user_agent never empty, timeouts >= 0 with 0 = off,
/// max_redirects >= 0. A backend applies them as they are and adds no defaults of its own.
///
/// Body bytes go to Transfer::sink, which the core created (memory, file or buffer). The sink is
/// shared so that a cancelled transfer can still write into it harmlessly until it stops.
#pragma once

#include <asyncload/types.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace asyncload {

/// Where response body bytes go. Written only by the backend's thread while the transfer runs.
class BodySink {
public:
  virtual ~BodySink() = default;
  /// Called once the final response's headers are in, before its first body byte. The sink
  /// forgets bytes of any earlier response (a redirect's body). content_length is -1 if unknown;
  /// `headers` are the final response's, as received (a resumed download reads Content-Range
  /// and the validators there).
  virtual void begin(long http_status, std::int64_t content_length, const Headers& headers) = 0;
  /// Appends decoded body bytes. Returns Status::complete to go on, or the failure (file_error,
  /// too_large) with which the backend must end the transfer.
  virtual Status write(std::string_view bytes) = 0;
  /// Appends `bytes` decoded body bytes that `copy_into(where)` copies to `where`, for a backend
  /// whose bytes sit where no string_view can point (web/: an XHR's ArrayBuffer, outside the
  /// wasm heap). A sink that holds the body in memory has them copied straight to their place,
  /// once; the default copies them into a buffer of its own and write()s that. Returns as
  /// write() does; copy_into is not called when the bytes are refused.
  virtual Status write_from(std::size_t bytes, const std::function<void(char* where)>& copy_into) {
    std::unique_ptr<char[]> buffer(new char[bytes]);
    copy_into(buffer.get());
    return write(std::string_view(buffer.get(), bytes));
  }
  /// Why the last write failed, for the event's "error".
  virtual std::string failure() const = 0;
};

/// Everything a backend needs for one transfer. Validated and resolved by the core already.
struct Transfer {
  RequestId id = -1;       ///< the request's id
  std::string url;         ///< validated, absolute (relative ones resolved by the backend)
  std::string method;      ///< "GET", "POST", ... exactly as sent
  Headers headers;         ///< sent as given, in order
  std::string body;        ///< sent as is; empty = no body
  std::shared_ptr<BodySink> sink;  ///< where the body goes (the core's)
  std::chrono::milliseconds connect_timeout{0};  ///< 0 = off
  std::chrono::milliseconds stall_timeout{0};    ///< 0 = off
  std::chrono::milliseconds total_timeout{0};    ///< 0 = off
  int max_redirects = 10;                        ///< 0 = follow none
  bool report_progress = true;                  ///< the core wants progress reports
  bool with_credentials = false;                 ///< web: crossorigin "use-credentials"
  /// The body's limit in memory (Options::max_body_bytes; 0 = none, and always 0 for a file).
  /// The sink refuses a larger body anyway; a backend that holds the body outside the sink until
  /// the end (web/) must end the transfer with too_large as soon as it knows the body is larger.
  std::size_t max_body_bytes = 0;
  /// Ask for the representation's own bytes, not a content coding (natively Accept-Encoding:
  /// identity). A resumable download asks so: byte ranges and content codings do not mix. A
  /// browser sets Accept-Encoding itself (identity whenever a Range header is sent).
  bool identity_encoding = false;
  /// Whether a backend whose transport holds a whole response in memory (web/: XHR) may fetch
  /// the body in Range pieces of BackendSettings::web_piece_bytes (Capabilities::ranged_downloads).
  /// Ignored natively, where curl streams.
  enum class Pieces {
    none,    ///< one request;
    file,    ///< http_get_file: in pieces from the first request on;
    memory   ///< http_get: one request, which becomes pieces once its head shows a 200 larger than
             ///< a piece, not content-coded, from a server that answers ranges (small bodies, the
             ///< usual case, keep their one request and their content coding).
  };
  Pieces pieces = Pieces::none;  ///< how this transfer may be split
};

/// The result of one transfer, reported once through Events::report_final().
struct Outcome {
  RequestId id = -1;                 ///< the transfer's id
  Status status = Status::complete;  ///< complete or a failure
  long http_status = 0;              ///< of the final response; 0 when none arrived
  Headers response_headers;          ///< of the final response, as received (any case, repeats kept)
  std::string error;                 ///< one line, on a failure
  std::int64_t content_length = -1;  ///< the body's announced size; -1 unknown
  std::int64_t size_downloaded = 0;  ///< body bytes as sent (before decoding)
};

/// Implemented by the core. Thread-safe: call from the backend's thread.
class Events {
public:
  virtual ~Events() = default;
  /// Body bytes received so far (as sent) and the announced size (-1 unknown).
  virtual void progress(RequestId id, std::int64_t size_downloaded, std::int64_t content_length) = 0;
  /// The transfer ended (any way but a cancel): its one final report. The backend has stopped
  /// writing into the sink.
  virtual void report_final(Outcome outcome) = 0;
  /// The file that Backend::persist() was asked to store is stored ("") or could not be (why).
  virtual void persisted(RequestId id, std::string error) = 0;
};

/// What the game thread is done with: the bodies and response headers of the async_load maps one
/// dispatch() delivered, type-erased so that backends need not know them. Freeing them on the game
/// thread costs frames: a 1 GiB body goes back to the system at 0.1-0.2 ms per MiB, and memory the
/// backend's thread made is freed through that thread's allocator lock (docs/benchmarks.md).
class Spent {
public:
  virtual ~Spent() = default;
  std::size_t bytes = 0;  ///< the bodies' share of it: what freeing it gives back, at least
};

/// An Http's settings as a backend gets them, resolved (Options, core/src/settings.hpp).
struct BackendSettings {
  std::size_t max_connections = 64;  ///< transfers at once (>= 1); the rest wait in order
  std::string ca_file;               ///< extra trusted CA bundle (PEM); "" = system
  std::string user_agent;            ///< never empty here
  std::size_t web_piece_bytes = 0;   ///< web: Range piece size of a file download; 0 = no pieces
  std::string persistent_root;       ///< web: the folder kept in IndexedDB; "" = none
};

/// The interface every backend implements (libcurl, emscripten_fetch, replay; a game may bring
/// its own through Http's second constructor).
class Backend {
public:
  virtual ~Backend() = default;  ///< stops every transfer; no Events call after it returns
  /// Called once by Http before any start(). `events` outlives the backend.
  virtual void bind(Events& events, const BackendSettings& settings) = 0;
  virtual Capabilities capabilities() const = 0;  ///< what this backend honours; never changes
  /// Platform-specific refusals at call time (a browser forbids some methods and headers):
  /// returns why `transfer` cannot run here, or "" when it can. Called before start().
  virtual std::string refusal(const Transfer& /*transfer*/) const { return {}; }
  /// Runs `transfer`; must not block on the network.
  virtual void start(Transfer transfer) = 0;
  /// Stops the transfer if it still runs. The core has already queued the -3 event and ignores
  /// anything the backend still reports for this id.
  virtual void cancel(RequestId id) = 0;
  /// Frees `spent` when convenient, never blocking the caller for long. The default frees it
  /// here; a backend with a thread of its own frees it there.
  virtual void release(std::unique_ptr<Spent> spent) { spent.reset(); }
  /// False while the backend cannot yet take file work: the browser reads persistent_root back
  /// from IndexedDB after bind(). Transfers started meanwhile wait inside the backend.
  virtual bool files_ready() const { return true; }
  /// Called on the game thread once the core committed request `id`'s download onto `path`.
  /// True: the backend stores it durably and then calls Events::persisted(id, ...), and the core
  /// holds the final event until then. False (the default): the file is as durable as it gets.
  virtual bool persist(RequestId /*id*/, const std::string& /*path*/) { return false; }
  /// The game thread's clock: the core calls it once at the start of every dispatch(), before it
  /// takes what the backend reported. A backend whose time is counted in frames (replay/) makes
  /// its reports from here; one with its own thread or the browser's event loop ignores it.
  virtual void frame() {}
  /// True when every report comes from frame() (replay/): no event can then become ready between
  /// two dispatch() calls, so Http::wait() returns at once instead of sleeping out its timeout.
  virtual bool reports_in_frames() const { return false; }
};

/// The backend this build was compiled for: defined by the backend folder CMake builds
/// (native/platform_backend.cpp or web/platform_backend.cpp).
std::unique_ptr<Backend> make_platform_backend();

}  // namespace asyncload
