#include "conformance/resumable_files.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

namespace asyncload::test {

std::string control(Http& http, const std::string& path_and_query) {
  const RequestId id = http.http_get(url(path_and_query));
  REQUIRE(id >= 0);
  Frames frames = run_until_final(http, {id});
  const AsyncLoad e = frames.final_event(id);
  INFO(describe(e));
  REQUIRE(e.status() == Status::complete);
  REQUIRE(e.http_status() == 200);
  return std::string(e.result());
}

std::vector<std::string> ranges_received(Http& http, const std::string& name, std::vector<std::string>* if_ranges,
                                         std::vector<std::string>* encodings) {
  const boost::json::value log = boost::json::parse(control(http, "/resumable-log/" + name));
  std::vector<std::string> ranges;
  for (const auto& entry : log.as_array()) {
    ranges.emplace_back(entry.at("range").as_string());
    if (if_ranges) if_ranges->emplace_back(entry.at("if_range").as_string());
    if (encodings) encodings->emplace_back(entry.at("accept_encoding").as_string());
  }
  return ranges;
}

AsyncLoad download(Http& http, const std::string& name, const std::filesystem::path& target,
                   const RequestOptions& options, Frames* frames_out) {
  const RequestId id = http.http_get_file(url("/resumable/" + name), target.string(), options);
  REQUIRE(id >= 0);
  Frames frames = run_until_final(http, {id}, {.timeout = 60s});
  frames.check_lifecycle(id);
  if (frames_out) *frames_out = frames;
  return frames.final_event(id);
}

}  // namespace asyncload::test
