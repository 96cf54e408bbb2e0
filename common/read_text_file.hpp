#pragma once
// Reading a whole text file (configuration, rule files) with a size cap, so a mistaken path (a
// disk image, /dev/zero) cannot eat the memory. Control plane only.
#include <cstddef>
#include <string>

#include "common/result.hpp"

namespace acc {

// The file's bytes, or an error whose detail reads "cannot read file: <reason>" (the OS reason,
// or "larger than N MiB").
[[nodiscard]] Result<std::string> read_text_file(const std::string& path, std::size_t max_bytes);

}  // namespace acc
