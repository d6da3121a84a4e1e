// A process's TensorBoard events from its metrics lines, written on a best-effort basis: the
// events are a view of metrics.jsonl, so a failure to write them (disk full, a directory that
// cannot be created, a line that does not parse) logs ONE warning and turns the log off for
// the rest of the process; it never throws and never stops the run.
//
//   <run_dir>/tb/<process>/events.out.tfevents.<unix s>.<host>.<pid>.<process>
//
// One directory per process, because TensorBoard reads the files of a directory one after the
// other; a restarted or resumed process starts a new file there (a new time and pid), which
// TensorBoard reads as more points of the same run.
//
// Not thread-safe: one EventLog per process, used from one thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "shared/tb/event_writer.h"
#include "shared/tb/json_scalars.h"

namespace zp::tb {

class EventLog {
 public:
  // Opens the file at once (so a run shows its directories from the start); a failure is the
  // one warning and leaves the log off.
  EventLog(const std::string& dir, const std::string& process, const TagRules& rules);
  ~EventLog();
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  // Writes the scalars of one metrics line (json_scalars.h), one event per step. Returns false
  // when the log is off (now or before).
  bool write_line(std::string_view json_text);

  bool ok() const { return writer_ != nullptr; }
  const std::string& path() const;  // "" when the file could not be created

 private:
  void turn_off(const std::string& why);
  const TagRules& rules_;
  std::string dir_;
  std::unique_ptr<EventWriter> writer_;
};

}  // namespace zp::tb
