// har.cpp — HAR 1.2 to and from Boost.JSON (har.hpp lists the fields).
#include "har.hpp"

#include <asyncload/detail/base64.hpp>
#include <asyncload/detail/files.hpp>
#include <asyncload/detail/text.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

#include <chrono>
#include <cstdio>

namespace asyncload::har {
namespace {

namespace json = boost::json;

constexpr std::size_t max_har_bytes = std::size_t{2} << 30;  // what read_file accepts

// A string that may not be UTF-8: as is, or base64 with "_encoding" beside it in `object`.
void put_bytes(json::object& object, std::string_view key, std::string_view bytes) {
  if (detail::is_utf8(bytes)) {
    object[key] = bytes;
  } else {
    object[key] = detail::base64_encode(bytes);
    object["_encoding"] = "base64";
  }
}

json::array headers_json(const Headers& headers) {
  json::array out;
  for (const auto& [name, value] : headers) {
    json::object header;
    put_bytes(header, "name", name);  // a name is a token: always ASCII
    put_bytes(header, "value", value);
    out.push_back(std::move(header));
  }
  return out;
}

std::string header_value(const Headers& headers, std::string_view name) {
  for (const auto& [n, v] : headers)
    if (detail::iequals(n, name)) return v;
  return {};
}

json::array query_json(std::string_view url) {
  json::array out;
  auto parsed = boost::urls::parse_uri_reference(url);
  if (!parsed) return out;
  for (auto param : parsed->params()) {
    json::object item;
    put_bytes(item, "name", param.key);
    put_bytes(item, "value", param.has_value ? std::string_view(param.value) : std::string_view());
    out.push_back(std::move(item));
  }
  return out;
}

json::object entry_json(const Entry& e) {
  json::object request;
  request["method"] = e.method;
  request["url"] = e.url;
  request["httpVersion"] = "";
  request["cookies"] = json::array();
  request["headers"] = headers_json(e.request_headers);
  request["queryString"] = query_json(e.url);
  if (!e.request_body.empty() || detail::iequals(e.method, "POST") || detail::iequals(e.method, "PUT")) {
    json::object post;
    post["mimeType"] = header_value(e.request_headers, "content-type");
    put_bytes(post, "text", e.request_body);
    request["postData"] = std::move(post);
  }
  request["headersSize"] = -1;
  request["bodySize"] = static_cast<std::int64_t>(e.request_body.size());

  json::object content;
  content["size"] = static_cast<std::int64_t>(e.body.size());
  content["mimeType"] = header_value(e.response_headers, "content-type");
  if (!e.body_omitted) {
    if (detail::is_utf8(e.body)) {
      content["text"] = e.body;
    } else {
      content["text"] = detail::base64_encode(e.body);
      content["encoding"] = "base64";
    }
  }
  json::object response;
  response["status"] = e.http_status;
  response["statusText"] = "";
  response["httpVersion"] = "";
  response["cookies"] = json::array();
  response["headers"] = headers_json(e.response_headers);
  response["content"] = std::move(content);
  response["redirectURL"] = e.http_status >= 300 && e.http_status < 400 ? header_value(e.response_headers, "location")
                                                                        : std::string();
  response["headersSize"] = -1;
  response["bodySize"] = e.http_status > 0 ? e.body_size : -1;
  response["_asyncload_content_length"] = e.content_length;

  json::object timings;
  timings["send"] = 0;
  timings["wait"] = e.wait_ms;
  timings["receive"] = e.receive_ms;

  json::object entry;
  entry["startedDateTime"] = e.started;
  entry["time"] = e.time_ms;
  entry["request"] = std::move(request);
  entry["response"] = std::move(response);
  entry["cache"] = json::object();
  entry["timings"] = std::move(timings);
  if (e.status != Status::complete) {
    entry["_asyncload_status"] = static_cast<int>(e.status);
    entry["_asyncload_error"] = detail::is_utf8(e.error) ? e.error : std::string("(not UTF-8)");
  }
  if (e.body_omitted) entry["_asyncload_body_omitted"] = true;
  return entry;
}

// ---- reading: each helper throws Bad with what is wrong ----

struct Bad {
  std::string why;
};

const json::value& field(const json::object& object, std::string_view key, std::string_view where) {
  const json::value* value = object.if_contains(key);
  if (!value) throw Bad{std::string(where) + " has no \"" + std::string(key) + "\""};
  return *value;
}
const json::object& object_of(const json::value& value, std::string_view what) {
  if (!value.is_object()) throw Bad{std::string(what) + " is not an object"};
  return value.get_object();
}
std::string string_of(const json::value& value, std::string_view what) {
  if (!value.is_string()) throw Bad{std::string(what) + " is not a string"};
  return std::string(value.get_string());
}
double number_of(const json::value& value, std::string_view what) {
  if (value.is_int64()) return static_cast<double>(value.get_int64());
  if (value.is_uint64()) return static_cast<double>(value.get_uint64());
  if (value.is_double()) return value.get_double();
  throw Bad{std::string(what) + " is not a number"};
}
double number_or(const json::object& object, std::string_view key, double fallback) {
  const json::value* value = object.if_contains(key);
  return value ? number_of(*value, key) : fallback;
}

// A string written by put_bytes: decoded when the object says base64.
std::string bytes_of(const json::object& object, std::string_view key, std::string_view where) {
  std::string text = string_of(field(object, key, where), std::string(where) + "." + std::string(key));
  const json::value* encoding = object.if_contains("_encoding");
  if (!encoding || !encoding->is_string() || encoding->get_string() != "base64") return text;
  auto bytes = detail::base64_decode(text);
  if (!bytes) throw Bad{std::string(where) + "." + std::string(key) + " is not base64"};
  return *bytes;
}

Headers headers_of(const json::object& parent, std::string_view where) {
  const json::value& list = field(parent, "headers", where);
  if (!list.is_array()) throw Bad{std::string(where) + ".headers is not an array"};
  Headers out;
  for (const json::value& item : list.get_array()) {
    const json::object& header = object_of(item, std::string(where) + ".headers[]");
    out.emplace_back(bytes_of(header, "name", "header"), bytes_of(header, "value", "header"));
  }
  return out;
}

Entry entry_of(const json::object& object) {
  Entry e;
  e.started = string_of(field(object, "startedDateTime", "entry"), "startedDateTime");
  e.time_ms = number_of(field(object, "time", "entry"), "time");
  if (const json::value* timings = object.if_contains("timings"); timings && timings->is_object()) {
    e.wait_ms = number_or(timings->get_object(), "wait", -1);
    e.receive_ms = number_or(timings->get_object(), "receive", -1);
  }
  const json::object& request = object_of(field(object, "request", "entry"), "request");
  e.method = string_of(field(request, "method", "request"), "request.method");
  e.url = string_of(field(request, "url", "request"), "request.url");
  e.request_headers = headers_of(request, "request");
  if (const json::value* post = request.if_contains("postData"); post && post->is_object()) {
    if (post->get_object().contains("text")) e.request_body = bytes_of(post->get_object(), "text", "postData");
  }
  const json::object& response = object_of(field(object, "response", "entry"), "response");
  e.http_status = static_cast<long>(number_of(field(response, "status", "response"), "response.status"));
  e.response_headers = headers_of(response, "response");
  const json::object& content = object_of(field(response, "content", "response"), "response.content");
  if (const json::value* text = content.if_contains("text")) {
    e.body = string_of(*text, "content.text");
    if (const json::value* encoding = content.if_contains("encoding")) {
      if (string_of(*encoding, "content.encoding") != "base64") throw Bad{"content.encoding is not \"base64\""};
      auto bytes = detail::base64_decode(e.body);
      if (!bytes) throw Bad{"content.text is not base64"};
      e.body = std::move(*bytes);
    }
  }
  const double body_size = number_or(response, "bodySize", -1);
  e.body_size = body_size >= 0 ? static_cast<std::int64_t>(body_size) : static_cast<std::int64_t>(e.body.size());
  e.content_length = static_cast<std::int64_t>(number_or(response, "_asyncload_content_length", -1));
  if (const json::value* status = object.if_contains("_asyncload_status")) {
    const double value = number_of(*status, "_asyncload_status");
    if (value > 0 || value < -5) throw Bad{"_asyncload_status is not a final status (0 to -5)"};
    e.status = static_cast<Status>(static_cast<int>(value));
  }
  if (const json::value* error = object.if_contains("_asyncload_error")) e.error = string_of(*error, "_asyncload_error");
  if (const json::value* omitted = object.if_contains("_asyncload_body_omitted"))
    e.body_omitted = omitted->is_bool() && omitted->get_bool();
  return e;
}

}  // namespace

boost::json::object to_json(const Log& log) {
  json::array entries;
  entries.reserve(log.entries.size());
  for (const Entry& e : log.entries) entries.push_back(entry_json(e));
  json::object creator;
  creator["name"] = "asyncload";
  creator["version"] = std::string(version);
  json::object inner;
  inner["version"] = "1.2";
  inner["creator"] = std::move(creator);
  inner["entries"] = std::move(entries);
  json::object har;
  har["log"] = std::move(inner);
  return har;
}

std::string from_json(std::string_view text, Log& log) {
  boost::system::error_code ec;
  json::value root = json::parse(text, ec);
  if (ec) return "not JSON: " + ec.message();
  std::size_t index = 0;
  try {
    const json::object& inner = object_of(field(object_of(root, "the file"), "log", "the file"), "log");
    const json::value& entries = field(inner, "entries", "log");
    if (!entries.is_array()) throw Bad{"log.entries is not an array"};
    log.entries.clear();
    for (const json::value& entry : entries.get_array()) {
      log.entries.push_back(entry_of(object_of(entry, "an entry")));
      ++index;
    }
  } catch (const Bad& bad) {
    return "entry " + std::to_string(index) + ": " + bad.why;
  }
  return {};
}

std::string write_file(const std::filesystem::path& path, const Log& log) {
  const std::string text = json::serialize(to_json(log)) + "\n";
  std::filesystem::path part = path;
  part += ".asyncload-part";
  files::remove(part);  // a crashed run's, of our own name
  files::File file;
  bool taken = false;
  if (auto why = files::create_new(part, file, taken); !why.empty()) return "cannot create " + part.string() + ": " + why;
  std::string why = files::write(file, text);
  if (auto closed = files::close(file); why.empty()) why = closed;
  files::File replaced;
  if (why.empty()) why = files::replace(part, path, replaced);
  if (!why.empty()) {
    files::remove(part);
    return "cannot write " + path.string() + ": " + why;
  }
  return {};
}

std::string read_file(const std::filesystem::path& path, Log& log) {
  std::string text;
  if (auto why = files::read_small(path, max_har_bytes, text); !why.empty()) return "cannot read " + path.string() + ": " + why;
  if (auto why = from_json(text, log); !why.empty()) return path.string() + ": " + why;
  return {};
}

std::string redact_url(std::string_view url) {
  const detail::UrlAuthority a = detail::find_authority(url);
  if (a.host_begin == a.begin) return std::string(url);  // no '@'
  return std::string(url.substr(0, a.begin)) + "REDACTED@" + std::string(url.substr(a.host_begin));
}

std::string iso8601(std::chrono::system_clock::time_point when) {
  using namespace std::chrono;
  const auto ms = floor<milliseconds>(when);
  const auto day = floor<days>(ms);
  const year_month_day date{day};
  const hh_mm_ss<milliseconds> time{ms - day};
  char out[32];
  std::snprintf(out, sizeof out, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                static_cast<int>(time.seconds().count()), static_cast<int>(time.subseconds().count()));
  return out;
}

}  // namespace asyncload::har
