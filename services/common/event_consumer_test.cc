// Stream and event ids, and EventConsumer against a real Redis.
#include "services/common/event_consumer.h"

#include <atomic>
#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/keys.h"
#include "services/common/redis_test_server.h"
#include "services/common/status_matchers.h"

namespace cdc {
namespace {

using ::cdc::testing::IsOk;
using ::cdc::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::StartsWith;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;
constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

// ---- StreamId ----

TEST(StreamIdTest, ToStringIsMsDashSeq) {
  EXPECT_EQ((StreamId{}).ToString(), "0-0");
  EXPECT_EQ((StreamId{1712345678901, 0}).ToString(), "1712345678901-0");
  EXPECT_EQ((StreamId{kMax, kMax}).ToString(),
            "18446744073709551615-18446744073709551615");
}

TEST(StreamIdTest, ParsesWhatToStringMakes) {
  for (const StreamId& id :
       {StreamId{}, StreamId{1712345678901, 0}, StreamId{1712345678901, 7},
        StreamId{0, kMax}, StreamId{kMax, 0}, StreamId{kMax, kMax}}) {
    absl::StatusOr<StreamId> parsed = ParseStreamId(id.ToString());
    ASSERT_THAT(parsed, IsOk()) << id.ToString();
    EXPECT_EQ(*parsed, id);
  }
}

TEST(StreamIdTest, RefusesAnythingButCanonicalDecimal) {
  for (const std::string& text : {
           std::string(""),
           std::string("-"),
           std::string("1"),
           std::string("1-"),
           std::string("-1"),
           std::string("1--0"),
           std::string("1-2-3"),
           std::string("+1-0"),
           std::string("1-+0"),
           std::string("-1-0"),
           std::string("1--1"),
           std::string(" 1-0"),
           std::string("1-0 "),
           std::string("1 -0"),
           std::string("1- 0"),
           std::string("1-0\n"),
           std::string("1-0\0", 4),
           std::string("01-0"),
           std::string("1-00"),
           std::string("0x1-0"),
           std::string("a-0"),
           std::string("1-b"),
           std::string("1.5-0"),
           std::string("1_000-0"),
           std::string("\xef\xbc\x91-0"),  // fullwidth digit one
           std::string("18446744073709551616-0"),
           std::string("0-18446744073709551616"),
           std::string("99999999999999999999-0"),
           std::string("184467440737095516150-0"),
           std::string("1*"),
       }) {
    EXPECT_THAT(ParseStreamId(text),
                StatusIs(kInvalid, StartsWith("stream id")))
        << "text \"" << absl::CHexEscape(text) << "\"";
  }
}

TEST(StreamIdTest, OrdersByMsThenSeq) {
  EXPECT_LT((StreamId{1, kMax}), (StreamId{2, 0}));
  EXPECT_LT((StreamId{2, 0}), (StreamId{2, 1}));
  EXPECT_EQ((StreamId{2, 1}), (StreamId{2, 1}));
  EXPECT_LT(StreamId{}, (StreamId{0, 1}));
}

// ---- Event ids ----

TEST(EventIdTest, IsShardThenStreamId) {
  EXPECT_EQ(EventId(3, {1712345678901, 0}), "s3-1712345678901-0");
  EXPECT_EQ(EventId(0, {}), "s0-0-0");
  EXPECT_EQ(EventId(kShardCount - 1, {kMax, kMax}),
            "s15-18446744073709551615-18446744073709551615");
}

TEST(EventIdTest, ParsesWhatEventIdMakes) {
  for (int shard = 0; shard < kShardCount; ++shard) {
    for (const StreamId& id :
         {StreamId{}, StreamId{1712345678901, 3}, StreamId{kMax, kMax}}) {
      absl::StatusOr<std::pair<int, StreamId>> parsed =
          ParseEventId(EventId(shard, id));
      ASSERT_THAT(parsed, IsOk()) << EventId(shard, id);
      EXPECT_EQ(parsed->first, shard);
      EXPECT_EQ(parsed->second, id);
    }
  }
}

TEST(EventIdTest, RefusesMalformedIds) {
  for (const std::string& text : {
           std::string(""),
           std::string("s"),
           std::string("s3"),
           std::string("s3-"),
           std::string("s3-1"),
           std::string("s3-1-"),
           std::string("s3-1-0-0"),
           std::string("s3--1-0"),
           std::string("3-1-0"),
           std::string("S3-1-0"),
           std::string("x3-1-0"),
           std::string("s-1-0"),
           std::string("s-1-1-0"),
           std::string("s+3-1-0"),
           std::string("s03-1-0"),
           std::string("s 3-1-0"),
           std::string(" s3-1-0"),
           std::string("s3-1-0 "),
           std::string("s16-1-0"),
           std::string("s99-1-0"),
           std::string("s18446744073709551616-1-0"),
           std::string("s4294967299-1-0"),  // 3 modulo 2^32
           std::string("s3-01-0"),
           std::string("s3-1-+0"),
           std::string("s3-18446744073709551616-0"),
           std::string("1712345678901-0"),
       }) {
    EXPECT_THAT(ParseEventId(text),
                StatusIs(kInvalid, StartsWith("event id: ")))
        << "text \"" << absl::CHexEscape(text) << "\"";
  }
}

// ---- EventConsumer ----

// Fast timings, so that the tests wait tens of milliseconds.
EventConsumer::Options Fast(const std::string& group, const std::string& name) {
  EventConsumer::Options options;
  options.group = group;
  options.name = name;
  options.block = absl::Milliseconds(50);
  options.claim_idle = absl::Milliseconds(200);
  options.claim_interval = absl::Milliseconds(50);
  options.retry_delay = absl::Milliseconds(10);
  return options;
}

// What a handler saw: the events' ids and actors, in the order handled.
class Seen {
 public:
  void Add(const v1::Event& event) {
    absl::MutexLock lock(&mu_);
    events_.push_back(event);
  }
  std::vector<v1::Event> events() const {
    absl::MutexLock lock(&mu_);
    return events_;
  }
  // The actors of the events handled, per shard, in order.
  std::map<int, std::vector<std::string>> ActorsByShard() const {
    std::map<int, std::vector<std::string>> out;
    for (const v1::Event& e : events()) {
      auto parsed = ParseEventId(e.id());
      EXPECT_THAT(parsed, IsOk());
      if (parsed.ok()) out[parsed->first].push_back(e.actor());
    }
    return out;
  }
  // Polls up to 10 s until at least `n` events were handled.
  bool WaitForCount(size_t n) const {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (absl::Now() < deadline) {
      if (events().size() >= n) return true;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return events().size() >= n;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<v1::Event> events_ ABSL_GUARDED_BY(mu_);
};

class EventConsumerTest : public cdc::testing::RedisTest {
 protected:
  // Appends an event with `actor` to shard `shard`'s stream.
  void Write(int shard, const std::string& actor) {
    v1::Event event;
    event.set_actor(actor);
    ASSERT_THAT(
        redis().Command({"XADD", EventStreamKey(shard), "*",
                         std::string(kEventField), event.SerializeAsString()}),
        IsOk());
  }

  // Entries of `group` read but not acknowledged, over every shard.
  int64_t Pending(const std::string& group) {
    int64_t pending = 0;
    for (int shard = 0; shard < kShardCount; ++shard) {
      auto reply = redis().Command({"XPENDING", EventStreamKey(shard), group});
      if (!reply.ok()) continue;  // NOGROUP: no group, nothing pending
      if (!reply->elements.empty()) {
        pending += reply->elements[0].integer;
      }
    }
    return pending;
  }

  // Polls up to 10 s until `group` has nothing pending.
  bool WaitForNothingPending(const std::string& group) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (absl::Now() < deadline) {
      if (Pending(group) == 0) return true;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return Pending(group) == 0;
  }

  EventConsumer::Handler Recorder(Seen* seen) {
    return [seen](const v1::Event& event) {
      seen->Add(event);
      return absl::OkStatus();
    };
  }
};

TEST_F(EventConsumerTest, DeliversEveryEventInOrderPerShardWithItsId) {
  // Some written before the group exists, some after it started.
  for (int i = 0; i < 5; ++i) Write(3, absl::StrCat("a", i));
  Seen seen;
  EventConsumer consumer(&redis(), redis_options(), Fast("g", "one"),
                         Recorder(&seen));
  consumer.Start();
  for (int i = 0; i < 5; ++i) {
    Write(3, absl::StrCat("b", i));
    Write(9, absl::StrCat("c", i));
  }
  ASSERT_TRUE(seen.WaitForCount(15));
  const auto by_shard = seen.ActorsByShard();
  EXPECT_THAT(by_shard.at(3), ElementsAre("a0", "a1", "a2", "a3", "a4", "b0",
                                          "b1", "b2", "b3", "b4"));
  EXPECT_THAT(by_shard.at(9), ElementsAre("c0", "c1", "c2", "c3", "c4"));
  EXPECT_EQ(by_shard.size(), 2u);
  for (const v1::Event& e : seen.events()) {
    EXPECT_THAT(e.id(), StartsWith(e.actor()[0] == 'c' ? "s9-" : "s3-"));
  }
  EXPECT_EQ(consumer.name(), "one");
}

TEST_F(EventConsumerTest, AcknowledgesOnlyAfterTheHandlerSucceeds) {
  Write(5, "x");
  absl::Notification entered;
  absl::Notification release;
  EventConsumer consumer(&redis(), redis_options(), Fast("g", "one"),
                         [&](const v1::Event&) {
                           entered.Notify();
                           release.WaitForNotification();
                           return absl::OkStatus();
                         });
  consumer.Start();
  EXPECT_TRUE(entered.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_EQ(Pending("g"), 1);  // read, being handled, not acknowledged
  EXPECT_EQ(consumer.processed(), 0);
  release.Notify();
  EXPECT_TRUE(WaitForNothingPending("g"));
  consumer.Stop();
  EXPECT_EQ(consumer.processed(), 1);
}

TEST_F(EventConsumerTest, RetriesAFailedEventBeforeTheRestOfItsShard) {
  for (const char* actor : {"a", "fails-once", "b", "c"}) Write(7, actor);
  Write(2, "other-shard");
  Seen seen;
  bool failed = false;  // the consumer thread's only
  EventConsumer consumer(&redis(), redis_options(), Fast("g", "one"),
                         [&](const v1::Event& event) {
                           seen.Add(event);
                           if (event.actor() == "fails-once" && !failed) {
                             failed = true;
                             return absl::UnavailableError("try again");
                           }
                           return absl::OkStatus();
                         });
  consumer.Start();
  ASSERT_TRUE(seen.WaitForCount(6));
  EXPECT_TRUE(WaitForNothingPending("g"));
  const auto by_shard = seen.ActorsByShard();
  // The failure holds back b and c, not the other shard.
  EXPECT_THAT(by_shard.at(7),
              ElementsAre("a", "fails-once", "fails-once", "b", "c"));
  EXPECT_THAT(by_shard.at(2), ElementsAre("other-shard"));
  consumer.Stop();
  EXPECT_EQ(consumer.processed(), 5);
}

TEST_F(EventConsumerTest,
       RetriesAFailureBeforeNewerEntriesWellBeforeClaimIdle) {
  // One entry per read, so that without the retry of its own pending
  // entries the consumer would read event 3 (">") before event 2 again.
  for (int i = 1; i <= 5; ++i) Write(11, absl::StrCat(i));
  Seen seen;
  EventConsumer::Options options = Fast("g", "one");
  options.batch = 1;
  options.claim_idle = absl::Seconds(30);  // no claim helps here
  options.retry_delay = absl::Milliseconds(20);
  bool failed = false;  // the consumer thread's only
  EventConsumer consumer(&redis(), redis_options(), options,
                         [&](const v1::Event& event) {
                           seen.Add(event);
                           if (event.actor() == "2" && !failed) {
                             failed = true;
                             return absl::UnavailableError("try again");
                           }
                           return absl::OkStatus();
                         });
  const absl::Time start = absl::Now();
  consumer.Start();
  ASSERT_TRUE(seen.WaitForCount(6));
  EXPECT_TRUE(WaitForNothingPending("g"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_THAT(seen.ActorsByShard().at(11),
              ElementsAre("1", "2", "2", "3", "4", "5"));
  // Entries written after the failure come after the retry too.
  for (int i = 6; i <= 7; ++i) Write(11, absl::StrCat(i));
  ASSERT_TRUE(seen.WaitForCount(8));
  EXPECT_THAT(seen.ActorsByShard().at(11),
              ElementsAre("1", "2", "2", "3", "4", "5", "6", "7"));
  consumer.Stop();
  EXPECT_EQ(consumer.processed(), 7);
}

TEST_F(EventConsumerTest, AnEntryDeletedWhilePendingDoesNotHoldItsShard) {
  for (const char* actor : {"a", "deleted", "b"}) Write(12, actor);
  Seen seen;
  EventConsumer::Options options = Fast("g", "one");
  // No XAUTOCLAIM meanwhile (it drops deleted entries from the pending
  // list itself): the re-read must cope with the entry's absence.
  options.claim_idle = absl::Seconds(30);
  options.claim_interval = absl::Seconds(30);
  EventConsumer consumer(
      &redis(), redis_options(), options, [&](const v1::Event& event) {
        seen.Add(event);
        if (event.actor() != "deleted") return absl::OkStatus();
        // Trimmed away while it waits for its retry.
        auto parsed = ParseEventId(event.id());
        EXPECT_THAT(parsed, IsOk());
        EXPECT_THAT(redis().Command({"XDEL", EventStreamKey(12),
                                     parsed->second.ToString()}),
                    IsOk());
        return absl::UnavailableError("try again");
      });
  consumer.Start();
  ASSERT_TRUE(seen.WaitForCount(3));
  EXPECT_TRUE(WaitForNothingPending("g"));
  EXPECT_THAT(seen.ActorsByShard().at(12), ElementsAre("a", "deleted", "b"));
}

TEST_F(EventConsumerTest, HandlesWhatAnEarlierRunUnderItsNameLeftPending) {
  for (int i = 0; i < 3; ++i) Write(13, absl::StrCat("old", i));
  ASSERT_THAT(redis().Command({"XGROUP", "CREATE", EventStreamKey(13), "g", "0",
                               "MKSTREAM"}),
              IsOk());
  ASSERT_THAT(redis().Command({"XREADGROUP", "GROUP", "g", "one", "COUNT",
                               "100", "STREAMS", EventStreamKey(13), ">"}),
              IsOk());
  Write(13, "new");
  Seen seen;
  EventConsumer::Options options = Fast("g", "one");
  options.claim_idle = absl::Seconds(30);
  EventConsumer consumer(&redis(), redis_options(), options, Recorder(&seen));
  consumer.Start();
  ASSERT_TRUE(seen.WaitForCount(4));
  EXPECT_TRUE(WaitForNothingPending("g"));
  EXPECT_THAT(seen.ActorsByShard().at(13),
              ElementsAre("old0", "old1", "old2", "new"));
}

TEST_F(EventConsumerTest, GivesUpOnAnEventAfterMaxAttempts) {
  Write(4, "always-fails");
  Write(4, "next");
  Seen seen;
  EventConsumer::Options options = Fast("g", "one");
  options.max_attempts = 3;
  EventConsumer consumer(
      &redis(), redis_options(), options, [&](const v1::Event& event) {
        seen.Add(event);
        return event.actor() == "always-fails" ? absl::InternalError("broken")
                                               : absl::OkStatus();
      });
  consumer.Start();
  ASSERT_TRUE(seen.WaitForCount(4));
  EXPECT_TRUE(WaitForNothingPending("g"));
  EXPECT_THAT(
      seen.ActorsByShard().at(4),
      ElementsAre("always-fails", "always-fails", "always-fails", "next"));
  consumer.Stop();
  EXPECT_EQ(consumer.processed(), 1);  // the given-up one is not counted
}

TEST_F(EventConsumerTest, AcknowledgesAnUnreadableEntryWithoutTheHandler) {
  ASSERT_THAT(redis().Command({"XADD", EventStreamKey(1), "*",
                               std::string(kEventField), "\xff\xff not proto"}),
              IsOk());
  ASSERT_THAT(
      redis().Command({"XADD", EventStreamKey(1), "*", "other", "field"}),
      IsOk());
  Write(1, "readable");
  Seen seen;
  EventConsumer consumer(&redis(), redis_options(), Fast("g", "one"),
                         Recorder(&seen));
  consumer.Start();
  ASSERT_TRUE(seen.WaitForCount(1));
  EXPECT_TRUE(WaitForNothingPending("g"));
  EXPECT_THAT(seen.ActorsByShard().at(1), ElementsAre("readable"));
}

TEST_F(EventConsumerTest, ClaimsWhatADeadConsumerLeftPending) {
  for (int i = 0; i < 4; ++i) Write(6, absl::StrCat("e", i));
  // A consumer of the group reads them and dies before acknowledging.
  ASSERT_THAT(redis().Command({"XGROUP", "CREATE", EventStreamKey(6), "g", "0",
                               "MKSTREAM"}),
              IsOk());
  auto taken = redis().Command({"XREADGROUP", "GROUP", "g", "dead", "COUNT",
                                "100", "STREAMS", EventStreamKey(6), ">"});
  ASSERT_THAT(taken, IsOk());
  ASSERT_EQ(Pending("g"), 4);

  Seen seen;
  EventConsumer survivor(&redis(), redis_options(), Fast("g", "survivor"),
                         Recorder(&seen));
  survivor.Start();
  ASSERT_TRUE(seen.WaitForCount(4));
  EXPECT_TRUE(WaitForNothingPending("g"));
  EXPECT_THAT(seen.ActorsByShard().at(6), ElementsAre("e0", "e1", "e2", "e3"));
}

TEST_F(EventConsumerTest, ReplicasOfOneGroupShareTheEvents) {
  Seen seen;
  EventConsumer a(&redis(), redis_options(), Fast("g", "a"), Recorder(&seen));
  EventConsumer b(&redis(), redis_options(), Fast("g", "b"), Recorder(&seen));
  a.Start();
  b.Start();
  for (int i = 0; i < 40; ++i) Write(i % kShardCount, absl::StrCat(i));
  ASSERT_TRUE(seen.WaitForCount(40));
  EXPECT_TRUE(WaitForNothingPending("g"));
  a.Stop();
  b.Stop();
  std::set<std::string> ids;
  for (const v1::Event& e : seen.events()) ids.insert(e.id());
  EXPECT_EQ(ids.size(), 40u);  // each once
  EXPECT_EQ(a.processed() + b.processed(), 40);
}

TEST_F(EventConsumerTest, EachGroupGetsEveryEvent) {
  Seen first, second;
  EventConsumer a(&redis(), redis_options(), Fast("first", "x"),
                  Recorder(&first));
  EventConsumer b(&redis(), redis_options(), Fast("second", "x"),
                  Recorder(&second));
  a.Start();
  b.Start();
  for (int i = 0; i < 20; ++i) Write(i % 3, absl::StrCat(i));
  ASSERT_TRUE(first.WaitForCount(20));
  ASSERT_TRUE(second.WaitForCount(20));
  EXPECT_EQ(first.ActorsByShard(), second.ActorsByShard());
  EXPECT_TRUE(WaitForNothingPending("first"));
  EXPECT_TRUE(WaitForNothingPending("second"));
}

TEST_F(EventConsumerTest, RunsAfterBatchOnceEntriesWereHandled) {
  std::atomic<int> batches{0};
  Seen seen;
  EventConsumer::Options options = Fast("g", "one");
  options.after_batch = [&] { batches.fetch_add(1); };
  EventConsumer consumer(&redis(), redis_options(), options, Recorder(&seen));
  consumer.Start();
  absl::SleepFor(absl::Milliseconds(200));  // idle reads: no batch
  EXPECT_EQ(batches.load(), 0);
  Write(0, "x");
  ASSERT_TRUE(seen.WaitForCount(1));
  consumer.Stop();
  EXPECT_GE(batches.load(), 1);
}

}  // namespace
}  // namespace cdc
