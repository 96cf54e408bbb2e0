#pragma once
// The file `queue export` writes an instance to (issue 12: a UID is data, never a path). A SOP
// Instance UID that is a UID (PS3.5 §9.1: digits and dots) is its own name; anything else, which
// a store written before receive checked UIDs may hold, gets a numbered name that cannot leave
// the directory, and the UID is printed escaped beside it.
#include <cstddef>
#include <string>
#include <string_view>

namespace acc::router {

// `<uid>.dcm`, or `nonconforming-<ordinal>.dcm` when `uid` is not a UID.
[[nodiscard]] std::string export_file_name(std::string_view uid, std::size_t ordinal);
// `text` with every byte outside printable ASCII (and the backslash) as \xHH: safe on a terminal.
[[nodiscard]] std::string escape_for_terminal(std::string_view text);

}  // namespace acc::router
