#pragma once
// Helper to declare a module's error enum as a std::error_code category in a few lines.
#include <string>
#include <system_error>

namespace acc {

// Category whose messages come from a function `const char* describe(E)`.
template <class E, const char* (*Describe)(E)>
class EnumCategory final : public std::error_category {
 public:
  explicit EnumCategory(const char* name) : name_(name) {}
  const char* name() const noexcept override { return name_; }
  std::string message(int v) const override { return Describe(static_cast<E>(v)); }

 private:
  const char* name_;
};

}  // namespace acc
