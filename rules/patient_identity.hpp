#pragma once
// Whether an image and a worklist order (or two images) are the same patient (issue 10,
// invariant 1). Pure and strict on purpose: a disagreement is a hold for a person, never a stamp.
// The contract, and why each tolerance is what it is, is in docs/matching.md.
#include <string>
#include <string_view>
#include <vector>

namespace acc::rules {

struct PatientIdentity {
  std::string patient_id;            // (0010,0020)
  std::string issuer_of_patient_id;  // (0010,0021)
  std::string patient_name;          // (0010,0010) PN, UTF-8
  std::string birth_date;            // (0010,0030) DA
  std::string sex;                   // (0010,0040) M, F, O or empty
  bool operator==(const PatientIdentity&) const = default;
};

// The family name as compared: the first component of the first component group, upper case,
// Latin accents removed (É -> E, ß -> SS, Ø -> O), and spaces, '-', '\'', '.' and ',' dropped.
// "van der Berg^Anna" and "VANDERBERG" compare equal; "Müller" and "MULLER" too.
[[nodiscard]] std::string normalised_family_name(std::string_view person_name);

// Edit distance with adjacent transpositions (optimal string alignment), stopping early once
// above `limit` (returns limit + 1 then). On bytes: callers pass normalised names.
[[nodiscard]] std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit);

// Why the demographics of `image` and `order` cannot be the same person; empty when nothing
// both sides carry disagrees. Checked: birth date (when both have one); sex (when both are M or
// F); family name after normalising, with one typo (one edit) tolerated only when both names have
// at least 5 characters and both sides carry the same birth date. A side without a value is no
// evidence either way.
[[nodiscard]] std::vector<std::string> demographic_conflicts(const PatientIdentity& image,
                                                             const PatientIdentity& order);

// Why two identities (two instances of one study) are not the same patient: another Patient ID,
// another Issuer of Patient ID where both name one, or demographic_conflicts(). Empty = same.
[[nodiscard]] std::vector<std::string> identity_conflicts(const PatientIdentity& a,
                                                          const PatientIdentity& b);

}  // namespace acc::rules
