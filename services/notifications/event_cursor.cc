#include "services/notifications/event_cursor.h"

#include <cstddef>
#include <limits>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/common/crypto.h"

namespace cdc::notifications {
namespace {

// ---- Cursor bytes ----
//
// A cursor is the unpadded base64url of:
//   kCursorVersion
//   for each shard k in 0..kShardCount-1:
//     varint(zigzag(ms[k] - ms[k-1]))   (ms[-1] = 0; wrapping subtraction)
//     varint(seq[k])
//   the first kChecksumSize bytes of SHA-256 of everything before them.
// Delta-coding the milliseconds keeps a cursor short when the shards are
// near one another in time; the wrapping arithmetic makes every pair of
// uint64 values encodable, so a cursor is at most
// 1 + kShardCount * 2 * 10 + kChecksumSize = 329 bytes, 439 characters.

// Not '1', the first byte of a page token (services/common/page_token.cc).
constexpr char kCursorVersion = '\xC1';
constexpr size_t kChecksumSize = 8;
constexpr size_t kMaxVarintSize = 10;  // ceil(64 / 7)
constexpr size_t kMaxCursorChars = 512;

std::string Checksum(absl::string_view data) {
  return Sha256(data).substr(0, kChecksumSize);
}

uint64_t ZigZag(uint64_t delta) {
  // Two's complement: a negative delta maps to an odd number.
  return (delta << 1) ^ (0 - (delta >> 63));
}

uint64_t UnZigZag(uint64_t value) { return (value >> 1) ^ (0 - (value & 1)); }

void AppendVarint(uint64_t value, std::string* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7F) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

// Reads one canonical varint from the front of `*data`, removing it.
// False when `*data` ends inside it (*truncated set), or when it is not
// the shortest form or does not fit 64 bits.
bool ReadVarint(absl::string_view* data, uint64_t* value, bool* truncated) {
  uint64_t result = 0;
  for (size_t i = 0; i < kMaxVarintSize; ++i) {
    if (i >= data->size()) {
      *truncated = true;
      return false;
    }
    const uint8_t byte = static_cast<uint8_t>((*data)[i]);
    const uint64_t bits = byte & 0x7F;
    if (i == kMaxVarintSize - 1 && byte > 0x01) return false;  // overflow
    result |= bits << (7 * i);
    if ((byte & 0x80) == 0) {
      if (i > 0 && byte == 0) return false;  // overlong form
      data->remove_prefix(i + 1);
      *value = result;
      return true;
    }
  }
  return false;  // 10th byte with the continuation bit: caught above
}

absl::Status CursorError(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("cursor: ", what));
}

// ---- Filters ----

constexpr int kMaxConsultations = 50;
constexpr int kMaxEventTypes = 64;
constexpr absl::string_view kConsultationsPrefix = "consultations/";

bool IsConsultationName(absl::string_view name) {
  if (!absl::StartsWith(name, kConsultationsPrefix)) return false;
  const absl::string_view id = name.substr(kConsultationsPrefix.size());
  if (id.empty()) return false;
  for (const char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      return false;
    }
  }
  return true;
}

// The EventType of an event's payload (its field number - 20); 0 without
// a payload, or with one this build does not know.
int EventTypeOf(const v1::Event& event) {
  const int field = static_cast<int>(event.payload_case());
  return field == v1::Event::PAYLOAD_NOT_SET ? 0 : field - 20;
}

// ---- Roles ----

// The CommentRef of a comment event; nullptr for any other payload.
const v1::CommentRef* CommentRefOf(const v1::Event& event) {
  using Case = v1::Event::PayloadCase;
  switch (event.payload_case()) {
    case Case::kCommentCreated:
      return &event.comment_created().comment();
    case Case::kCommentReplied:
      return &event.comment_replied().comment();
    case Case::kCommentEdited:
      return &event.comment_edited().comment();
    case Case::kCommentWithdrawn:
      return &event.comment_withdrawn().comment();
    case Case::kCommentEndorsed:
      return &event.comment_endorsed().comment();
    case Case::kCommentUnendorsed:
      return &event.comment_unendorsed().comment();
    case Case::kCommentFlagged:
      return &event.comment_flagged().comment();
    case Case::kCommentHidden:
      return &event.comment_hidden().comment();
    case Case::kCommentRestored:
      return &event.comment_restored().comment();
    case Case::kDispositionSet:
      return &event.disposition_set().comment();
    default:
      return nullptr;
  }
}

// The kind of a comment event's target, for the feed: a conversation, or
// what is not known to be anything else (an unset or future kind, a kind
// that disagrees with the target's name), is TARGET_CONVERSATION, which
// nobody sees.
v1::Comment::TargetKind FeedKind(const v1::CommentRef& ref) {
  if (absl::StartsWith(ref.target(), "conversations/")) {
    return v1::Comment::TARGET_CONVERSATION;
  }
  switch (ref.target_kind()) {
    case v1::Comment::TARGET_SECTION:
    case v1::Comment::TARGET_TOPIC:
    case v1::Comment::TARGET_RESOURCE:
      return ref.target_kind();
    default:
      return v1::Comment::TARGET_CONVERSATION;
  }
}

// How much of an event a role sees.
enum class Shown { kNothing, kAll, kWithoutActor };

Shown ForSecretariat(const v1::Event& event) {
  using Case = v1::Event::PayloadCase;
  if (const v1::CommentRef* ref = CommentRefOf(event)) {
    // A flagged private message reaches moderators through the
    // moderation queue of cdc-comments, never through the feed.
    return FeedKind(*ref) == v1::Comment::TARGET_CONVERSATION ? Shown::kNothing
                                                              : Shown::kAll;
  }
  switch (event.payload_case()) {
    case Case::kPrivateMessageSent:  // who writes to whom: participants only
    case Case::PAYLOAD_NOT_SET:      // none, or one this build does not know
      return Shown::kNothing;
    default:
      return Shown::kAll;
  }
}

// Public facts only: rounds, the comments on drafts (who endorsed is not
// public), what the library and the map publish. Spaces, topics and their
// posts are for members and the secretariat (community.proto); comments on
// resources are public but not part of the feed's contract.
Shown ForPartner(const v1::Event& event) {
  using Case = v1::Event::PayloadCase;
  if (const v1::CommentRef* ref = CommentRefOf(event)) {
    if (FeedKind(*ref) != v1::Comment::TARGET_SECTION) return Shown::kNothing;
    switch (event.payload_case()) {
      case Case::kCommentFlagged:
        return Shown::kNothing;
      case Case::kCommentEndorsed:
      case Case::kCommentUnendorsed:
        return Shown::kWithoutActor;
      default:
        return Shown::kAll;
    }
  }
  switch (event.payload_case()) {
    case Case::kRoundOpened:
    case Case::kRoundExtended:
    case Case::kRoundClosingSoon:
    case Case::kRoundClosed:
    case Case::kRecordPublished:
    case Case::kResourceShared:
    case Case::kInitiativeApproved:
      return Shown::kAll;
    default:  // members, tokens, drafts, spaces, topics, messages, unknown
      return Shown::kNothing;
  }
}

}  // namespace

// ---- Cursors ----

std::string EncodeEventCursor(const EventCursor& cursor) {
  std::string raw;
  raw.reserve(1 + kShardCount * 2 * kMaxVarintSize + kChecksumSize);
  raw.push_back(kCursorVersion);
  uint64_t previous_ms = 0;
  for (const StreamId& position : cursor.positions) {
    AppendVarint(ZigZag(position.ms - previous_ms), &raw);
    AppendVarint(position.seq, &raw);
    previous_ms = position.ms;
  }
  raw += Checksum(raw);
  std::string text;
  absl::WebSafeBase64Escape(raw, &text);
  return text;
}

absl::StatusOr<EventCursor> DecodeEventCursor(absl::string_view text) {
  if (text.empty()) return CursorError("is empty");
  if (text.size() > kMaxCursorChars) {
    return CursorError("is longer than any cursor this service issues");
  }
  std::string raw;
  // Decoding then encoding again must give `text` back: this refuses
  // padding, white space and non-zero trailing bits, which the decoder
  // alone lets through.
  if (!absl::WebSafeBase64Unescape(text, &raw)) {
    return CursorError("is not unpadded base64url");
  }
  std::string canonical;
  absl::WebSafeBase64Escape(raw, &canonical);
  if (canonical != text) return CursorError("is not unpadded base64url");
  if (raw.empty()) return CursorError("is truncated");
  if (raw[0] != kCursorVersion) {
    return CursorError("is not a cursor of this version (a page token?)");
  }
  if (raw.size() < 1 + kChecksumSize) return CursorError("is truncated");
  const absl::string_view body =
      absl::string_view(raw).substr(0, raw.size() - kChecksumSize);
  if (!ConstantTimeEquals(Checksum(body),
                          absl::string_view(raw).substr(body.size()))) {
    return CursorError("is truncated or was edited (checksum mismatch)");
  }
  EventCursor cursor;
  absl::string_view rest = body.substr(1);
  uint64_t previous_ms = 0;
  for (StreamId& position : cursor.positions) {
    uint64_t ms_delta = 0;
    bool truncated = false;
    if (!ReadVarint(&rest, &ms_delta, &truncated) ||
        !ReadVarint(&rest, &position.seq, &truncated)) {
      return CursorError(truncated ? "is truncated" : "has a malformed number");
    }
    position.ms = previous_ms + UnZigZag(ms_delta);
    previous_ms = position.ms;
  }
  if (!rest.empty()) return CursorError("has trailing bytes");
  return cursor;
}

// ---- Filters ----

bool EventFilter::Matches(const v1::Event& event) const {
  if (!consultations.empty() && !consultations.contains(event.consultation())) {
    return false;
  }
  return event_types.empty() || event_types.contains(EventTypeOf(event));
}

absl::StatusOr<EventFilter> MakeEventFilter(
    const v1::WatchEventsRequest& request) {
  EventFilter filter;
  if (request.consultations_size() > kMaxConsultations) {
    return absl::InvalidArgumentError(
        absl::StrCat("consultations: at most ", kMaxConsultations, ", got ",
                     request.consultations_size()));
  }
  for (int i = 0; i < request.consultations_size(); ++i) {
    const std::string& name = request.consultations(i);
    if (!IsConsultationName(name)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "consultations[", i, "]: must be \"consultations/{id}\""));
    }
    filter.consultations.insert(name);
  }
  if (request.event_types_size() > kMaxEventTypes) {
    return absl::InvalidArgumentError(absl::StrCat("event_types: at most ",
                                                   kMaxEventTypes, ", got ",
                                                   request.event_types_size()));
  }
  for (int i = 0; i < request.event_types_size(); ++i) {
    const int type = request.event_types(i);
    if (type == v1::EVENT_TYPE_UNSPECIFIED) {
      return absl::InvalidArgumentError(absl::StrCat(
          "event_types[", i, "]: must not be EVENT_TYPE_UNSPECIFIED"));
    }
    if (!v1::EventType_IsValid(type)) {
      return absl::InvalidArgumentError(
          absl::StrCat("event_types[", i, "]: unknown event type ", type));
    }
    filter.event_types.insert(type);
  }
  return filter;
}

// ---- Roles ----

std::optional<v1::Event> ViewForRole(const v1::Event& event, v1::Role role) {
  Shown shown = Shown::kNothing;
  switch (role) {
    case v1::ROLE_SECRETARIAT:
      shown = ForSecretariat(event);
      break;
    case v1::ROLE_PARTNER:
      shown = ForPartner(event);
      break;
    default:  // WatchEvents is for partners and the secretariat only
      break;
  }
  if (shown == Shown::kNothing) return std::nullopt;
  v1::Event view = event;
  if (shown == Shown::kWithoutActor) {
    view.clear_actor();
    view.clear_actor_display_name();
  }
  return view;
}

}  // namespace cdc::notifications
