#include "har_files.hpp"

#include "support/files.hpp"

#include <asyncload/detail/text.hpp>

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>


namespace asyncload::test {

boost::json::object read_json_file(const std::filesystem::path& path) {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(read_file(path), ec);
  REQUIRE_MESSAGE(!ec, path.string() << " is not JSON: " << ec.message());
  REQUIRE(value.is_object());
  return value.get_object();
}

boost::json::array har_entries(const std::filesystem::path& har) {
  return read_json_file(har).at("log").at("entries").as_array();
}

std::string har_header(const boost::json::value& headers, std::string_view name) {
  for (const auto& header : headers.as_array())
    if (detail::iequals(header.at("name").as_string(), name)) return std::string(header.at("value").as_string());
  return {};
}

har::Entry entry(std::string method, std::string url, long http_status, std::string body, Headers headers) {
  har::Entry e;
  e.started = "2026-01-01T00:00:00.000Z";
  e.time_ms = 10;
  e.wait_ms = 5;
  e.receive_ms = 5;
  e.method = std::move(method);
  e.url = std::move(url);
  e.http_status = http_status;
  e.response_headers = std::move(headers);
  e.content_length = static_cast<std::int64_t>(body.size());
  e.body_size = static_cast<std::int64_t>(body.size());
  e.body = std::move(body);
  return e;
}

void write_har(const std::filesystem::path& path, std::vector<har::Entry> entries) {
  har::Log log;
  log.entries = std::move(entries);
  const std::string why = har::write_file(path, log);
  REQUIRE_MESSAGE(why.empty(), why);
}

}  // namespace asyncload::test
