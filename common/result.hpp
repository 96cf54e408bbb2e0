#pragma once
// Result<T>: the return type of everything that handles bytes from a peer or talks to the disk.
// Decoders never throw (docs/architecture.md, "Errors"); they return an Error whose code names
// the module's error enum, so a caller can map it to an A-ABORT reason or a DIMSE status.
// Build failures with `fail(...)`, never with std::unexpected directly: the fuzz build (clang 14)
// has no std::expected and uses common/expected_fallback.hpp instead.

#include <string>
#include <system_error>
#include <utility>
#include <version>

#if defined(__cpp_lib_expected)
#include <expected>
#else
#include "common/expected_fallback.hpp"
#endif

namespace acc {

struct Error {
  std::error_code code;
  std::string detail;  // human context: which field, which value; never patient data

  // "category: message (detail)" for logs and CLI output.
  [[nodiscard]] std::string message() const;
};

#if defined(__cpp_lib_expected)
template <class T>
using Result = std::expected<T, Error>;
using FailedResult = std::unexpected<Error>;
#else
template <class T>
using Result = Expected<T, Error>;
using FailedResult = Unexpected<Error>;
#endif

// The unexpected value for a failed Result: `return fail(UlErrc::truncated, "PDV header");`
template <class E>
[[nodiscard]] FailedResult fail(E code, std::string detail = {}) {
  return FailedResult(Error{make_error_code(code), std::move(detail)});
}
[[nodiscard]] inline FailedResult fail(Error e) {
  return FailedResult(std::move(e));
}

}  // namespace acc
