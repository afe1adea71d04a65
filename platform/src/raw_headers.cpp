#include <asyncload/detail/raw_headers.hpp>

#include <asyncload/detail/text.hpp>

namespace asyncload::detail {

void add_header_line(Headers& headers, std::string_view line) {
  if ((line.starts_with(' ') || line.starts_with('\t')) && !headers.empty()) {
    const std::string_view more = trim(line);
    std::string& value = headers.back().second;
    if (!more.empty() && !value.empty()) value += ' ';
    value += more;
    return;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return;
  const std::string_view name = trim(line.substr(0, colon));
  if (name.empty()) return;
  headers.emplace_back(std::string(name), std::string(trim(line.substr(colon + 1))));
}

Headers parse_raw_headers(std::string_view block) {
  Headers headers;
  while (!block.empty()) {
    const auto end = block.find('\n');
    add_header_line(headers, block.substr(0, end));
    block = end == std::string_view::npos ? std::string_view() : block.substr(end + 1);
  }
  return headers;
}

}  // namespace asyncload::detail
