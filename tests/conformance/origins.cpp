// Check 16 and the platform differences around origins: relative URLs, CORS, credentials.
// Natively there is no page and no CORS: the same scenarios assert the native answer, chosen by
// what the backend declares in Capabilities.
#include "support/game_loop.hpp"

#include <doctest/doctest.h>

using namespace asyncload;
using namespace asyncload::test;

TEST_CASE("16. relative URLs resolve against the page where there is one, and are refused elsewhere") {
  Http http;
  const RequestId id = http.http_get("/status/200");
  if (!http.capabilities().relative_urls) {
    CHECK(id == -1);
    CHECK_FALSE(http.last_error().empty());
    return;
  }
  REQUIRE(id >= 0);
  Frames frames = run_until_final(http, {id});
  const auto e = frames.final_event(id);
  CHECK(e.status() == Status::complete);
  CHECK(e.http_status() == 200);
  CHECK(e.result() == "status 200");
  CHECK(e.url() == "/status/200");
}

TEST_CASE("16. a cross-origin response without CORS headers fails in the browser, with them it passes") {
  Http http;
  const RequestId plain = http.http_get(foreign_url() + "/status/200");
  const RequestId cors = http.http_get(foreign_url() + "/cors/status/200");
  Frames frames = run_until_final(http, {plain, cors});
  const auto refused = frames.final_event(plain);
  if (http.capabilities().crossorigin) {
    CHECK(refused.status() == Status::network_error);
    CHECK(refused.http_status() == 0);
    CHECK(refused.result() == "");
    CHECK_FALSE(refused.error().empty());
  } else {  // natively there is no same-origin policy
    CHECK(refused.status() == Status::complete);
  }
  const auto allowed = frames.final_event(cors);
  CHECK(allowed.status() == Status::complete);
  CHECK(allowed.http_status() == 200);
  CHECK(allowed.result() == "status 200");
}

TEST_CASE("16. \"use-credentials\" sends cookies cross-origin; \"anonymous\" does not") {
  Http http;
  if (!http.capabilities().crossorigin) {
    http.http_set_request_crossorigin("use-credentials");
    CHECK(http.http_get_request_crossorigin() == "use-credentials");
    return;  // nothing else to observe natively
  }
  http.http_set_request_crossorigin("use-credentials");
  const RequestId set = http.http_get(foreign_url() + "/cors/cookie/set?session=s3cret");
  Frames frames = run_until_final(http, {set});
  REQUIRE(frames.final_event(set).status() == Status::complete);

  const RequestId with = http.http_get(foreign_url() + "/cors/cookie");
  http.http_set_request_crossorigin("anonymous");
  const RequestId without = http.http_get(foreign_url() + "/cors/cookie");
  run_until_final(http, frames, {with, without});
  CHECK(frames.final_event(with).result().find("session=s3cret") != std::string_view::npos);
  CHECK(frames.final_event(without).result() == "");
}
