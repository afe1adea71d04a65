// Torture mode's seam, built only into asyncload_lib_torture (see fault_injection.hpp).
#include <asyncload/detail/fault_injection.hpp>

#include <atomic>

namespace asyncload::fault {
namespace {

// Lock-free and allocation-free: fail_point() runs inside operator new and on two threads.
std::atomic<bool> counting{false};
std::atomic<std::uint64_t> counted[kinds];
std::atomic<Call> armed_call{Call::easy_init};
std::atomic<std::uint64_t> armed_nth{0};
std::atomic<bool> has_fired{false};
thread_local int io_path_depth = 0;

}  // namespace

bool fail_point(Call call) noexcept {
  if (!counting.load(std::memory_order_acquire)) return false;
  const std::uint64_t n = counted[static_cast<int>(call)].fetch_add(1, std::memory_order_acq_rel) + 1;
  if (call != armed_call.load(std::memory_order_acquire) || n != armed_nth.load(std::memory_order_acquire))
    return false;
  has_fired.store(true, std::memory_order_release);
  return true;
}

IoPath::IoPath() noexcept { ++io_path_depth; }
IoPath::~IoPath() { --io_path_depth; }
IoPath::Suspend::Suspend() noexcept : saved_(io_path_depth) { io_path_depth = 0; }
IoPath::Suspend::~Suspend() { io_path_depth = saved_; }
bool on_io_path() noexcept { return io_path_depth > 0; }

void arm(Call call, std::uint64_t nth) noexcept {
  counting.store(false, std::memory_order_release);
  for (auto& count : counted) count.store(0);
  armed_call.store(call);
  armed_nth.store(nth);
  has_fired.store(false);
  counting.store(true, std::memory_order_release);
}

void disarm() noexcept { counting.store(false, std::memory_order_release); }
std::uint64_t calls(Call call) noexcept { return counted[static_cast<int>(call)].load(); }
bool fired() noexcept { return has_fired.load(std::memory_order_acquire); }

const char* name(Call call) noexcept {
  switch (call) {
    case Call::easy_init: return "easy_init";
    case Call::easy_setopt: return "easy_setopt";
    case Call::multi_add: return "multi_add";
    case Call::multi_remove: return "multi_remove";
    case Call::multi_wakeup: return "multi_wakeup";
    case Call::multi_poll: return "multi_poll";
    case Call::multi_perform: return "multi_perform";
    case Call::file_create: return "file_create";
    case Call::file_write: return "file_write";
    case Call::file_truncate: return "file_truncate";
    case Call::file_close: return "file_close";
    case Call::file_replace: return "file_replace";
    case Call::file_remove: return "file_remove";
    case Call::file_mkdir: return "file_mkdir";
    case Call::allocation: return "allocation";
  }
  return "?";
}

}  // namespace asyncload::fault
