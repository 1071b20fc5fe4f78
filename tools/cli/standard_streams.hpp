// "-" as a file name: standard input for an input (checksum -, inspect -),
// standard output for an output (diff -o -, patch -o -). The commands take
// paths, so standard input is first copied whole to a temporary file, and an
// output is written to one and then copied out.
#pragma once

#include <filesystem>
#include <optional>
#include <ostream>
#include <string>

#include "core/error.hpp"
#include "core/files.hpp"

namespace dfota::cli {

// A temporary directory holding one file, removed on destruction.
class StandardStreamFile {
public:
  // Copies all of the process's standard input into a new temporary file.
  static Expected<StandardStreamFile> from_standard_input();
  // An empty temporary file for an output that goes to standard output.
  static Expected<StandardStreamFile> for_standard_output();

  const std::filesystem::path& path() const { return path_; }
  // Copies the file to `out` and flushes it.
  Status copy_to(std::ostream& out) const;

private:
  StandardStreamFile(TempDir dir, std::filesystem::path path) : dir_(std::move(dir)), path_(std::move(path)) {}
  TempDir dir_;
  std::filesystem::path path_;
};

// The path to read for the argument `argument`: itself, or for "-" a copy of
// standard input, made once into `standard_input` and reused after that.
Expected<std::string> path_to_read(const std::string& argument, std::optional<StandardStreamFile>& standard_input);

} // namespace dfota::cli
