#include "services/common/redis.h"

#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/redis_test_server.h"
#include "services/common/status_matchers.h"

namespace cdc {
namespace {

using ::cdc::testing::IsOk;
using ::cdc::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::SizeIs;

using Type = RedisReply::Type;

// Polls `condition` every 10 ms until it holds or `timeout` passes; returns
// whether it held.
template <typename Condition>
bool Eventually(Condition condition,
                absl::Duration timeout = absl::Seconds(10)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return true;
}

class RedisClientTest : public cdc::testing::RedisTest {
 protected:
  // How many clients Redis has blocked in BLPOP and the like, via `client`.
  static int64_t BlockedClients(RedisClient& client) {
    absl::StatusOr<RedisReply> info = client.Command({"INFO", "clients"});
    if (!info.ok()) return -1;
    const std::string field = "blocked_clients:";
    const size_t at = info->str.find(field);
    if (at == std::string::npos) return -1;
    return std::strtoll(info->str.c_str() + at + field.size(), nullptr, 10);
  }
};

TEST_F(RedisClientTest, ArgumentsWithSpacesAndBinaryBytesRoundTripUnchanged) {
  const std::string key = "key with spaces %s %d \r\n*3\r\n";
  constexpr char kValue[] =
      "\0\x01\xff binary\r\n$-1\r\n \"quoted\" 'x' %n \xE2\x82\xAC";
  const std::string value(kValue, sizeof(kValue) - 1);  // NUL included
  ASSERT_THAT(redis().Command({"SET", key, value}), IsOk());
  absl::StatusOr<RedisReply> reply = redis().Command({"GET", key});
  ASSERT_THAT(reply, IsOk());
  EXPECT_EQ(reply->type, Type::kString);
  EXPECT_EQ(reply->str, value);

  // The key is one argument, not split at its spaces.
  absl::StatusOr<RedisReply> keys = redis().Command({"KEYS", "*"});
  ASSERT_THAT(keys, IsOk());
  ASSERT_THAT(keys->elements, SizeIs(1));
  EXPECT_EQ(keys->elements[0].str, key);
}

TEST_F(RedisClientTest, EmptyArgumentsAreKept) {
  ASSERT_THAT(redis().Command({"HSET", "h", "", ""}), IsOk());
  absl::StatusOr<RedisReply> reply = redis().Command({"HGET", "h", ""});
  ASSERT_THAT(reply, IsOk());
  EXPECT_EQ(reply->type, Type::kString);
  EXPECT_EQ(reply->str, "");
}

TEST_F(RedisClientTest, MissingKeyReadsAsNil) {
  absl::StatusOr<RedisReply> reply = redis().Command({"GET", "missing"});
  ASSERT_THAT(reply, IsOk());
  EXPECT_TRUE(reply->is_nil());
  EXPECT_THAT(ReplyString(*reply), StatusIs(absl::StatusCode::kInternal));
}

TEST_F(RedisClientTest, StatusRepliesCarryTheirText) {
  absl::StatusOr<RedisReply> reply = redis().Command({"SET", "k", "v"});
  ASSERT_THAT(reply, IsOk());
  EXPECT_EQ(reply->type, Type::kStatus);
  EXPECT_EQ(reply->str, "OK");
  EXPECT_EQ(*ReplyString(*reply), "OK");
}

TEST_F(RedisClientTest, IntegerRepliesCarryTheirValue) {
  ASSERT_THAT(redis().Command({"SET", "n", "41"}), IsOk());
  absl::StatusOr<RedisReply> reply = redis().Command({"INCR", "n"});
  ASSERT_THAT(reply, IsOk());
  EXPECT_EQ(reply->type, Type::kInteger);
  EXPECT_EQ(reply->integer, 42);
  EXPECT_EQ(*ReplyInteger(*reply), 42);
  EXPECT_THAT(ReplyString(*reply), StatusIs(absl::StatusCode::kInternal));

  // An integer stored as a string reads as one too.
  absl::StatusOr<RedisReply> text = redis().Command({"GET", "n"});
  ASSERT_THAT(text, IsOk());
  EXPECT_EQ(text->type, Type::kString);
  EXPECT_EQ(*ReplyInteger(*text), 42);
  ASSERT_THAT(redis().Command({"SET", "s", "forty-two"}), IsOk());
  EXPECT_THAT(ReplyInteger(*redis().Command({"GET", "s"})),
              StatusIs(absl::StatusCode::kInternal));
}

TEST_F(RedisClientTest, ArrayRepliesKeepOrderAndNilElements) {
  ASSERT_THAT(redis().Command({"RPUSH", "list", "a", "b c", "d"}), IsOk());
  absl::StatusOr<RedisReply> range =
      redis().Command({"LRANGE", "list", "0", "-1"});
  ASSERT_THAT(range, IsOk());
  EXPECT_EQ(range->type, Type::kArray);
  ASSERT_THAT(range->elements, SizeIs(3));
  EXPECT_EQ(range->elements[0].str, "a");
  EXPECT_EQ(range->elements[1].str, "b c");
  EXPECT_EQ(range->elements[2].str, "d");

  ASSERT_THAT(redis().Command({"SET", "x", "1"}), IsOk());
  absl::StatusOr<RedisReply> values = redis().Command({"MGET", "x", "nope"});
  ASSERT_THAT(values, IsOk());
  ASSERT_THAT(values->elements, SizeIs(2));
  EXPECT_EQ(values->elements[0].str, "1");
  EXPECT_TRUE(values->elements[1].is_nil());

  absl::StatusOr<RedisReply> empty =
      redis().Command({"LRANGE", "nothing", "0", "-1"});
  ASSERT_THAT(empty, IsOk());
  EXPECT_EQ(empty->type, Type::kArray);
  EXPECT_THAT(empty->elements, SizeIs(0));
}

// Replies are built in place (redis.cc): arrays inside arrays, and replies
// long enough to arrive in several reads, keep their shape.
TEST_F(RedisClientTest, NestedAndLongArrayRepliesKeepTheirShape) {
  ASSERT_THAT(redis().Command({"XADD", "stream", "1-1", "f", "v", "g", "w"}),
              IsOk());
  absl::StatusOr<RedisReply> entries =
      redis().Command({"XRANGE", "stream", "-", "+"});
  ASSERT_THAT(entries, IsOk());
  ASSERT_THAT(entries->elements, SizeIs(1));
  const RedisReply& entry = entries->elements[0];
  ASSERT_THAT(entry.elements, SizeIs(2));
  EXPECT_EQ(entry.elements[0].str, "1-1");
  ASSERT_THAT(entry.elements[1].elements, SizeIs(4));
  EXPECT_EQ(entry.elements[1].elements[3].str, "w");

  std::vector<std::string> push = {"RPUSH", "long"};
  for (int i = 0; i < 5000; ++i) {
    push.push_back(std::string(100, static_cast<char>('a' + i % 26)));
  }
  ASSERT_THAT(redis().Command(push), IsOk());
  absl::StatusOr<RedisReply> all =
      redis().Command({"LRANGE", "long", "0", "-1"});
  ASSERT_THAT(all, IsOk());
  ASSERT_THAT(all->elements, SizeIs(5000));
  EXPECT_EQ(all->elements[4999].str, std::string(100, 'a' + 4999 % 26));
}

TEST_F(RedisClientTest, ErrorReplyIsInternalAndTheClientCarriesOn) {
  EXPECT_THAT(redis().Command({"NOSUCHCOMMAND", "x"}),
              StatusIs(absl::StatusCode::kInternal,
                       HasSubstr("redis: ERR unknown command")));
  ASSERT_THAT(redis().Command({"RPUSH", "list", "a"}), IsOk());
  EXPECT_THAT(redis().Command({"GET", "list"}),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("WRONGTYPE")));
  EXPECT_THAT(redis().Ping(), IsOk());
}

TEST_F(RedisClientTest, PipelineReturnsOneResultPerCommandInOrder) {
  absl::StatusOr<std::vector<absl::StatusOr<RedisReply>>> results =
      redis().Pipeline({{"SET", "a", "1 2"},
                        {"INCR", "counter"},
                        {"NOSUCHCOMMAND"},
                        {"INCR", "counter"},
                        {"GET", "a"},
                        {"GET", "missing"}});
  ASSERT_THAT(results, IsOk());
  ASSERT_THAT(*results, SizeIs(6));
  const auto& r = *results;
  ASSERT_THAT(r[0], IsOk());
  EXPECT_EQ(r[0]->str, "OK");
  ASSERT_THAT(r[1], IsOk());
  EXPECT_EQ(r[1]->integer, 1);
  EXPECT_THAT(r[2], StatusIs(absl::StatusCode::kInternal,
                             HasSubstr("unknown command")));
  ASSERT_THAT(r[3], IsOk());
  EXPECT_EQ(r[3]->integer, 2);  // the error did not stop the pipeline
  ASSERT_THAT(r[4], IsOk());
  EXPECT_EQ(r[4]->str, "1 2");
  ASSERT_THAT(r[5], IsOk());
  EXPECT_TRUE(r[5]->is_nil());
}

TEST_F(RedisClientTest, EmptyPipelineReturnsNoResults) {
  absl::StatusOr<std::vector<absl::StatusOr<RedisReply>>> results =
      redis().Pipeline({});
  ASSERT_THAT(results, IsOk());
  EXPECT_THAT(*results, SizeIs(0));
  EXPECT_THAT(redis().Ping(), IsOk());
}

const RedisScript& IncrByScript() {
  static const RedisScript* const script =
      new RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1])");
  return *script;
}

TEST_F(RedisClientTest, ScriptShaIsTheLowerCaseHexSha1OfItsSource) {
  absl::StatusOr<RedisReply> loaded =
      redis().Command({"SCRIPT", "LOAD", IncrByScript().source()});
  ASSERT_THAT(loaded, IsOk());
  EXPECT_EQ(IncrByScript().sha1(), loaded->str);
}

TEST_F(RedisClientTest, EvalRunsAScriptWithKeysAndArguments) {
  absl::StatusOr<RedisReply> reply =
      redis().Eval(IncrByScript(), {"counter key"}, {"5"});
  ASSERT_THAT(reply, IsOk());
  EXPECT_EQ(reply->integer, 5);
  reply = redis().Eval(IncrByScript(), {"counter key"}, {"2"});
  ASSERT_THAT(reply, IsOk());
  EXPECT_EQ(reply->integer, 7);

  const RedisScript echo("return {KEYS[1], ARGV[1], ARGV[2]}");
  const std::string binary("a\0b \r\n", 6);
  reply = redis().Eval(echo, {"k k"}, {binary, ""});
  ASSERT_THAT(reply, IsOk());
  ASSERT_THAT(reply->elements, SizeIs(3));
  EXPECT_EQ(reply->elements[0].str, "k k");
  EXPECT_EQ(reply->elements[1].str, binary);
  EXPECT_EQ(reply->elements[2].str, "");
}

TEST_F(RedisClientTest, EvalStillWorksAfterScriptFlush) {
  ASSERT_THAT(redis().Eval(IncrByScript(), {"c"}, {"1"}), IsOk());
  ASSERT_THAT(redis().Command({"SCRIPT", "FLUSH"}), IsOk());
  absl::StatusOr<RedisReply> exists =
      redis().Command({"SCRIPT", "EXISTS", IncrByScript().sha1()});
  ASSERT_THAT(exists, IsOk());
  ASSERT_EQ(exists->elements.at(0).integer, 0);

  absl::StatusOr<RedisReply> reply = redis().Eval(IncrByScript(), {"c"}, {"1"});
  ASSERT_THAT(reply, IsOk());
  EXPECT_EQ(reply->integer, 2);  // ran exactly once more

  // ... and is cached again for the next EVALSHA.
  exists = redis().Command({"SCRIPT", "EXISTS", IncrByScript().sha1()});
  ASSERT_THAT(exists, IsOk());
  EXPECT_EQ(exists->elements.at(0).integer, 1);
}

TEST_F(RedisClientTest, ScriptErrorReplyWithACodeNameArrivesAsThatCode) {
  const RedisScript not_found("return redis.error_reply('NOT_FOUND x')");
  EXPECT_THAT(redis().Eval(not_found, {}, {}),
              StatusIs(absl::StatusCode::kNotFound, "x"));

  const RedisScript precondition(
      "return redis.error_reply('FAILED_PRECONDITION member ' .. ARGV[1] .. "
      "' is SUSPENDED')");
  EXPECT_THAT(redis().Eval(precondition, {}, {"members/abc"}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "member members/abc is SUSPENDED"));
}

TEST_F(RedisClientTest, ScriptErrorsWithoutACodeNameAreInternal) {
  for (const char* source :
       {"return redis.error_reply('something broke')",
        "return redis.error_reply('NOT_FOUND')",
        "return redis.error_reply('OK not really')",
        "return redis.error_reply('not_found lower case')",
        "error('lua runtime error')", "return redis.call('NOSUCHCOMMAND')"}) {
    EXPECT_THAT(redis().Eval(RedisScript(source), {}, {}),
                StatusIs(absl::StatusCode::kInternal, HasSubstr("redis: ")))
        << source;
  }
}

TEST_F(RedisClientTest, ErrorInsideAnArrayReplyFailsTheWholeReply) {
  // EXEC answers an array holding each queued command's reply; INCR of a
  // non-number fails inside it.
  absl::StatusOr<std::vector<absl::StatusOr<RedisReply>>> results =
      redis().Pipeline({{"MULTI"}, {"SET", "k", "v"}, {"INCR", "k"}, {"EXEC"}});
  ASSERT_THAT(results, IsOk());
  ASSERT_THAT(*results, SizeIs(4));
  ASSERT_THAT((*results)[1], IsOk());
  EXPECT_EQ((*results)[1]->str, "QUEUED");
  EXPECT_THAT((*results)[3], StatusIs(absl::StatusCode::kInternal,
                                      HasSubstr("not an integer")));
}

TEST_F(RedisClientTest, PingFailsUnavailableWhileRedisIsDownAndRecoversAfter) {
  ASSERT_THAT(redis().Ping(), IsOk());  // leaves an open, idle connection
  server().Stop();
  // The idle connection is dead, and a new one cannot be made.
  EXPECT_THAT(redis().Ping(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(redis().Ping(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(redis().Command({"GET", "k"}),
              StatusIs(absl::StatusCode::kUnavailable));

  ASSERT_THAT(server().Restart(), IsOk());
  // The same client reconnects once its backoff has passed.
  EXPECT_TRUE(Eventually([&] { return redis().Ping().ok(); }));
  EXPECT_THAT(redis().Command({"SET", "k", "v"}), IsOk());
}

TEST_F(RedisClientTest, RecoversAfterRedisIsKilledAndRestarted) {
  ASSERT_THAT(redis().Ping(), IsOk());
  server().Stop(/*kill=*/true);  // no clean close; the socket file stays
  EXPECT_THAT(redis().Ping(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(redis().Ping(), StatusIs(absl::StatusCode::kUnavailable));
  ASSERT_THAT(server().Restart(), IsOk());
  EXPECT_TRUE(Eventually([&] { return redis().Ping().ok(); }));
}

TEST_F(RedisClientTest, IdleConnectionsClosedByARestartAreNotUsedAgain) {
  ASSERT_THAT(redis().Ping(), IsOk());  // leaves an open, idle connection
  // Redis goes and comes back while this client sends nothing (a service
  // whose requests failed elsewhere meanwhile): the first command after
  // its return must not fail on the connection the restart closed.
  server().Stop(/*kill=*/true);
  ASSERT_THAT(server().Restart(), IsOk());
  EXPECT_THAT(redis().Command({"SET", "k", "v"}), IsOk());
}

TEST_F(RedisClientTest, EvalReloadsTheScriptAfterRedisRestarts) {
  ASSERT_THAT(redis().Eval(IncrByScript(), {"c"}, {"3"}), IsOk());
  ASSERT_THAT(server().Restart(), IsOk());  // scripts and data are gone
  ASSERT_TRUE(Eventually([&] { return redis().Ping().ok(); }));
  absl::StatusOr<RedisReply> reply = redis().Eval(IncrByScript(), {"c"}, {"3"});
  ASSERT_THAT(reply, IsOk());
  EXPECT_EQ(reply->integer, 3);
}

TEST_F(RedisClientTest, UnreachableTcpAddressIsUnavailable) {
  RedisOptions options;
  options.address = "127.0.0.1:1";  // nothing listens on port 1
  RedisClient client(options);
  EXPECT_THAT(client.Ping(), StatusIs(absl::StatusCode::kUnavailable));
  // While backing off it answers at once, with the last error.
  EXPECT_THAT(client.Command({"GET", "k"}),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("redis: ")));
}

TEST_F(RedisClientTest,
       CommandOutlastingItsTimeoutIsUnavailableAndTheClientRecovers) {
  RedisOptions options = redis_options();
  options.command_timeout = absl::Milliseconds(200);
  RedisClient client(options);
  EXPECT_THAT(client.Command({"BLPOP", "never", "0"}),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(client.Ping(), IsOk());
}

TEST_F(RedisClientTest, ManyThreadsShareOneClientWithASmallPool) {
  RedisOptions options = redis_options();
  options.pool_size = 3;
  RedisClient client(options);
  constexpr int kThreads = 8;
  constexpr int kIncrements = 500;
  std::vector<std::thread> threads;
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&client, &failures, t] {
      for (int i = 0; i < kIncrements; ++i) {
        if (!client.Command({"INCR", "shared"}).ok()) ++failures[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_THAT(failures, ::testing::Each(0));
  absl::StatusOr<RedisReply> total = client.Command({"GET", "shared"});
  ASSERT_THAT(total, IsOk());
  EXPECT_EQ(*ReplyInteger(*total), kThreads * kIncrements);
}

TEST_F(RedisClientTest, PoolOfOneMakesASecondCallerWaitForTheConnection) {
  RedisOptions options = redis_options();
  options.pool_size = 1;
  options.command_timeout = absl::Seconds(5);
  RedisClient client(options);

  // The holder blocks in Redis, holding the only connection.
  absl::StatusOr<RedisReply> held;
  std::thread holder([&] { held = client.Command({"BLPOP", "q", "4"}); });
  ASSERT_TRUE(Eventually([&] { return BlockedClients(redis()) == 1; }));

  // If the waiter got a connection of its own, its push would be what
  // unblocks the holder; with one connection it must wait for the holder.
  absl::StatusOr<RedisReply> waited;
  std::thread waiter([&] {
    waited = client.Command({"RPUSH", "q", "waiter"});
  });
  ASSERT_THAT(redis().Command({"RPUSH", "q", "test"}), IsOk());
  holder.join();
  waiter.join();

  ASSERT_THAT(held, IsOk());
  ASSERT_THAT(held->elements, SizeIs(2));
  EXPECT_EQ(held->elements[1].str, "test");
  ASSERT_THAT(waited, IsOk());
  EXPECT_EQ(waited->integer, 1);  // "test" was already taken
}

TEST_F(RedisClientTest,
       PoolOfOneIsResourceExhaustedWhenTheHolderOutlastsTheTimeout) {
  RedisOptions options = redis_options();
  options.pool_size = 1;
  options.command_timeout = absl::Seconds(1);
  RedisClient client(options);

  // Ten BLPOPs of 0.3 s each, pipelined: every read returns within the
  // command timeout, but the connection stays taken for up to 3 s.
  std::vector<std::vector<std::string>> blocking;
  for (int i = 0; i < 10; ++i) {
    blocking.push_back({"BLPOP", absl::StrCat("q", i), "0.3"});
  }
  absl::StatusOr<std::vector<absl::StatusOr<RedisReply>>> held;
  std::thread holder([&] { held = client.Pipeline(blocking); });
  ASSERT_TRUE(Eventually([&] { return BlockedClients(redis()) == 1; }));

  EXPECT_THAT(client.Ping(), StatusIs(absl::StatusCode::kResourceExhausted,
                                      HasSubstr("busy")));

  // Release the holder at once rather than waiting out its BLPOPs.
  for (int i = 0; i < 10; ++i) {
    ASSERT_THAT(redis().Command({"RPUSH", absl::StrCat("q", i), "x"}), IsOk());
  }
  holder.join();
  ASSERT_THAT(held, IsOk());
  EXPECT_THAT(*held, SizeIs(10));
  EXPECT_THAT(client.Ping(), IsOk());
}

}  // namespace
}  // namespace cdc
