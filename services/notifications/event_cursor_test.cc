#include "services/notifications/event_cursor.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/util/message_differencer.h>

#include <cstdint>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/crypto.h"
#include "services/common/page_token.h"
#include "services/common/status_matchers.h"

namespace cdc::notifications {
namespace {

using ::cdc::testing::IsOk;
using ::cdc::testing::StatusIs;
using ::google::protobuf::Descriptor;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;
using ::google::protobuf::OneofDescriptor;
using ::google::protobuf::util::MessageDifferencer;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;
constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

// ---- Cursors ----

// The cursor format, rebuilt here so that the tests can make cursors with
// a valid checksum but a wrong body.
constexpr char kVersion = '\xC1';

std::string Varint(uint64_t value) {
  std::string out;
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7F) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
  return out;
}

// `body` followed by its checksum, in base64url.
std::string Seal(const std::string& body) {
  std::string text;
  absl::WebSafeBase64Escape(body + Sha256(body).substr(0, 8), &text);
  return text;
}

// The raw bytes of a cursor.
std::string Raw(const std::string& text) {
  std::string raw;
  EXPECT_TRUE(absl::WebSafeBase64Unescape(text, &raw)) << text;
  return raw;
}

std::string Base64(const std::string& raw) {
  std::string text;
  absl::WebSafeBase64Escape(raw, &text);
  return text;
}

// A body of `shards` shards, each at ms 5, seq 1 (deltas 10, 0, 0, ...).
std::string Body(int shards) {
  std::string body(1, kVersion);
  for (int i = 0; i < shards; ++i) body += Varint(i == 0 ? 10 : 0) + "\x01";
  return body;
}

EventCursor Uniform(StreamId id) {
  EventCursor cursor;
  cursor.positions.fill(id);
  return cursor;
}

EventCursor Sample() {
  EventCursor cursor;
  for (int i = 0; i < kShardCount; ++i) {
    cursor.positions[i] = {1712345678901ull + 37 * i - (i % 3) * 1000,
                           static_cast<uint64_t>(i % 4)};
  }
  return cursor;
}

void ExpectRoundTrip(const EventCursor& cursor) {
  const std::string text = EncodeEventCursor(cursor);
  EXPECT_LE(text.size(), 512u);
  absl::StatusOr<EventCursor> decoded = DecodeEventCursor(text);
  ASSERT_THAT(decoded, IsOk()) << text;
  EXPECT_EQ(*decoded, cursor) << text;
}

TEST(EventCursorTest, RoundTripsAllZero) {
  ExpectRoundTrip(EventCursor{});
  ExpectRoundTrip(Uniform({}));
}

TEST(EventCursorTest, RoundTripsMaxValues) {
  ExpectRoundTrip(Uniform({kMax, kMax}));
  ExpectRoundTrip(Uniform({kMax, 0}));
  ExpectRoundTrip(Uniform({0, kMax}));
}

TEST(EventCursorTest, RoundTripsTypicalAndExtremeMixes) {
  ExpectRoundTrip(Sample());
  EventCursor one_shard;
  one_shard.positions[7] = {1712345678901, 2};
  ExpectRoundTrip(one_shard);
  // The largest deltas either way between neighbouring shards.
  EventCursor alternating;
  for (int i = 0; i < kShardCount; ++i) {
    alternating.positions[i] = {i % 2 == 0 ? 0 : kMax, kMax - i};
  }
  ExpectRoundTrip(alternating);
  EventCursor halves;
  for (int i = 0; i < kShardCount; ++i) {
    halves.positions[i] = {i % 2 == 0 ? 0 : uint64_t{1} << 63, 0};
  }
  ExpectRoundTrip(halves);
  EventCursor descending;
  for (int i = 0; i < kShardCount; ++i) {
    descending.positions[i] = {kMax - 1000 * static_cast<uint64_t>(i), 1};
  }
  ExpectRoundTrip(descending);
}

TEST(EventCursorTest, RoundTripsRandomCursors) {
  std::mt19937_64 random(20240405);
  for (int round = 0; round < 500; ++round) {
    EventCursor cursor;
    for (StreamId& position : cursor.positions) {
      // Mix full-range values with small ones and near-now timestamps.
      switch (random() % 4) {
        case 0:
          position = {random(), random()};
          break;
        case 1:
          position = {random() % 1000, random() % 3};
          break;
        case 2:
          position = {1712345678901 + random() % 100000000, random() % 10};
          break;
        default:
          position = {};
      }
    }
    ExpectRoundTrip(cursor);
  }
}

TEST(EventCursorTest, StaysWithin512Characters) {
  // Every field at its longest varint: alternating ms gives deltas of
  // -2^63 / +2^63, the largest zigzag values.
  EventCursor worst;
  for (int i = 0; i < kShardCount; ++i) {
    worst.positions[i] = {i % 2 == 0 ? uint64_t{1} << 63 : 0, kMax};
  }
  const std::string text = EncodeEventCursor(worst);
  EXPECT_EQ(Raw(text).size(), 1u + kShardCount * 20 + 8);
  EXPECT_LE(text.size(), 512u);
  EXPECT_LE(EncodeEventCursor(Uniform({kMax, kMax})).size(), 512u);
  // And typical cursors are short.
  EXPECT_LE(EncodeEventCursor(Sample()).size(), 200u);
  EXPECT_LE(EncodeEventCursor(EventCursor{}).size(), 60u);
}

TEST(EventCursorTest, IsUnpaddedBase64Url) {
  for (const EventCursor& cursor :
       {EventCursor{}, Sample(), Uniform({kMax, kMax})}) {
    const std::string text = EncodeEventCursor(cursor);
    EXPECT_EQ(text.find_first_not_of(
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                  "0123456789-_"),
              std::string::npos)
        << text;
  }
}

TEST(EventCursorTest, IsDeterministicAndDistinguishesCursors) {
  EXPECT_EQ(EncodeEventCursor(Sample()), EncodeEventCursor(Sample()));
  EventCursor moved = Sample();
  moved.positions[15].seq += 1;
  EXPECT_NE(EncodeEventCursor(moved), EncodeEventCursor(Sample()));
}

TEST(EventCursorTest, MatchesTheDocumentedLayout) {
  // The hand-built body of the test helpers is what the encoder makes, so
  // the refusals below test the decoder on otherwise valid cursors.
  EXPECT_EQ(EncodeEventCursor(Uniform({5, 1})), Seal(Body(kShardCount)));
  absl::StatusOr<EventCursor> decoded =
      DecodeEventCursor(Seal(Body(kShardCount)));
  ASSERT_THAT(decoded, IsOk());
  EXPECT_EQ(*decoded, Uniform({5, 1}));
}

TEST(EventCursorTest, RefusesEmpty) {
  EXPECT_THAT(DecodeEventCursor(""),
              StatusIs(kInvalid, StartsWith("cursor: is empty")));
}

TEST(EventCursorTest, RefusesWhatIsNotBase64Url) {
  const std::string valid = EncodeEventCursor(Sample());
  std::string standard;  // '+' and '/' instead of '-' and '_'
  absl::Base64Escape(Raw(EncodeEventCursor(Uniform({kMax, kMax}))), &standard);
  ASSERT_NE(standard.find_first_of("+/"), std::string::npos);
  std::string padded = valid;
  while (padded.size() % 4 != 0) padded += "=";
  ASSERT_NE(padded, valid);
  // "AB" decodes to one byte but leaves non-zero bits over ("AA" is the
  // canonical spelling).
  for (const std::string& text : {
           std::string("!!not base64!!"),
           std::string("abc def"),
           std::string("A"),
           std::string("AB"),
           std::string("wQ=="),
           standard,
           padded,
           valid + "=",
           " " + valid,
           valid + "\n",
           valid.substr(0, 10) + " " + valid.substr(10),
           valid.substr(0, 10) + "." + valid.substr(10),
       }) {
    EXPECT_THAT(DecodeEventCursor(text),
                StatusIs(kInvalid, StartsWith("cursor: ")))
        << "text \"" << absl::CHexEscape(text) << "\"";
  }
  EXPECT_THAT(DecodeEventCursor("!!not base64!!"),
              StatusIs(kInvalid, HasSubstr("base64url")));
}

TEST(EventCursorTest, RefusesOverlongText) {
  EXPECT_THAT(DecodeEventCursor(std::string(513, 'A')),
              StatusIs(kInvalid, StartsWith("cursor: ")));
  EXPECT_THAT(DecodeEventCursor(std::string(100000, 'A')),
              StatusIs(kInvalid, StartsWith("cursor: ")));
}

TEST(EventCursorTest, RefusesAnotherVersion) {
  for (const char version : {'\0', '\x01', '1', '2', '\xC0', '\xC2', '\xFF'}) {
    std::string body = Body(kShardCount);
    body[0] = version;
    EXPECT_THAT(DecodeEventCursor(Seal(body)),
                StatusIs(kInvalid, StartsWith("cursor: is not a cursor of "
                                              "this version")))
        << static_cast<int>(version);
  }
}

TEST(EventCursorTest, RefusesAPageToken) {
  for (const std::string& token :
       {EncodePageToken("1712345678901-0", ""),
        EncodePageToken("1712345678901-0", "consultations/abc"),
        EncodePageToken(Raw(EncodeEventCursor(Sample())), "filters"),
        EncodePageToken("", "")}) {
    EXPECT_THAT(DecodeEventCursor(token),
                StatusIs(kInvalid, StartsWith("cursor: ")))
        << token;
  }
}

TEST(EventCursorTest, RefusesAWrongChecksum) {
  const std::string raw = Raw(EncodeEventCursor(Sample()));
  // Any single bit changed, in the body or in the checksum.
  for (size_t i = 0; i < raw.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string edited = raw;
      edited[i] = static_cast<char>(edited[i] ^ (1 << bit));
      absl::StatusOr<EventCursor> decoded = DecodeEventCursor(Base64(edited));
      EXPECT_THAT(decoded, StatusIs(kInvalid, StartsWith("cursor: ")))
          << "byte " << i << " bit " << bit;
      if (i > 0) {  // byte 0 is the version
        EXPECT_THAT(decoded, StatusIs(kInvalid, HasSubstr("checksum")))
            << "byte " << i << " bit " << bit;
      }
    }
  }
  // A foreign cursor: same layout, another checksum.
  const std::string body = Body(kShardCount);
  for (const std::string& checksum :
       {std::string(8, '\0'), Sha256(body).substr(24, 8),
        Sha256(absl::StrCat("key", body)).substr(0, 8),
        HexEncode(Sha256(body)).substr(0, 8)}) {
    EXPECT_THAT(DecodeEventCursor(Base64(body + checksum)),
                StatusIs(kInvalid, HasSubstr("checksum")));
  }
  // A shorter checksum.
  EXPECT_THAT(DecodeEventCursor(Base64(body + Sha256(body).substr(0, 4))),
              StatusIs(kInvalid, StartsWith("cursor: ")));
}

TEST(EventCursorTest, RefusesATruncatedCursor) {
  const std::string text = EncodeEventCursor(Sample());
  for (size_t size = 1; size < text.size(); ++size) {
    EXPECT_THAT(DecodeEventCursor(text.substr(0, size)),
                StatusIs(kInvalid, StartsWith("cursor: ")))
        << "size " << size;
  }
  const std::string raw = Raw(text);
  for (size_t size = 1; size < raw.size(); ++size) {
    EXPECT_THAT(DecodeEventCursor(Base64(raw.substr(0, size))),
                StatusIs(kInvalid, StartsWith("cursor: ")))
        << "size " << size;
  }
  // Too short for a checksum.
  EXPECT_THAT(DecodeEventCursor(Base64(std::string(1, kVersion))),
              StatusIs(kInvalid, StartsWith("cursor: is truncated")));
  EXPECT_THAT(DecodeEventCursor(Base64(std::string(8, kVersion))),
              StatusIs(kInvalid, StartsWith("cursor: is truncated")));
  // A valid checksum over too few shards, or a half-written shard.
  for (const std::string& body :
       {std::string(1, kVersion), Body(1), Body(kShardCount - 1),
        Body(kShardCount - 1) + std::string("\x00", 1),
        Body(kShardCount).substr(0, 32), Body(kShardCount - 1) + "\x80"}) {
    EXPECT_THAT(DecodeEventCursor(Seal(body)),
                StatusIs(kInvalid, StartsWith("cursor: is truncated")))
        << absl::CHexEscape(body);
  }
}

TEST(EventCursorTest, RefusesTrailingBytes) {
  for (const std::string& extra :
       {std::string("\x00", 1), std::string("\x01"), std::string("abc"),
        Body(kShardCount).substr(1)}) {
    EXPECT_THAT(DecodeEventCursor(Seal(Body(kShardCount) + extra)),
                StatusIs(kInvalid, StartsWith("cursor: has trailing bytes")))
        << absl::CHexEscape(extra);
  }
}

TEST(EventCursorTest, RefusesMalformedNumbers) {
  const std::string rest = Body(kShardCount).substr(3);  // after shard 0
  for (const std::string& shard0 : {
           std::string("\x80\x00\x01", 3),  // overlong ms delta 0
           std::string("\x0a\x81\x00", 3),  // overlong seq 1
           // Eleven bytes: more than 64 bits.
           std::string(10, '\xff') + std::string("\x01") + "\x01",
           // Ten bytes whose last carries bits past the 64th.
           std::string(9, '\xff') + std::string("\x02") + "\x01",
       }) {
    EXPECT_THAT(
        DecodeEventCursor(Seal(std::string(1, kVersion) + shard0 + rest)),
        StatusIs(kInvalid, StartsWith("cursor: has a malformed number")))
        << absl::CHexEscape(shard0);
  }
  // The largest ten-byte varint is fine.
  const std::string max = std::string(9, '\xff') + "\x01";
  std::string body(1, kVersion);
  for (int i = 0; i < kShardCount; ++i) {
    body += std::string("\x00", 1) + max;  // ms delta 0, seq max
  }
  absl::StatusOr<EventCursor> decoded = DecodeEventCursor(Seal(body));
  ASSERT_THAT(decoded, IsOk());
  EXPECT_EQ(*decoded, Uniform({0, kMax}));
}

// ---- Payload kinds, by descriptor ----

const OneofDescriptor& Payload() {
  const OneofDescriptor* payload =
      v1::Event::descriptor()->FindOneofByName("payload");
  EXPECT_NE(payload, nullptr);
  return *payload;
}

// The payload's CommentRef, when it has one.
v1::CommentRef* MutableCommentRef(Message* payload) {
  const FieldDescriptor* field =
      payload->GetDescriptor()->FindFieldByName("comment");
  if (field == nullptr || field->message_type() != v1::CommentRef::descriptor())
    return nullptr;
  return static_cast<v1::CommentRef*>(
      payload->GetReflection()->MutableMessage(payload, field));
}

// An event with the payload of `field`, its CommentRef (if any) on a
// target of `kind`.
v1::Event EventOf(const FieldDescriptor* field,
                  v1::Comment::TargetKind kind = v1::Comment::TARGET_SECTION) {
  v1::Event event;
  event.set_id("s3-1712345678901-0");
  event.mutable_time()->set_seconds(1712345678);
  event.set_actor("members/3a1b");
  event.set_actor_display_name("Ada Lovelace");
  event.set_consultation("consultations/c1");
  Message* payload = event.GetReflection()->MutableMessage(&event, field);
  if (v1::CommentRef* ref = MutableCommentRef(payload)) {
    ref->set_comment("comments/5c2d");
    ref->set_target_kind(kind);
    ref->set_author("members/7e0f");
    switch (kind) {
      case v1::Comment::TARGET_TOPIC:
        event.clear_consultation();
        ref->set_target("spaces/s1/topics/t1");
        ref->set_space("spaces/s1");
        break;
      case v1::Comment::TARGET_CONVERSATION:
        event.clear_consultation();
        ref->set_target("conversations/x1");
        break;
      case v1::Comment::TARGET_RESOURCE:
        event.clear_consultation();
        ref->set_target("resources/r1");
        break;
      default:  // sections, and kinds unset or unknown
        ref->set_target("consultations/c1/sections/s1");
        ref->set_consultation("consultations/c1");
        break;
    }
  }
  return event;
}

TEST(EventKindsTest, ThereAre34AndTheirTypesFollowTheRule) {
  const OneofDescriptor& payload = Payload();
  ASSERT_EQ(payload.field_count(), 34);
  for (int i = 0; i < payload.field_count(); ++i) {
    const FieldDescriptor* field = payload.field(i);
    const int type = field->number() - 20;
    ASSERT_TRUE(v1::EventType_IsValid(type)) << field->name();
    std::string name = absl::AsciiStrToUpper(field->name());
    EXPECT_EQ(v1::EventType_Name(static_cast<v1::EventType>(type)),
              "EVENT_TYPE_" + name);
  }
}

// ---- Filters ----

EventFilter Filter(std::vector<std::string> consultations,
                   std::vector<int> types) {
  EventFilter filter;
  filter.consultations.insert(consultations.begin(), consultations.end());
  filter.event_types.insert(types.begin(), types.end());
  return filter;
}

v1::Event RoundOpenedIn(absl::string_view consultation) {
  v1::Event event;
  event.set_consultation(std::string(consultation));
  event.mutable_round_opened()->set_round(1);
  return event;
}

TEST(EventFilterTest, EmptyFilterMatchesEverything) {
  const EventFilter filter;
  EXPECT_TRUE(filter.Matches(v1::Event()));
  EXPECT_TRUE(filter.Matches(RoundOpenedIn("consultations/c1")));
  EXPECT_TRUE(filter.Matches(RoundOpenedIn("")));
  for (int i = 0; i < Payload().field_count(); ++i) {
    EXPECT_TRUE(filter.Matches(EventOf(Payload().field(i))));
  }
}

TEST(EventFilterTest, ConsultationsFilterNeedsOneOfThem) {
  const EventFilter filter =
      Filter({"consultations/c1", "consultations/c2"}, {});
  EXPECT_TRUE(filter.Matches(RoundOpenedIn("consultations/c1")));
  EXPECT_TRUE(filter.Matches(RoundOpenedIn("consultations/c2")));
  EXPECT_FALSE(filter.Matches(RoundOpenedIn("consultations/c3")));
  EXPECT_FALSE(filter.Matches(RoundOpenedIn("")));
  EXPECT_FALSE(filter.Matches(RoundOpenedIn("consultations/c10")));
  v1::Event no_payload;
  no_payload.set_consultation("consultations/c1");
  EXPECT_TRUE(filter.Matches(no_payload));
}

TEST(EventFilterTest, EventTypesFilterNeedsOneOfThem) {
  const EventFilter filter =
      Filter({}, {v1::EVENT_TYPE_ROUND_OPENED, v1::EVENT_TYPE_COMMENT_CREATED});
  EXPECT_TRUE(filter.Matches(RoundOpenedIn("consultations/c1")));
  EXPECT_TRUE(filter.Matches(RoundOpenedIn("")));
  v1::Event created;
  created.mutable_comment_created();
  EXPECT_TRUE(filter.Matches(created));
  v1::Event replied;
  replied.mutable_comment_replied();
  EXPECT_FALSE(filter.Matches(replied));
  EXPECT_FALSE(filter.Matches(v1::Event()));  // no payload: type 0
}

TEST(EventFilterTest, EachTypeMatchesOnlyItsOwnPayload) {
  const OneofDescriptor& payload = Payload();
  for (int i = 0; i < payload.field_count(); ++i) {
    const EventFilter filter = Filter({}, {payload.field(i)->number() - 20});
    for (int j = 0; j < payload.field_count(); ++j) {
      EXPECT_EQ(filter.Matches(EventOf(payload.field(j))), i == j)
          << payload.field(i)->name() << " / " << payload.field(j)->name();
    }
    EXPECT_FALSE(filter.Matches(v1::Event()));
  }
}

TEST(EventFilterTest, BothFiltersMustMatch) {
  const EventFilter filter =
      Filter({"consultations/c1"}, {v1::EVENT_TYPE_ROUND_OPENED});
  EXPECT_TRUE(filter.Matches(RoundOpenedIn("consultations/c1")));
  EXPECT_FALSE(filter.Matches(RoundOpenedIn("consultations/c2")));
  v1::Event closed;
  closed.set_consultation("consultations/c1");
  closed.mutable_round_closed();
  EXPECT_FALSE(filter.Matches(closed));
}

TEST(EventFilterTest, UnknownPayloadHasTypeZero) {
  // An event written by a newer producer, with a payload field this build
  // does not know (field 99, length-delimited, empty).
  v1::Event event;
  ASSERT_TRUE(event.ParseFromString(std::string("\x22\x0f"
                                                "consultations/c",
                                                17) +
                                    std::string("\x9a\x06\x00", 3)));
  EXPECT_EQ(event.payload_case(), v1::Event::PAYLOAD_NOT_SET);
  EXPECT_TRUE(EventFilter().Matches(event));
  EXPECT_FALSE(Filter({}, {v1::EVENT_TYPE_MEMBER_APPLIED}).Matches(event));
}

// ---- MakeEventFilter ----

TEST(MakeEventFilterTest, EmptyRequestGivesAnEmptyFilter) {
  absl::StatusOr<EventFilter> filter =
      MakeEventFilter(v1::WatchEventsRequest());
  ASSERT_THAT(filter, IsOk());
  EXPECT_TRUE(filter->consultations.empty());
  EXPECT_TRUE(filter->event_types.empty());
}

TEST(MakeEventFilterTest, KeepsTheRequestedFilters) {
  v1::WatchEventsRequest request;
  request.add_consultations("consultations/c1");
  request.add_consultations("consultations/0a-9z");
  request.add_consultations("consultations/c1");  // duplicates are fine
  request.add_event_types(v1::EVENT_TYPE_ROUND_OPENED);
  request.add_event_types(v1::EVENT_TYPE_INITIATIVE_RETURNED);
  request.add_event_types(v1::EVENT_TYPE_ROUND_OPENED);
  request.add_event_types(v1::EVENT_TYPE_MEMBER_APPLIED);
  absl::StatusOr<EventFilter> filter = MakeEventFilter(request);
  ASSERT_THAT(filter, IsOk());
  EXPECT_EQ(filter->consultations,
            (absl::flat_hash_set<std::string>{"consultations/c1",
                                              "consultations/0a-9z"}));
  EXPECT_EQ(filter->event_types,
            (absl::flat_hash_set<int>{v1::EVENT_TYPE_ROUND_OPENED,
                                      v1::EVENT_TYPE_INITIATIVE_RETURNED,
                                      v1::EVENT_TYPE_MEMBER_APPLIED}));
  EXPECT_TRUE(filter->Matches(RoundOpenedIn("consultations/0a-9z")));
  EXPECT_FALSE(filter->Matches(RoundOpenedIn("consultations/c2")));
}

TEST(MakeEventFilterTest, AcceptsEveryKnownEventType) {
  v1::WatchEventsRequest request;
  const google::protobuf::EnumDescriptor* types = v1::EventType_descriptor();
  for (int i = 0; i < types->value_count(); ++i) {
    if (types->value(i)->number() != 0) {
      request.add_event_types(
          static_cast<v1::EventType>(types->value(i)->number()));
    }
  }
  absl::StatusOr<EventFilter> filter = MakeEventFilter(request);
  ASSERT_THAT(filter, IsOk());
  EXPECT_EQ(filter->event_types.size(), 34u);
}

TEST(MakeEventFilterTest, AcceptsUpToTheLimits) {
  v1::WatchEventsRequest request;
  for (int i = 0; i < 50; ++i) {
    request.add_consultations(absl::StrCat("consultations/c", i));
  }
  for (int i = 0; i < 64; ++i) {
    request.add_event_types(static_cast<v1::EventType>(1 + i % 34));
  }
  absl::StatusOr<EventFilter> filter = MakeEventFilter(request);
  ASSERT_THAT(filter, IsOk());
  EXPECT_EQ(filter->consultations.size(), 50u);
  EXPECT_EQ(filter->event_types.size(), 34u);
}

TEST(MakeEventFilterTest, RefusesTooManyConsultations) {
  v1::WatchEventsRequest request;
  for (int i = 0; i < 51; ++i) request.add_consultations("consultations/c1");
  EXPECT_THAT(MakeEventFilter(request),
              StatusIs(kInvalid, StartsWith("consultations: ")));
}

TEST(MakeEventFilterTest, RefusesTooManyEventTypes) {
  v1::WatchEventsRequest request;
  for (int i = 0; i < 65; ++i) {
    request.add_event_types(v1::EVENT_TYPE_ROUND_OPENED);
  }
  EXPECT_THAT(MakeEventFilter(request),
              StatusIs(kInvalid, StartsWith("event_types: ")));
}

TEST(MakeEventFilterTest, RefusesMalformedConsultations) {
  for (const std::string& name : {
           std::string(""),
           std::string("consultations/"),
           std::string("consultations"),
           std::string("consultation/c1"),
           std::string("Consultations/c1"),
           std::string("xconsultations/c1"),
           std::string("/consultations/c1"),
           std::string("consultations/C1"),
           std::string("consultations/c1/sections/s1"),
           std::string("consultations/c 1"),
           std::string("consultations/c1 "),
           std::string("consultations/c_1"),
           std::string("consultations/c.1"),
           std::string("consultations/\xc3\xa9"),
           std::string("consultations/c1\0", 18),
           std::string("spaces/s1"),
       }) {
    v1::WatchEventsRequest request;
    request.add_consultations("consultations/ok");
    request.add_consultations("consultations/ok-2");
    request.add_consultations("consultations/3");
    request.add_consultations(name);
    EXPECT_THAT(
        MakeEventFilter(request),
        StatusIs(kInvalid, "consultations[3]: must be \"consultations/{id}\""))
        << "name \"" << absl::CHexEscape(name) << "\"";
  }
}

TEST(MakeEventFilterTest, RefusesUnknownOrUnspecifiedEventTypes) {
  {
    v1::WatchEventsRequest request;
    request.add_event_types(static_cast<v1::EventType>(99));
    EXPECT_THAT(MakeEventFilter(request),
                StatusIs(kInvalid, "event_types[0]: unknown event type 99"));
  }
  for (const int type : {35, -1, 1000000, std::numeric_limits<int>::min()}) {
    v1::WatchEventsRequest request;
    request.add_event_types(v1::EVENT_TYPE_MEMBER_APPLIED);
    request.add_event_types(static_cast<v1::EventType>(type));
    EXPECT_THAT(MakeEventFilter(request),
                StatusIs(kInvalid, absl::StrCat("event_types[1]: unknown "
                                                "event type ",
                                                type)));
  }
  v1::WatchEventsRequest request;
  request.add_event_types(v1::EVENT_TYPE_ROUND_OPENED);
  request.add_event_types(v1::EVENT_TYPE_UNSPECIFIED);
  EXPECT_THAT(MakeEventFilter(request),
              StatusIs(kInvalid, StartsWith("event_types[1]: ")));
}

TEST(MakeEventFilterTest, ChecksConsultationsBeforeEventTypes) {
  v1::WatchEventsRequest request;
  request.add_consultations("bad");
  request.add_event_types(static_cast<v1::EventType>(99));
  EXPECT_THAT(MakeEventFilter(request),
              StatusIs(kInvalid, StartsWith("consultations[0]: ")));
}

// ---- ViewForRole ----

bool Same(const v1::Event& a, const v1::Event& b) {
  return MessageDifferencer::Equals(a, b);
}

// What the feed shows of an event: nothing, all of it, or all but who
// acted.
enum class Shown { kNothing, kAll, kWithoutActor };
constexpr Shown kNo = Shown::kNothing;
constexpr Shown kYes = Shown::kAll;
constexpr Shown kAnon = Shown::kWithoutActor;

constexpr auto kSection = v1::Comment::TARGET_SECTION;
constexpr auto kTopic = v1::Comment::TARGET_TOPIC;
constexpr auto kResource = v1::Comment::TARGET_RESOURCE;
constexpr auto kConversation = v1::Comment::TARGET_CONVERSATION;
constexpr auto kNotAComment = v1::Comment::TARGET_KIND_UNSPECIFIED;

// The feed's rules, one row per event kind (and, for comment events, the
// kind of their target) and one column per role.
struct Rule {
  const char* payload;  // the Event.payload field
  v1::Comment::TargetKind on;
  Shown secretariat, partner, member, observer;
};

// clang-format off
constexpr Rule kRules[] = {
    // payload               on              SECR   PARTNER MEMBER OBSERVER
    {"member_applied",         kNotAComment, kYes,  kNo,    kNo,   kNo},
    {"member_approved",        kNotAComment, kYes,  kNo,    kNo,   kNo},
    {"member_rejected",        kNotAComment, kYes,  kNo,    kNo,   kNo},
    {"member_suspended",       kNotAComment, kYes,  kNo,    kNo,   kNo},
    {"member_reinstated",      kNotAComment, kYes,  kNo,    kNo,   kNo},
    {"member_role_changed",    kNotAComment, kYes,  kNo,    kNo,   kNo},
    {"member_profile_updated", kNotAComment, kYes,  kNo,    kNo,   kNo},
    {"api_token_issued",       kNotAComment, kYes,  kNo,    kNo,   kNo},
    {"api_token_revoked",      kNotAComment, kYes,  kNo,    kNo,   kNo},
    {"consultation_created",   kNotAComment, kYes,  kNo,    kNo,   kNo},
    {"consultation_updated",   kNotAComment, kYes,  kNo,    kNo,   kNo},
    {"draft_imported",         kNotAComment, kYes,  kNo,    kNo,   kNo},
    {"round_opened",           kNotAComment, kYes,  kYes,   kNo,   kNo},
    {"round_extended",         kNotAComment, kYes,  kYes,   kNo,   kNo},
    {"round_closing_soon",     kNotAComment, kYes,  kYes,   kNo,   kNo},
    {"round_closed",           kNotAComment, kYes,  kYes,   kNo,   kNo},
    {"record_published",       kNotAComment, kYes,  kYes,   kNo,   kNo},
    {"comment_created",        kSection,     kYes,  kYes,   kNo,   kNo},
    {"comment_created",        kTopic,       kYes,  kNo,    kNo,   kNo},
    {"comment_created",        kResource,    kYes,  kNo,    kNo,   kNo},
    {"comment_created",        kConversation, kNo,  kNo,    kNo,   kNo},
    {"comment_replied",        kSection,     kYes,  kYes,   kNo,   kNo},
    {"comment_replied",        kTopic,       kYes,  kNo,    kNo,   kNo},
    {"comment_replied",        kResource,    kYes,  kNo,    kNo,   kNo},
    {"comment_replied",        kConversation, kNo,  kNo,    kNo,   kNo},
    {"comment_edited",         kSection,     kYes,  kYes,   kNo,   kNo},
    {"comment_edited",         kTopic,       kYes,  kNo,    kNo,   kNo},
    {"comment_edited",         kResource,    kYes,  kNo,    kNo,   kNo},
    {"comment_edited",         kConversation, kNo,  kNo,    kNo,   kNo},
    {"comment_withdrawn",      kSection,     kYes,  kYes,   kNo,   kNo},
    {"comment_withdrawn",      kTopic,       kYes,  kNo,    kNo,   kNo},
    {"comment_withdrawn",      kResource,    kYes,  kNo,    kNo,   kNo},
    {"comment_withdrawn",      kConversation, kNo,  kNo,    kNo,   kNo},
    {"comment_endorsed",       kSection,     kYes,  kAnon,  kNo,   kNo},
    {"comment_endorsed",       kTopic,       kYes,  kNo,    kNo,   kNo},
    {"comment_endorsed",       kResource,    kYes,  kNo,    kNo,   kNo},
    {"comment_endorsed",       kConversation, kNo,  kNo,    kNo,   kNo},
    {"comment_unendorsed",     kSection,     kYes,  kAnon,  kNo,   kNo},
    {"comment_unendorsed",     kTopic,       kYes,  kNo,    kNo,   kNo},
    {"comment_unendorsed",     kResource,    kYes,  kNo,    kNo,   kNo},
    {"comment_unendorsed",     kConversation, kNo,  kNo,    kNo,   kNo},
    {"comment_flagged",        kSection,     kYes,  kNo,    kNo,   kNo},
    {"comment_flagged",        kTopic,       kYes,  kNo,    kNo,   kNo},
    {"comment_flagged",        kResource,    kYes,  kNo,    kNo,   kNo},
    {"comment_flagged",        kConversation, kNo,  kNo,    kNo,   kNo},
    {"comment_hidden",         kSection,     kYes,  kYes,   kNo,   kNo},
    {"comment_hidden",         kTopic,       kYes,  kNo,    kNo,   kNo},
    {"comment_hidden",         kResource,    kYes,  kNo,    kNo,   kNo},
    {"comment_hidden",         kConversation, kNo,  kNo,    kNo,   kNo},
    {"comment_restored",       kSection,     kYes,  kYes,   kNo,   kNo},
    {"comment_restored",       kTopic,       kYes,  kNo,    kNo,   kNo},
    {"comment_restored",       kResource,    kYes,  kNo,    kNo,   kNo},
    {"comment_restored",       kConversation, kNo,  kNo,    kNo,   kNo},
    {"disposition_set",        kSection,     kYes,  kYes,   kNo,   kNo},
    {"disposition_set",        kTopic,       kYes,  kNo,    kNo,   kNo},
    {"disposition_set",        kResource,    kYes,  kNo,    kNo,   kNo},
    {"disposition_set",        kConversation, kNo,  kNo,    kNo,   kNo},
    {"space_created",          kNotAComment, kYes,  kNo,    kNo,   kNo},
    {"topic_started",          kNotAComment, kYes,  kNo,    kNo,   kNo},
    {"private_message_sent",   kNotAComment, kNo,   kNo,    kNo,   kNo},
    {"resource_shared",        kNotAComment, kYes,  kYes,   kNo,   kNo},
    {"initiative_submitted",   kNotAComment, kYes,  kNo,    kNo,   kNo},
    {"initiative_approved",    kNotAComment, kYes,  kYes,   kNo,   kNo},
    {"initiative_returned",    kNotAComment, kYes,  kNo,    kNo,   kNo},
};
// clang-format on

// What ViewForRole made of `event`, checked against what it should be.
Shown ShownOf(const v1::Event& event, v1::Role role) {
  const std::optional<v1::Event> view = ViewForRole(event, role);
  if (!view.has_value()) return kNo;
  v1::Event anonymous = event;
  anonymous.clear_actor();
  anonymous.clear_actor_display_name();
  if (Same(*view, event)) return kYes;
  if (Same(*view, anonymous)) return kAnon;
  ADD_FAILURE() << "an altered view: " << view->DebugString();
  return kNo;
}

TEST(ViewForRoleTest, FollowsTheTableForEveryKindAndRole) {
  const OneofDescriptor& payload = Payload();
  std::set<std::string> covered;
  for (const Rule& rule : kRules) {
    const FieldDescriptor* field =
        v1::Event::descriptor()->FindFieldByName(rule.payload);
    ASSERT_NE(field, nullptr) << rule.payload;
    ASSERT_EQ(field->containing_oneof(), &payload) << rule.payload;
    v1::Event probe;
    const bool comment =
        MutableCommentRef(
            probe.GetReflection()->MutableMessage(&probe, field)) != nullptr;
    ASSERT_EQ(comment, rule.on != kNotAComment) << rule.payload;
    covered.insert(rule.payload);
    const v1::Event event = EventOf(field, comment ? rule.on : kSection);
    for (const auto& [role, expected] :
         {std::pair{v1::ROLE_SECRETARIAT, rule.secretariat},
          std::pair{v1::ROLE_PARTNER, rule.partner},
          std::pair{v1::ROLE_MEMBER, rule.member},
          std::pair{v1::ROLE_OBSERVER, rule.observer}}) {
      EXPECT_EQ(ShownOf(event, role), expected)
          << rule.payload << " on " << rule.on << " for "
          << v1::Role_Name(role);
    }
  }
  // Every kind of event has its rows.
  EXPECT_EQ(covered.size(), static_cast<size_t>(payload.field_count()));
}

TEST(ViewForRoleTest, NobodySeesACommentEventOfNoKnownKindOrInAConversation) {
  const OneofDescriptor& payload = Payload();
  int comment_kinds = 0;
  for (int i = 0; i < payload.field_count(); ++i) {
    const FieldDescriptor* field = payload.field(i);
    v1::Event probe;
    if (MutableCommentRef(
            probe.GetReflection()->MutableMessage(&probe, field)) == nullptr) {
      continue;
    }
    ++comment_kinds;
    std::vector<v1::Event> hidden = {
        EventOf(field, v1::Comment::TARGET_KIND_UNSPECIFIED),
        EventOf(field, static_cast<v1::Comment::TargetKind>(99))};
    // A conversation's name under another kind is still a conversation.
    for (const auto kind : {kSection, kTopic, kResource}) {
      v1::Event event = EventOf(field, kind);
      MutableCommentRef(event.GetReflection()->MutableMessage(&event, field))
          ->set_target("conversations/x1");
      hidden.push_back(event);
    }
    // A payload without its CommentRef is on no known target either.
    hidden.push_back(v1::Event());
    hidden.back().GetReflection()->MutableMessage(&hidden.back(), field);
    for (const v1::Event& event : hidden) {
      for (const v1::Role role : {v1::ROLE_SECRETARIAT, v1::ROLE_PARTNER,
                                  v1::ROLE_MEMBER, v1::ROLE_OBSERVER}) {
        EXPECT_EQ(ViewForRole(event, role), std::nullopt)
            << field->name() << " for " << v1::Role_Name(role) << ": "
            << event.DebugString();
      }
    }
  }
  EXPECT_EQ(comment_kinds, 10);
}

TEST(ViewForRoleTest, OtherRolesSeeNothing) {
  const OneofDescriptor& payload = Payload();
  for (const v1::Role role : {v1::ROLE_UNSPECIFIED, static_cast<v1::Role>(99),
                              static_cast<v1::Role>(-1)}) {
    for (int i = 0; i < payload.field_count(); ++i) {
      EXPECT_EQ(ViewForRole(EventOf(payload.field(i)), role), std::nullopt)
          << payload.field(i)->name() << " role " << role;
    }
  }
}

TEST(ViewForRoleTest, PartnerDoesNotLearnWhoEndorsed) {
  for (const bool endorse : {true, false}) {
    v1::Event event;
    event.set_id("s1-5-0");
    event.set_actor("members/3a1b");
    event.set_actor_display_name("Ada Lovelace");
    event.set_consultation("consultations/c1");
    v1::CommentRef* ref;
    if (endorse) {
      event.mutable_comment_endorsed()->set_endorsement_count(4);
      ref = event.mutable_comment_endorsed()->mutable_comment();
    } else {
      event.mutable_comment_unendorsed()->set_endorsement_count(2);
      ref = event.mutable_comment_unendorsed()->mutable_comment();
    }
    ref->set_comment("comments/5c2d");
    ref->set_author("members/7e0f");
    ref->set_target_kind(v1::Comment::TARGET_SECTION);
    const std::optional<v1::Event> view = ViewForRole(event, v1::ROLE_PARTNER);
    ASSERT_TRUE(view.has_value());
    EXPECT_EQ(view->actor(), "");
    EXPECT_EQ(view->actor_display_name(), "");
    EXPECT_EQ(view->id(), "s1-5-0");
    EXPECT_EQ(view->consultation(), "consultations/c1");
    EXPECT_EQ(view->payload_case(), event.payload_case());
    // The comment's author is public; only the endorser is hidden.
    const v1::CommentRef& seen = endorse ? view->comment_endorsed().comment()
                                         : view->comment_unendorsed().comment();
    EXPECT_EQ(seen.author(), "members/7e0f");
    // The secretariat still sees who endorsed.
    EXPECT_EQ(ViewForRole(event, v1::ROLE_SECRETARIAT)->actor(),
              "members/3a1b");
  }
}

TEST(ViewForRoleTest, PartnerKeepsTheActorOfOtherCommentEvents) {
  v1::Event event;
  event.set_actor("members/3a1b");
  event.set_actor_display_name("Ada Lovelace");
  event.mutable_comment_created()->mutable_comment()->set_target_kind(
      v1::Comment::TARGET_SECTION);
  const std::optional<v1::Event> view = ViewForRole(event, v1::ROLE_PARTNER);
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->actor(), "members/3a1b");
  EXPECT_EQ(view->actor_display_name(), "Ada Lovelace");
}

TEST(ViewForRoleTest, NobodySeesAnEventWithoutAPayloadItKnows) {
  v1::Event none;
  none.set_consultation("consultations/c1");
  // A payload added after this build: parsed as an unknown field.
  v1::Event future;
  ASSERT_TRUE(future.ParseFromString(std::string("\xfa\x07\x02\x08\x01", 5)));
  ASSERT_EQ(future.payload_case(), v1::Event::PAYLOAD_NOT_SET);
  for (const v1::Role role : {v1::ROLE_SECRETARIAT, v1::ROLE_PARTNER}) {
    EXPECT_EQ(ViewForRole(none, role), std::nullopt);
    EXPECT_EQ(ViewForRole(future, role), std::nullopt);
  }
}

}  // namespace
}  // namespace cdc::notifications
