// Fault injection from the caller's side: a Content-Length header that disagrees with the body.
// Sent as given, the server reads the 3 bytes it was promised and takes the rest of the body
// as the next request on the connection (request smuggling). The call must be refused instead,
// before anything reaches the network.
#include "faults/raw_server.hpp"
#include "support/game_loop.hpp"

#include <doctest/doctest.h>

#include <mutex>
#include <string>

using namespace asyncload;
using namespace asyncload::test;
using namespace asyncload::faults;

TEST_SUITE("faults.callers") {

TEST_CASE("a caller's Content-Length shorter than the body: refused, nothing reaches the server") {
  // The server records each request head it reads. After the first head it reads on: a server
  // takes the 3 bytes declared as that request's body, and what follows them as the head of the
  // next request on the connection ("abc" plus that head arrive here as one). Both are recorded
  // before the answer goes out, so the record is complete when the client sees its final event.
  std::mutex mutex;
  std::string seen;
  RawServer server([&](RawConnection& connection) {
    const std::string head = connection.read_head();
    if (head.empty()) return;
    const std::string next = connection.read_head();
    {
      std::lock_guard lock(mutex);
      seen += head + next;
    }
    connection.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
  });
  const std::string smuggled = "GET /smuggled HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Smuggled: 1\r\n\r\n";
  Http http;
  const RequestId id = http.http_request(server.url("/upload"), "POST", {{"Content-Length", "3"}}, "abc" + smuggled);
  CHECK(id == -1);
  CHECK(http.last_error().find("Content-Length") != std::string::npos);
  if (id >= 0) {  // what happens without the refusal, so that a failure shows it
    Frames frames = run_until_final(http, {id});
    MESSAGE("sent as given: " << describe(frames.final_event(id)));
  }
  server.stop();
  std::lock_guard lock(mutex);
  INFO("the server saw: " << seen);
  CHECK(server.accepted() == 0);
  CHECK(seen.find("/smuggled") == std::string::npos);
}

}  // TEST_SUITE
