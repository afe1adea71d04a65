// Conformance: GameMaker buffers in http_request (check 12).
#include "support/game_loop.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace asyncload;
using namespace asyncload::test;

namespace {
std::string bytes_of(const Buffer& buffer, std::size_t n) { return std::string(buffer.view(0, n)); }
}  // namespace

TEST_SUITE("conformance.buffers") {

TEST_CASE("12. a buffer with seek > 0 is the body: exactly bytes 0 to tell is sent") {
  Http http;
  auto buffer = Buffer::make_fixed(64);  // 64 bytes, only the first 20 written
  const std::string payload = std::string("\x00\x01\x02\xff\xfe binary\r\n\x00 end", 20);
  REQUIRE(buffer->write(payload) == payload.size());
  REQUIRE(buffer->tell() == 20);
  auto id = http.http_request(url("/echo/raw"), "POST", {}, buffer);
  REQUIRE(id >= 0);
  Frames frames = run_until_final(http, {id});
  const auto e = frames.final_event(id);
  INFO(describe(e));
  CHECK(e.status() == Status::complete);
  CHECK(e.http_status() == 200);
  CHECK(e.result().size() == 20);
  CHECK(e.result() == payload);  // the response comes back as the result string
  CHECK(e.result_bytes() == -1);
  // The buffer that was sent is left alone.
  CHECK(buffer->tell() == 20);
  CHECK(bytes_of(*buffer, 20) == payload);
}

TEST_CASE("12. a grow buffer body is sent whole, with the caller's content type") {
  Http http;
  auto buffer = Buffer::make_grow(1);
  std::string payload;  // text, so that /echo's JSON stays valid UTF-8
  while (payload.size() < 300000) payload += "0123456789abcdefghijklmnopqrstuvwxyz\n";
  payload.resize(300000);
  buffer->write(payload);
  REQUIRE(buffer->tell() == payload.size());
  auto id = http.http_request(url("/echo"), "PUT", {{"Content-Type", "application/octet-stream"}},
                              buffer);
  REQUIRE(id >= 0);
  Frames frames = run_until_final(http, {id});
  const auto e = frames.final_event(id);
  REQUIRE(e.status() == Status::complete);
  auto echo = parse_object(e.result());
  CHECK(json_string(echo, "method") == "PUT");
  CHECK(echo.at("body_length").to_number<std::int64_t>() == 300000);
  CHECK(json_string(echo.at("headers").as_object(), "content-type") == "application/octet-stream");
}

TEST_CASE("12. a buffer at seek 0 receives the exact binary response, result = length = tell") {
  Http http;
  auto buffer = Buffer::make_grow(16);
  auto id = http.http_request(url("/bytes/100000"), "GET", {}, buffer);
  REQUIRE(id >= 0);
  Frames frames = run_until_final(http, {id});
  frames.check_lifecycle(id);
  const auto e = frames.final_event(id);
  INFO(describe(e));
  CHECK(e.status() == Status::complete);
  CHECK(e.http_status() == 200);
  CHECK(e.result_bytes() == 100000);
  CHECK(e.result() == "");
  CHECK(buffer->tell() == 100000);
  REQUIRE(buffer->size() >= 100000);
  CHECK(bytes_of(*buffer, 100000) == expected_bytes(0, 100000));
}

TEST_CASE("12. a buffer at seek 0 sends no body") {
  Http http;
  auto buffer = Buffer::make_grow(8);
  auto id = http.http_request(url("/echo"), "POST", {}, buffer);
  REQUIRE(id >= 0);
  Frames frames = run_until_final(http, {id});
  const auto e = frames.final_event(id);
  REQUIRE(e.status() == Status::complete);
  REQUIRE(e.result_bytes() > 0);
  auto echo = parse_object(bytes_of(*buffer, buffer->tell()));
  CHECK(json_string(echo, "method") == "POST");
  CHECK(echo.at("body_length").to_number<std::int64_t>() == 0);
  CHECK(static_cast<std::size_t>(e.result_bytes()) == buffer->tell());
}

TEST_CASE("12. a fixed buffer smaller than the response truncates without overflow") {
  Http http;
  auto buffer = Buffer::make_fixed(1000);
  auto id = http.http_request(url("/bytes/100000"), "GET", {}, buffer);
  REQUIRE(id >= 0);
  Frames frames = run_until_final(http, {id});
  const auto e = frames.final_event(id);
  INFO(describe(e));
  CHECK(e.status() == Status::complete);
  CHECK(e.http_status() == 200);
  CHECK(buffer->size() == 1000);  // never grows
  CHECK(buffer->tell() == 1000);
  CHECK(bytes_of(*buffer, 1000) == expected_bytes(0, 1000));
  CHECK(e.result_bytes() == 100000);  // the response length, as the contract says
}

TEST_CASE("12. an error response still lands in the buffer") {
  Http http;
  auto buffer = Buffer::make_grow(4);
  auto id = http.http_request(url("/status/404"), "GET", {}, buffer);
  Frames frames = run_until_final(http, {id});
  const auto e = frames.final_event(id);
  CHECK(e.status() == Status::complete);
  CHECK(e.http_status() == 404);
  CHECK(e.result_bytes() == 10);
  CHECK(buffer->tell() == 10);
  CHECK(bytes_of(*buffer, 10) == "status 404");
}

TEST_CASE("12. dropping the buffer mid-flight is harmless, the final event still arrives") {
  Http http;
  auto receiving = Buffer::make_grow(16);
  auto fixed = Buffer::make_fixed(100);
  auto sending = Buffer::make_grow(16);
  sending->write("dropped body");
  // Slow responses, so the buffers are certainly dropped before the bodies arrive.
  auto a = http.http_request(url("/drip?bytes=50000&chunks=5&interval_ms=60"), "GET", {}, receiving);
  auto b = http.http_request(url("/drip?bytes=50000&chunks=5&interval_ms=60"), "GET", {}, fixed);
  auto c = http.http_request(url("/echo/raw"), "POST", {}, sending);
  REQUIRE(a >= 0);
  REQUIRE(b >= 0);
  REQUIRE(c >= 0);
  Frames frames;
  run_frames(http, frames, 2);
  receiving.reset();
  fixed.reset();
  sending.reset();
  run_until_final(http, frames, {a, b, c});
  run_for(http, frames, 100ms);
  for (auto id : {a, b}) {
    frames.check_lifecycle(id);
    const auto e = frames.final_event(id);
    INFO(describe(e));
    CHECK(e.status() == Status::complete);
    CHECK(e.http_status() == 200);
    CHECK(e.result_bytes() == 50000);
  }
  const auto ec = frames.final_event(c);
  CHECK(ec.status() == Status::complete);
  CHECK(ec.result() == "dropped body");  // the body was taken when the call was made
}

TEST_CASE("12. a buffer dropped while its progress events are pending") {
  Http http;
  auto buffer = Buffer::make_grow(1);
  auto id = http.http_request(url("/bytes/20000000"), "GET", {}, buffer);
  REQUIRE(id >= 0);
  Frames frames;
  run_until(http, frames, [&](const Frames& f) { return !f.progress(id).empty() || f.has_final(id); });
  buffer.reset();
  run_until_final(http, frames, {id});
  frames.check_lifecycle(id);
  CHECK(frames.final_event(id).status() == Status::complete);
}

}  // TEST_SUITE
