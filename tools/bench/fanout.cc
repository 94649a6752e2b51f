// The notification fan-out scenario (RunFanout in scenarios.h): many
// members keep a Subscribe stream open; one comment on a section they all
// follow must reach every stream.
#include <grpcpp/support/client_callback.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <optional>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "cdc/v1/comments.grpc.pb.h"
#include "cdc/v1/notifications.grpc.pb.h"
#include "services/common/status_macros.h"
#include "tools/bench/scenarios.h"

namespace cdc::bench {
namespace {

// One member's open Subscribe stream: notes when each comment's
// notification arrived.
class Listener final : public grpc::ClientReadReactor<v1::SubscribeResponse> {
 public:
  Listener(v1::NotificationsService::Stub* stub, const std::string& token) {
    context_.AddMetadata("authorization", "Bearer " + token);
    stub->async()->Subscribe(&context_, &request_, this);
    StartRead(&response_);
    StartCall();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // OnDone follows
    const int64_t now = MonotonicNowNs();
    {
      absl::MutexLock lock(&mu_);
      if (response_.has_heartbeat()) {
        heartbeat_ = true;
      } else if (response_.has_notification()) {
        const v1::Notification& n = response_.notification();
        received_.emplace(n.target(), now);
        if (n.event().has_comment_created()) {
          received_.emplace(n.event().comment_created().comment().comment(),
                            now);
        }
      }
    }
    StartRead(&response_);
  }

  void OnDone(const grpc::Status& status) override {
    absl::MutexLock lock(&mu_);
    done_ = true;
    status_ = status;
  }

  // The stream is open: its first heartbeat came.
  bool ready() {
    absl::MutexLock lock(&mu_);
    return heartbeat_;
  }
  bool done() {
    absl::MutexLock lock(&mu_);
    return done_;
  }
  grpc::Status status() {
    absl::MutexLock lock(&mu_);
    return status_;
  }
  std::optional<int64_t> ReceivedAt(const std::string& comment) {
    absl::MutexLock lock(&mu_);
    auto it = received_.find(comment);
    if (it == received_.end()) return std::nullopt;
    return it->second;
  }
  void Cancel() { context_.TryCancel(); }

 private:
  grpc::ClientContext context_;
  v1::SubscribeRequest request_;
  v1::SubscribeResponse response_;
  absl::Mutex mu_;
  bool heartbeat_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, int64_t> received_ ABSL_GUARDED_BY(mu_);
};

// Runs `work(i)` for i in [0, n) on `threads` threads; the first error.
absl::Status ForEach(int n, int threads,
                     const std::function<absl::Status(int)>& work) {
  std::atomic<int> next{0};
  absl::Mutex mu;
  absl::Status first;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int i = next.fetch_add(1); i < n; i = next.fetch_add(1)) {
        absl::Status status = work(i);
        if (!status.ok()) {
          absl::MutexLock lock(&mu);
          if (first.ok()) first = status;
        }
      }
    });
  }
  for (auto& thread : pool) thread.join();
  return first;
}

absl::Status Failed(const std::string& what, const grpc::Status& status) {
  return absl::UnavailableError(absl::StrCat(what, ": ", ErrorLabel(status),
                                             " ", status.error_message()));
}

}  // namespace

absl::StatusOr<BenchResult> RunFanout(const Common& common,
                                      const std::string& notifications_address,
                                      const std::string& comments_address,
                                      const std::vector<Account>& accounts,
                                      const std::string& target, int streams,
                                      int events) {
  if (static_cast<int>(accounts.size()) < streams + 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--streams: ", streams, " listeners and a writer need ", streams + 1,
        " accounts; the accounts file has ", accounts.size()));
  }
  auto channels = Channels(notifications_address, common.channels);
  CDC_RETURN_IF_ERROR(
      WaitConnected(channels, notifications_address, absl::Seconds(10)));
  std::vector<std::unique_ptr<v1::NotificationsService::Stub>> stubs;
  for (auto& channel : channels) {
    stubs.push_back(v1::NotificationsService::NewStub(channel));
  }
  auto comments_channels = Channels(comments_address, 1);
  CDC_RETURN_IF_ERROR(
      WaitConnected(comments_channels, comments_address, absl::Seconds(10)));
  auto comments = v1::CommentsService::NewStub(comments_channels[0]);

  // Everyone but the writer follows the section (following again returns
  // the existing follow).
  CDC_RETURN_IF_ERROR(ForEach(streams, 8, [&](int i) -> absl::Status {
    v1::FollowRequest request;
    request.set_target(target);
    v1::FollowedTarget followed;
    auto context = CallContext(accounts[i].token);
    grpc::Status status =
        stubs[i % stubs.size()]->Follow(context.get(), request, &followed);
    if (!status.ok()) return Failed(absl::StrCat("Follow ", target), status);
    return absl::OkStatus();
  }));

  std::vector<Listener*> listeners;  // each deletes nothing; freed below
  for (int i = 0; i < streams; ++i) {
    listeners.push_back(
        new Listener(stubs[i % stubs.size()].get(), accounts[i].token));
  }
  // Ends every stream; listeners whose stream ended are freed, the others
  // (never seen to end) are left to the process's exit.
  auto close_all = [&] {
    for (Listener* l : listeners) l->Cancel();
    const absl::Time give_up = absl::Now() + absl::Seconds(10);
    for (Listener* l : listeners) {
      while (!l->done() && absl::Now() < give_up) {
        absl::SleepFor(absl::Milliseconds(1));
      }
      if (l->done()) delete l;
    }
    listeners.clear();
  };
  const absl::Time open_by = absl::Now() + absl::Seconds(30);
  for (Listener* l : listeners) {
    while (!l->ready() && !l->done() && absl::Now() < open_by) {
      absl::SleepFor(absl::Milliseconds(1));
    }
    if (!l->ready()) {
      const grpc::Status status = l->status();
      close_all();
      return Failed("Subscribe did not open within 30 s", status);
    }
  }

  BenchResult result = NewResult(
      common,
      absl::StrCat("one comment on ", target, " followed by ", streams,
                   " members, each with a Subscribe stream open: CreateComment "
                   "answered -> the last stream has the notification"),
      notifications_address);
  result.mutable_settings()->set_mode("events");
  result.mutable_settings()->set_requests(events);
  LatencyHistogram to_last, to_first, from_send;
  ErrorSamples samples;
  const Account& writer = accounts[streams];
  const std::string run = absl::StrCat("f", absl::ToUnixMicros(absl::Now()));
  int64_t missed = 0;
  const CpuMeter cpu(common);
  for (int e = 0; e < events; ++e) {
    v1::CreateCommentRequest request;
    request.mutable_comment()->set_target(target);
    request.mutable_comment()->set_body(
        CommentBody(absl::StrCat("Fan-out event ", e, " of ", run, ". "), 200));
    request.set_request_id(absl::StrCat(run, "-", e));
    v1::Comment created;
    auto context = CallContext(writer.token);
    const int64_t sent = MonotonicNowNs();
    grpc::Status status =
        comments->CreateComment(context.get(), request, &created);
    const int64_t acked = MonotonicNowNs();
    if (!status.ok()) {
      const std::string label = ErrorLabel(status);
      samples.Note(label, status.error_message());
      ++(*result.mutable_errors())[label];
      continue;
    }
    // Waits until every stream has it, or 10 s.
    const int64_t give_up = acked + 10'000'000'000;
    int64_t first = 0, last = 0;
    int got = 0;
    for (Listener* l : listeners) {
      std::optional<int64_t> at;
      while (!(at = l->ReceivedAt(created.name())).has_value() &&
             MonotonicNowNs() < give_up) {
        absl::SleepFor(absl::Microseconds(200));
      }
      if (!at.has_value()) continue;
      ++got;
      first = got == 1 ? *at : std::min(first, *at);
      last = std::max(last, *at);
    }
    if (got < streams) {
      missed += streams - got;
      ++(*result.mutable_errors())["NOT_DELIVERED_IN_10S"];
      samples.Note("NOT_DELIVERED_IN_10S",
                   absl::StrCat(streams - got, " of ", streams,
                                " streams did not get ", created.name()));
      continue;
    }
    to_last.Record(last - acked);
    to_first.Record(first - acked);
    from_send.Record(last - sent);
    result.set_ok(result.ok() + 1);
    absl::SleepFor(absl::Milliseconds(100));  // the next event on its own
  }
  cpu.Report(events, &result);
  close_all();

  FillLatency(to_last, &result);
  auto& figures = *result.mutable_figures();
  figures["streams"] = streams;
  figures["events"] = events;
  figures["first_receipt_p50_us"] = to_first.Quantile(0.5) / 1e3;
  figures["first_receipt_p99_us"] = to_first.Quantile(0.99) / 1e3;
  figures["send_to_last_p50_us"] = from_send.Quantile(0.5) / 1e3;
  figures["send_to_last_p99_us"] = from_send.Quantile(0.99) / 1e3;
  figures["missed_deliveries"] = static_cast<double>(missed);
  for (const std::string& line : samples.Lines()) result.add_notes(line);
  result.add_notes(absl::StrCat(
      "latency = from CreateComment's answer to the last of ", streams,
      " Subscribe streams receiving the notification (negative counts as "
      "0), one event at a time; p99 of ",
      events, " events"));
  return result;
}

}  // namespace cdc::bench
