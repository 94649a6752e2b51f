#include "tools/bench/load.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "absl/time/clock.h"

namespace cdc::bench {
namespace {

// An operation that ends on the thread that started it, the case that
// must not grow the stack.
TEST(RunLoadTest, ClosedLoopRunsExactlyTheRequestsAsked) {
  LoadOptions options;
  options.concurrency = 8;
  options.requests = 100000;
  std::atomic<int> in_flight{0}, most{0};
  LoadStats stats = RunLoad(options, [&](int slot, Done done) {
    EXPECT_LT(slot, 8);
    const int now = ++in_flight;
    int seen = most.load();
    while (now > seen && !most.compare_exchange_weak(seen, now)) {
    }
    --in_flight;
    done("");
  });
  EXPECT_EQ(stats.ok, 100000);
  EXPECT_TRUE(stats.errors.empty());
  EXPECT_EQ(stats.latency->count(), 100000);
  EXPECT_LE(most.load(), 8);
  EXPECT_GT(stats.throughput(), 0);
}

TEST(RunLoadTest, ErrorsAreCountedByLabelAndKeptOutOfTheLatency) {
  LoadOptions options;
  options.concurrency = 2;
  options.requests = 1000;
  std::atomic<int> n{0};
  LoadStats stats = RunLoad(options, [&](int, Done done) {
    done(++n % 4 == 0 ? "UNAVAILABLE" : "");
  });
  EXPECT_EQ(stats.ok, 750);
  EXPECT_EQ(stats.errors.at("UNAVAILABLE"), 250);
  EXPECT_EQ(stats.latency->count(), 750);
}

// Operations that end on another thread, after a while.
TEST(RunLoadTest, ClosedLoopMeasuresOnlyAfterTheWarmUp) {
  LoadOptions options;
  options.concurrency = 4;
  options.warmup = absl::Milliseconds(100);
  options.duration = absl::Milliseconds(300);
  std::atomic<int> started{0};
  LoadStats stats = RunLoad(options, [&](int, Done done) {
    ++started;
    std::thread([done = std::move(done)] {
      absl::SleepFor(absl::Milliseconds(2));
      done("");
    }).detach();
  });
  EXPECT_GT(stats.ok, 100);
  EXPECT_LT(stats.ok, started.load());  // the warm-up's are not counted
  EXPECT_EQ(stats.elapsed, absl::Milliseconds(300));
  EXPECT_GE(stats.latency->Quantile(0.5), 2'000'000);
}

TEST(RunLoadTest, OpenLoopStartsOperationsAtTheRate) {
  LoadOptions options;
  options.rate = 2000;
  options.warmup = absl::ZeroDuration();
  options.duration = absl::Milliseconds(500);
  LoadStats stats = RunLoad(options, [&](int, Done done) { done(""); });
  EXPECT_NEAR(stats.ok, 1000, 100);
}

}  // namespace
}  // namespace cdc::bench
