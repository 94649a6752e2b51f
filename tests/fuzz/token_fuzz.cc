// Fuzzes the decoding of the opaque tokens clients send back: list page
// tokens (DecodePageToken) and the partner feed's event cursors
// (DecodeEventCursor), and the stream and event ids a Last-Event-ID header
// carries (ParseStreamId, ParseEventId). Input: filters 0x1E token; the
// whole input is also tried as a cursor and as each kind of id.
//
// Invariants: errors are INVALID_ARGUMENT starting "page_token: " or
// "cursor: "; encoding round-trips (any filters, any position of up to 700
// bytes, any decoded cursor); a decoded cursor re-encodes to a cursor that
// decodes equal; a parsed id prints back as the same text (ids are canonical).
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "services/common/event_consumer.h"
#include "services/common/page_token.h"
#include "services/notifications/event_cursor.h"
#include "tests/fuzz/fuzz_check.h"

namespace cdc {
namespace {

using ::cdc::fuzz::Check;

void Run(absl::string_view input) {
  const auto fields = fuzz::Fields(input, 2);
  const absl::string_view filters = fields[0];
  const absl::string_view token = fields[1];

  absl::StatusOr<std::string> position = DecodePageToken(token, filters);
  if (!position.ok()) {
    Check(position.status().code() == absl::StatusCode::kInvalidArgument,
          "DecodePageToken: not INVALID_ARGUMENT");
    Check(absl::StartsWith(position.status().message(), "page_token: "),
          "DecodePageToken: message without \"page_token: \"");
  } else {
    Check(DecodePageToken(EncodePageToken(*position, filters), filters)
                  .value_or("\x01not") == *position,
          "a decoded page token does not round-trip");
  }
  // Tokens over 1024 characters are refused unread, so a position must
  // stay under about 760 bytes; every list's positions (sort keys and ids)
  // are far shorter.
  if (token.size() <= 700) {
    absl::StatusOr<std::string> round =
        DecodePageToken(EncodePageToken(token, filters), filters);
    Check(round.ok() && *round == token, "EncodePageToken does not round-trip");
  }

  absl::StatusOr<StreamId> stream_id = ParseStreamId(input);
  if (stream_id.ok()) {
    Check(stream_id->ToString() == input, "a stream id is not canonical");
  }
  absl::StatusOr<std::pair<int, StreamId>> event_id = ParseEventId(input);
  if (event_id.ok()) {
    Check(EventId(event_id->first, event_id->second) == input,
          "an event id is not canonical");
  }

  absl::StatusOr<notifications::EventCursor> cursor =
      notifications::DecodeEventCursor(input);
  if (!cursor.ok()) {
    Check(cursor.status().code() == absl::StatusCode::kInvalidArgument,
          "DecodeEventCursor: not INVALID_ARGUMENT");
    Check(absl::StartsWith(cursor.status().message(), "cursor: "),
          "DecodeEventCursor: message without \"cursor: \"");
    return;
  }
  const std::string encoded = notifications::EncodeEventCursor(*cursor);
  Check(encoded.size() <= 512, "EncodeEventCursor: longer than 512");
  absl::StatusOr<notifications::EventCursor> again =
      notifications::DecodeEventCursor(encoded);
  Check(again.ok() && *again == *cursor, "a cursor does not round-trip");
}

}  // namespace
}  // namespace cdc

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cdc::Run(absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
