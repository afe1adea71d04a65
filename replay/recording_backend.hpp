// recording_backend.hpp — Options::record_har: a Backend that wraps the one that really runs
// (any: curl, emscripten_fetch, a replay) and writes every exchange to a HAR 1.2 file.
//
// It sees what the core sees and nothing else: the Transfer as started, the body bytes through
// a wrapper around Transfer::sink, and the Outcome through a wrapper around Events; so an entry
// holds the request as asyncload sent it (not the headers the platform adds) and the final
// response of a redirect chain (the hops stay inside the backend). Failures, cancels and
// requests still running when the Http goes are entries too (_asyncload_status,
// _asyncload_error). Entries are in the order the transfers started.
//
// The file is written once, whole, when the backend is destroyed (with the Http), after the
// wrapped backend stopped: a game that crashes or is killed leaves no recording. A file that
// cannot be written is lost silently (the destructor has nobody to tell); the tool and the tests
// check that it exists.
//
// Secrets: Authorization, Cookie, Set-Cookie, Proxy-Authorization and Options::redact_headers
// (any case) are written as "REDACTED", and so is the userinfo of a URL (har::redact_url).
// Bodies: each over Options::record_max_body_bytes is left out (_asyncload_body_omitted) and
// capture stops at that size, so recording a big http_get_file holds at most that much; request
// bodies are always written whole. Everything recorded stays in memory until the file is
// written: recording is for test sessions, not for a game's whole play time.
#pragma once

#include <asyncload/backend.hpp>

#include <memory>

namespace asyncload::detail {

std::unique_ptr<Backend> make_recording_backend(std::unique_ptr<Backend> inner, const Options& resolved);

}  // namespace asyncload::detail
