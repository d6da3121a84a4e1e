// TensorBoard scalars from one JSON metrics line (metrics.jsonl), derived generically: every
// number in the line becomes a tag, so a field added to the status or eval line later shows
// up in TensorBoard without a change here.
//
// Tags. A top-level field is named by the first rule that matches it:
//   1. `fields`: the exact name -> "<group>/<field>"     (positions_per_s -> selfplay/positions_per_s)
//   2. `prefixes`: a name starting with P -> R + the rest (cpu_actors -> cpu/actors, with
//      P = "cpu_", R = "cpu/")
//   3. otherwise "<fallback>/<field>".
// Nested values are flattened below that name with '/': an object by its keys
// (pons_policy_error_rate: {"Test_L3_R1": 0.1} -> pons/policy_error_rate/Test_L3_R1), an
// array by its indices (actor_positions_per_s: [a, b] -> selfplay/actor_positions_per_s/0, /1).
// Left out: null (an unknown figure, or a non-finite one: our JSON writers write NaN as null),
// booleans, strings, and the fields in `skip` (wall-clock "time": TensorBoard records the wall
// time of every event itself).
//
// Steps. TensorBoard's x axis is an integer step per event, so the scalars of a line are split
// into events by step: a tag starting with a `steps` rule's tag prefix goes at the value of
// that rule's field, every other tag at `default_step_field` (floored; a missing, null or
// negative step field means 0).
//
// Thread-safety: plain functions on their arguments.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shared/tb/event_writer.h"

namespace zp::tb {

struct StepRule {
  std::string tag_prefix;  // e.g. "learner/"
  std::string field;       // the line's field holding the step of those tags
};

struct TagRules {
  std::vector<std::pair<std::string, std::string>> fields;    // field -> group
  std::vector<std::pair<std::string, std::string>> prefixes;  // prefix -> replacement
  std::string fallback;                                       // group of any other field
  std::vector<std::string> skip;                              // fields left out
  std::vector<StepRule> steps;
  std::string default_step_field;
};

// The supervisor's status line (supervisor/status.h, format_status_json) and the evaluator's
// "kind":"eval" line; the tables are in json_scalars.cpp and in the README.
const TagRules& status_tag_rules();
const TagRules& eval_tag_rules();

// The tag of a top-level field.
std::string tag_of(const TagRules& rules, const std::string& field);

// One event's worth: the scalars that share a step.
struct StepScalars {
  int64_t step = 0;
  std::vector<Scalar> scalars;
};
// The line's scalars grouped by step, in the order of their first tag in the line. Throws
// FormatError when `json_text` is not one JSON object.
std::vector<StepScalars> json_scalars(std::string_view json_text, const TagRules& rules);

}  // namespace zp::tb
