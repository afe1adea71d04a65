#include "support/har_validator.hpp"

#include <array>
#include <cstdio>
#include <memory>

namespace asyncload::test {

std::string har_validator_errors(const std::filesystem::path& har) {
  const std::string command = "NODE_PATH=/usr/share/nodejs node '" ASYNCLOAD_SOURCE_DIR
                              "/tests/support/validate_har.js' '" + har.string() + "' 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
  if (!pipe) return "cannot run node";
  std::string output;
  std::array<char, 4096> chunk{};
  while (std::size_t n = std::fread(chunk.data(), 1, chunk.size(), pipe.get())) output.append(chunk.data(), n);
  const int status = ::pclose(pipe.release());
  if (status != 0) return output.empty() ? "node-har-validator failed (exit " + std::to_string(status) + ")" : output;
  return {};
}

}  // namespace asyncload::test
