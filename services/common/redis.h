// A thread-safe Redis client over hiredis 0.14, the only way cdc talks to
// Redis.
//
// - Commands are argument vectors, never formatted strings, so user text can
//   never change a command's shape.
// - A pool of connections serves many threads; a connection that meets an I/O
//   error is dropped (hiredis contexts are dead after one), and so are the
//   idle ones, which were most likely cut by the same failure.
// - Connecting backs off exponentially while Redis is down, so a dead Redis
//   costs callers a fast UNAVAILABLE rather than a connect timeout each.
// - Lua scripts run by EVALSHA and are reloaded by EVAL on NOSCRIPT (after a
//   Redis restart or SCRIPT FLUSH).
// - A script signals a domain error with redis.error_reply("CODE message"),
//   CODE a canonical gRPC code name; it arrives here as that absl code.
//   Every other error reply is INTERNAL; I/O errors and timeouts are
//   UNAVAILABLE.
// - The first client made sets SIGPIPE to ignored (unless the program has
//   its own handler): hiredis writes with write(2), and a write to a closed
//   connection must fail as UNAVAILABLE, not kill the process.
// hiredis types stay inside redis.cc.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace cdc {

// One reply, copied out of hiredis. Error replies never appear here: they
// become a non-OK status.
struct RedisReply {
  enum class Type { kNil, kString, kInteger, kArray, kStatus };
  Type type = Type::kNil;            // what this reply is
  std::string str;                   // kString and kStatus
  int64_t integer = 0;               // kInteger
  std::vector<RedisReply> elements;  // kArray

  bool is_nil() const { return type == Type::kNil; }
};

struct RedisOptions {
  // "unix:/path/to/redis.sock" or "host:port".
  std::string address = "127.0.0.1:6379";
  absl::Duration connect_timeout = absl::Seconds(1);
  // For each command; a command that takes longer fails with UNAVAILABLE.
  absl::Duration command_timeout = absl::Seconds(2);
  // Connections kept open at most; a caller waits for a free one up to
  // command_timeout, then gets RESOURCE_EXHAUSTED.
  int pool_size = 32;
  // Reconnect backoff while Redis is unreachable: starts at the minimum,
  // doubles per failed attempt, capped at the maximum.
  absl::Duration min_backoff = absl::Milliseconds(20);
  absl::Duration max_backoff = absl::Milliseconds(500);
};

// A Lua script with its SHA-1 computed once.
class RedisScript final {
 public:
  explicit RedisScript(std::string source);
  const std::string& source() const { return source_; }
  const std::string& sha1() const { return sha1_; }

 private:
  std::string source_;  // the Lua text
  std::string sha1_;    // lower-case hex SHA-1 of source_, as EVALSHA wants
};

class RedisClient final {
 public:
  explicit RedisClient(RedisOptions options);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Runs one command, e.g. {"HGET", key, field}.
  absl::StatusOr<RedisReply> Command(const std::vector<std::string>& argv);

  // Sends all commands in one round trip on one connection and returns one
  // result per command, in order. The outer status fails only when the
  // connection does.
  absl::StatusOr<std::vector<absl::StatusOr<RedisReply>>> Pipeline(
      const std::vector<std::vector<std::string>>& commands);

  // Runs a script by EVALSHA, loading it on NOSCRIPT.
  absl::StatusOr<RedisReply> Eval(const RedisScript& script,
                                  const std::vector<std::string>& keys,
                                  const std::vector<std::string>& args);

  // Runs the same script once per (keys, args) pair in one pipelined round
  // trip, loading the script first if Redis does not know it. One result
  // per call, in order.
  struct ScriptCall {
    std::vector<std::string> keys;
    std::vector<std::string> args;
  };
  absl::StatusOr<std::vector<absl::StatusOr<RedisReply>>> EvalMany(
      const RedisScript& script, const std::vector<ScriptCall>& calls);

  // PING; OK when Redis answers PONG.
  absl::Status Ping();

  const RedisOptions& options() const { return options_; }

 private:
  class Connection;
  class Pool;

  const RedisOptions options_;
  std::unique_ptr<Pool> pool_;
};

// A Redis Pub/Sub subscription on its own connection and thread, for live
// hints between replicas. Pub/Sub delivers at most once and nothing while
// disconnected, so callers use it only to learn "look again": after every
// (re)subscription on_subscribed runs, and the owner then re-reads whatever
// durable record it follows. The subscriber reconnects with backoff.
class RedisSubscriber final {
 public:
  using MessageHandler = std::function<void(const std::string& channel,
                                            const std::string& message)>;

  // Starts the thread. Handlers run on it, one at a time: keep them short.
  RedisSubscriber(RedisOptions options, std::vector<std::string> channels,
                  MessageHandler on_message,
                  std::function<void()> on_subscribed);
  // Stops and joins the thread (within about 100 ms).
  ~RedisSubscriber();
  RedisSubscriber(const RedisSubscriber&) = delete;
  RedisSubscriber& operator=(const RedisSubscriber&) = delete;

 private:
  void Run();
  absl::Status Session();

  const RedisOptions options_;
  const std::vector<std::string> channels_;
  const MessageHandler on_message_;
  const std::function<void()> on_subscribed_;
  std::atomic<bool> stop_{false};
  std::thread thread_;  // last: starts after the fields above are set
};

// Reply accessors that turn a wrong shape into INTERNAL, for stores.
absl::StatusOr<std::string> ReplyString(const RedisReply& reply);
absl::StatusOr<int64_t> ReplyInteger(const RedisReply& reply);

}  // namespace cdc
