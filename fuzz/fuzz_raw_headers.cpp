// Fuzzes the response-header assembly: parse_raw_headers (the backends' shared parser of raw
// header lines, folded ones included; the whole block is what XMLHttpRequest's
// getAllResponseHeaders hands over) and header_object (async_load's response_headers, which
// every backend's headers go through). Properties: names and values come out trimmed, names
// non-empty and without a line break, the object's keys lower-case and at most one per name,
// and every value of a repeated name is in its joined value.
#include "property.hpp"

#include "core/src/async_load.hpp"

#include <asyncload/detail/raw_headers.hpp>
#include <asyncload/detail/text.hpp>

#include <boost/json/serialize.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace asyncload;
using namespace asyncload::detail;

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const std::string_view block(reinterpret_cast<const char*>(bytes), size);
  const Headers headers = parse_raw_headers(block);
  for (const auto& [name, value] : headers) {
    require(!name.empty(), "names are non-empty");
    require(!is_space(name.front()) && !is_space(name.back()), "names are trimmed");
    require(value.empty() || (!is_space(value.front()) && !is_space(value.back())), "values are trimmed");
    require(name.find('\n') == std::string::npos && value.find('\n') == std::string::npos, "one line each");
    require(name.find(':') == std::string::npos, "a name ends at the first colon");
  }
  const boost::json::object object = header_object(headers);
  require(object.size() <= headers.size(), "at most one key per header");
  for (const auto& [key, value] : object) {
    require(value.is_string(), "values are strings");
    for (char c : key) require(!(c >= 'A' && c <= 'Z'), "keys are lower-case");
  }
  for (const auto& [name, value] : headers) {
    const auto* joined = object.if_contains(to_lower(name));
    require(joined != nullptr, "every name has its key");
    require(std::string_view(joined->as_string()).find(value) != std::string_view::npos, "every value is kept");
  }
  (void)boost::json::serialize(object);  // what the tool prints
  return 0;
}
