// The one settings-resolve step: Options and RequestOptions as the game gave them become the
// values the core and the backends use. Backends take BackendSettings and Transfer as they are:
// every default and every "0 means" is applied here, once.
//
//   field             as given                  resolved (what backends and sinks get)
//   connect_timeout   0 or negative = off       >= 0 ms; 0 = off
//   stall_timeout     0 or negative = off       >= 0 ms; 0 = off
//   total_timeout     0 or negative = off       >= 0 ms; 0 = off
//   max_redirects     0 or negative = none      >= 0; 0 = the 3xx is the final response
//   max_body_bytes    0 = unlimited (default    0 = unlimited (MemorySink reads it so)
//                     256 MiB)
//   max_connections   0 = one at a time         >= 1
//   progress_events   false = none              Transfer::report_progress, and only where
//                                               Capabilities::progress_events
//   file_root         "" = targets as given     unchanged (the core's own check_file_target)
//   ca_file           "" = the system's roots   unchanged
//   user_agent        "" = asyncload/<version>  never empty
//   web_piece_bytes   0 = no pieces (default    unchanged: BackendSettings::web_piece_bytes,
//                     8 MiB)                    0 = one request (web/ only)
//
// A RequestOptions field that is set replaces the Http's, resolved by the same rule.
#pragma once

#include <asyncload/backend.hpp>

namespace asyncload::detail {

std::chrono::milliseconds resolve_timeout(std::chrono::milliseconds given);  // negative -> 0 (off)

// The Http's Options with the table applied (Http's constructor, once).
Options resolve(Options given);
// What the backend is bound with, from resolved Options.
BackendSettings backend_settings(const Options& resolved);

// One transfer's limits: `request` over the resolved Options of its Http.
struct TransferSettings {
  std::chrono::milliseconds connect_timeout{0};  // 0 = off
  std::chrono::milliseconds stall_timeout{0};    // 0 = off
  std::chrono::milliseconds total_timeout{0};    // 0 = off
  int max_redirects = 0;                         // >= 0
  std::size_t max_body_bytes = 0;                // 0 = unlimited
  bool report_progress = false;
};
TransferSettings resolve(const Options& resolved, const RequestOptions& request, const Capabilities& backend);

// Whether status-1 events are wanted at all: Options::progress_events, where the backend can.
bool progress_wanted(const Options& resolved, const Capabilities& backend);

}  // namespace asyncload::detail
