// A plain-text table with aligned columns, for terminal output.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace dfota::cli {

class TextTable {
public:
  enum class Align { left, right };
  // One header per column; `align` may be shorter (missing columns align left).
  TextTable(std::vector<std::string> headers, std::vector<Align> align = {});
  void add_row(std::vector<std::string> cells);
  // Columns separated by two spaces, no trailing spaces.
  void print(std::ostream& out) const;

private:
  std::vector<std::string> headers_;
  std::vector<Align> align_;
  std::vector<std::vector<std::string>> rows_;
};

} // namespace dfota::cli
