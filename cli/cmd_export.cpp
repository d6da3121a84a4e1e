// `zeroplay export CKPT --format onnx|torchscript --out FILE`: writes a checkpoint's network as
// an ONNX or TorchScript file, through the Python package (python/zeroplay/export.py, which
// has the file layouts). This command finds the project's python and the package from
// <build>/python/launch.txt (python/CMakeLists.txt writes it next to the extension), checks
// what it can without python (the format, that the package is built), then replaces itself
// with `python -m zeroplay.export ...`, which reports its own errors in one line.
// ZEROPLAY_PYTHON in the environment overrides the python.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "shared/core/error.h"
#include "shared/core/fs.h"
#include "cli/commands.h"

namespace zp::cli {

namespace {

namespace fs = std::filesystem;

struct ExportCli {
  std::string checkpoint, format, out;
};

struct Launch {
  std::string python, pythonpath;
};

// <dir of this executable>/../python/launch.txt: the build tree's python directory.
Launch read_launch() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  const fs::path file = exe.parent_path().parent_path() / "python" / "launch.txt";
  if (ec || !fs::exists(file)) {
    throw IoError("export needs the zeroplay Python package, which this build lacks (" +
                  file.string() + " missing): run scripts/setup.sh (pybind11-dev) and rebuild");
  }
  const std::string text = read_file(file.string());
  const size_t nl = text.find('\n');
  Launch l{text.substr(0, nl), nl == std::string::npos ? "" : text.substr(nl + 1)};
  while (!l.pythonpath.empty() && l.pythonpath.back() == '\n') l.pythonpath.pop_back();
  if (const char* env = std::getenv("ZEROPLAY_PYTHON"); env && *env) l.python = env;
  return l;
}

// The package's sources and the built extension must both be on the path.
void check_package(const Launch& l) {
  bool sources = false, extension = false;
  size_t begin = 0;
  while (begin <= l.pythonpath.size()) {
    size_t end = l.pythonpath.find(':', begin);
    if (end == std::string::npos) end = l.pythonpath.size();
    const fs::path dir = l.pythonpath.substr(begin, end - begin);
    begin = end + 1;
    std::error_code ec;
    if (fs::exists(dir / "zeroplay" / "__init__.py", ec)) sources = true;
    for (const auto& e : fs::directory_iterator(dir, ec))
      if (e.path().filename().string().rfind("_zeroplay", 0) == 0) extension = true;
  }
  if (!sources || !extension) {
    throw IoError(std::string("export needs the zeroplay Python package: ") +
                  (sources ? "its extension _zeroplay is not built" : "python/zeroplay not found") +
                  " in " + l.pythonpath + " (build the _zeroplay target)");
  }
}

[[noreturn]] void run_export(const ExportCli& o) {
  if (o.format != "onnx" && o.format != "torchscript")
    throw ConfigError("--format must be onnx or torchscript, got '" + o.format + "'");
  const Launch l = read_launch();
  if (l.python.find('/') != std::string::npos && access(l.python.c_str(), X_OK) != 0) {
    throw IoError("export needs the project's venv: cannot run " + l.python + ": " +
                  std::strerror(errno) + " (run scripts/setup.sh)");
  }
  check_package(l);
  const char* old = std::getenv("PYTHONPATH");
  const std::string path = l.pythonpath + (old && *old ? std::string(":") + old : "");
  setenv("PYTHONPATH", path.c_str(), 1);
  std::vector<std::string> args = {l.python,    "-m",  "zeroplay.export", o.checkpoint,
                                   "--format", o.format, "--out",           o.out};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::fflush(nullptr);
  execvp(argv[0], argv.data());
  throw IoError("export needs the project's venv: cannot run " + l.python + ": " +
                std::strerror(errno) + " (run scripts/setup.sh)");
}

}  // namespace

void add_export_command(CLI::App& app) {
  auto o = std::make_shared<ExportCli>();
  CLI::App* cmd = app.add_subcommand(
      "export", "Write a checkpoint's network as ONNX or TorchScript (via the Python package)");
  cmd->add_option("checkpoint", o->checkpoint, "Checkpoint (.zpck)")->required();
  cmd->add_option("--format", o->format, "onnx or torchscript")->required();
  cmd->add_option("--out", o->out, "Output file")->required();
  cmd->callback([o] { run_export(*o); });
}

}  // namespace zp::cli
