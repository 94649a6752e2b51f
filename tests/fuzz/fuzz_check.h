// What the fuzz targets share: a check that aborts with a message, so that
// a broken invariant is a crash libFuzzer reports and keeps (an assert would
// vanish in a release build), and the split of one input into fields.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

// In the sanitizer runtime when there is one (build-asan), else null.
extern "C" void __sanitizer_report_error_summary(const char* summary)
    __attribute__((weak));

namespace cdc::fuzz {

// Aborts with `what` when `condition` is false.
inline void Check(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
  // Also through the sanitizer runtime, whose report descriptor libFuzzer
  // keeps open when -close_fd_mask=2 closes the target's stderr.
  if (__sanitizer_report_error_summary != nullptr) {
    __sanitizer_report_error_summary(what);
  }
  std::abort();
}

// Splits an input into at most `count` fields at the byte 0x1E (ASCII
// record separator), which seeds can write as \x1e and text rarely holds;
// missing fields are "".
inline std::vector<absl::string_view> Fields(absl::string_view input,
                                             size_t count) {
  std::vector<absl::string_view> fields =
      absl::StrSplit(input, absl::MaxSplits('\x1e', count - 1));
  fields.resize(count);
  return fields;
}

}  // namespace cdc::fuzz
