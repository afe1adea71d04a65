// c_api.cpp — <asyncload/asyncload.h> over asyncload::Http. Every entry point catches: no C++
// exception reaches C code. A C-level refusal (a NULL argument) is checked here before the Http
// is asked; everything else (URLs, methods, headers, targets) is the Http's own check, whose
// reason is copied into the wrapper's last error so that it lives as long as the header says.
#include <asyncload/asyncload.h>

#include <asyncload/asyncload.hpp>
#include <asyncload/detail/base64.hpp>
#include <asyncload/detail/text.hpp>

#include "validate.hpp"  // detail::quote: reasons print safely

#include <boost/json/serialize.hpp>

#include <exception>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>

struct asyncload_http {
  explicit asyncload_http(asyncload::Options options) : http(std::move(options)) {
    backend = http.capabilities().backend;
  }
  asyncload::Http http;
  std::string error;        // asyncload_last_error(http)
  std::string crossorigin;  // asyncload_http_get_request_crossorigin's answer
  std::string backend;      // asyncload_backend_name
};

struct asyncload_buffer {
  std::shared_ptr<asyncload::Buffer> buffer;  // the Http holds a weak reference only
};

struct asyncload_event {
  explicit asyncload_event(const asyncload::AsyncLoad& event) : load(&event) {}
  const asyncload::AsyncLoad* load;
  std::string json;  // asyncload_event_json, made on first use
  bool json_made = false;
};

namespace {

using asyncload::RequestId;

thread_local std::string no_http_error;  // asyncload_last_error(NULL)

// Fails a call made without an http (or with a NULL one): the reason goes to this thread.
RequestId refuse_without_http(std::string why) {
  try {
    no_http_error = std::move(why);
  } catch (...) {  // not even the reason fits in memory; the -1 still tells
  }
  return -1;
}

RequestId refuse(asyncload_http* http, std::string_view why) {
  try {
    http->error.assign(why);
  } catch (...) {
  }
  return -1;
}

// The reason for an exception that reached the boundary.
std::string reason(std::string_view where, const std::exception_ptr& caught) {
  try {
    std::rethrow_exception(caught);
  } catch (const std::bad_alloc&) {
    return std::string(where) + ": out of memory";
  } catch (const std::exception& e) {
    return std::string(where) + ": " + asyncload::detail::quote(e.what());
  } catch (...) {
    return std::string(where) + ": an unknown exception";
  }
}

// Runs a call that returns a request id. `check` looks at what only C can get wrong (NULL
// pointers) and returns why the call is refused, "" if it may go on; `call` asks the Http, whose
// own refusal reason is then copied. -1 with the reason on a refusal or an exception.
template <class Check, class Call>
RequestId guarded(asyncload_http* http, std::string_view where, Check&& check, Call&& call) {
  if (!http) return refuse_without_http(std::string(where) + ": http is NULL");
  try {
    if (std::string why = check(); !why.empty()) return refuse(http, std::string(where) + ": " + why);
    const RequestId id = call(http->http);
    if (id < 0) http->error = http->http.last_error();
    return id;
  } catch (...) {
    try {
      return refuse(http, reason(where, std::current_exception()));
    } catch (...) {
      return refuse(http, "out of memory");
    }
  }
}

// Why a body pointer and length are unusable; "" when they are fine.
std::string check_body(const char* body, std::size_t length) {
  if (body || length == 0) return {};
  return "body is NULL but body_length is " + std::to_string(length);
}

std::string_view bytes(const char* body, std::size_t length) { return body ? std::string_view(body, length) : std::string_view(); }

asyncload::RequestOptions request_options(const asyncload_request_options* given) {
  asyncload::RequestOptions options;
  if (!given) return options;
  auto timeout = [](std::int64_t ms) -> std::optional<std::chrono::milliseconds> {
    if (ms < 0) return std::nullopt;
    return std::chrono::milliseconds(ms);
  };
  options.connect_timeout = timeout(given->connect_timeout_ms);
  options.stall_timeout = timeout(given->stall_timeout_ms);
  options.total_timeout = timeout(given->total_timeout_ms);
  if (given->max_body_bytes >= 0) options.max_body_bytes = static_cast<std::size_t>(given->max_body_bytes);
  options.resume = given->resume != 0;
  return options;
}

// "" when the headers may be read; else why not.
std::string read_headers(const asyncload_header* headers, std::size_t count, asyncload::Headers& out) {
  if (count > 0 && !headers) return "header_count is " + std::to_string(count) + " but headers is NULL";
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    if (!headers[i].name || !headers[i].value)
      return "headers[" + std::to_string(i) + "] has a NULL " + (headers[i].name ? "value" : "name");
    out.emplace_back(headers[i].name, headers[i].value);
  }
  return {};
}

const char* c_string(const boost::json::object& map, std::string_view key, std::size_t* length = nullptr) {
  const boost::json::value* value = map.if_contains(key);
  if (!value || !value->is_string()) {
    if (length) *length = 0;
    return "";
  }
  const boost::json::string& text = value->get_string();
  if (length) *length = text.size();
  return text.c_str();  // Boost.JSON keeps a NUL after the last byte
}

// Replaces each byte that breaks UTF-8 with U+FFFD.
std::string repaired_utf8(std::string_view bytes) {
  std::string out;
  for (std::size_t i = 0; i < bytes.size();) {
    // The shortest well-formed prefix is one whole character (any shorter part of a multi-byte
    // character is cut short); none within 4 bytes: this byte breaks UTF-8.
    std::size_t n = 0;
    for (std::size_t k = 1; k <= 4 && i + k <= bytes.size() && n == 0; ++k)
      if (asyncload::detail::is_utf8(bytes.substr(i, k))) n = k;
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(bytes.substr(i, n));
      i += n;
    }
  }
  return out;
}

boost::json::value valid_utf8(const boost::json::value& value) {
  if (const auto* text = value.if_string()) {
    const std::string_view bytes(text->data(), text->size());
    if (asyncload::detail::is_utf8(bytes)) return value;
    return boost::json::string(repaired_utf8(bytes));
  }
  if (const auto* object = value.if_object()) {
    boost::json::object copy;
    for (const auto& entry : *object) {
      const std::string_view key(entry.key().data(), entry.key().size());
      copy.emplace(asyncload::detail::is_utf8(key) ? std::string(key) : repaired_utf8(key),
                   valid_utf8(entry.value()));
    }
    return copy;
  }
  return value;
}

std::string event_json(const boost::json::object& map) {
  boost::json::object out;
  out.reserve(map.size());
  for (const auto& entry : map) {
    const boost::json::string* result = entry.key() == "result" ? entry.value().if_string() : nullptr;
    if (result && !asyncload::detail::is_utf8(std::string_view(result->data(), result->size())))
      out.emplace("result_base64", asyncload::detail::base64_encode(std::string_view(result->data(), result->size())));
    else
      out.emplace(entry.key(), valid_utf8(entry.value()));
  }
  return boost::json::serialize(out);
}

std::size_t run_dispatch(asyncload_http* http, asyncload_event_callback callback, void* user_data,
                         asyncload::DispatchLimits limits, std::string_view where) {
  if (!http) {
    refuse_without_http(std::string(where) + ": http is NULL");
    return 0;
  }
  if (!callback) {
    refuse(http, std::string(where) + ": callback is NULL (nothing delivered)");
    return 0;
  }
  std::size_t delivered = 0;
  try {
    http->http.dispatch(
        [&](const asyncload::AsyncLoad& load) {
          ++delivered;  // counted first: an event whose callback throws is delivered (Http::dispatch)
          asyncload_event event(load);
          callback(&event, user_data);
        },
        limits);
  } catch (...) {
    // Only a C++ callback can throw: its event counts as delivered, the rest wait for the next
    // dispatch (as in Http::dispatch).
    try {
      refuse(http, reason(std::string(where) + ": the callback threw", std::current_exception()));
    } catch (...) {
      refuse(http, "out of memory");
    }
  }
  return delivered;
}

}  // namespace

extern "C" {

void asyncload_options_init(asyncload_options* options) {
  if (!options) return;
  const asyncload::Options defaults;
  options->connect_timeout_ms = defaults.connect_timeout.count();
  options->stall_timeout_ms = defaults.stall_timeout.count();
  options->total_timeout_ms = defaults.total_timeout.count();
  options->max_redirects = defaults.max_redirects;
  options->max_body_bytes = defaults.max_body_bytes;
  options->max_connections = defaults.max_connections;
  options->progress_events = defaults.progress_events ? 1 : 0;
  options->file_root = nullptr;
  options->ca_file = nullptr;
  options->user_agent = nullptr;
  options->persistent_root = nullptr;
  options->record_har = nullptr;
  options->web_piece_bytes = defaults.web_piece_bytes;
}

void asyncload_request_options_init(asyncload_request_options* options) {
  if (!options) return;
  options->connect_timeout_ms = -1;
  options->stall_timeout_ms = -1;
  options->total_timeout_ms = -1;
  options->max_body_bytes = -1;
  options->resume = 0;
}

asyncload_http* asyncload_create(const asyncload_options* given) {
  try {
    asyncload::Options options;
    if (given) {
      const std::pair<const char*, std::int64_t> timeouts[] = {{"connect_timeout_ms", given->connect_timeout_ms},
                                                               {"stall_timeout_ms", given->stall_timeout_ms},
                                                               {"total_timeout_ms", given->total_timeout_ms}};
      for (const auto& [name, ms] : timeouts)
        if (ms < 0) {
          refuse_without_http("asyncload_create: " + std::string(name) + " is " + std::to_string(ms) +
                              " (0 = off; a timeout cannot be negative)");
          return nullptr;
        }
      if (given->max_redirects < 0) {
        refuse_without_http("asyncload_create: max_redirects is " + std::to_string(given->max_redirects) +
                            " (0 = follow none; it cannot be negative)");
        return nullptr;
      }
      auto text = [](const char* s) { return std::string(s ? s : ""); };
      options.connect_timeout = std::chrono::milliseconds(given->connect_timeout_ms);
      options.stall_timeout = std::chrono::milliseconds(given->stall_timeout_ms);
      options.total_timeout = std::chrono::milliseconds(given->total_timeout_ms);
      options.max_redirects = given->max_redirects;
      options.max_body_bytes = given->max_body_bytes;
      options.max_connections = given->max_connections;
      options.progress_events = given->progress_events != 0;
      options.file_root = text(given->file_root);
      options.ca_file = text(given->ca_file);
      options.user_agent = text(given->user_agent);
      options.persistent_root = text(given->persistent_root);
      options.record_har = text(given->record_har);
      options.web_piece_bytes = given->web_piece_bytes;
    }
    return new asyncload_http(std::move(options));
  } catch (...) {
    try {
      refuse_without_http(reason("asyncload_create", std::current_exception()));
    } catch (...) {
      refuse_without_http("asyncload_create: out of memory");
    }
    return nullptr;
  }
}

void asyncload_destroy(asyncload_http* http) {
  try {
    delete http;
  } catch (...) {  // ~Http does not throw; a destructor that did would end here, not in C
  }
}

asyncload_request_id asyncload_http_get(asyncload_http* http, const char* url,
                                        const asyncload_request_options* options) {
  return guarded(
      http, "asyncload_http_get", [&]() -> std::string { return url ? "" : "url is NULL"; },
      [&](asyncload::Http& h) { return h.http_get(url, request_options(options)); });
}

asyncload_request_id asyncload_http_get_file(asyncload_http* http, const char* url, const char* local_target,
                                             const asyncload_request_options* options) {
  return guarded(
      http, "asyncload_http_get_file",
      [&]() -> std::string { return !url ? "url is NULL" : !local_target ? "local_target is NULL" : ""; },
      [&](asyncload::Http& h) { return h.http_get_file(url, local_target, request_options(options)); });
}

asyncload_request_id asyncload_http_post_string(asyncload_http* http, const char* url, const char* body,
                                                size_t body_length, const asyncload_request_options* options) {
  return guarded(
      http, "asyncload_http_post_string",
      [&]() -> std::string { return url ? check_body(body, body_length) : "url is NULL"; },
      [&](asyncload::Http& h) { return h.http_post_string(url, bytes(body, body_length), request_options(options)); });
}

asyncload_request_id asyncload_http_request(asyncload_http* http, const char* url, const char* method,
                                            const asyncload_header* headers, size_t header_count,
                                            const char* body, size_t body_length,
                                            const asyncload_request_options* options) {
  asyncload::Headers list;
  return guarded(
      http, "asyncload_http_request",
      [&]() -> std::string {
        if (!url) return "url is NULL";
        if (!method) return "method is NULL";
        if (auto why = check_body(body, body_length); !why.empty()) return why;
        return read_headers(headers, header_count, list);
      },
      [&](asyncload::Http& h) {
        return h.http_request(url, method, list, bytes(body, body_length), request_options(options));
      });
}

asyncload_buffer* asyncload_buffer_create_grow(size_t initial_size) {
  try {
    return new asyncload_buffer{asyncload::Buffer::make_grow(initial_size)};
  } catch (...) {
    return nullptr;
  }
}

asyncload_buffer* asyncload_buffer_create_fixed(size_t size) {
  try {
    return new asyncload_buffer{asyncload::Buffer::make_fixed(size)};
  } catch (...) {
    return nullptr;
  }
}

void asyncload_buffer_destroy(asyncload_buffer* buffer) { delete buffer; }

size_t asyncload_buffer_size(const asyncload_buffer* buffer) { return buffer ? buffer->buffer->size() : 0; }

size_t asyncload_buffer_tell(const asyncload_buffer* buffer) { return buffer ? buffer->buffer->tell() : 0; }

void asyncload_buffer_seek(asyncload_buffer* buffer, size_t position) {
  if (buffer) buffer->buffer->seek(position);
}

unsigned char* asyncload_buffer_data(asyncload_buffer* buffer) {
  return buffer ? reinterpret_cast<unsigned char*>(buffer->buffer->data()) : nullptr;
}

size_t asyncload_buffer_write(asyncload_buffer* buffer, const void* bytes, size_t length) {
  if (!buffer || (!bytes && length > 0)) return 0;
  try {
    return buffer->buffer->write(std::string_view(static_cast<const char*>(bytes), length));
  } catch (...) {  // a grow buffer that cannot grow: nothing written
    return 0;
  }
}

asyncload_request_id asyncload_http_request_buffer(asyncload_http* http, const char* url, const char* method,
                                                   const asyncload_header* headers, size_t header_count,
                                                   asyncload_buffer* buffer,
                                                   const asyncload_request_options* options) {
  asyncload::Headers list;
  return guarded(
      http, "asyncload_http_request_buffer",
      [&]() -> std::string {
        if (!url) return "url is NULL";
        if (!method) return "method is NULL";
        if (!buffer) return "buffer is NULL";
        return read_headers(headers, header_count, list);
      },
      [&](asyncload::Http& h) { return h.http_request(url, method, list, buffer->buffer, request_options(options)); });
}

void asyncload_http_set_request_crossorigin(asyncload_http* http, const char* type) {
  if (!http) {
    refuse_without_http("asyncload_http_set_request_crossorigin: http is NULL");
    return;
  }
  if (!type) {
    refuse(http, "asyncload_http_set_request_crossorigin: type is NULL; unchanged");
    return;
  }
  try {
    http->http.http_set_request_crossorigin(type);
    if (http->http.http_get_request_crossorigin() != type) http->error = http->http.last_error();
  } catch (...) {
    refuse(http, "asyncload_http_set_request_crossorigin: out of memory");
  }
}

const char* asyncload_http_get_request_crossorigin(const asyncload_http* http) {
  if (!http) return nullptr;
  try {
    // The header promises the string until the next call on http: a cache that only this call
    // writes, hence const_cast on the wrapper (never on the Http).
    auto& self = const_cast<asyncload_http&>(*http);
    self.crossorigin = self.http.http_get_request_crossorigin();
    return self.crossorigin.c_str();
  } catch (...) {
    return nullptr;
  }
}

void asyncload_http_set_connect_timeout(asyncload_http* http, int64_t milliseconds) {
  if (!http) {
    refuse_without_http("asyncload_http_set_connect_timeout: http is NULL");
    return;
  }
  if (milliseconds < 0) {
    refuse(http, "asyncload_http_set_connect_timeout: " + std::to_string(milliseconds) +
                     " ms is negative (0 = off); unchanged");
    return;
  }
  http->http.http_set_connect_timeout(std::chrono::milliseconds(milliseconds));
}

int64_t asyncload_http_get_connect_timeout(const asyncload_http* http) {
  return http ? http->http.http_get_connect_timeout().count() : -1;
}

int asyncload_http_cancel(asyncload_http* http, asyncload_request_id id) {
  if (!http) return static_cast<int>(refuse_without_http("asyncload_http_cancel: http is NULL"));
  try {
    return http->http.http_cancel(id) ? 1 : 0;
  } catch (...) {
    return static_cast<int>(refuse(http, "asyncload_http_cancel: out of memory"));
  }
}

size_t asyncload_dispatch(asyncload_http* http, asyncload_event_callback callback, void* user_data) {
  return run_dispatch(http, callback, user_data, {}, "asyncload_dispatch");
}

size_t asyncload_dispatch_limited(asyncload_http* http, asyncload_event_callback callback, void* user_data,
                                  size_t max_events, int64_t time_budget_us) {
  asyncload::DispatchLimits limits;
  if (max_events > 0) limits.max_events = max_events;
  if (time_budget_us > 0) limits.time_budget = std::chrono::microseconds(time_budget_us);
  return run_dispatch(http, callback, user_data, limits, "asyncload_dispatch_limited");
}

int asyncload_wait(asyncload_http* http, int64_t timeout_ms) {
  if (!http) return static_cast<int>(refuse_without_http("asyncload_wait: http is NULL"));
  try {
    return http->http.wait(std::chrono::milliseconds(timeout_ms < 0 ? 0 : timeout_ms)) ? 1 : 0;
  } catch (...) {
    return static_cast<int>(refuse(http, reason("asyncload_wait", std::current_exception())));
  }
}

size_t asyncload_in_flight(const asyncload_http* http) { return http ? http->http.in_flight() : 0; }

int asyncload_files_ready(const asyncload_http* http) {
  if (!http) return -1;
  return http->http.files_ready() ? 1 : 0;
}

const char* asyncload_last_error(const asyncload_http* http) {
  return http ? http->error.c_str() : no_http_error.c_str();
}

int asyncload_has_capability(const asyncload_http* http, const char* name) {
  if (!http || !name) return -1;
  try {
    const asyncload::Capabilities c = http->http.capabilities();
    const std::pair<std::string_view, bool> known[] = {
        {"progress_events", c.progress_events}, {"response_headers", c.response_headers},
        {"cancel", c.cancel},                   {"connect_timeout", c.connect_timeout},
        {"stall_timeout", c.stall_timeout},     {"total_timeout", c.total_timeout},
        {"file_download", c.file_download},     {"crossorigin", c.crossorigin},
        {"redirect_limit", c.redirect_limit},   {"relative_urls", c.relative_urls},
        {"blocking_wait", c.blocking_wait},     {"resume_downloads", c.resume_downloads},
        {"ranged_downloads", c.ranged_downloads}, {"persistent_files", c.persistent_files},
    };
    for (const auto& [known_name, value] : known)
      if (known_name == name) return value ? 1 : 0;
    return -1;
  } catch (...) {
    return -1;
  }
}

const char* asyncload_backend_name(const asyncload_http* http) { return http ? http->backend.c_str() : nullptr; }

asyncload_request_id asyncload_event_id(const asyncload_event* event) { return event ? event->load->id() : -1; }

int asyncload_event_status(const asyncload_event* event) {
  return event ? static_cast<int>(event->load->status()) : ASYNCLOAD_STATUS_NETWORK_ERROR;
}

long asyncload_event_http_status(const asyncload_event* event) { return event ? event->load->http_status() : 0; }

const char* asyncload_event_url(const asyncload_event* event) {
  return event ? c_string(event->load->map(), "url") : "";
}

const char* asyncload_event_result(const asyncload_event* event, size_t* length) {
  if (!event) {
    if (length) *length = 0;
    return "";
  }
  return c_string(event->load->map(), "result", length);
}

int64_t asyncload_event_result_bytes(const asyncload_event* event) {
  return event ? event->load->result_bytes() : -1;
}

int64_t asyncload_event_content_length(const asyncload_event* event) {
  return event ? event->load->content_length() : -1;
}

int64_t asyncload_event_size_downloaded(const asyncload_event* event) {
  return event ? event->load->size_downloaded() : 0;
}

const char* asyncload_event_error(const asyncload_event* event) {
  return event ? c_string(event->load->map(), "error") : "";
}

const char* asyncload_event_header(const asyncload_event* event, const char* name) {
  if (!event || !name) return nullptr;
  try {
    const boost::json::value* value = event->load->response_headers().if_contains(asyncload::detail::to_lower(name));
    return value && value->is_string() ? value->get_string().c_str() : nullptr;
  } catch (...) {
    return nullptr;
  }
}

const char* asyncload_event_json(const asyncload_event* event) {
  if (!event) return nullptr;
  try {
    // The event is const to the callback; its JSON is a cache made on first use.
    auto& self = const_cast<asyncload_event&>(*event);
    if (!self.json_made) {
      self.json = event_json(event->load->map());
      self.json_made = true;
    }
    return self.json.c_str();
  } catch (...) {
    return nullptr;
  }
}

}  // extern "C"
