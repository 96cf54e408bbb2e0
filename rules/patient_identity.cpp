#include "rules/patient_identity.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <numeric>

#include "rules/dicom_text.hpp"

namespace acc::rules {
namespace {

using detail::quoted;
using detail::trim_spaces;

// Latin-1 Supplement U+00C0..U+00FF folded to ASCII upper case ("" = dropped, e.g. × and ÷).
constexpr std::array<std::string_view, 64> kLatin1 = {
    "A", "A", "A", "A", "A", "A", "AE", "C", "E", "E", "E", "E", "I", "I", "I",  "I",
    "D", "N", "O", "O", "O", "O", "O",  "",  "O", "U", "U", "U", "U", "Y", "TH", "SS",
    "A", "A", "A", "A", "A", "A", "AE", "C", "E", "E", "E", "E", "I", "I", "I",  "I",
    "D", "N", "O", "O", "O", "O", "O",  "",  "O", "U", "U", "U", "U", "Y", "TH", "Y"};

// Latin Extended-A U+0100..U+017F: pairs of upper/lower case letters, folded to their base.
constexpr std::string_view kLatinExtendedA =
    "AAAAAA"
    "CCCCCCCC"
    "DDDD"
    "EEEEEEEEEE"
    "GGGGGGGG"
    "HHHH"
    "IIIIIIIIII"
    "II"
    "JJ"
    "KKK"
    "LLLLLLLLLL"
    "NNNNNNNNN"
    "OOOOOOOO"
    "RRRRRR"
    "SSSSSSSS"
    "TTTTTT"
    "UUUUUUUUUUUU"
    "WW"
    "YYY"
    "ZZZZZZ"
    "S";
static_assert(kLatinExtendedA.size() == 0x80);

bool dropped(char c) {
  return c == ' ' || c == '-' || c == '\'' || c == '.' || c == ',';
}

// The code point of the UTF-8 sequence at s[i] (advancing i). A byte that does not start valid
// UTF-8 is read as ISO 8859-1: images are not converted to UTF-8 before matching, and ISO_IR 100
// is the usual non-ASCII character set of European names. Other sets then differ from the
// order's UTF-8 name, which holds the study: never a stamp.
char32_t next_code_point(std::string_view s, std::size_t& i) {
  const std::size_t start = i;
  const auto b0 = static_cast<unsigned char>(s[i++]);
  if (b0 < 0x80) {
    return b0;
  }
  int extra = b0 >= 0xF8 ? -1 : b0 >= 0xF0 ? 3 : b0 >= 0xE0 ? 2 : b0 >= 0xC0 ? 1 : -1;
  if (extra < 0) {
    return b0;
  }
  char32_t cp = b0 & (0x3F >> extra);
  for (; extra > 0; --extra) {
    if (i >= s.size() || (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      i = start + 1;
      return b0;
    }
    cp = (cp << 6) | (static_cast<unsigned char>(s[i++]) & 0x3F);
  }
  return cp;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool is_male_or_female(std::string_view sex) {
  return sex == "M" || sex == "F";
}

}  // namespace

std::string normalised_family_name(std::string_view person_name) {
  // PS3.5 6.2.1: component groups (alphabetic=ideographic=phonetic) split by '=', components by
  // '^'. Only the alphabetic family name is compared: consoles abbreviate and reorder given names.
  person_name = person_name.substr(0, person_name.find('='));
  person_name = trim_spaces(person_name.substr(0, person_name.find('^')));
  std::string out;
  out.reserve(person_name.size());
  for (std::size_t i = 0; i < person_name.size();) {
    const char32_t cp = next_code_point(person_name, i);
    if (cp < 0x80) {
      const char c = static_cast<char>(cp);
      if (!dropped(c)) {
        out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      }
    } else if (cp >= 0xC0 && cp <= 0xFF) {
      out += kLatin1[cp - 0xC0];
    } else if (cp >= 0x100 && cp < 0x100 + kLatinExtendedA.size()) {
      out += kLatinExtendedA[cp - 0x100];
    } else {
      append_utf8(out, cp);  // other scripts compare as written
    }
  }
  return out;
}

std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit) {
  const std::size_t gap = a.size() > b.size() ? a.size() - b.size() : b.size() - a.size();
  if (gap > limit) {
    return limit + 1;
  }
  // Optimal string alignment over three rows; names are short.
  std::vector<std::size_t> before(b.size() + 1);
  std::vector<std::size_t> previous(b.size() + 1);
  std::vector<std::size_t> current(b.size() + 1);
  std::iota(previous.begin(), previous.end(), std::size_t{0});
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    std::size_t row_min = current[0];
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        current[j] = std::min(current[j], before[j - 2] + 1);
      }
      row_min = std::min(row_min, current[j]);
    }
    if (row_min > limit) {
      return limit + 1;
    }
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return std::min(previous[b.size()], limit + 1);
}

std::vector<std::string> demographic_conflicts(const PatientIdentity& image,
                                               const PatientIdentity& order) {
  std::vector<std::string> conflicts;
  const auto image_birth = trim_spaces(image.birth_date);
  const auto order_birth = trim_spaces(order.birth_date);
  const bool births_agree = !image_birth.empty() && image_birth == order_birth;
  if (!image_birth.empty() && !order_birth.empty() && image_birth != order_birth) {
    conflicts.push_back("Patient's Birth Date " + quoted(image_birth) + " ≠ the order's " +
                        quoted(order_birth));
  }
  const auto image_sex = trim_spaces(image.sex);
  const auto order_sex = trim_spaces(order.sex);
  if (is_male_or_female(image_sex) && is_male_or_female(order_sex) && image_sex != order_sex) {
    conflicts.push_back("Patient's Sex " + quoted(image_sex) + " ≠ the order's " +
                        quoted(order_sex));
  }
  const std::string image_family = normalised_family_name(image.patient_name);
  const std::string order_family = normalised_family_name(order.patient_name);
  if (!image_family.empty() && !order_family.empty() && image_family != order_family) {
    const bool long_enough = image_family.size() >= 5 && order_family.size() >= 5;
    const bool one_typo =
        long_enough && births_agree && edit_distance(image_family, order_family, 1) <= 1;
    if (!one_typo) {
      conflicts.push_back("family name " + quoted(image_family) + " ≠ the order's " +
                          quoted(order_family) + " (normalised)");
    }
  }
  return conflicts;
}

std::vector<std::string> identity_conflicts(const PatientIdentity& a, const PatientIdentity& b) {
  std::vector<std::string> conflicts;
  const auto id_a = trim_spaces(a.patient_id);
  const auto id_b = trim_spaces(b.patient_id);
  if (id_a != id_b) {
    conflicts.push_back("Patient ID " + quoted(id_a) + " ≠ " + quoted(id_b));
  }
  const auto issuer_a = trim_spaces(a.issuer_of_patient_id);
  const auto issuer_b = trim_spaces(b.issuer_of_patient_id);
  if (!issuer_a.empty() && !issuer_b.empty() && issuer_a != issuer_b) {
    conflicts.push_back("Issuer of Patient ID " + quoted(issuer_a) + " ≠ " + quoted(issuer_b));
  }
  auto demographics = demographic_conflicts(a, b);
  conflicts.insert(conflicts.end(), demographics.begin(), demographics.end());
  return conflicts;
}

}  // namespace acc::rules
