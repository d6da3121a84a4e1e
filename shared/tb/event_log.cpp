#include "shared/tb/event_log.h"

#include "shared/core/error.h"
#include "shared/core/log.h"

namespace zp::tb {

EventLog::EventLog(const std::string& dir, const std::string& process, const TagRules& rules)
    : rules_(rules), dir_(dir) {
  try {
    writer_ = std::make_unique<EventWriter>(dir, process);
  } catch (const IoError& e) {
    turn_off(e.what());
  }
}

EventLog::~EventLog() = default;

const std::string& EventLog::path() const {
  static const std::string none;
  return writer_ ? writer_->path() : none;
}

bool EventLog::write_line(std::string_view json_text) {
  if (!writer_) return false;
  std::vector<StepScalars> events;
  try {
    events = json_scalars(json_text, rules_);
  } catch (const FormatError& e) {
    turn_off(e.what());
    return false;
  }
  for (const StepScalars& e : events) {
    if (!writer_->write_scalars(e.step, e.scalars)) {
      turn_off("cannot write " + writer_->path() + ": " + writer_->error());
      return false;
    }
  }
  return true;
}

void EventLog::turn_off(const std::string& why) {
  spdlog::warn("TensorBoard events in {} are off for the rest of this process: {} (the run "
               "goes on; metrics.jsonl has the same figures)",
               dir_, why);
  writer_.reset();
}

}  // namespace zp::tb
