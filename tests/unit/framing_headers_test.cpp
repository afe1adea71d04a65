// Unit tests: headers that frame the request or belong to the connection are refused at call
// time (core/src/validate.cpp), on every backend, because the backend sets them itself.
#include "core/src/validate.hpp"

#include <asyncload/asyncload.hpp>
#include "support/scripted_backend.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace asyncload;

namespace {

// The spellings a caller might use: as registered, lower-case, upper-case.
const std::vector<std::string> framing_names = {
    "Content-Length", "content-length", "TRANSFER-ENCODING", "Transfer-Encoding", "Host", "host",
    "Connection",     "CONNECTION",     "Upgrade",           "upgrade",           "TE", "te",
    "Trailer",        "TRAILER",        "Keep-Alive",        "keep-alive"};

}  // namespace

TEST_CASE("check_headers refuses framing and hop-by-hop headers whatever their case") {
  for (const std::string& name : framing_names) {
    CAPTURE(name);
    const std::string why = detail::check_headers({{"X-Fine", "1"}, {name, "3"}});
    CHECK(why.find("refused header '" + name + "'") != std::string::npos);
  }
  // Names that merely start like one are ordinary headers.
  CHECK(detail::check_headers({{"Content-Type", "text/plain"}, {"Content-Length-Hint", "3"}, {"Hosts", "a"},
                               {"TE-X", "1"}, {"X-Connection", "1"}, {"Upgrade-Insecure-Requests", "1"}})
            .empty());
}

TEST_CASE("a framing header makes every request call return -1 and start nothing") {
  auto backend = std::make_unique<ScriptedBackend>();
  ScriptedBackend* script = backend.get();
  Http http(std::move(backend));
  for (const std::string& name : framing_names) {
    CAPTURE(name);
    const Headers headers{{name, "3"}};
    CHECK(http.http_request("http://example.test/", "POST", headers, "abcdef") == -1);
    CHECK(http.last_error().find(name) != std::string::npos);
    auto buffer = Buffer::make_grow(8);
    buffer->write("abcdef");
    CHECK(http.http_request("http://example.test/", "POST", headers, buffer) == -1);
  }
  CHECK(script->started().empty());
  CHECK(http.in_flight() == 0);
  std::size_t events = 0;
  http.dispatch([&](const AsyncLoad&) { ++events; });
  CHECK(events == 0);
}
