// probes.hpp — the small pieces of hostile environment the fault suite builds: a full file
// system, a read-only directory, a port nobody listens on, a listener that never completes a
// connection. What it measures of this process is in support/process_probes.hpp.
#pragma once

#include <asyncload/asyncload.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace asyncload::faults {

bool is_root();

// One line about an event for failure messages, bounded whatever the headers or body hold.
std::string brief(const AsyncLoad& event);

// A tmpfs of `size` (e.g. "2m") mounted on `dir` for the scope; mounted() false (and why()
// says why) when not root or when the mount failed.
class TmpfsMount {
public:
  TmpfsMount(const std::filesystem::path& dir, const std::string& size);
  ~TmpfsMount();
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;
  bool mounted() const { return mounted_; }
  const std::string& why() const { return why_; }
  // Remounts read-only (true on success).
  bool make_read_only();

private:
  std::filesystem::path dir_;
  bool mounted_ = false;
  std::string why_;
};

// A loopback port that is bound but not listening, held for the scope: connecting to it is
// refused at once (no other process can take the port meanwhile).
class ClosedPort {
public:
  ClosedPort();
  ~ClosedPort();
  std::uint16_t port() const { return port_; }

private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

// A loopback listener that never accepts and whose accept queue is full: the kernel drops
// further SYNs, so a client's connect() neither succeeds nor fails until it times out.
// Windows: never ready() (no TCP_INFO to see the queue fill); unanswered_listener_built says so.
#if defined(_WIN32)
inline constexpr bool unanswered_listener_built = false;
#else
inline constexpr bool unanswered_listener_built = true;
#endif
class UnansweredListener {
public:
  UnansweredListener();
  ~UnansweredListener();
  std::uint16_t port() const { return port_; }
  bool ready() const { return ready_; }  // the queue is full: the next connect hangs

private:
  int listen_fd_ = -1;
  std::vector<int> fillers_;
  std::uint16_t port_ = 0;
  bool ready_ = false;
};

}  // namespace asyncload::faults
