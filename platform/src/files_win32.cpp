// The OS file API on Windows (Win32, wide-character calls). Paths reach here as
// std::filesystem::path, whose native form on Windows is UTF-16: the core builds them from UTF-8
// with files::path_from_utf8, never from a plain std::string (that would read the ANSI code page).
//
// What differs from POSIX (README "Windows"):
//  - A file open anywhere (another program, an antivirus, the game's own reader) cannot be
//    replaced: replace() then fails and the target keeps its old bytes, whole.
//  - The replaced file cannot be held open across the rename, so `replaced` stays closed; the
//    rename frees its blocks itself.
//  - Every file this API opens shares delete access, so it may be renamed or removed while open.
#include <asyncload/detail/files.hpp>

#include <asyncload/detail/fault_injection.hpp>

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>

#include <cwctype>
#include <string>

namespace asyncload::files {
namespace {

HANDLE handle(const File& file) { return reinterpret_cast<HANDLE>(file.native()); }
File::Native native(HANDLE h) { return reinterpret_cast<File::Native>(h); }

// The system's message for `code` (in UTF-8, without the trailing line break).
std::string message(DWORD code) {
  wchar_t* text = nullptr;
  const DWORD length = FormatMessageW(
      FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, nullptr, code,
      MAKELANGID(LANG_ENGLISH, SUBLANG_DEFAULT), reinterpret_cast<wchar_t*>(&text), 0, nullptr);
  std::string out;
  if (length > 0 && text) {
    const int bytes = WideCharToMultiByte(CP_UTF8, 0, text, static_cast<int>(length), nullptr, 0, nullptr, nullptr);
    out.resize(static_cast<std::size_t>(bytes > 0 ? bytes : 0));
    if (bytes > 0) WideCharToMultiByte(CP_UTF8, 0, text, static_cast<int>(length), out.data(), bytes, nullptr, nullptr);
  }
  if (text) LocalFree(text);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == ' ' || out.back() == '.'))
    out.pop_back();
  if (out.empty()) out = "Windows error";
  return out + " (Windows error " + std::to_string(code) + ")";
}

std::string last_error() { return message(GetLastError()); }

// Torture mode (fault_injection.hpp): the call fails as the OS would fail it, with `error`.
bool injected(fault::Call call, DWORD error) {
  if (!fault::fail_point(call)) return false;
  SetLastError(error);
  return true;
}

constexpr DWORD share_all = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;

// A symbolic link or junction at a name we open is refused (as O_NOFOLLOW does on POSIX), and so
// is anything but a plain file on disk. `opened` was opened with FILE_FLAG_OPEN_REPARSE_POINT.
std::string check_plain_file(HANDLE opened) {
  BY_HANDLE_FILE_INFORMATION info{};
  if (!GetFileInformationByHandle(opened, &info)) return last_error();
  if (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) return "is a symbolic link or junction";
  if (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) return "is a directory";
  if (GetFileType(opened) != FILE_TYPE_DISK) return "not a regular file";
  return {};
}

}  // namespace

File& File::operator=(File&& other) noexcept {
  if (this != &other) {
    if (is_open()) CloseHandle(handle(*this));
    native_ = other.native_;
    other.native_ = none;
  }
  return *this;
}

File::~File() {
  if (is_open()) CloseHandle(handle(*this));
}

std::string create_new(const std::filesystem::path& path, File& file, bool& taken) {
  if (injected(fault::Call::file_create, ERROR_DISK_FULL)) {
    taken = false;
    return last_error();
  }
  // CREATE_NEW: fails if anything has the name. Delete sharing: the file can be renamed onto its
  // target (or removed) even while a handle to it is still open somewhere.
  const HANDLE created = CreateFileW(path.c_str(), GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_DELETE, nullptr,
                                     CREATE_NEW, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (created == INVALID_HANDLE_VALUE) {
    const DWORD code = GetLastError();
    taken = code == ERROR_FILE_EXISTS || code == ERROR_ALREADY_EXISTS;
    return message(code);
  }
  taken = false;
  file = File(native(created));
  return {};
}

std::string open_to_append(const std::filesystem::path& path, File& file, std::uint64_t& size) {
  if (injected(fault::Call::file_create, ERROR_DISK_FULL)) return last_error();
  File opened(native(CreateFileW(path.c_str(), GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_DELETE, nullptr,
                                 OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, nullptr)));
  if (!opened.is_open()) return last_error();
  if (auto why = check_plain_file(handle(opened)); !why.empty()) return why;
  LARGE_INTEGER end{};
  if (!SetFilePointerEx(handle(opened), LARGE_INTEGER{}, &end, FILE_END)) return last_error();
  size = static_cast<std::uint64_t>(end.QuadPart);
  file = std::move(opened);
  return {};
}

std::string write(File& file, std::string_view bytes) {
  if (!bytes.empty() && injected(fault::Call::file_write, ERROR_DISK_FULL)) return last_error();
  while (!bytes.empty()) {
    const DWORD piece = static_cast<DWORD>(bytes.size() < (1u << 30) ? bytes.size() : (1u << 30));
    DWORD written = 0;
    if (!WriteFile(handle(file), bytes.data(), piece, &written, nullptr)) return last_error();
    if (written == 0) return message(ERROR_WRITE_FAULT);
    bytes.remove_prefix(written);
  }
  return {};
}

std::string truncate(File& file) {
  if (injected(fault::Call::file_truncate, ERROR_WRITE_FAULT)) return last_error();
  if (!SetFilePointerEx(handle(file), LARGE_INTEGER{}, nullptr, FILE_BEGIN) || !SetEndOfFile(handle(file)))
    return last_error();
  return {};
}

void start_writeback(File&, std::uint64_t, std::uint64_t) {}  // no such hint on Windows

void reserve(File&, std::uint64_t) {}  // NTFS allocates as it is written

std::string close(File& file) {
  // FlushFileBuffers first: the bytes reach the disk before the file is renamed onto its target,
  // so a crash after the rename cannot leave the target empty.
  const HANDLE h = reinterpret_cast<HANDLE>(file.release());
  std::string why;
  if (!FlushFileBuffers(h)) why = last_error();
  if (!CloseHandle(h) && why.empty()) why = last_error();
  // An injected failure closes the handle all the same, as a real failure would.
  if (injected(fault::Call::file_close, ERROR_WRITE_FAULT) && why.empty()) why = last_error();
  return why;
}

std::string replace(const std::filesystem::path& from, const std::filesystem::path& to, File& replaced) {
  replaced = File();  // Windows cannot keep the replaced file open across the rename
  if (injected(fault::Call::file_replace, ERROR_WRITE_FAULT)) return last_error();
  // One rename (same directory, so same volume: never a copy), the target's old file or the new
  // one, nothing between. A symbolic link at `to` is itself replaced, its target untouched.
  if (MoveFileExW(from.c_str(), to.c_str(), MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) return {};
  const DWORD code = GetLastError();
  if ((code == ERROR_ACCESS_DENIED || code == ERROR_SHARING_VIOLATION || code == ERROR_LOCK_VIOLATION) &&
      GetFileAttributesW(to.c_str()) != INVALID_FILE_ATTRIBUTES &&
      GetFileAttributesW(from.c_str()) != INVALID_FILE_ATTRIBUTES) {
    const DWORD attributes = GetFileAttributesW(to.c_str());
    if (attributes & FILE_ATTRIBUTE_READONLY) return "the file is read-only: " + message(code);
    if (!(attributes & FILE_ATTRIBUTE_DIRECTORY))
      return "the file is open in another program (Windows cannot replace an open file; it keeps its old "
             "contents): " + message(code);
  }
  return message(code);
}

std::string read_small(const std::filesystem::path& path, std::size_t max_bytes, std::string& bytes) {
  File opened(native(CreateFileW(path.c_str(), GENERIC_READ, share_all, nullptr, OPEN_EXISTING,
                                 FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, nullptr)));
  if (!opened.is_open()) return last_error();
  if (auto why = check_plain_file(handle(opened)); !why.empty()) return why;
  bytes.clear();
  char piece[4096];
  for (;;) {
    DWORD n = 0;
    if (!ReadFile(handle(opened), piece, sizeof piece, &n, nullptr)) return last_error();
    if (n == 0) return {};
    if (bytes.size() + n > max_bytes) return "larger than " + std::to_string(max_bytes) + " bytes";
    bytes.append(piece, n);
  }
}

std::string remove(const std::filesystem::path& path) {
  if (injected(fault::Call::file_remove, ERROR_WRITE_FAULT) || !DeleteFileW(path.c_str())) return last_error();
  return {};
}

bool names_a_device(const std::filesystem::path& path) {
  std::wstring stem = path.filename().wstring();
  stem = stem.substr(0, stem.find(L'.'));  // "nul.txt" is NUL too
  while (!stem.empty() && stem.back() == L' ') stem.pop_back();
  for (auto& c : stem) c = static_cast<wchar_t>(towupper(c));
  if (stem == L"NUL" || stem == L"CON" || stem == L"PRN" || stem == L"AUX" || stem == L"CONIN$" || stem == L"CONOUT$")
    return true;
  return stem.size() == 4 && (stem.starts_with(L"COM") || stem.starts_with(L"LPT")) && stem[3] >= L'1' && stem[3] <= L'9';
}

std::string create_directories(const std::filesystem::path& dir) {
  if (injected(fault::Call::file_mkdir, ERROR_ACCESS_DENIED)) return last_error();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  // The message in the system's words, in UTF-8 (ec.message() would be in the ANSI code page).
  if (ec) return ec.category() == std::system_category() ? message(static_cast<DWORD>(ec.value())) : ec.message();
  return {};
}

}  // namespace asyncload::files
