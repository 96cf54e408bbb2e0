#pragma once
// One name table per enum, and the only way its values become text and come back: logs, JSON,
// the CLI, configuration files and metric labels all go through enum_name()/parse_enum(), so a
// label set or an accepted config word cannot drift from the enum.
//
// Each enum specialises EnumNames in namespace acc:
//   template <> struct EnumNames<queue::RecordState> {
//     static constexpr std::array names{std::pair{queue::RecordState::stored, "stored"}, ...};
//   };
#include <array>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace acc {

template <class E>
struct EnumNames;

template <class E>
concept NamedEnum = std::is_enum_v<E> && requires {
  EnumNames<E>::names;
};

template <NamedEnum E>
[[nodiscard]] constexpr std::string_view enum_name(E value) {
  for (const auto& [e, name] : EnumNames<E>::names) {
    if (e == value) {
      return name;
    }
  }
  return "?";  // only for a value cast from an out-of-range integer
}

template <NamedEnum E>
[[nodiscard]] constexpr std::optional<E> parse_enum(std::string_view text) {
  for (const auto& [e, name] : EnumNames<E>::names) {
    if (name == text) {
      return e;
    }
  }
  return std::nullopt;
}

// Every value in table order (metric label sets, "is not one of ..." messages).
template <NamedEnum E>
[[nodiscard]] std::vector<std::string_view> enum_names() {
  std::vector<std::string_view> out;
  for (const auto& [e, name] : EnumNames<E>::names) {
    out.push_back(name);
  }
  return out;
}

template <NamedEnum E>
[[nodiscard]] constexpr std::array<E, EnumNames<E>::names.size()> enum_values() {
  std::array<E, EnumNames<E>::names.size()> out{};
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = EnumNames<E>::names[i].first;
  }
  return out;
}

}  // namespace acc
