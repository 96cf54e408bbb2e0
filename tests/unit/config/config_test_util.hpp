#pragma once
// Helpers shared by the config tests: parse text and look at the ConfigError it throws.

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "config/config.hpp"

namespace acc::config::testing {

struct Failure {
  bool thrown = false;
  std::string file;
  uint32_t line = 0;
  uint32_t column = 0;
  std::string message;
  std::string what;
};

inline Failure parse_failure(const std::string& text, const std::string& name = "test.toml") {
  Failure f;
  try {
    (void)parse(text, name);
  } catch (const ConfigError& e) {
    f = {true, e.file(), e.line(), e.column(), e.message(), e.what()};
  }
  return f;
}

// Asserts that `text` is rejected at `line` with a message containing `needle`.
inline void expect_error(const std::string& text, uint32_t line, const std::string& needle) {
  const Failure f = parse_failure(text);
  ASSERT_TRUE(f.thrown) << "accepted:\n" << text;
  EXPECT_EQ(f.line, line) << f.what;
  EXPECT_NE(f.message.find(needle), std::string::npos)
      << "message: " << f.message << "\nexpected to contain: " << needle;
}

inline RouterConfig parse_ok(const std::string& text) {
  try {
    return parse(text, "test.toml");
  } catch (const ConfigError& e) {
    ADD_FAILURE() << "rejected: " << e.what();
    return {};
  }
}

}  // namespace acc::config::testing
