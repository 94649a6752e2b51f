#include "services/common/redis.h"

#include <hiredis/hiredis.h>
#include <openssl/sha.h>
#include <poll.h>
#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "services/common/crypto.h"
#include "services/common/log.h"
#include "services/common/status.h"
#include "services/common/status_macros.h"

namespace cdc {
namespace {

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

// An error reply from Redis. Scripts answer "CODE message" with CODE a
// canonical gRPC code name; anything else is Redis itself complaining.
absl::Status ErrorReplyStatus(absl::string_view text) {
  const size_t space = text.find(' ');
  // Redis' own errors for a state that passes (loading its data after a
  // restart, a script running too long, a replica without its master):
  // UNAVAILABLE, for the caller to retry, as when it cannot be reached.
  const absl::string_view first_word = text.substr(0, space);
  for (absl::string_view transient :
       {"LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN"}) {
    if (first_word == transient) {
      return absl::UnavailableError(absl::StrCat("redis: ", text));
    }
  }
  absl::StatusCode code;
  if (space != absl::string_view::npos &&
      ParseCodeName(text.substr(0, space), &code)) {
    return absl::Status(code, text.substr(space + 1));
  }
  return absl::InternalError(absl::StrCat("redis: ", text));
}

// hiredis builds the replies of the pooled connections through these
// functions, straight into RedisReply objects: one allocation per string
// instead of hiredis' own reply objects copied afterwards (a page of 50
// comments is 3,000 strings; building them twice was a fifth of
// cdc-comments' CPU in the list benchmark, docs/BENCHMARKS.md). An array's
// elements are built in place in its `elements`, sized when the array
// starts, so their addresses hold. An error reply, at the top or inside an
// array, is kept aside in the connection's ReplyErrors (the reader's
// privdata): the whole reply then becomes that error's status.
struct ReplyErrors {
  bool seen = false;
  std::string first;  // the first error reply's text
};

RedisReply* NewReplyNode(const redisReadTask* task) {
  if (task->parent == nullptr) return new RedisReply();
  auto* parent = static_cast<RedisReply*>(task->parent->obj);
  return &parent->elements[task->idx];
}

void* CreateStringReply(const redisReadTask* task, char* text, size_t len) {
  RedisReply* reply = NewReplyNode(task);
  if (task->type == REDIS_REPLY_ERROR) {
    auto* errors = static_cast<ReplyErrors*>(task->privdata);
    if (!errors->seen) {
      errors->seen = true;
      errors->first.assign(text, len);
    }
    return reply;  // left nil; the reply becomes an error status
  }
  reply->type = task->type == REDIS_REPLY_STATUS ? RedisReply::Type::kStatus
                                                 : RedisReply::Type::kString;
  reply->str.assign(text, len);
  return reply;
}

void* CreateArrayReply(const redisReadTask* task, int elements) {
  RedisReply* reply = NewReplyNode(task);
  reply->type = RedisReply::Type::kArray;
  if (elements > 0) reply->elements.resize(static_cast<size_t>(elements));
  return reply;
}

void* CreateIntegerReply(const redisReadTask* task, long long value) {
  RedisReply* reply = NewReplyNode(task);
  reply->type = RedisReply::Type::kInteger;
  reply->integer = value;
  return reply;
}

void* CreateNilReply(const redisReadTask* task) { return NewReplyNode(task); }

// hiredis frees only a top-level reply (one it gives up on midway), which
// owns everything built under it.
void FreeReply(void* reply) { delete static_cast<RedisReply*>(reply); }

redisReplyObjectFunctions kReplyFunctions = {
    CreateStringReply, CreateArrayReply, CreateIntegerReply, CreateNilReply,
    FreeReply};

// Argument vectors in the shape hiredis wants, pointing into `argv`.
struct ArgvView {
  explicit ArgvView(const std::vector<std::string>& argv) {
    pointers.reserve(argv.size());
    lengths.reserve(argv.size());
    for (const std::string& arg : argv) {
      pointers.push_back(arg.data());
      lengths.push_back(arg.size());
    }
  }
  std::vector<const char*> pointers;
  std::vector<size_t> lengths;
};

// hiredis 0.14 writes with write(2), so a command sent on a connection
// Redis has closed raises SIGPIPE, whose default action kills the process
// before the EPIPE can become UNAVAILABLE. Ignore it unless the program has
// chosen a handler of its own.
void IgnoreSigpipe() {
  static const bool sigpipe_ignored = [] {
    struct sigaction current {};
    if (sigaction(SIGPIPE, nullptr, &current) == 0 &&
        current.sa_handler == SIG_DFL) {
      signal(SIGPIPE, SIG_IGN);
    }
    return true;
  }();
  (void)sigpipe_ignored;
}

// A new connection to `options.address` with its command timeout set; the
// caller owns it.
absl::StatusOr<redisContext*> ConnectContext(const RedisOptions& options) {
  const timeval connect_timeout = absl::ToTimeval(options.connect_timeout);
  redisContext* context;
  if (absl::StartsWith(options.address, "unix:")) {
    context = redisConnectUnixWithTimeout(options.address.c_str() + 5,
                                          connect_timeout);
  } else {
    std::pair<std::string, std::string> parts =
        absl::StrSplit(options.address, absl::MaxSplits(':', 1));
    int port = 0;
    if (!absl::SimpleAtoi(parts.second, &port)) port = 0;
    context =
        redisConnectWithTimeout(parts.first.c_str(), port, connect_timeout);
  }
  if (context == nullptr) {
    return absl::ResourceExhaustedError("redis: out of memory");
  }
  if (context->err == 0 &&
      redisSetTimeout(context, absl::ToTimeval(options.command_timeout)) ==
          REDIS_OK) {
    return context;
  }
  absl::Status error =
      absl::UnavailableError(absl::StrCat("redis: ", context->errstr));
  redisFree(context);
  return error;
}

}  // namespace

RedisScript::RedisScript(std::string source) : source_(std::move(source)) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(source_.data()), source_.size(),
       digest);
  sha1_ = HexEncode(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

// One hiredis context, whose replies are built as RedisReply objects
// (kReplyFunctions). Once `broken()` it must not be used again.
class RedisClient::Connection {
 public:
  explicit Connection(redisContext* context) : context_(context) {
    context_->reader->fn = &kReplyFunctions;
    context_->reader->privdata = &errors_;
  }
  ~Connection() { redisFree(context_); }

  bool broken() const { return context_->err != 0; }

  // An idle connection has nothing to read: when its socket is readable,
  // hung up or in error, Redis closed it (it restarted, or timed the
  // connection out) while it sat in the pool, and the first command on it
  // would fail although Redis is back.
  bool stale() const {
    pollfd socket{
        .fd = context_->fd, .events = POLLIN | POLLRDHUP, .revents = 0};
    return poll(&socket, 1, 0) != 0;
  }

  absl::Status IoError() const {
    return absl::UnavailableError(absl::StrCat("redis: ", context_->errstr));
  }

  absl::StatusOr<RedisReply> Command(const std::vector<std::string>& argv) {
    ArgvView view(argv);
    void* reply = redisCommandArgv(context_, static_cast<int>(argv.size()),
                                   view.pointers.data(), view.lengths.data());
    if (reply == nullptr) return IoError();
    return Take(reply);
  }

  absl::StatusOr<std::vector<absl::StatusOr<RedisReply>>> Pipeline(
      const std::vector<std::vector<std::string>>& commands) {
    for (const auto& argv : commands) {
      ArgvView view(argv);
      if (redisAppendCommandArgv(context_, static_cast<int>(argv.size()),
                                 view.pointers.data(),
                                 view.lengths.data()) != REDIS_OK) {
        return IoError();
      }
    }
    std::vector<absl::StatusOr<RedisReply>> results;
    results.reserve(commands.size());
    for (size_t i = 0; i < commands.size(); ++i) {
      void* reply = nullptr;
      if (redisGetReply(context_, &reply) != REDIS_OK) return IoError();
      results.push_back(Take(reply));
    }
    return results;
  }

 private:
  // One whole reply from the reader: the reply, or the status of the
  // first error reply in it.
  absl::StatusOr<RedisReply> Take(void* raw) {
    std::unique_ptr<RedisReply> reply(static_cast<RedisReply*>(raw));
    if (errors_.seen) {
      absl::Status error = ErrorReplyStatus(errors_.first);
      errors_ = ReplyErrors();
      return error;
    }
    return std::move(*reply);
  }

  redisContext* context_;  // owned
  ReplyErrors errors_;     // of the reply being read
};

// Open connections, shared by all threads. Connects lazily and backs off
// while Redis is unreachable.
class RedisClient::Pool {
 public:
  explicit Pool(const RedisOptions& options) : options_(options) {}

  absl::StatusOr<std::unique_ptr<Connection>> Acquire() {
    const absl::Time deadline = absl::Now() + options_.command_timeout;
    std::vector<std::unique_ptr<Connection>> stale;  // closed after unlock
    {
      absl::MutexLock lock(&mu_);
      auto can_take = [this] {
        mu_.AssertHeld();
        return !idle_.empty() || open_ < options_.pool_size;
      };
      if (!mu_.AwaitWithDeadline(absl::Condition(&can_take), deadline)) {
        return absl::ResourceExhaustedError(
            "redis: every pooled connection is busy");
      }
      while (!idle_.empty()) {
        std::unique_ptr<Connection> connection = std::move(idle_.back());
        idle_.pop_back();
        if (!connection->stale()) return connection;
        --open_;
        stale.push_back(std::move(connection));
      }
      if (absl::Now() < next_attempt_) {
        return absl::UnavailableError(
            absl::StrCat("redis: unreachable (", last_error_, ")"));
      }
      ++open_;  // reserve the slot while connecting outside the lock
    }
    absl::StatusOr<std::unique_ptr<Connection>> connection = Connect();
    absl::MutexLock lock(&mu_);
    if (!connection.ok()) {
      --open_;
      backoff_ =
          std::clamp(backoff_ * 2, options_.min_backoff, options_.max_backoff);
      next_attempt_ = absl::Now() + backoff_;
      last_error_ = std::string(connection.status().message());
    } else {
      backoff_ = absl::ZeroDuration();
      next_attempt_ = absl::InfinitePast();
    }
    return connection;
  }

  // Returns a connection to the pool, or drops it if it broke; a broken one
  // also drops the idle ones, which the same outage has most likely cut.
  void Release(std::unique_ptr<Connection> connection) {
    std::vector<std::unique_ptr<Connection>> dropped;  // closed after unlock
    absl::MutexLock lock(&mu_);
    if (!connection->broken()) {
      idle_.push_back(std::move(connection));
      return;
    }
    open_ -= 1 + static_cast<int>(idle_.size());
    dropped.swap(idle_);
    dropped.push_back(std::move(connection));
  }

 private:
  absl::StatusOr<std::unique_ptr<Connection>> Connect() {
    CDC_ASSIGN_OR_RETURN(redisContext * context, ConnectContext(options_));
    return std::make_unique<Connection>(context);
  }

  const RedisOptions& options_;

  absl::Mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;  // idle + in use + connecting
  absl::Duration backoff_ ABSL_GUARDED_BY(mu_) = absl::ZeroDuration();
  absl::Time next_attempt_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::string last_error_ ABSL_GUARDED_BY(mu_);
};

RedisClient::RedisClient(RedisOptions options)
    : options_(std::move(options)), pool_(std::make_unique<Pool>(options_)) {
  IgnoreSigpipe();
}

RedisClient::~RedisClient() = default;

absl::StatusOr<RedisReply> RedisClient::Command(
    const std::vector<std::string>& argv) {
  CDC_ASSIGN_OR_RETURN(std::unique_ptr<Connection> connection,
                       pool_->Acquire());
  absl::StatusOr<RedisReply> reply = connection->Command(argv);
  pool_->Release(std::move(connection));
  return reply;
}

absl::StatusOr<std::vector<absl::StatusOr<RedisReply>>> RedisClient::Pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  CDC_ASSIGN_OR_RETURN(std::unique_ptr<Connection> connection,
                       pool_->Acquire());
  auto results = connection->Pipeline(commands);
  pool_->Release(std::move(connection));
  return results;
}

absl::StatusOr<RedisReply> RedisClient::Eval(
    const RedisScript& script, const std::vector<std::string>& keys,
    const std::vector<std::string>& args) {
  std::vector<std::string> argv;
  argv.reserve(3 + keys.size() + args.size());
  argv.push_back("EVALSHA");
  argv.push_back(script.sha1());
  argv.push_back(std::to_string(keys.size()));
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  absl::StatusOr<RedisReply> reply = Command(argv);
  if (reply.ok() ||
      !absl::StartsWith(reply.status().message(), "redis: NOSCRIPT")) {
    return reply;
  }
  // EVAL both runs the script and caches it for the next EVALSHA.
  argv[0] = "EVAL";
  argv[1] = script.source();
  return Command(argv);
}

absl::StatusOr<std::vector<absl::StatusOr<RedisReply>>> RedisClient::EvalMany(
    const RedisScript& script, const std::vector<ScriptCall>& calls) {
  std::vector<std::vector<std::string>> commands;
  commands.reserve(calls.size());
  for (const ScriptCall& call : calls) {
    std::vector<std::string>& argv = commands.emplace_back();
    argv.reserve(3 + call.keys.size() + call.args.size());
    argv.push_back("EVALSHA");
    argv.push_back(script.sha1());
    argv.push_back(std::to_string(call.keys.size()));
    argv.insert(argv.end(), call.keys.begin(), call.keys.end());
    argv.insert(argv.end(), call.args.begin(), call.args.end());
  }
  CDC_ASSIGN_OR_RETURN(auto results, Pipeline(commands));
  // Only the calls Redis refused for NOSCRIPT never ran; rerun just those,
  // so that a call that did run is never run twice.
  std::vector<size_t> missing;
  for (size_t i = 0; i < results.size(); ++i) {
    if (!results[i].ok() &&
        absl::StartsWith(results[i].status().message(), "redis: NOSCRIPT")) {
      missing.push_back(i);
    }
  }
  if (missing.empty()) return results;
  CDC_RETURN_IF_ERROR(Command({"SCRIPT", "LOAD", script.source()}).status());
  std::vector<std::vector<std::string>> retry;
  retry.reserve(missing.size());
  for (size_t i : missing) retry.push_back(commands[i]);
  CDC_ASSIGN_OR_RETURN(auto retried, Pipeline(retry));
  for (size_t k = 0; k < missing.size(); ++k) {
    results[missing[k]] = std::move(retried[k]);
  }
  return results;
}

absl::Status RedisClient::Ping() {
  CDC_ASSIGN_OR_RETURN(RedisReply reply, Command({"PING"}));
  if (reply.type != RedisReply::Type::kStatus || reply.str != "PONG") {
    return absl::InternalError("redis: PING did not answer PONG");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReplyString(const RedisReply& reply) {
  if (reply.type != RedisReply::Type::kString &&
      reply.type != RedisReply::Type::kStatus) {
    return absl::InternalError("redis: expected a string reply");
  }
  return reply.str;
}

absl::StatusOr<int64_t> ReplyInteger(const RedisReply& reply) {
  if (reply.type == RedisReply::Type::kInteger) return reply.integer;
  int64_t value;
  if (reply.type == RedisReply::Type::kString &&
      absl::SimpleAtoi(reply.str, &value)) {
    return value;
  }
  return absl::InternalError("redis: expected an integer reply");
}

RedisSubscriber::RedisSubscriber(RedisOptions options,
                                 std::vector<std::string> channels,
                                 MessageHandler on_message,
                                 std::function<void()> on_subscribed)
    : options_(std::move(options)),
      channels_(std::move(channels)),
      on_message_(std::move(on_message)),
      on_subscribed_(std::move(on_subscribed)) {
  IgnoreSigpipe();
  thread_ = std::thread([this] { Run(); });
}

RedisSubscriber::~RedisSubscriber() {
  stop_.store(true);
  thread_.join();
}

void RedisSubscriber::Run() {
  absl::Duration backoff = options_.min_backoff;
  while (!stop_.load()) {
    const absl::Time started = absl::Now();
    absl::Status status = Session();
    if (stop_.load()) break;
    // A session that lived a while was a success: start backing off anew.
    if (absl::Now() - started > options_.max_backoff) {
      backoff = options_.min_backoff;
    }
    Log(LogLevel::kWarning, "redis subscription lost; resubscribing",
        {{"error", std::string(status.message())}});
    // Sleep in short steps so that destruction is not held up.
    const absl::Time until = absl::Now() + backoff;
    while (!stop_.load() && absl::Now() < until) {
      absl::SleepFor(absl::Milliseconds(20));
    }
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

// One connection's life: SUBSCRIBE, then hand over messages until the
// connection fails or the subscriber stops. Reads wait in poll(2) with a
// short timeout rather than in a blocking read, so that stop_ is seen.
absl::Status RedisSubscriber::Session() {
  CDC_ASSIGN_OR_RETURN(redisContext * raw, ConnectContext(options_));
  std::unique_ptr<redisContext, void (*)(redisContext*)> context(raw,
                                                                 redisFree);
  // An idle subscription sends nothing, so a silently dropped connection
  // would never be noticed without TCP keepalive.
  if (context->connection_type == REDIS_CONN_TCP) {
    redisEnableKeepAlive(context.get());
  }
  std::vector<std::string> argv = {"SUBSCRIBE"};
  argv.insert(argv.end(), channels_.begin(), channels_.end());
  ArgvView view(argv);
  if (redisAppendCommandArgv(context.get(), static_cast<int>(argv.size()),
                             view.pointers.data(),
                             view.lengths.data()) != REDIS_OK) {
    return absl::UnavailableError(absl::StrCat("redis: ", context->errstr));
  }
  int done = 0;
  while (!done) {
    if (redisBufferWrite(context.get(), &done) != REDIS_OK) {
      return absl::UnavailableError(absl::StrCat("redis: ", context->errstr));
    }
  }
  size_t confirmed = 0;
  while (!stop_.load()) {
    pollfd fd{.fd = context->fd, .events = POLLIN, .revents = 0};
    const int ready = poll(&fd, 1, 100);
    if (ready < 0 && errno != EINTR) {
      return absl::UnavailableError("redis: poll failed");
    }
    if (ready <= 0) continue;
    if (redisBufferRead(context.get()) != REDIS_OK) {
      return absl::UnavailableError(absl::StrCat("redis: ", context->errstr));
    }
    for (;;) {
      void* out = nullptr;
      if (redisGetReplyFromReader(context.get(), &out) != REDIS_OK) {
        return absl::UnavailableError(absl::StrCat("redis: ", context->errstr));
      }
      if (out == nullptr) break;
      ReplyPtr reply(static_cast<redisReply*>(out));
      if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3) continue;
      const absl::string_view kind(reply->element[0]->str,
                                   reply->element[0]->len);
      if (kind == "subscribe") {
        // Everything published before this point was missed; the owner
        // catches up from the durable record once all channels are on.
        if (++confirmed == channels_.size() && on_subscribed_) {
          on_subscribed_();
        }
      } else if (kind == "message") {
        on_message_(
            std::string(reply->element[1]->str, reply->element[1]->len),
            std::string(reply->element[2]->str, reply->element[2]->len));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace cdc
