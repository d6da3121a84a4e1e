#include "shared/run/context.h"

#include <cctype>

#include "shared/core/error.h"
#include "shared/core/fs.h"

namespace zp::run {

RunContext load_run_context(const std::string& run_dir) {
  RunContext ctx;
  ctx.run_dir = run_dir;
  while (ctx.run_dir.size() > 1 && ctx.run_dir.back() == '/') ctx.run_dir.pop_back();
  const RunPaths paths = ctx.paths();
  ctx.config = config::load_config(paths.config());
  // read_file throws IoError naming the path when the run id is missing.
  std::string id = read_file(paths.run_id());
  const auto is_space = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
  while (!id.empty() && is_space(id.back())) id.pop_back();
  while (!id.empty() && is_space(id.front())) id.erase(id.begin());
  if (id.empty()) throw IoError(paths.run_id() + " is empty");
  for (char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)))
      throw IoError(paths.run_id() + " holds '" + id + "', not a run id");
  ctx.names = RunNames::make(id, ctx.run_dir, ctx.config.writer.endpoint);
  return ctx;
}

}  // namespace zp::run
