// Unit tests: last_error() and every event's "error" are safe to print (core/src/validate.cpp's
// quote()): no control character a terminal acts on, no byte that is not UTF-8, whoever wrote
// the text (the caller, the server, the library).
#include "core/src/validate.hpp"

#include <asyncload/asyncload.hpp>
#include "support/scripted_backend.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace asyncload;
using namespace std::string_literals;

TEST_CASE("quote() shows C0, DEL, C1 and invalid UTF-8 as \\xNN and keeps well-formed text") {
  struct Case {
    std::string text, shown;
  };
  const std::vector<Case> cases = {
      {"plain ASCII: a/b?c=d", "plain ASCII: a/b?c=d"},
      {"m\xC3\xBCnchen \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x8E\xAE", "m\xC3\xBCnchen \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x8E\xAE"},
      {"a\r\nb\0c\x1B[31m\x7F"s, "a\\x0D\\x0Ab\\x00c\\x1B[31m\\x7F"},
      {"csi \xC2\x9B" "31m", "csi \\xC2\\x9B31m"},             // U+009B, the 8-bit CSI
      {"nel \xC2\x85 end", "nel \\xC2\\x85 end"},              // U+0085, a line break to some
      {"nbsp \xC2\xA0 ok", "nbsp \xC2\xA0 ok"},                // U+00A0 is printable
      {"raw \x9B" "31m", "raw \\x9B31m"},                       // a lone continuation byte
      {"\xFF\xFE", "\\xFF\\xFE"},                               // never UTF-8
      {"over \xC0\x80 long", "over \\xC0\\x80 long"},          // an overlong NUL
      {"sur \xED\xA0\x80", "sur \\xED\\xA0\\x80"},             // a UTF-16 surrogate
      {"cut \xE6\x97", "cut \\xE6\\x97"},                      // a sequence cut short
      {"ls \xE2\x80\xA8 bidi \xE2\x80\xAE", "ls \\xE2\\x80\\xA8 bidi \\xE2\\x80\\xAE"},  // U+2028, U+202E
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    CHECK(detail::quote(c.text) == c.shown);
  }
  CHECK(detail::quote(std::string(300, 'a')) == std::string(200, 'a') + "...");
  // The limit never splits a character into bytes that look invalid.
  CHECK(detail::quote(std::string(199, 'a') + "\xC3\xBC" + "tail") == std::string(199, 'a') + "\xC3\xBC...");
  // Escaping twice changes nothing: reasons built from quoted parts can be quoted again.
  const std::string once = detail::quote("a\x9B\xC2\x9B\r\n");
  CHECK(detail::quote(once) == once);
}

TEST_CASE("last_error() carries caller text escaped, C1 and invalid UTF-8 included") {
  Http http(std::make_unique<ScriptedBackend>());
  // In the host: after it, the URL is percent-encoded before it is checked.
  CHECK(http.http_get("http://exa\xC2\x9B" "2J mple\xFF.test/") == -1);
  CHECK(http.last_error().find("\\xC2\\x9B2J") != std::string::npos);
  CHECK(http.last_error().find("\\xFF") != std::string::npos);

  CHECK(http.http_request("http://example.test/", "G\xC2\x9B" "T", {}, "") == -1);
  CHECK(http.last_error().find("G\\xC2\\x9BT") != std::string::npos);

  http.http_set_request_crossorigin("\x1B]0;title\x07\xC2\x9B");
  CHECK(http.last_error().find("\\x1B]0;title\\x07\\xC2\\x9B") != std::string::npos);
}

TEST_CASE("an event's error is escaped too, whatever the backend put in it") {
  auto backend = std::make_unique<ScriptedBackend>();
  ScriptedBackend* script = backend.get();
  Http http(std::move(backend));
  const RequestId id = http.http_get("http://example.test/");
  // What a server can put into a reason: a reason phrase, a certificate name, a redirect's scheme.
  script->fail(id, Status::network_error, "bad response: HTTP/1.1 200 \xC2\x9B" "2J\x1B[31m\r\nX-Forged: 1 \xFF");
  std::string error;
  http.dispatch([&](const AsyncLoad& e) { error = std::string(e.error()); });
  CHECK(error == "bad response: HTTP/1.1 200 \\xC2\\x9B2J\\x1B[31m\\x0D\\x0AX-Forged: 1 \\xFF");
}
