// resumable_files.hpp — what the resume and pieces scenarios share: the test server's
// /resumable files (set up through /resumable-set/<name>, read through /resumable/<name>, their
// requests' headers logged at /resumable-log/<name>), driven through asyncload itself.
#pragma once

#include "support/game_loop.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace asyncload::test {

// A GET of one of the server's control endpoints; its body. Fails the test unless it is a 200.
std::string control(Http& http, const std::string& path_and_query);

// The Range header of each request the server got for /resumable/<name>, in order (and their
// If-Range and Accept-Encoding headers, when asked for).
std::vector<std::string> ranges_received(Http& http, const std::string& name,
                                         std::vector<std::string>* if_ranges = nullptr,
                                         std::vector<std::string>* encodings = nullptr);

// One http_get_file of /resumable/<name> to its final event (lifecycle checked): that event.
AsyncLoad download(Http& http, const std::string& name, const std::filesystem::path& target,
                   const RequestOptions& options = {}, Frames* frames_out = nullptr);

}  // namespace asyncload::test
