#include "shared/arena/pons.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "shared/core/error.h"

namespace zp::arena {

namespace {

namespace fs = std::filesystem;

constexpr int kFieldBits = 10;  // per set in a packed counter: 0..1001 fits
constexpr int64_t kFieldMask = (int64_t{1} << kFieldBits) - 1;
static_assert(kFieldBits * kNumPonsSets < 63, "six fields fit in a non-negative int64");

// One set, strictly: the file must exist, parse and hold at least one position.
PonsPositions read_one(const std::string& dir, int index, const game::Game& game) {
  const std::string path = pons_set_path(dir, index);
  const PonsSet& set = pons_sets()[index];
  std::error_code ec;
  if (!fs::is_regular_file(path, ec))
    throw IoError("Pons set " + std::string(set.name) + ": " + path + " does not exist");
  PonsPositions out;
  out.index = index;
  out.positions = read_labelled_positions(path, game);
  if (out.positions.empty())
    throw FormatError("Pons set " + std::string(set.name) + ": " + path + " has no positions");
  return out;
}

// A rate in percent for the status line: one decimal below 10%, none above; "-" if negative.
std::string percent(double rate) {
  if (rate < 0) return "-";
  char buf[16];
  const double p = 100 * rate;
  std::snprintf(buf, sizeof(buf), p < 9.95 ? "%.1f" : "%.0f", p);
  return buf;
}

}  // namespace

const std::array<PonsSet, kNumPonsSets>& pons_sets() {
  static const std::array<PonsSet, kNumPonsSets> sets{{
      {"Test_L3_R1", "End-Easy", "EE", 0.0},
      {"Test_L2_R1", "Middle-Easy", "ME", 0.0},
      {"Test_L2_R2", "Middle-Medium", "MM", 0.027},
      {"Test_L1_R1", "Beginning-Easy", "BE", 0.0},
      {"Test_L1_R2", "Beginning-Medium", "BM", 0.02},
      {"Test_L1_R3", "Beginning-Hard", "BH", 0.07},
  }};
  return sets;
}

std::string pons_set_path(const std::string& dir, int index) {
  return dir + "/" + pons_sets()[index].file + ".txt";
}

std::vector<PonsPositions> read_pons_sets(const std::string& dir, const game::Game& game) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw IoError("Pons benchmark directory " + dir + " does not exist");
  std::vector<PonsPositions> out;
  for (int i = 0; i < kNumPonsSets; ++i) out.push_back(read_one(dir, i, game));
  return out;
}

std::vector<PonsPositions> read_available_pons_sets(const std::string& dir,
                                                    const game::Game& game,
                                                    std::vector<std::string>* problems) {
  std::vector<PonsPositions> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (int i = 0; i < kNumPonsSets; ++i) {
    try {
      out.push_back(read_one(dir, i, game));
    } catch (const Error& e) {
      if (problems) problems->push_back(e.what());
    }
  }
  return out;
}

int64_t pack_pons_rates(const std::array<double, kNumPonsSets>& rates) {
  int64_t packed = 0;
  for (int i = 0; i < kNumPonsSets; ++i) {
    if (!(rates[i] >= 0)) continue;  // not measured (negative or NaN): field stays 0
    const int64_t field = std::llround(1000 * std::min(rates[i], 1.0)) + 1;
    packed |= field << (kFieldBits * i);
  }
  return packed;
}

std::array<double, kNumPonsSets> unpack_pons_rates(int64_t packed) {
  std::array<double, kNumPonsSets> rates{};
  for (int i = 0; i < kNumPonsSets; ++i) {
    const int64_t field = (packed >> (kFieldBits * i)) & kFieldMask;
    rates[i] = field == 0 ? -1.0 : double(field - 1) / 1000;
  }
  return rates;
}

std::string format_pons_compact(int64_t packed_policy, int64_t packed_search) {
  const auto policy = unpack_pons_rates(packed_policy);
  const auto search = unpack_pons_rates(packed_search);
  std::string sets;
  for (int i = 0; i < kNumPonsSets; ++i) {
    if (policy[i] < 0 && search[i] < 0) continue;
    sets += std::string(" ") + pons_sets()[i].short_name + " " + percent(policy[i]) + "/" +
            percent(search[i]);
  }
  return sets.empty() ? "" : "pons err% policy/search" + sets;
}

}  // namespace zp::arena
