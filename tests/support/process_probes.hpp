// process_probes.hpp — what the fault and soak suites measure of this process: resident memory
// and open file descriptors (Linux /proc/self; Windows: working set and handles), and whether a
// sanitizer inflates the figures.
#pragma once

#include <cstddef>

namespace asyncload::test {

// Built with AddressSanitizer or ThreadSanitizer: memory figures include their shadow memory
// and quarantine, so memory bounds are looser there.
bool sanitized();

std::size_t resident_bytes();       // /proc/self/statm, resident pages
std::size_t peak_resident_bytes();  // VmHWM from /proc/self/status
void reset_peak_resident();         // writes 5 to /proc/self/clear_refs (VmHWM := current RSS)
int open_fds();                     // entries of /proc/self/fd

}  // namespace asyncload::test
