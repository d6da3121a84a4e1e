// Whole-file helpers used for every durable file (shards, manifests, checkpoints, state).
#pragma once

#include <string>
#include <string_view>

namespace zp {

// Writes `bytes` to `path` atomically: a temporary "<path>.tmp.<pid>.<n>" created with
// O_EXCL (unique to this call), fsync, rename over `path`, fsync of the directory. Readers see
// the old file or a new one, never a partial one; concurrent writers of one path never mix
// their bytes (the last rename wins). Thread-safe. Throws IoError naming the path and the
// reason; a failed write removes its temporary, a crash leaves it (is_temp_file_name). A
// failed fsync of the directory after the rename throws too (fault point fs.dir_fsync): the
// new file is in place then but not known to be durable.
void write_file_atomic(const std::string& path, std::string_view bytes);

// The infix of write_file_atomic's temporaries, and whether a file name is one of them
// ("shard-000001.zps.tmp.4242.0"), so that recovery code can delete leftovers.
inline const std::string kTempInfix = ".tmp.";
bool is_temp_file_name(const std::string& name);
// Reads a whole file. Throws IoError if it is missing or unreadable.
// With `what` ("config file"), errors read "cannot read config file '<path>': <reason>".
std::string read_file(const std::string& path, const char* what = nullptr);

}  // namespace zp
