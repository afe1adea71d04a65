// The OS file API: every file operation of the core (http_get_file's temporary file, the rename
// onto the target, the clean-up) goes through here, so that core/ calls no OS function itself.
// POSIX (platform/src/files_posix.cpp, also for Emscripten's file system) and Win32
// (platform/src/files_win32.cpp: CreateFileW with CREATE_NEW, WriteFile, FlushFileBuffers,
// MoveFileExW, DeleteFileW). Not installed, not public API.
//
// Each call that can fail returns "" on success, else why not in the OS's words ("No space left
// on device"); the caller says which file and what it was doing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace asyncload::files {

// Paths are UTF-8 in the public API. std::filesystem::path made from a plain std::string reads
// the ANSI code page on Windows (1252: "café" would become "cafÃ©"), so the core converts with
// these, which are UTF-8 everywhere.
inline std::filesystem::path path_from_utf8(std::string_view utf8) {
  return std::filesystem::path(std::u8string(utf8.begin(), utf8.end()));
}
inline std::string utf8(const std::filesystem::path& path) {
  const std::u8string text = path.u8string();
  return std::string(text.begin(), text.end());
}

// An open file, owned: move-only, closed by close() (which reports errors) or, quietly, by the
// destructor.
class File {
public:
  using Native = std::intptr_t;  // a descriptor (POSIX) or a HANDLE (Win32)
  static constexpr Native none = -1;  // also Win32's INVALID_HANDLE_VALUE

  File() = default;
  explicit File(Native native) : native_(native) {}
  File(File&& other) noexcept : native_(other.native_) { other.native_ = none; }
  File& operator=(File&& other) noexcept;
  ~File();

  bool is_open() const { return native_ != none; }
  Native native() const { return native_; }
  Native release() {  // gives up ownership without closing
    const Native native = native_;
    native_ = none;
    return native;
  }

private:
  Native native_ = none;
};

// Creates the file `path` for writing. Fails if anything already has that name, and then sets
// `taken` (the caller may try another name).
std::string create_new(const std::filesystem::path& path, File& file, bool& taken);
// Opens the file `path` for writing at its end, creating it if missing; `size` is how many bytes
// it already holds (a resumed download appends to them). A symbolic link there is refused.
std::string open_to_append(const std::filesystem::path& path, File& file, std::uint64_t& size);
// Writes all of `bytes` at the file's position.
std::string write(File& file, std::string_view bytes);
// Empties the file; the next write goes to its start.
std::string truncate(File& file);
// A hint: starts writing `length` bytes from `offset` back to the disk without waiting for it
// (Linux: sync_file_range; elsewhere nothing).
void start_writeback(File& file, std::uint64_t offset, std::uint64_t length);
// A hint: the file is about to grow to `size` bytes. Emscripten's MEMFS grows a file by
// copying it into storage 12.5 % larger (past 1 MiB), the old copies left to the garbage
// collector: a download written in pieces would hold several copies of itself at once. There
// the storage is made `size` bytes now (the file's length stays). Elsewhere nothing: a disk
// allocates as it is written. MEMFS gives an empty file's first write storage of its own, so
// call it once the file holds bytes.
void reserve(File& file, std::uint64_t size);
// Closes the file. An error means that not all written bytes may have reached the file.
std::string close(File& file);
// Moves `from` onto `to` in one step: `to` names either its old file or the new one, never
// nothing or a part. The file `to` named before, if any, comes back in `replaced`, still open:
// on POSIX the rename then does not free its blocks, closing `replaced` does (slow for a big
// file, so the core closes it off the frame). Where that cannot be (Win32), `replaced` stays
// closed.
std::string replace(const std::filesystem::path& from, const std::filesystem::path& to, File& replaced);
// Reads the whole file `path` into `bytes`; fails if it holds more than `max_bytes`.
std::string read_small(const std::filesystem::path& path, std::size_t max_bytes, std::string& bytes);
// Removes the file `path`.
std::string remove(const std::filesystem::path& path);
// Whether `path`'s file name is a device rather than a file whatever the directory: Windows'
// reserved names (NUL, CON, PRN, AUX, COM1-9, LPT1-9, also with an extension: "nul.txt").
// Never on POSIX, where devices are files that std::filesystem::status tells apart.
bool names_a_device(const std::filesystem::path& path);
// Creates `dir` and every missing directory above it.
std::string create_directories(const std::filesystem::path& dir);

}  // namespace asyncload::files
