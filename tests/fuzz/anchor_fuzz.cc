// Fuzzes anchor matching (ResolveAnchor). Input: "start end" 0x1E exact
// 0x1E prefix 0x1E suffix 0x1E section text; a first field that is not two
// integers means start = end = 0 (find by text).
//
// Invariants: errors are INVALID_ARGUMENT, or INTERNAL (for a section text
// that is not UTF-8, which the server never stores); a resolved anchor has
// 0 <= start < end, keeps the caller's exact and any prefix or suffix given,
// and, for a text the service would store, resolves again to itself by its
// offsets.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/util/message_differencer.h"
#include "services/comments/anchor.h"
#include "services/common/validation.h"
#include "tests/fuzz/fuzz_check.h"

namespace cdc::comments {
namespace {

using ::cdc::fuzz::Check;

void Run(absl::string_view input) {
  const auto fields = fuzz::Fields(input, 5);
  cdc::v1::TextAnchor anchor;
  std::vector<absl::string_view> offsets =
      absl::StrSplit(fields[0], absl::MaxSplits(' ', 1));
  int32_t start = 0;
  int32_t end = 0;
  if (offsets.size() == 2 && absl::SimpleAtoi(offsets[0], &start) &&
      absl::SimpleAtoi(offsets[1], &end)) {
    anchor.set_start(start);
    anchor.set_end(end);
  }
  anchor.set_exact(std::string(fields[1]));
  anchor.set_prefix(std::string(fields[2]));
  anchor.set_suffix(std::string(fields[3]));
  const absl::string_view text = fields[4];

  absl::StatusOr<cdc::v1::TextAnchor> resolved = ResolveAnchor(anchor, text);
  if (!resolved.ok()) {
    const absl::StatusCode code = resolved.status().code();
    Check(code == absl::StatusCode::kInvalidArgument ||
              code == absl::StatusCode::kInternal,
          "ResolveAnchor: unexpected code");
    return;
  }
  Check(resolved->start() >= 0 && resolved->start() < resolved->end(),
        "ResolveAnchor: offsets out of order");
  Check(resolved->exact() == anchor.exact(), "ResolveAnchor: exact changed");
  if (!anchor.prefix().empty()) {
    Check(resolved->prefix() == anchor.prefix(), "prefix not kept");
  }
  if (!anchor.suffix().empty()) {
    Check(resolved->suffix() == anchor.suffix(), "suffix not kept");
  }
  // A stored anchor is found again, at the same place, by its offsets:
  // for the texts the service stores, which CheckText has passed (no
  // control characters but newline and tab) when the draft was imported;
  // context filled in from other texts may hold what an anchor may not.
  if (!CheckText("text", text, 0, text.size(), TextKind::kMultiLine).ok()) {
    return;
  }
  absl::StatusOr<cdc::v1::TextAnchor> again = ResolveAnchor(*resolved, text);
  Check(again.ok(), "a resolved anchor does not resolve again");
  Check(google::protobuf::util::MessageDifferencer::Equals(*again, *resolved),
        "a resolved anchor resolves to another one");
}

}  // namespace
}  // namespace cdc::comments

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cdc::comments::Run(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
