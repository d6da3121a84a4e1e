#include "shared/tb/event_writer.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "shared/core/clock.h"
#include "shared/core/error.h"
#include "event.pb.h"  // generated into the build directory (shared/tb/CMakeLists.txt)
#include "shared/tb/record_io.h"

namespace zp::tb {

namespace {

std::string host_name() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == 0) return "localhost";
  return buf;
}

std::string serialize(const zeroplay::tb::Event& e) {
  std::string out;
  if (!e.SerializeToString(&out)) throw CheckError("tb: cannot serialize an Event");
  return out;
}

}  // namespace

std::string encode_file_version_event(double wall_time) {
  zeroplay::tb::Event e;
  e.set_wall_time(wall_time);
  e.set_file_version(kFileVersion);
  return serialize(e);
}

std::string encode_scalars_event(int64_t step, double wall_time, const std::vector<Scalar>& s) {
  zeroplay::tb::Event e;
  e.set_wall_time(wall_time);
  e.set_step(step);
  zeroplay::tb::Summary* summary = e.mutable_summary();
  for (const Scalar& scalar : s) {
    zeroplay::tb::Summary::Value* v = summary->add_value();
    v->set_tag(scalar.tag);
    v->set_simple_value(static_cast<float>(scalar.value));
  }
  return serialize(e);
}

DecodedEvent decode_event(std::string_view bytes) {
  zeroplay::tb::Event e;
  if (!e.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    throw FormatError("tb: " + std::to_string(bytes.size()) + " bytes are not an Event");
  DecodedEvent d;
  d.wall_time = e.wall_time();
  d.step = e.step();
  if (e.has_file_version()) d.file_version = e.file_version();
  if (e.has_summary())
    for (const auto& v : e.summary().value())
      d.scalars.push_back({v.tag(), v.has_simple_value() ? v.simple_value() : 0.0});
  return d;
}

EventWriter::EventWriter(const std::string& dir, const std::string& name) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw IoError("cannot create event directory '" + dir + "': " + ec.message());
  const double now = unix_time_s();
  path_ = dir + "/events.out.tfevents." + std::to_string(static_cast<int64_t>(now)) + "." +
          host_name() + "." + std::to_string(getpid()) + "." + name;
  file_ = std::fopen(path_.c_str(), "wb");
  if (!file_) throw IoError("cannot create event file '" + path_ + "': " + std::strerror(errno));
  if (!append(encode_file_version_event(now)))
    throw IoError("cannot write event file '" + path_ + "': " + std::strerror(errno));
}

EventWriter::~EventWriter() {
  if (file_) std::fclose(file_);
}

bool EventWriter::write_scalars(int64_t step, const std::vector<Scalar>& scalars) {
  return write_scalars(step, unix_time_s(), scalars);
}

bool EventWriter::write_scalars(int64_t step, double wall_time,
                                const std::vector<Scalar>& scalars) {
  if (!file_) return false;
  return append(encode_scalars_event(step, wall_time, scalars));
}

bool EventWriter::append(const std::string& event_bytes) {
  const std::string frame = frame_record(event_bytes);
  const bool ok = std::fwrite(frame.data(), 1, frame.size(), file_) == frame.size() &&
                  std::fflush(file_) == 0;
  if (!ok) {
    error_ = std::strerror(errno);  // before fclose() can change errno
    std::fclose(file_);
    file_ = nullptr;
  }
  return ok;
}

}  // namespace zp::tb
