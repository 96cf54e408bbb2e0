// `${...}` value templates of `set`, compiled once at load.
#include "rules/rule_detail.hpp"

namespace acc::rules::detail {

std::optional<std::vector<TemplatePart>> compile_template(std::string_view text, std::string& why) {
  std::vector<TemplatePart> parts;
  TemplatePart current;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t open = text.find("${", pos);
    if (open == std::string_view::npos) {
      current.literal.append(text.substr(pos));
      break;
    }
    current.literal.append(text.substr(pos, open - pos));
    const size_t close = text.find('}', open + 2);
    if (close == std::string_view::npos) {
      why = "unterminated '${' at offset " + std::to_string(open);
      return std::nullopt;
    }
    const std::string_view name = text.substr(open + 2, close - open - 2);
    if (name.empty()) {
      why = "empty '${}' at offset " + std::to_string(open);
      return std::nullopt;
    }
    const auto tag = dicom::data::tag_from_text(name);
    if (!tag) {
      why = std::string("'${").append(name).append(
          "}' names no attribute (a keyword of the DICOM dictionary or gggg,eeee)");
      return std::nullopt;
    }
    current.attribute = *tag;
    parts.push_back(std::move(current));
    current = TemplatePart{};
    pos = close + 1;
  }
  if (!current.literal.empty() || parts.empty()) {
    parts.push_back(std::move(current));
  }
  return parts;
}

}  // namespace acc::rules::detail
