// TensorBoard event files of scalars, written without TensorFlow: our own minimal Event and
// Summary messages (shared/tb/event.proto, TensorFlow's field numbers) in TFRecord frames
// (record_io.h). `tensorboard --logdir <run_dir>/tb` reads them.
//
// A file starts with an Event whose file_version is "brain.Event:2" (TensorBoard then treats a
// step that goes back as new data, never as a restart that drops the later points); each
// write_scalars() appends one Event with a Summary of simple_value scalars (32-bit floats, as
// TensorBoard stores them) and flushes it, so a reader sees every point written so far.
//
// Not thread-safe: one writer per process and directory (TensorBoard reads the files of one
// directory one after the other, so two live writers must not share a directory).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace zp::tb {

inline const std::string kFileVersion = "brain.Event:2";

struct Scalar {
  std::string tag;  // e.g. "selfplay/positions_per_s"
  double value;     // stored as float
};

// An Event as written or read back: either a file version or a list of scalars.
struct DecodedEvent {
  double wall_time = 0;
  int64_t step = 0;
  std::string file_version;     // set on a file's first event only
  std::vector<Scalar> scalars;  // values as the floats stored
};
std::string encode_file_version_event(double wall_time);
std::string encode_scalars_event(int64_t step, double wall_time, const std::vector<Scalar>& s);
// Throws FormatError when `bytes` is not an Event.
DecodedEvent decode_event(std::string_view bytes);

class EventWriter {
 public:
  // Creates `dir` (and its parents) and the new file
  // "<dir>/events.out.tfevents.<unix seconds>.<host>.<pid>.<name>" in it, and writes the
  // file_version event. Throws IoError naming the path when either fails.
  EventWriter(const std::string& dir, const std::string& name);
  ~EventWriter();
  EventWriter(const EventWriter&) = delete;
  EventWriter& operator=(const EventWriter&) = delete;

  // Appends one event of `scalars` at `step` (wall time: now) and flushes. Non-finite values
  // are written as they are (TensorBoard shows NaN). Returns false when the write failed (disk
  // full...); the file is then closed and later calls do nothing and return false.
  bool write_scalars(int64_t step, const std::vector<Scalar>& scalars);
  bool write_scalars(int64_t step, double wall_time, const std::vector<Scalar>& scalars);

  const std::string& path() const { return path_; }
  bool ok() const { return file_ != nullptr; }
  // Why the write that closed the file failed (strerror, e.g. "No space left on device").
  const std::string& error() const { return error_; }

 private:
  bool append(const std::string& event_bytes);
  std::string path_;
  std::string error_;
  std::FILE* file_ = nullptr;
};

}  // namespace zp::tb
