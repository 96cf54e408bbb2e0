// Patient identity (issue 10, invariant 1): how family names are normalised, the edit distance
// behind the one-typo tolerance, and which demographics disagree.
#include "rules/patient_identity.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace acc::rules {
namespace {

PatientIdentity person(std::string name, std::string birth = "", std::string sex = "",
                       std::string id = "PAT1", std::string issuer = "") {
  return {std::move(id), std::move(issuer), std::move(name), std::move(birth), std::move(sex)};
}

std::string joined(const std::vector<std::string>& conflicts) {
  std::string out;
  for (const auto& c : conflicts) {
    out += (out.empty() ? "" : " | ") + c;
  }
  return out;
}

bool mentions(const std::vector<std::string>& conflicts, const std::string& part) {
  return joined(conflicts).find(part) != std::string::npos;
}

TEST(NormalisedFamilyName, UpperCaseWithoutSpacesAndPunctuation) {
  EXPECT_EQ(normalised_family_name("Doe"), "DOE");
  EXPECT_EQ(normalised_family_name("doe^john"), "DOE");
  EXPECT_EQ(normalised_family_name("  van der Berg ^Anna"), "VANDERBERG");
  EXPECT_EQ(normalised_family_name("VANDERBERG"), "VANDERBERG");
  EXPECT_EQ(normalised_family_name("O'Brien-Smith^J."), "OBRIENSMITH");
  EXPECT_EQ(normalised_family_name("St. John, Jr"), "STJOHNJR");
}

TEST(NormalisedFamilyName, OnlyTheFirstComponentOfTheAlphabeticGroup) {
  // Given names are abbreviated and reordered at consoles: never compared.
  EXPECT_EQ(normalised_family_name("Doe^John^Q^Dr^III"), "DOE");
  EXPECT_EQ(normalised_family_name("Yamada^Tarou=山田^太郎=やまだ^たろう"), "YAMADA");
  // No alphabetic family name: nothing to compare (no evidence either way).
  EXPECT_EQ(normalised_family_name("=山田^太郎"), "");
  EXPECT_EQ(normalised_family_name("^John"), "");
  EXPECT_EQ(normalised_family_name(""), "");
  EXPECT_EQ(normalised_family_name("   "), "");
}

TEST(NormalisedFamilyName, FoldsLatin1Accents) {
  EXPECT_EQ(normalised_family_name("Éluard^Paul"), "ELUARD");
  EXPECT_EQ(normalised_family_name("Müller"), "MULLER");
  EXPECT_EQ(normalised_family_name("MÜLLER"), "MULLER");
  EXPECT_EQ(normalised_family_name("Weiß"), "WEISS");
  EXPECT_EQ(normalised_family_name("Ørsted"), "ORSTED");
  EXPECT_EQ(normalised_family_name("Søndergaard"), "SONDERGAARD");
  EXPECT_EQ(normalised_family_name("Çelik"), "CELIK");
  EXPECT_EQ(normalised_family_name("Ñúñez"), "NUNEZ");
  EXPECT_EQ(normalised_family_name("Læstadius"), "LAESTADIUS");
}

TEST(NormalisedFamilyName, FoldsLatinExtendedA) {
  EXPECT_EQ(normalised_family_name("Łukasiewicz"), "LUKASIEWICZ");
  EXPECT_EQ(normalised_family_name("Šimek"), "SIMEK");
  EXPECT_EQ(normalised_family_name("Dvořák"), "DVORAK");
  EXPECT_EQ(normalised_family_name("Świątek"), "SWIATEK");
  EXPECT_EQ(normalised_family_name("Żółć"), "ZOLC");
  EXPECT_EQ(normalised_family_name("Öztürk-Yılmaz"), "OZTURKYILMAZ");
  EXPECT_EQ(normalised_family_name("Ő"), normalised_family_name("ő"));
  EXPECT_EQ(normalised_family_name("ſ"), "S");  // U+017F, the last of the block
  EXPECT_EQ(normalised_family_name("Ā"), "A");  // U+0100, the first
}

TEST(NormalisedFamilyName, ReadsBytesThatAreNotUtf8AsIso8859_1) {
  // Images are matched as received: an ISO_IR 100 name is Latin-1 bytes.
  EXPECT_EQ(normalised_family_name("M\xFCller"), "MULLER");
  EXPECT_EQ(normalised_family_name("M\xDCLLER^HANS"), "MULLER");
  EXPECT_EQ(normalised_family_name("\xC9luard"), "ELUARD");
  EXPECT_EQ(normalised_family_name("Wei\xDF"), "WEISS");
  EXPECT_EQ(normalised_family_name("\xD8rsted"), "ORSTED");
  EXPECT_EQ(normalised_family_name("Fran\xE7ois"), "FRANCOIS");
  // The same name in UTF-8 and in Latin-1 compares equal.
  EXPECT_EQ(normalised_family_name("Müller"), normalised_family_name("M\xFCller"));
}

TEST(NormalisedFamilyName, OtherScriptsCompareAsWritten) {
  EXPECT_EQ(normalised_family_name("Иванов^Иван"), "Иванов");
  EXPECT_NE(normalised_family_name("Иванов"), normalised_family_name("Петров"));
}

TEST(EditDistance, CountsInsertionsDeletionsSubstitutionsAndTranspositions) {
  EXPECT_EQ(edit_distance("MULLER", "MULLER", 1), 0u);
  EXPECT_EQ(edit_distance("MULLER", "MUELLER", 1), 1u);   // insertion
  EXPECT_EQ(edit_distance("MUELLER", "MULLER", 1), 1u);   // deletion
  EXPECT_EQ(edit_distance("SMITH", "SMYTH", 1), 1u);      // substitution
  EXPECT_EQ(edit_distance("JOHNSON", "JOHNSNO", 1), 1u);  // adjacent transposition
  EXPECT_EQ(edit_distance("AB", "BA", 1), 1u);
  EXPECT_EQ(edit_distance("KITTEN", "SITTING", 5), 3u);
  EXPECT_EQ(edit_distance("ABCD", "BADC", 5), 2u);
  EXPECT_EQ(edit_distance("", "ABC", 5), 3u);
  EXPECT_EQ(edit_distance("", "", 0), 0u);
  // Optimal string alignment: a transposed pair is not edited again (CA -> ABC is 3, not 2).
  EXPECT_EQ(edit_distance("CA", "ABC", 5), 3u);
}

TEST(EditDistance, StopsAboveTheLimit) {
  EXPECT_EQ(edit_distance("MEYER", "MAIER", 1), 2u);  // 2 edits, limit 1: limit + 1
  EXPECT_EQ(edit_distance("MEYER", "MAIER", 3), 2u);
  EXPECT_EQ(edit_distance("SCHMIDT", "SCHMITZ", 1), 2u);
  EXPECT_EQ(edit_distance("ABC", "", 1), 2u);               // the length gap alone
  EXPECT_EQ(edit_distance("ABCDEFGH", "HGFEDCBA", 2), 3u);  // early exit
  EXPECT_EQ(edit_distance("ABCDEFGH", "HGFEDCBA", 0), 1u);
  EXPECT_EQ(edit_distance("SAME", "SAME", 0), 0u);
}

TEST(DemographicConflicts, NothingOnEitherSideIsNoEvidence) {
  EXPECT_TRUE(demographic_conflicts(person(""), person("")).empty());
  EXPECT_TRUE(demographic_conflicts(person("DOE^JOHN", "19700101", "M"), person("")).empty());
  EXPECT_TRUE(demographic_conflicts(person(""), person("DOE^JOHN", "19700101", "M")).empty());
}

TEST(DemographicConflicts, BirthDate) {
  EXPECT_TRUE(demographic_conflicts(person("", "19700101"), person("", "19700101")).empty());
  EXPECT_TRUE(demographic_conflicts(person("", " 19700101 "), person("", "19700101")).empty());
  const auto c = demographic_conflicts(person("", "19700101"), person("", "19700110"));
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0], "Patient's Birth Date '19700101' ≠ the order's '19700110'");
}

TEST(DemographicConflicts, SexOnlyWhenBothAreMaleOrFemale) {
  const auto c = demographic_conflicts(person("", "", "M"), person("", "", "F"));
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0], "Patient's Sex 'M' ≠ the order's 'F'");
  for (const auto& [a, b] : std::vector<std::pair<std::string, std::string>>{
           {"M", "M"}, {"F", "F"}, {"M", "O"}, {"O", "F"}, {"F", ""}, {"", "M"}, {"O", ""}}) {
    EXPECT_TRUE(demographic_conflicts(person("", "", a), person("", "", b)).empty())
        << a << " vs " << b;
  }
}

TEST(DemographicConflicts, FamilyNameAfterNormalising) {
  EXPECT_TRUE(demographic_conflicts(person("DOE^JOHN"), person("doe^Jane")).empty());
  EXPECT_TRUE(demographic_conflicts(person("VANDERBERG"), person("van der Berg^Anna")).empty());
  EXPECT_TRUE(demographic_conflicts(person("M\xFCller^H"), person("MULLER^HANS")).empty());
  EXPECT_TRUE(demographic_conflicts(person("Łukasiewicz"), person("LUKASIEWICZ")).empty());
  const auto c = demographic_conflicts(person("DOE^JOHN"), person("ROE^JOHN"));
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0], "family name 'DOE' ≠ the order's 'ROE' (normalised)");
  // The ideographic group of one side does not make a difference with the other's.
  EXPECT_TRUE(demographic_conflicts(person("Yamada^Tarou=山田^太郎"), person("YAMADA")).empty());
}

TEST(DemographicConflicts, OneTypoOnlyWithFiveLettersAndTheSameBirthDate) {
  // One edit, both at least 5 characters, birth dates present and equal: tolerated.
  EXPECT_TRUE(
      demographic_conflicts(person("Schmidt", "19700101"), person("SCHMITT", "19700101")).empty());
  EXPECT_TRUE(
      demographic_conflicts(person("Smith", "19700101"), person("Smyth", "19700101")).empty());
  EXPECT_TRUE(demographic_conflicts(person("Jonhson", "19700101"), person("Johnson", "19700101"))
                  .empty());  // a transposition is one edit
  // Birth date missing on either side: the typo is not tolerated.
  EXPECT_EQ(demographic_conflicts(person("Schmidt"), person("SCHMITT", "19700101")).size(), 1u);
  EXPECT_EQ(demographic_conflicts(person("Schmidt", "19700101"), person("SCHMITT")).size(), 1u);
  EXPECT_EQ(demographic_conflicts(person("Schmidt"), person("SCHMITT")).size(), 1u);
  // Birth dates differ: two reasons.
  const auto both =
      demographic_conflicts(person("Schmidt", "19700101"), person("SCHMITT", "19700102"));
  EXPECT_EQ(both.size(), 2u) << joined(both);
  EXPECT_TRUE(mentions(both, "Birth Date"));
  EXPECT_TRUE(mentions(both, "family name 'SCHMIDT' ≠ the order's 'SCHMITT'"));
  // Too short (one side under 5): a different name, not a typo.
  EXPECT_EQ(demographic_conflicts(person("Dahl", "19700101"), person("DALL", "19700101")).size(),
            1u);
  EXPECT_EQ(demographic_conflicts(person("Smith", "19700101"), person("SMIT", "19700101")).size(),
            1u);
  // Two edits: another name.
  EXPECT_EQ(
      demographic_conflicts(person("Schmidt", "19700101"), person("SCHMITZ", "19700101")).size(),
      1u);
}

TEST(DemographicConflicts, EveryDisagreementIsListed) {
  const auto c = demographic_conflicts(person("DOE^JOHN", "19700101", "M"),
                                       person("ROE^JANE", "19800101", "F"));
  EXPECT_EQ(c.size(), 3u) << joined(c);
}

TEST(IdentityConflicts, SameIdNoIssuersSameDemographics) {
  EXPECT_TRUE(
      identity_conflicts(person("DOE^JOHN", "19700101", "M"), person("Doe^J", "19700101", "M"))
          .empty());
  // Absent demographics on one side are no evidence.
  EXPECT_TRUE(identity_conflicts(person(""), person("DOE^JOHN", "19700101", "M")).empty());
}

TEST(IdentityConflicts, AnotherPatientId) {
  const auto c = identity_conflicts(person("DOE", "", "", "PAT1"), person("DOE", "", "", "PAT2"));
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0], "Patient ID 'PAT1' ≠ 'PAT2'");
  // Trimmed, but case-sensitive like matching.
  EXPECT_TRUE(identity_conflicts(person("", "", "", " PAT1 "), person("", "", "", "PAT1")).empty());
  EXPECT_EQ(identity_conflicts(person("", "", "", "pat1"), person("", "", "", "PAT1")).size(), 1u);
}

TEST(IdentityConflicts, IssuerOnlyWhereBothNameOne) {
  const auto c = identity_conflicts(person("", "", "", "PAT1", "HOSP_A"),
                                    person("", "", "", "PAT1", "HOSP_B"));
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0], "Issuer of Patient ID 'HOSP_A' ≠ 'HOSP_B'");
  EXPECT_TRUE(
      identity_conflicts(person("", "", "", "PAT1", "HOSP_A"), person("", "", "", "PAT1")).empty());
  EXPECT_TRUE(
      identity_conflicts(person("", "", "", "PAT1"), person("", "", "", "PAT1", "HOSP_B")).empty());
}

TEST(IdentityConflicts, IncludeTheDemographics) {
  const auto c = identity_conflicts(person("DOE", "19700101", "M", "PAT1", "HOSP_A"),
                                    person("ROE", "19700101", "F", "PAT2", "HOSP_B"));
  EXPECT_EQ(c.size(), 4u) << joined(c);
  EXPECT_TRUE(mentions(c, "Patient ID"));
  EXPECT_TRUE(mentions(c, "Issuer of Patient ID"));
  EXPECT_TRUE(mentions(c, "Patient's Sex"));
  EXPECT_TRUE(mentions(c, "family name"));
}

}  // namespace
}  // namespace acc::rules
