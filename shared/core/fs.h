// Whole-file helpers used for every durable file (shards, manifests, checkpoints, state).
#pragma once

#include <string>
#include <string_view>

namespace zp {

// Writes `bytes` to `path` atomically: "<path>.tmp", fsync, rename over `path`, fsync of the
// directory. Readers see the old file or the new one, never a partial one. One writer per
// path at a time. Throws IoError naming the path and the reason.
void write_file_atomic(const std::string& path, std::string_view bytes);
// Reads a whole file. Throws IoError if it is missing or unreadable.
// With `what` ("config file"), errors read "cannot read config file '<path>': <reason>".
std::string read_file(const std::string& path, const char* what = nullptr);

}  // namespace zp
