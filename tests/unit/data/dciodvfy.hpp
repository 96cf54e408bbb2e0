#pragma once
// David Clunie's IOD validator (Debian package dicom3tools) as a test oracle: the "Error" lines it
// prints for a file, so a test can compare an instance before and after we changed it.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

namespace acc::dicom::data::test {

inline const std::filesystem::path kDciodvfy = "/usr/bin/dciodvfy";

inline std::set<std::string> dciodvfy_errors(const std::filesystem::path& file) {
  std::set<std::string> errors;
  const std::string command = kDciodvfy.string() + " '" + file.string() + "' 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "cannot run dciodvfy";
    return errors;
  }
  std::array<char, 4096> line{};
  while (fgets(line.data(), static_cast<int>(line.size()), pipe) != nullptr) {
    std::string l(line.data());
    if (l.rfind("Error", 0) == 0) {
      errors.insert(l);
    }
  }
  pclose(pipe);
  return errors;
}

inline void write_file(const std::filesystem::path& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

}  // namespace acc::dicom::data::test
