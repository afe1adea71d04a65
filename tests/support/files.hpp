// files.hpp — temporary directories and whole-file reads and writes for the suites (native and
// web alike: on the web these are Emscripten's file system).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace asyncload::test {

// Whether a test can plant symbolic links: not on Windows, where creating one needs Developer
// Mode or administrator rights (and Wine does not implement it: "Function not implemented").
// Cases that plant a link are skipped there, saying so (README "Windows").
#if defined(_WIN32)
inline constexpr bool symlinks_creatable = false;
#else
inline constexpr bool symlinks_creatable = true;
#endif

// A fresh directory under temp_directory_path(), removed (recursively) at scope end.
class TempDir {
public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(std::string_view relative) const { return path_ / relative; }

private:
  std::filesystem::path path_;
};

std::string read_file(const std::filesystem::path& path);  // "" when missing
void write_file(const std::filesystem::path& path, std::string_view bytes);
// Every entry under dir (files and directories), as paths relative to dir, sorted.
std::vector<std::string> list_tree(const std::filesystem::path& dir);

}  // namespace asyncload::test
