// Torture mode's seam (issue 10): every fallible call of the I/O path asks fail_point() first,
// so a test can make the Nth such call (of one kind) fail and check that the failure ends as one final event.
// Only the test library asyncload_lib_torture is built with ASYNCLOAD_FAULT_INJECTION (its
// implementation: platform/src/fault_injection.cpp); everywhere else fail_point() is a constant
// false and IoPath an empty struct, so the seam compiles to nothing. Not installed.
//
// Each call site asks once, just before the real call, and fails the way the real call fails:
//   if (fault::fail_point(fault::Call::easy_setopt)) return CURLE_OUT_OF_MEMORY;
#pragma once

#include <cstdint>

namespace asyncload::fault {

enum class Call : std::uint8_t {
  // libcurl (native/)
  easy_init, easy_setopt, multi_add, multi_remove, multi_wakeup, multi_poll, multi_perform,
  // the OS file API (platform/src/files_*.cpp)
  file_create, file_write, file_truncate, file_close, file_replace, file_remove, file_mkdir,
  // operator new while on the I/O path (counted by the torture test's replacement operator new)
  allocation,
};

#if defined(ASYNCLOAD_FAULT_INJECTION)

// Counts the call; true when it is the armed one (the caller then fails as the real call would).
bool fail_point(Call call) noexcept;

// While one is alive, this thread is on the backend's I/O path: allocations count as fallible.
// Nested scopes are fine; Suspend turns counting off inside one (e.g. around a core callback).
class IoPath {
public:
  IoPath() noexcept;
  ~IoPath();
  IoPath(const IoPath&) = delete;
  IoPath& operator=(const IoPath&) = delete;

  class Suspend {  // off the I/O path while alive, e.g. around a call into the core
  public:
    Suspend() noexcept;
    ~Suspend();
    Suspend(const Suspend&) = delete;
    Suspend& operator=(const Suspend&) = delete;

  private:
    int saved_;
  };
};
bool on_io_path() noexcept;

// --- the test's controls -----------------------------------------------------------------------
// Calls are counted per kind, so that "the 3rd easy_setopt" is the same call in every run even
// though the game thread's and the I/O thread's calls interleave differently.
inline constexpr int kinds = static_cast<int>(Call::allocation) + 1;
// Starts a run: resets the counts, and makes the `nth` call of kind `call` from now on fail
// (nth 0: none fails).
void arm(Call call, std::uint64_t nth) noexcept;
void disarm() noexcept;                // stops counting until the next arm()
std::uint64_t calls(Call call) noexcept;  // calls of that kind counted since arm()
bool fired() noexcept;                 // whether the armed call happened (and failed)
const char* name(Call call) noexcept;  // "easy_setopt", for reports

#else

constexpr bool fail_point(Call) noexcept { return false; }
struct IoPath {  // user-provided members: a scope object, not an unused variable
  IoPath() noexcept {}
  ~IoPath() {}
  struct Suspend {
    Suspend() noexcept {}
    ~Suspend() {}
  };
};

#endif

}  // namespace asyncload::fault
