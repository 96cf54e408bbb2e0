#pragma once
// Result<T>: the return type of everything that handles bytes from a peer or talks to the disk.
// Decoders never throw (docs/architecture.md, "Errors"); they return an Error whose code names
// the module's error enum, so a caller can map it to an A-ABORT reason or a DIMSE status.

#include <expected>
#include <string>
#include <system_error>
#include <utility>

namespace acc {

struct Error {
  std::error_code code;
  std::string detail;  // human context: which field, which value; never patient data

  // "category: message (detail)" for logs and CLI output.
  [[nodiscard]] std::string message() const;
};

template <class T>
using Result = std::expected<T, Error>;

// The unexpected value for a failed Result: `return fail(UlErrc::truncated, "PDV header");`
template <class E>
[[nodiscard]] std::unexpected<Error> fail(E code, std::string detail = {}) {
  return std::unexpected<Error>(Error{make_error_code(code), std::move(detail)});
}
[[nodiscard]] inline std::unexpected<Error> fail(Error e) {
  return std::unexpected<Error>(std::move(e));
}

}  // namespace acc
