// Resumable downloads (RequestOptions::resume): where a download's partial file and its record
// live, what the record holds, and what a response says about continuing.
//
// Beside the target `dir/name` a resumable download writes
//   dir/.asyncload-<16 hex>.partial   the bytes so far (the temporary file of the download)
//   dir/.asyncload-<16 hex>.resume    its record: {"url", "target", "validator"} as JSON
// with <16 hex> the FNV-1a hash of `name`, so the next call finds them from the target alone,
// whatever the name's length. The record names its URL and target: a partial is continued only
// for the same URL to the same target, with the validator (ETag, else Last-Modified) of the
// response its bytes came from. A partial without a record is never continued.
#pragma once

#include <asyncload/types.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace asyncload::detail {

struct ResumePlan {
  std::filesystem::path partial;  // the partial file (the download's temporary file)
  std::filesystem::path record;   // its record
  std::string url;                // as sent
  std::string target_name;        // the target's file name, as the record holds it
  std::uint64_t have = 0;         // bytes to continue from; 0 = from the start
  std::string validator;          // If-Range, when have > 0
};

// Reads what an earlier resumable download of `url` to `target` left (game thread, at the call:
// one small file read and one stat). have stays 0 unless the record matches and the partial
// holds bytes.
ResumePlan plan_resume(const std::filesystem::path& target, std::string_view url);

// The record written for a partial's bytes: "" on success, else why not.
std::string write_record(const ResumePlan& plan, std::string_view validator);

// What to send as If-Range for a response with these headers: its strong ETag, else its
// Last-Modified when it has no ETag; "" when neither (or the body is content-coded: a range
// would count other bytes than the ones written).
std::string validator_of(const Headers& headers);

// The first byte position of a 206's Content-Range ("bytes 100-199/200" gives 100); nothing
// when absent or malformed.
std::optional<std::uint64_t> content_range_start(const Headers& headers);

}  // namespace asyncload::detail
