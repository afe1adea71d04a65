// tls_cli_tests.cpp — `asyncload get` over https against a TLS server with a throwaway
// certificate: the fault suite's RawServer and TlsIdentity (tests/faults, OpenSSL), in this
// native process. The Windows stage runs these cases through asyncload.exe under Wine, so they
// are what proves Schannel with Options::ca_file there (README "Windows").
#include "child_process.hpp"
#include "faults/raw_server.hpp"
#include "faults/tls.hpp"
#include "support/files.hpp"

#include <doctest/doctest.h>

#include <boost/json/serialize.hpp>

#include <atomic>
#include <memory>
#include <string>

namespace asyncload::test {
namespace {

namespace json = boost::json;

const std::string tls_answer = "HTTP/1.1 200 OK\r\nContent-Length: 11\r\nConnection: close\r\n\r\nhello, tls!";

// localhost, not 127.0.0.1: the certificate names both, but curl 7.88's own check of a CA file
// on Schannel (the Windows build) matches DNS names only. curl resolves localhost itself.
std::string secret_url(const faults::RawServer& server) {
  return "https://localhost:" + std::to_string(server.port()) + "/secret";
}

// The one final line of a run; its status, http_status and result through the checks below.
json::object final_of(const CliResult& r) {
  INFO(r.describe());
  const auto finals = r.finals();
  REQUIRE(finals.size() == 1);
  return finals.front();
}

std::string text(const json::object& e, std::string_view key) {
  const json::value* v = e.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : "";
}

std::int64_t number(const json::object& e, std::string_view key) {
  const json::value* v = e.if_contains(key);
  REQUIRE_MESSAGE((v && v->is_number()), "no number " << key << " in " << json::serialize(e));
  return v->to_number<std::int64_t>();
}

// A TLS server that answers every request head with tls_answer and counts the heads it read:
// a refused certificate must mean no request was sent. (The handshake itself is no measure:
// curl's Schannel checks a CA file after the handshake has completed, OpenSSL during it.)
struct TlsAnswerServer {
  explicit TlsAnswerServer(std::shared_ptr<faults::TlsIdentity> identity)
      : server([this](faults::RawConnection& c) {
          if (c.read_head().empty()) return;
          ++requests;
          c.write(tls_answer);
        }, std::move(identity)) {}
  std::atomic<int> requests{0};
  faults::RawServer server;
};

// A refused run: exit 1, one failed final with a reason and no body.
json::object check_refused(const CliResult& r) {
  INFO(r.describe());
  CHECK(r.exit_code == 1);
  json::object e = final_of(r);
  CHECK(number(e, "status") == -1);
  CHECK(number(e, "http_status") == 0);
  CHECK(text(e, "result") == "");
  CHECK(!text(e, "error").empty());
  return e;
}

}  // namespace

TEST_CASE("cli: --ca-file trusts the TLS server whose certificate it names, and no other") {
  TempDir dir;
  const auto identity = faults::TlsIdentity::self_signed(dir / "server.pem");
  const auto stranger = faults::TlsIdentity::self_signed(dir / "stranger.pem");  // never served
  TlsAnswerServer tls(identity);

  const CliResult trusted =
      run_cli({"get", "--no-progress", "--ca-file", identity->certificate_file().string(), secret_url(tls.server)});
  INFO(trusted.describe());
  CHECK(trusted.exit_code == 0);
  const json::object ok = final_of(trusted);
  CHECK(number(ok, "status") == 0);
  CHECK(number(ok, "http_status") == 200);
  CHECK(text(ok, "result") == "hello, tls!");
  CHECK(tls.requests == 1);

  // Another certificate's file is no pass: the server's own is checked against it and refused,
  // before a request is sent (under Wine too: there the CA file is what makes curl check).
  const CliResult other =
      run_cli({"get", "--no-progress", "--ca-file", stranger->certificate_file().string(), secret_url(tls.server)});
  check_refused(other);
  CHECK(tls.requests == 1);  // no second request was sent
}

// Not run under Wine (scripts/windows.sh, README "Windows"): Wine's Schannel accepts an untrusted
// certificate when no CA file is given, where Windows and OpenSSL refuse it.
TEST_CASE("cli: without --ca-file a self-signed TLS server is refused") {
  TempDir dir;
  const auto identity = faults::TlsIdentity::self_signed(dir / "server.pem");
  TlsAnswerServer tls(identity);

  const CliResult r = run_cli({"get", "--no-progress", secret_url(tls.server)});
  const json::object e = check_refused(r);
  CHECK(text(e, "error").find("certificate") != std::string::npos);
  CHECK(tls.requests == 0);  // no request was ever sent
}

}  // namespace asyncload::test
