#include "tests/faults/writers.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cdc/v1/comments.grpc.pb.h"

namespace cdc::faults {

Writers::Writers(std::vector<bench::Account> accounts, WriterOptions options)
    : accounts_(std::move(accounts)),
      options_(std::move(options)),
      run_(absl::StrCat(absl::ToUnixMicros(absl::Now()))) {}

Writers::~Writers() {
  // A test that failed half-way does not wait for outstanding retries.
  abandon_ = true;
  Stop();
}

void Writers::Start() {
  for (size_t i = 0; i < options_.accounts.size(); ++i) {
    threads_.emplace_back([this, i] { Run(static_cast<int>(i)); });
  }
}

void Writers::Stop() {
  stop_ = true;
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
}

bool Writers::WaitForProgress(int64_t count, absl::Duration timeout) const {
  const int64_t goal = acknowledged_.load() + count;
  const absl::Time deadline = absl::Now() + timeout;
  while (acknowledged_.load() < goal) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

std::vector<Operation> Writers::operations() const {
  absl::MutexLock lock(&mu_);
  return operations_;
}

std::map<std::string, int64_t> Writers::errors() const {
  absl::MutexLock lock(&mu_);
  return errors_;
}

std::vector<std::string> Writers::failures() const {
  absl::MutexLock lock(&mu_);
  return failures_;
}

void Writers::Run(int writer) {
  const bench::Account& account = accounts_[options_.accounts[writer]];
  // Reconnects quickly after a restart (gRPC's default first backoff is a
  // second, growing to two minutes): the tests measure cdc, not the client.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
  auto stub = v1::CommentsService::NewStub(grpc::CreateCustomChannel(
      options_.addresses[writer], grpc::InsecureChannelCredentials(), args));
  absl::Time next = absl::Now();
  for (int n = 0; !stop_.load(); ++n) {
    absl::SleepFor(next - absl::Now());
    next = absl::Now() + options_.min_interval;
    Operation op;
    op.tag = absl::StrCat("w", writer, "-", n);
    op.request_id = absl::StrCat("fault-", run_, "-", op.tag);
    op.author = account.member;
    v1::CreateCommentRequest request;
    request.set_request_id(op.request_id);
    v1::Comment* comment = request.mutable_comment();
    comment->set_body(absl::StrCat("Fault-test comment ", op.tag, "."));
    comment->set_language("en");
    if (options_.reply_every > 0 &&
        n % options_.reply_every == options_.reply_every - 1) {
      // A reply to the newest acknowledged comment of another writer.
      absl::MutexLock lock(&mu_);
      for (auto it = roots_.rbegin(); it != roots_.rend(); ++it) {
        if (it->author != op.author) {
          op.parent = it->comment;
          op.target = it->target;
          break;
        }
      }
    }
    if (op.parent.empty()) {
      op.target = options_.sections[n % options_.sections.size()];
      comment->set_target(op.target);
    } else {
      comment->set_parent(op.parent);
    }

    const absl::Time first = absl::Now();
    absl::Duration backoff = absl::Milliseconds(20);
    while (true) {
      ++op.attempts;
      auto context = bench::CallContext(account.token, options_.call_deadline);
      v1::Comment created;
      const grpc::Status status =
          stub->CreateComment(context.get(), request, &created);
      if (status.ok()) {
        op.comment = created.name();
        acknowledged_.fetch_add(1);
        break;
      }
      const std::string label = bench::ErrorLabel(status);
      const bool retry =
          status.error_code() == grpc::StatusCode::UNAVAILABLE ||
          status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
      {
        absl::MutexLock lock(&mu_);
        ++errors_[label];
        if (!retry || absl::Now() - first > options_.give_up_after ||
            abandon_.load()) {
          failures_.push_back(
              absl::StrCat(op.tag, ": ", label, ": ", status.error_message()));
          break;
        }
      }
      retries_.fetch_add(1);
      absl::SleepFor(backoff);
      backoff = std::min(backoff * 2, absl::Milliseconds(200));
    }
    absl::MutexLock lock(&mu_);
    operations_.push_back(op);
    if (!op.comment.empty() && op.parent.empty()) roots_.push_back(op);
  }
}

}  // namespace cdc::faults
