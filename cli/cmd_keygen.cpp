// `zeroplay keygen DIR [--writer-public FILE] [--name NAME]`: a CURVE key pair of its own for
// a host that joins a run (docs/scaling.md, "Ports and keys"), so that no copy of the head's
// actor.secret has to travel. Prints what to do with it on the head.
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "shared/ipc/curve_keys.h"

namespace zp::cli {

namespace {

struct KeygenOptions {
  std::string dir, writer_public, name;
};

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "host";
  return buf;
}

void run_keygen(const KeygenOptions& o) {
  ipc::make_host_keys(o.dir, o.writer_public);
  const std::string name = o.name.empty() ? host_name() : o.name;
  std::printf("keygen: made %s/actor.public and %s/actor.secret (mode 600)", o.dir.c_str(),
              o.dir.c_str());
  if (!o.writer_public.empty())
    std::printf("; copied %s to %s/writer.public", o.writer_public.c_str(), o.dir.c_str());
  std::printf("\n");
  std::printf("on the head: cp %s/actor.public RUN/keys/authorized/%s.public, then "
              "`zeroplay train --resume RUN` (the writer and the hub read authorized keys when "
              "they start)\n",
              o.dir.c_str(), name.c_str());
  if (o.writer_public.empty())
    std::printf("before joining: copy the head's RUN/keys/writer.public into %s\n", o.dir.c_str());
  std::printf("on this host: zeroplay join tcp://HEAD:PORT --keys %s\n", o.dir.c_str());
  std::fflush(stdout);
}

}  // namespace

void add_keygen_command(CLI::App& app) {
  auto o = std::make_shared<KeygenOptions>();
  CLI::App* cmd = app.add_subcommand(
      "keygen", "Make a CURVE key pair for a host that joins a run (its actor.public goes into "
                "the head's RUN/keys/authorized/)");
  cmd->add_option("dir", o->dir, "Folder for the keys (made 0700; existing keys are never "
                                 "overwritten)")
      ->required();
  cmd->add_option("--writer-public", o->writer_public,
                  "The head's RUN/keys/writer.public, copied into DIR so that `join --keys DIR` "
                  "works as is");
  cmd->add_option("--name", o->name, "Name of the .public file on the head (default: host name)");
  cmd->callback([o] { run_keygen(*o); });
}

}  // namespace zp::cli
