// har_files.hpp — what the replay suites share: validating a HAR file with Debian's
// node-har-validator (tests/support/validate_har.js), reading one as JSON, and writing one from
// entries (replay/har.hpp) so that a replay case states its recording in the test itself.
#pragma once

#include "replay/har.hpp"
#include "support/har_validator.hpp"

#include <boost/json/object.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace asyncload::test {

// The file as a JSON object (REQUIREs that it parses).
boost::json::object read_json_file(const std::filesystem::path& path);
// log.entries of a HAR file.
boost::json::array har_entries(const std::filesystem::path& har);
// A header's value in a HAR headers array ("" when absent; names compared in any case).
std::string har_header(const boost::json::value& headers, std::string_view name);

// One recorded exchange: a complete response.
har::Entry entry(std::string method, std::string url, long http_status, std::string body, Headers headers = {});
// Writes entries to `path` (REQUIREs success).
void write_har(const std::filesystem::path& path, std::vector<har::Entry> entries);

}  // namespace asyncload::test
