#include "shared/ipc/curve_keys.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

#include "shared/core/error.h"
#include "shared/core/fs.h"

namespace zp::ipc {

namespace fs = std::filesystem;

namespace {

std::string octal(unsigned mode) {
  char b[8];
  std::snprintf(b, sizeof b, "%03o", mode);
  return b;
}

// Writes one key file with exactly `mode`, whatever the umask (fchmod after the open).
void write_key(const std::string& path, const std::string& key, mode_t mode) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) throw IoError("cannot create " + tmp + ": " + std::strerror(errno));
  const std::string text = key + "\n";
  const bool ok = ::fchmod(fd, mode) == 0 &&
                  ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                  ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0)
    throw IoError("cannot write " + path + ": " + std::strerror(ok ? errno : err));
}

std::string read_key(const std::string& path, bool secret) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    throw IoError("cannot read CURVE key file " + path + ": " + std::strerror(errno));
  if (secret && (st.st_mode & 077) != 0)
    throw IoError("CURVE secret key file " + path + " may be read by group or others (mode " +
                  octal(st.st_mode & 0777) + "); chmod 600 it");
  std::string text = read_file(path, "CURVE key file");
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  uint8_t raw[32];
  if (text.size() != 40 || zmq_z85_decode(raw, text.c_str()) == nullptr)
    throw ConfigError("CURVE key file " + path + " does not hold one 40-character Z85 key");
  return text;
}

void write_key_pair(const std::string& dir, const std::string& name) {
  const CurveKeyPair k = make_curve_key_pair();
  write_key(dir + "/" + name + ".secret", k.secret_key, 0600);
  write_key(dir + "/" + name + ".public", k.public_key, 0644);
}

}  // namespace

CurveKeyPair make_curve_key_pair() {
  char pub[41], sec[41];
  if (zmq_curve_keypair(pub, sec) != 0)
    throw IoError(std::string("cannot make a CURVE key pair: ") + zmq_strerror(zmq_errno()));
  return {pub, sec};
}

bool curve_required(const std::string& records_endpoint, bool insecure) {
  return records_endpoint.rfind("tcp://", 0) == 0 && !insecure;
}

bool ensure_curve_keys(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir + "/authorized", ec);
  if (ec) throw IoError("cannot create " + dir + "/authorized: " + ec.message());
  if (::chmod(dir.c_str(), 0700) != 0)
    throw IoError("cannot chmod " + dir + ": " + std::strerror(errno));
  bool made = false;
  for (const char* name : {"writer", "actor"}) {
    const std::string base = dir + "/" + name;
    if (fs::exists(base + ".secret") && fs::exists(base + ".public")) continue;
    write_key_pair(dir, name);
    made = true;
  }
  return made;
}

void make_host_keys(const std::string& dir, const std::string& writer_public) {
  // Everything is checked before anything is written.
  const std::string head_key = writer_public.empty() ? "" : read_key(writer_public, false);
  std::vector<std::string> made = {"actor.public", "actor.secret"};
  if (!writer_public.empty()) made.push_back("writer.public");
  for (const std::string& name : made)
    if (fs::exists(dir + "/" + name))
      throw IoError(dir + "/" + name + " already exists; keygen never overwrites a key (pick "
                    "another folder, or remove the old keys first)");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw IoError("cannot create " + dir + ": " + ec.message());
  if (::chmod(dir.c_str(), 0700) != 0)
    throw IoError("cannot chmod " + dir + ": " + std::strerror(errno));
  write_key_pair(dir, "actor");
  if (!head_key.empty()) write_key(dir + "/writer.public", head_key, 0644);
}

CurveServerKeys load_server_keys(const std::string& dir) {
  CurveServerKeys k;
  k.public_key = read_key(dir + "/writer.public", false);
  k.secret_key = read_key(dir + "/writer.secret", true);
  k.authorized.push_back(read_key(dir + "/actor.public", false));
  std::error_code ec;
  for (fs::directory_iterator it(dir + "/authorized", ec), end; !ec && it != end; it.increment(ec))
    if (it->path().extension() == ".public") k.authorized.push_back(read_key(it->path(), false));
  return k;
}

CurveClientKeys load_client_keys(const std::string& dir) {
  CurveClientKeys k;
  k.server_public = read_key(dir + "/writer.public", false);
  k.public_key = read_key(dir + "/actor.public", false);
  k.secret_key = read_key(dir + "/actor.secret", true);
  return k;
}

}  // namespace zp::ipc
