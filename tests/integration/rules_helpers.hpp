#pragma once
// Shared pieces of the site rule tests (issue 5): rule files next to the server's configuration
// and reading attributes of a received file (sending from a chosen calling AE: send_ok in
// stamping_helpers.hpp).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "dicom/data/data_set.hpp"
#include "dicom/data/part10.hpp"
#include "tests/integration/stamping_helpers.hpp"

namespace acc::test {

// The [rules] table every rule test uses: globs relative to the configuration file's directory.
inline constexpr const char* kRulesTable = "[rules]\nfiles = [\"rules.d/*.toml\"]\n";

// Where a rule file of `server` lives (as the server names it in messages).
inline std::filesystem::path rules_file(const AccessionerProcess& server, const std::string& name) {
  return server.dir() / "rules.d" / name;
}

// Writes a rule file atomically: a hidden temporary (the glob skips dot files), then a rename, so
// a reload never reads half a file.
inline void write_rules(const AccessionerProcess& server, const std::string& name,
                        const std::string& toml) {
  const auto path = rules_file(server, name);
  std::filesystem::create_directories(path.parent_path());
  const auto temporary = path.parent_path() / ("." + name + ".tmp");
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << toml;
  }
  std::filesystem::rename(temporary, path);
}

// A Part-10 file parsed with the product's data set reader (top-level attributes as text).
inline dicom::data::DataSet parse_file(const std::filesystem::path& file) {
  const std::vector<uint8_t> bytes = read_bytes(file);
  auto view = dicom::data::split_part10(bytes);
  if (!view) {
    throw std::runtime_error(file.string() + ": not Part-10: " + view.error().message());
  }
  auto parsed = dicom::data::DataSet::parse(view->data_set, view->meta.transfer_syntax_uid);
  if (!parsed) {
    throw std::runtime_error(file.string() + ": unparsable: " + parsed.error().message());
  }
  return std::move(*parsed);
}

// The lines of a text, without their line ends.
inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    out.push_back(line);
  }
  return out;
}

}  // namespace acc::test
