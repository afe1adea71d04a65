// har_validator.hpp — checks a HAR file with a validator nobody here wrote: Debian's
// node-har-validator (JSON schemas of node-har-schema), through tests/support/validate_har.js.
#pragma once

#include <filesystem>
#include <string>

namespace asyncload::test {

// "" when node-har-validator accepts the file; else its output (or why it could not run).
std::string har_validator_errors(const std::filesystem::path& har);

}  // namespace asyncload::test
