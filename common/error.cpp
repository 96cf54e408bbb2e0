#include "common/result.hpp"

namespace acc {

std::string Error::message() const {
  std::string out = code ? std::string(code.category().name()) + ": " + code.message() : "ok";
  if (!detail.empty()) {
    out += " (" + detail + ")";
  }
  return out;
}

}  // namespace acc
