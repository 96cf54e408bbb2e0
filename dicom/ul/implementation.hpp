#pragma once
// Accessioner's identity in A-ASSOCIATE user information (0x52, 0x55) and in Part-10 meta
// information (0002,0012), (0002,0013). The class UID is a 2.25 UUID-derived UID (PS3.5 B.2).
namespace acc::dicom {

inline constexpr const char* kImplementationClassUid =
    "2.25.203407418769236522548356003501124242473";
inline constexpr const char* kImplementationVersionName = "ACCESSIONER_010";

}  // namespace acc::dicom
