#include "settings.hpp"

#include <algorithm>

namespace asyncload::detail {

std::chrono::milliseconds resolve_timeout(std::chrono::milliseconds given) {
  return std::max(given, std::chrono::milliseconds{0});
}

Options resolve(Options given) {
  given.connect_timeout = resolve_timeout(given.connect_timeout);
  given.stall_timeout = resolve_timeout(given.stall_timeout);
  given.total_timeout = resolve_timeout(given.total_timeout);
  given.max_redirects = std::max(given.max_redirects, 0);
  given.max_connections = std::max<std::size_t>(given.max_connections, 1);
  if (given.user_agent.empty()) given.user_agent = "asyncload/" + std::string(version);
  return given;
}

BackendSettings backend_settings(const Options& resolved) {
  return BackendSettings{
      .max_connections = resolved.max_connections,
      .ca_file = resolved.ca_file,
      .user_agent = resolved.user_agent,
      .web_piece_bytes = resolved.web_piece_bytes,
      .persistent_root = resolved.persistent_root,
  };
}

bool progress_wanted(const Options& resolved, const Capabilities& backend) {
  return resolved.progress_events && backend.progress_events;
}

TransferSettings resolve(const Options& resolved, const RequestOptions& request, const Capabilities& backend) {
  return TransferSettings{
      .connect_timeout = resolve_timeout(request.connect_timeout.value_or(resolved.connect_timeout)),
      .stall_timeout = resolve_timeout(request.stall_timeout.value_or(resolved.stall_timeout)),
      .total_timeout = resolve_timeout(request.total_timeout.value_or(resolved.total_timeout)),
      .max_redirects = resolved.max_redirects,
      .max_body_bytes = request.max_body_bytes.value_or(resolved.max_body_bytes),
      .report_progress = progress_wanted(resolved, backend),
  };
}

}  // namespace asyncload::detail
