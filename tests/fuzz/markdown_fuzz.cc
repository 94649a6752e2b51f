// Fuzzes the draft importer's Markdown parser (ParseDraft) and the key
// derivation (SlugKey). Input: the document itself; its first byte, when
// it is a digit, picks small limits (so that every limit's error path is
// reached with small inputs) and is not part of the document then.
//
// Invariants: errors are INVALID_ARGUMENT starting "markdown: "; a parsed
// draft has 1..max_sections sections in order, levels 1..6, valid and
// unique keys, each parent an earlier section of a lower level; SlugKey is
// always a valid key.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "services/consultations/markdown.h"
#include "tests/fuzz/fuzz_check.h"

namespace cdc::consultations {
namespace {

using ::cdc::fuzz::Check;

bool ValidKey(absl::string_view key) {
  if (key.empty() || key.size() > 64 || key[0] == '-') return false;
  for (char c : key) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      return false;
    }
  }
  return true;
}

void Run(absl::string_view input) {
  DraftLimits limits;
  if (!input.empty() && input[0] >= '0' && input[0] <= '9') {
    const size_t n = static_cast<size_t>(input[0] - '0') + 1;
    limits.max_bytes = 64 * n;
    limits.max_sections = n;
    limits.max_title = 4 * n;
    limits.max_text = 16 * n;
    input.remove_prefix(1);
  }
  Check(ValidKey(SlugKey(input)), "SlugKey gave an invalid key");

  absl::StatusOr<ParsedDraft> draft = ParseDraft(input, limits);
  if (!draft.ok()) {
    Check(draft.status().code() == absl::StatusCode::kInvalidArgument,
          "ParseDraft: not INVALID_ARGUMENT");
    Check(absl::StartsWith(draft.status().message(), "markdown: "),
          "ParseDraft: message without \"markdown: \"");
    return;
  }
  const auto& sections = draft->sections;
  Check(!sections.empty() && sections.size() <= limits.max_sections,
        "ParseDraft: section count out of bounds");
  absl::flat_hash_map<std::string, int> level_of;
  for (size_t i = 0; i < sections.size(); ++i) {
    const ParsedSection& s = sections[i];
    Check(s.order == static_cast<int>(i), "ParseDraft: order");
    Check(s.level >= 1 && s.level <= 6, "ParseDraft: level");
    Check(ValidKey(s.key), "ParseDraft: invalid key");
    Check(!s.title.empty(), "ParseDraft: empty title");
    Check(s.line >= 1, "ParseDraft: line");
    if (!s.parent_key.empty()) {
      auto parent = level_of.find(s.parent_key);
      Check(parent != level_of.end() && parent->second < s.level,
            "ParseDraft: parent not an earlier, lower section");
    }
    Check(level_of.emplace(s.key, s.level).second, "ParseDraft: key twice");
  }
}

}  // namespace
}  // namespace cdc::consultations

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cdc::consultations::Run(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
