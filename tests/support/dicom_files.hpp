#pragma once
// DICOM sample files and comparisons for integration tests (DCMTK based).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace acc::test {

inline constexpr const char* kPydicomTestFiles =
    "/usr/lib/python3/dist-packages/pydicom/data/test_files";
// The two samples most tests send, Explicit VR Little Endian: CT_small (Patient ID 1CT1) and
// MR_small.
inline const std::filesystem::path kCtSmall =
    std::filesystem::path(kPydicomTestFiles) / "CT_small.dcm";
inline const std::filesystem::path kMrSmall =
    std::filesystem::path(kPydicomTestFiles) / "MR_small.dcm";
// Their SOP classes (dicom/data/sop_classes.hpp has only what the product itself names).
inline constexpr const char* kCtImageStorage = "1.2.840.10008.5.1.4.1.1.2";
inline constexpr const char* kMrImageStorage = "1.2.840.10008.5.1.4.1.1.4";

struct SampleFile {
  std::filesystem::path path;
  std::string sop_class_uid;           // (0002,0002): what a sender proposes
  std::string data_set_sop_class_uid;  // (0008,0016): what a sender puts in the C-STORE
  std::string sop_instance_uid;        // (0008,0018)
  std::string transfer_syntax_uid;
  std::string patient_id;  // (0010,0020), "" if absent
};

// Every file directly in `dir` (not in subdirectories) that DCMTK loads completely, whose
// (0002,0002) is one of DCMTK's storage SOP classes and whose data set has (0008,0016) and
// (0008,0018) as UI elements (two pydicom samples carry them as UN: senders then put garbage in
// the C-STORE request). Sorted by file name, so "sent last" is well defined.
[[nodiscard]] std::vector<SampleFile> select_storage_samples(
    const std::filesystem::path& dir = kPydicomTestFiles);

// Dump of a file's data set with dcmdump (+L: full values, +E: print damaged files too), file
// meta group (0002,xxxx) and comment lines dropped. `log` receives dcmdump's output.
[[nodiscard]] std::string dcmdump_data_set(const std::filesystem::path& file,
                                           const std::filesystem::path& scratch_dir);

// The same dump reduced to what does not depend on the encoding: no trailing
// "# length, VM, name" comment, no explicit/undefined length markers on sequences and items, no
// delimitation items, no group length elements and no Data Set Trailing Padding (fffc,fffc).
[[nodiscard]] std::string ts_independent(const std::string& dump);

// The data set of a file as DCMTK sees it after a round trip through Implicit VR Little Endian
// (uncompressed transfer syntaxes only; encapsulated ones are printed as they are), printed with
// full values like `dcmdump +L` and reduced by ts_independent(). Two files compare equal when they
// hold the same elements and values, whatever transfer syntax, VR encoding (pixel data OB/OW,
// explicit VRs of private elements), sequence length encoding or group lengths each sender chose.
[[nodiscard]] std::string canonical_dump(const std::filesystem::path& file);

// Writes `count` copies of `source` into `dir` with fresh SOP Instance UIDs (data set and meta).
// Returns (path, SOP Instance UID) in order.
struct CopiedFile {
  std::filesystem::path path;
  std::string sop_instance_uid;
};
[[nodiscard]] std::vector<CopiedFile> make_unique_copies(const std::filesystem::path& source,
                                                         const std::filesystem::path& dir,
                                                         std::size_t count);

// Reads a whole file.
[[nodiscard]] std::vector<uint8_t> read_bytes(const std::filesystem::path& file);

// The data set bytes (after the meta information) of a Part-10 file plus its transfer syntax.
struct DataSetBytes {
  std::string sop_class_uid;
  std::string sop_instance_uid;
  std::string transfer_syntax_uid;
  std::vector<uint8_t> bytes;
};
[[nodiscard]] DataSetBytes read_data_set(const std::filesystem::path& part10_file);

// Loads a Part-10 file, applies `patient_id` and adds a private-free padding element so the
// encoding length changes, and returns its data set encoded in Explicit VR Little Endian.
[[nodiscard]] DataSetBytes modified_data_set(const std::filesystem::path& part10_file,
                                             const std::string& patient_id,
                                             const std::string& image_comments);

// A small CT Image Storage data set (a few hundred bytes, no pixel data) with a fresh SOP
// Instance UID, in Explicit VR Little Endian.
[[nodiscard]] DataSetBytes small_ct_data_set(const std::string& patient_id);
// `part10_file`'s data set with its SOP Instance UID set to `uid`, taken as given (no checks):
// what a hostile or broken peer sends.
[[nodiscard]] DataSetBytes data_set_with_sop_instance_uid(const std::filesystem::path& part10_file,
                                                          const std::string& uid);

// A Modality Worklist universal query identifier (empty matching keys, Scheduled Procedure Step
// Sequence with one item of empty keys), encoded in `transfer_syntax_uid`.
[[nodiscard]] std::vector<uint8_t> worklist_universal_query(const std::string& transfer_syntax_uid);

// Value of a top-level string attribute of an encoded data set ("" if absent).
[[nodiscard]] std::string data_set_string(const std::vector<uint8_t>& bytes,
                                          const std::string& transfer_syntax_uid, uint16_t group,
                                          uint16_t element);

}  // namespace acc::test
