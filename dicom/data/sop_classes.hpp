#pragma once
// What Accessioner accepts as a Storage SCP, taken from DCMTK's dictionary so that a DCMTK update
// brings new SOP classes and transfer syntaxes without code changes here.
#include <string>
#include <string_view>
#include <vector>

namespace acc::dicom::data {

inline constexpr const char* kVerificationSopClass = "1.2.840.10008.1.1";
inline constexpr const char* kModalityWorklistFind = "1.2.840.10008.5.1.4.31";
inline constexpr const char* kImplicitVrLittleEndian = "1.2.840.10008.1.2";
inline constexpr const char* kExplicitVrLittleEndian = "1.2.840.10008.1.2.1";
inline constexpr const char* kDeflatedExplicitVrLittleEndian = "1.2.840.10008.1.2.1.99";
inline constexpr const char* kExplicitVrBigEndian = "1.2.840.10008.1.2.2";

// Every storage SOP class DCMTK knows (dcmAllStorageSOPClassUIDs).
[[nodiscard]] const std::vector<std::string>& storage_sop_classes();
[[nodiscard]] bool is_storage_sop_class(std::string_view uid);

// True for transfer syntaxes DCMTK can parse a data set in: the uncompressed ones, deflate, and
// the encapsulated (JPEG family, JPEG-LS, JPEG 2000, RLE, MPEG/HEVC) ones whose pixel data it
// passes through as fragments.
[[nodiscard]] bool can_parse_transfer_syntax(std::string_view uid);

// "CT Image Storage", or the UID itself when DCMTK does not know it. For logs and the CLI.
[[nodiscard]] std::string uid_name(std::string_view uid);

}  // namespace acc::dicom::data
