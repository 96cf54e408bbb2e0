#pragma once
// The [matching] policies (and the per-rule overrides of them in rules/) as types, with their
// configuration words in one table each (common/enum_names.hpp).
#include <array>
#include <string_view>
#include <utility>

#include "common/enum_names.hpp"

namespace acc::config {

// An instance that arrives with an Accession Number of its own.
enum class ExistingAccessionPolicy {
  keep,       // forward it as it is; the worklist is not asked
  verify,     // match anyway; a different accession in the worklist holds the study
  overwrite,  // stamp the worklist's accession over it; the old value goes to Original Attributes
};

// An instance with no order (unmatched) or several (ambiguous).
enum class UnmatchedPolicy {
  hold,     // store, do not forward; re-matched on every refresh, then after_hold
  forward,  // forward unstamped
  reject,   // answer C-STORE 0xC100, store nothing
};

// A study still held after hold_s.
enum class AfterHoldPolicy {
  forward,     // forward it unstamped
  quarantine,  // keep it until a person decides (hold assign / release)
};

}  // namespace acc::config

namespace acc {

template <>
struct EnumNames<config::ExistingAccessionPolicy> {
  using E = config::ExistingAccessionPolicy;
  static constexpr std::array names{std::pair{E::keep, std::string_view("keep")},
                                    std::pair{E::verify, std::string_view("verify")},
                                    std::pair{E::overwrite, std::string_view("overwrite")}};
};
template <>
struct EnumNames<config::UnmatchedPolicy> {
  using E = config::UnmatchedPolicy;
  static constexpr std::array names{std::pair{E::hold, std::string_view("hold")},
                                    std::pair{E::forward, std::string_view("forward")},
                                    std::pair{E::reject, std::string_view("reject")}};
};
template <>
struct EnumNames<config::AfterHoldPolicy> {
  using E = config::AfterHoldPolicy;
  static constexpr std::array names{std::pair{E::forward, std::string_view("forward")},
                                    std::pair{E::quarantine, std::string_view("quarantine")}};
};

}  // namespace acc
