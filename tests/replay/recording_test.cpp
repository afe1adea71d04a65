// Recording (Options::record_har) over the native backend, against the in-process test server:
// every file validates with node-har-validator and holds the fields DESIGN.md lists.
#include "har_files.hpp"

#include "support/game_loop.hpp"

#include <asyncload/detail/base64.hpp>

#include <doctest/doctest.h>

#include <string>

using namespace asyncload;
using namespace asyncload::test;

namespace {

const boost::json::object& obj(const boost::json::value& v, std::string_view key) { return v.at(key).as_object(); }

}  // namespace

TEST_SUITE("replay.recording") {

TEST_CASE("a native session: binary body, redirect, failures, secrets, a POST and a file") {
  TempDir dir;
  const auto har = dir / "session.har";
  RequestId binary = -1, redirected = -1, secret = -1, post = -1, refused = -1, timed_out = -1, file = -1;
  {
    Options options;
    options.record_har = har.string();
    options.redact_headers = {"x-api-key"};
    Http http(options);
    binary = http.http_get(url("/bytes/300"));
    redirected = http.http_get(url("/redirect/2"));
    secret = http.http_request(url("/status/200"), "GET",
                               {{"Authorization", "Bearer s3cret"}, {"X-Api-Key", "k3y"}, {"X-Plain", "visible"}}, "");
    post = http.http_post_string(url("/echo"), "name=ann&score=10");
    refused = http.http_get("http://127.0.0.1:1/");
    timed_out = http.http_get(url("/hang"), RequestOptions{.total_timeout = std::chrono::milliseconds(200)});
    file = http.http_get_file(url("/bytes/5000"), (dir / "file.bin").string());
    Frames frames = run_until_final(http, {binary, redirected, secret, post, refused, timed_out, file});
    CHECK(frames.final_event(refused).status() == Status::network_error);
    CHECK(frames.final_event(timed_out).status() == Status::timeout);
    CHECK(!std::filesystem::exists(har));  // written with the Http, not before
  }
  REQUIRE(std::filesystem::exists(har));
  CHECK(har_validator_errors(har) == "");

  const auto root = read_json_file(har);
  const auto& log = root.at("log").as_object();
  CHECK(log.at("version") == "1.2");
  CHECK(log.at("creator").at("name") == "asyncload");
  CHECK(log.at("creator").at("version").as_string() == asyncload::version);
  const auto& entries = log.at("entries").as_array();
  REQUIRE(entries.size() == 7);
  for (const auto& e : entries) {  // the fields every entry has
    CHECK(e.at("startedDateTime").as_string().size() == 24);  // 2026-12-02T04:31:07.123Z
    CHECK(e.at("time").to_number<double>() >= 0);
    for (auto key : {"method", "url", "httpVersion", "headers", "queryString", "headersSize", "bodySize"})
      CHECK_MESSAGE(obj(e, "request").contains(key), key);
    for (auto key : {"status", "statusText", "headers", "content", "redirectURL", "headersSize", "bodySize"})
      CHECK_MESSAGE(obj(e, "response").contains(key), key);
    for (auto key : {"send", "wait", "receive"}) CHECK_MESSAGE(obj(e, "timings").contains(key), key);
  }

  // In call order. The binary body: base64, exactly the server's bytes.
  const auto& b = entries[0];
  CHECK(obj(b, "request").at("method") == "GET");
  CHECK(obj(b, "request").at("url").as_string() == url("/bytes/300"));
  CHECK(obj(b, "response").at("status") == 200);
  const auto& content = obj(b, "response").at("content").as_object();
  CHECK(content.at("encoding") == "base64");
  CHECK(content.at("size") == 300);
  CHECK(detail::base64_decode(content.at("text").as_string()) == expected_bytes(0, 300));
  CHECK(obj(b, "response").at("bodySize") == 300);
  CHECK(!b.as_object().contains("_asyncload_status"));

  // The redirect: the final response, under the URL requested.
  const auto& r = entries[1];
  CHECK(obj(r, "request").at("url").as_string() == url("/redirect/2"));
  CHECK(obj(r, "response").at("status") == 200);
  CHECK(obj(obj(r, "response"), "content").at("text") == "redirected");
  CHECK(obj(obj(r, "response"), "content").contains("encoding") == false);

  // Secrets: redacted wherever the file holds headers (a body that echoes one is the server's).
  const auto& s = entries[2];
  CHECK(har_header(obj(s, "request").at("headers"), "Authorization") == "REDACTED");
  CHECK(har_header(obj(s, "request").at("headers"), "X-Api-Key") == "REDACTED");
  CHECK(har_header(obj(s, "request").at("headers"), "X-Plain") == "visible");
  CHECK(read_file(har).find("s3cret") == std::string::npos);
  CHECK(read_file(har).find("k3y") == std::string::npos);

  // A POST: postData with its type and text.
  const auto& p = entries[3];
  CHECK(obj(p, "request").at("method") == "POST");
  CHECK(obj(obj(p, "request"), "postData").at("mimeType") == "application/x-www-form-urlencoded");
  CHECK(obj(obj(p, "request"), "postData").at("text") == "name=ann&score=10");
  CHECK(obj(p, "request").at("bodySize") == 17);

  // Failures: the custom fields, no response.
  const auto& f = entries[4];
  CHECK(f.at("_asyncload_status") == -1);
  CHECK(f.at("_asyncload_error").as_string().size() > 0);
  CHECK(obj(f, "response").at("status") == 0);
  CHECK(obj(f, "timings").at("wait").to_number<double>() == -1);
  const auto& t = entries[5];
  CHECK(t.at("_asyncload_status") == -2);
  CHECK(t.at("time").to_number<double>() >= 200);

  // The file: its body is recorded like any other.
  const auto& g = entries[6];
  CHECK(detail::base64_decode(obj(obj(g, "response"), "content").at("text").as_string()) == expected_bytes(0, 5000));
  CHECK(read_file(dir / "file.bin") == expected_bytes(0, 5000));
}

TEST_CASE("a cancel, and a request in flight when the Http goes, are entries too") {
  TempDir dir;
  const auto har = dir / "cancel.har";
  {
    Options options;
    options.record_har = har.string();
    Http http(options);
    auto cancelled = http.http_get(url("/hang"));
    http.http_get(url("/hang"));  // still running at the end
    CHECK(http.http_cancel(cancelled));
    Frames frames = run_until_final(http, {cancelled});
  }
  CHECK(har_validator_errors(har) == "");
  const auto entries = har_entries(har);
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].at("_asyncload_status") == -3);
  CHECK(entries[0].at("_asyncload_error") == "cancelled by http_cancel");
  CHECK(entries[1].at("_asyncload_status") == -3);
  CHECK(std::string(entries[1].at("_asyncload_error").as_string()).find("destroyed") != std::string::npos);
}

TEST_CASE("Cookie, Set-Cookie and userinfo are redacted, a body over record_max_body_bytes is left out") {
  TempDir dir;
  const auto har = dir / "limits.har";
  const std::string with_userinfo = "http://user:pa55@" + server_url().substr(7) + "/bytes/10";
  {
    Options options;
    options.record_har = har.string();
    options.record_max_body_bytes = 1000;
    Http http(options);
    auto cookie = http.http_get(url("/cookie/set?flavour=oat"));
    auto sent = http.http_request(url("/echo"), "GET", {{"Cookie", "a=b"}, {"proxy-authorization", "x"}}, "");
    auto big = http.http_get(url("/bytes/5000"));
    auto userinfo = http.http_get(with_userinfo);
    Frames frames = run_until_final(http, {cookie, sent, big, userinfo});
    CHECK(frames.final_event(big).result().size() == 5000);  // the game still gets all of it
  }
  CHECK(har_validator_errors(har) == "");
  const auto entries = har_entries(har);
  REQUIRE(entries.size() == 4);
  CHECK(har_header(obj(entries[0], "response").at("headers"), "set-cookie") == "REDACTED");
  CHECK(har_header(obj(entries[1], "request").at("headers"), "cookie") == "REDACTED");
  CHECK(har_header(obj(entries[1], "request").at("headers"), "proxy-authorization") == "REDACTED");
  CHECK(entries[2].at("_asyncload_body_omitted") == true);
  CHECK(!obj(obj(entries[2], "response"), "content").contains("text"));
  CHECK(obj(entries[2], "response").at("bodySize") == 5000);
  CHECK(std::string(obj(entries[3], "request").at("url").as_string()).find("pa55") == std::string::npos);
  CHECK(read_file(har).find("pa55") == std::string::npos);
  CHECK(read_file(har).find("flavour=oat;") == std::string::npos);
}

}  // TEST_SUITE
