#include "shared/core/fs.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

#include "shared/core/error.h"
#include "shared/core/fault.h"

namespace zp {

namespace {

// Creates "<path>.tmp.<pid>.<n>" with O_EXCL, trying the next n while the name is taken, so
// no two writers (threads or processes) ever share a temporary. Returns the fd.
int create_unique_temp(const std::string& path, std::string* tmp) {
  // Relaxed: only uniqueness within this process matters; the pid separates processes.
  static std::atomic<uint64_t> counter{0};
  for (;;) {
    *tmp = path + kTempInfix + std::to_string(::getpid()) + "." +
           std::to_string(counter.fetch_add(1, std::memory_order_relaxed));
    const int fd = ::open(tmp->c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0) return fd;
    if (errno != EEXIST) throw IoError("cannot create " + *tmp + ": " + std::strerror(errno));
  }
}

}  // namespace

bool is_temp_file_name(const std::string& name) {
  const size_t at = name.rfind(kTempInfix);
  if (at == std::string::npos || at == 0) return false;
  // ".tmp.<pid>.<n>": two dot-separated numbers.
  const std::string rest = name.substr(at + kTempInfix.size());
  const size_t dot = rest.find('.');
  auto digits = [](const std::string& s) {
    return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
  };
  return dot != std::string::npos && digits(rest.substr(0, dot)) && digits(rest.substr(dot + 1));
}

void write_file_atomic(const std::string& path, std::string_view bytes) {
  std::string tmp;
  const int fd = create_unique_temp(path, &tmp);
  auto fail = [&](const std::string& what) {
    const std::string err = std::strerror(errno);
    ::unlink(tmp.c_str());
    throw IoError(what + " " + tmp + ": " + err);
  };
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      fail("cannot write");
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    fail("cannot fsync");
  }
  if (::close(fd) != 0) fail("cannot close");
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail("cannot rename to " + path + ":");
  // Make the rename itself durable: until the directory is fsync'ed a crash may undo it, so
  // a failure here is an error (the writer then acknowledges nothing), never ignored.
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "./" : path.substr(0, slash + 1);
  auto dir_fail = [&](const char* what) {
    throw IoError(std::string(what) + " " + dir + " after renaming " + path + ": " +
                  std::strerror(errno));
  };
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) dir_fail("cannot open directory");
  const int rc = fault_error("fs.dir_fsync") ? (errno = EIO, -1) : ::fsync(dfd);
  if (rc != 0) {
    const int err = errno;
    ::close(dfd);
    errno = err;
    dir_fail("cannot fsync directory");
  }
  ::close(dfd);
}

std::string read_file(const std::string& path, const char* what) {
  auto fail = [&](const char* verb, int err) {
    const std::string reason = std::strerror(err);
    if (what) return IoError(std::string("cannot read ") + what + " '" + path + "': " + reason);
    return IoError(std::string(verb) + " " + path + ": " + reason);
  };
  // stdio, not ifstream: a directory or an I/O error must be an IoError, and ifstream's
  // iterators throw std::ios_base::failure for those.
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw fail("cannot open", errno);
  std::string bytes;
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) bytes.append(buf, n);
  const int read_errno = std::ferror(f) ? errno : 0;
  std::fclose(f);
  if (read_errno != 0) throw fail("cannot read", read_errno);
  return bytes;
}

}  // namespace zp
