#include "router/cli/export_name.hpp"

#include <fmt/format.h>

#include "dicom/data/uid.hpp"

namespace acc::router {

std::string export_file_name(std::string_view uid, std::size_t ordinal) {
  if (dicom::data::is_uid(uid)) {
    return std::string(uid) + ".dcm";
  }
  return fmt::format("nonconforming-{}.dcm", ordinal);
}

std::string escape_for_terminal(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7F || c == '\\') {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace acc::router
