#include "tools/bench/load.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <limits>
#include <thread>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace cdc::bench {
namespace {

int64_t NowNs() { return MonotonicNowNs(); }

void SleepUntilNs(int64_t when) {
  const int64_t left = when - NowNs();
  if (left > 0) absl::SleepFor(absl::Nanoseconds(left));
}

// One run of RunLoad. Completions arrive on whatever thread the operation
// finishes on; everything they touch is atomic or under mu_.
class Runner final {
 public:
  Runner(const LoadOptions& options, const StartOperation& start)
      : options_(options), start_(start) {}

  LoadStats Run() {
    relauncher_ = std::thread([this] { RelaunchLoop(); });
    const int64_t begin = NowNs();
    if (options_.requests > 0) {
      measure_from_ = begin;
      measure_until_ = std::numeric_limits<int64_t>::max();
    } else {
      measure_from_ = begin + absl::ToInt64Nanoseconds(options_.warmup);
      measure_until_ =
          measure_from_ + absl::ToInt64Nanoseconds(options_.duration);
    }
    if (options_.rate > 0) {
      Pace(begin);
    } else {
      for (int slot = 0; slot < options_.concurrency; ++slot) {
        Launch(slot, NowNs());
      }
      WaitForEnd(begin);
    }
    stopping_.store(true);
    // Operations still in flight end (or time out) on their own.
    const int64_t give_up = NowNs() + 30'000'000'000;
    while (in_flight_.load() > 0 && NowNs() < give_up) {
      absl::SleepFor(absl::Milliseconds(1));
    }
    {
      absl::MutexLock lock(&mu_);
      relaunch_stop_ = true;
    }
    relauncher_.join();

    LoadStats stats;
    stats.latency = std::move(latency_);
    stats.ok = ok_.load();
    stats.ended = ended_.load();
    {
      absl::MutexLock lock(&mu_);
      stats.errors = errors_;
      if (in_flight_.load() > 0) {
        stats.errors["GENERATOR_ABANDONED"] += in_flight_.load();
      }
    }
    stats.elapsed = options_.requests > 0
                        ? absl::Nanoseconds(last_end_.load() - measure_from_)
                        : absl::Nanoseconds(measure_until_ - measure_from_);
    return stats;
  }

 private:
  // Closed loop: waits out the warm-up and the measured window, or until
  // `requests` operations have ended.
  void WaitForEnd(int64_t begin) {
    int64_t next_progress = begin + ProgressNs();
    while (true) {
      const int64_t now = NowNs();
      if (options_.requests > 0 ? ended_.load() >= options_.requests
                                : now >= measure_until_) {
        return;
      }
      if (ProgressNs() > 0 && now >= next_progress) {
        Progress(now - begin);
        next_progress += ProgressNs();
      }
      absl::SleepFor(absl::Milliseconds(options_.requests > 0 ? 5 : 2));
    }
  }

  // Open loop: one operation due every 1/rate seconds until the window
  // ends, each on a free slot.
  void Pace(int64_t begin) {
    for (int slot = SlotCount(options_) - 1; slot >= 0; --slot) {
      free_slots_.push_back(slot);
    }
    const double period_ns = 1e9 / options_.rate;
    int64_t next_progress = begin + ProgressNs();
    for (int64_t i = 0;; ++i) {
      if (options_.requests > 0 && i >= options_.requests) break;
      const int64_t due = begin + static_cast<int64_t>(i * period_ns);
      if (due >= measure_until_) break;
      SleepUntilNs(due);
      if (ProgressNs() > 0 && NowNs() >= next_progress) {
        Progress(NowNs() - begin);
        next_progress += ProgressNs();
      }
      int slot = -1;
      {
        absl::MutexLock lock(&mu_);
        if (!free_slots_.empty()) {
          slot = free_slots_.back();
          free_slots_.pop_back();
        }
      }
      if (slot < 0) {
        Count(due, due, "GENERATOR_FULL");
        ended_.fetch_add(1);
        continue;
      }
      Launch(slot, due);
    }
    if (options_.requests > 0) {
      while (ended_.load() < options_.requests) {
        absl::SleepFor(absl::Milliseconds(5));
      }
    }
  }

  int64_t ProgressNs() const {
    return absl::ToInt64Nanoseconds(options_.progress);
  }

  void Progress(int64_t since_begin_ns) {
    int64_t errors = 0;
    {
      absl::MutexLock lock(&mu_);
      for (const auto& [label, n] : errors_) errors += n;
    }
    std::fprintf(stderr, "  %6.1f s: %lld ok, %lld errors, %d in flight\n",
                 since_begin_ns / 1e9, static_cast<long long>(ok_.load()),
                 static_cast<long long>(errors), in_flight_.load());
  }

  // Starts one operation on `slot`; its latency counts from `due`.
  void Launch(int slot, int64_t due) {
    if (options_.requests > 0 && options_.rate <= 0 &&
        started_.fetch_add(1) >= options_.requests) {
      return;
    }
    in_flight_.fetch_add(1);
    start_(slot, [this, slot, due](absl::string_view error) {
      Finish(slot, due, error);
    });
  }

  void Count(int64_t due, int64_t end, absl::string_view error) {
    if (end < measure_from_ || end > measure_until_) return;
    if (error.empty()) {
      latency_->Record(end - due);
      ok_.fetch_add(1);
    } else {
      absl::MutexLock lock(&mu_);
      ++errors_[std::string(error)];
    }
  }

  void Finish(int slot, int64_t due, absl::string_view error) {
    const int64_t end = NowNs();
    Count(due, end, error);
    int64_t last = last_end_.load();
    while (end > last && !last_end_.compare_exchange_weak(last, end)) {
    }
    ended_.fetch_add(1);
    if (options_.rate > 0) {
      absl::MutexLock lock(&mu_);
      free_slots_.push_back(slot);
    } else if (!stopping_.load() &&
               (options_.requests > 0 || end < measure_until_)) {
      // The next operation of this slot. An operation may end on the
      // thread that started it; past a few levels the next start goes to
      // the relauncher, so that such chains cannot grow the stack.
      static thread_local int depth = 0;
      if (depth < 4) {
        ++depth;
        Launch(slot, NowNs());
        --depth;
      } else {
        absl::MutexLock lock(&mu_);
        relaunch_.push_back(slot);
      }
    }
    in_flight_.fetch_sub(1);
  }

  void RelaunchLoop() {
    while (true) {
      int slot;
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(
            +[](Runner* self) {
              self->mu_.AssertHeld();
              return self->relaunch_stop_ || !self->relaunch_.empty();
            },
            this));
        if (relaunch_.empty()) return;
        slot = relaunch_.front();
        relaunch_.pop_front();
      }
      if (!stopping_.load()) Launch(slot, NowNs());
    }
  }

  const LoadOptions& options_;
  const StartOperation& start_;
  int64_t measure_from_ = 0;
  int64_t measure_until_ = 0;
  std::unique_ptr<LatencyHistogram> latency_ =
      std::make_unique<LatencyHistogram>();
  std::atomic<int64_t> ok_{0};
  std::atomic<int64_t> started_{0};
  std::atomic<int64_t> ended_{0};
  std::atomic<int64_t> last_end_{0};
  std::atomic<int> in_flight_{0};
  std::atomic<bool> stopping_{false};
  std::thread relauncher_;

  absl::Mutex mu_;
  std::map<std::string, int64_t> errors_ ABSL_GUARDED_BY(mu_);
  std::vector<int> free_slots_ ABSL_GUARDED_BY(mu_);
  std::deque<int> relaunch_ ABSL_GUARDED_BY(mu_);
  bool relaunch_stop_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

int64_t MonotonicNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

double LoadStats::throughput() const {
  const double seconds = absl::ToDoubleSeconds(elapsed);
  return seconds > 0 ? static_cast<double>(ok) / seconds : 0.0;
}

int SlotCount(const LoadOptions& options) {
  return options.rate > 0 ? options.max_in_flight : options.concurrency;
}

LoadStats RunLoad(const LoadOptions& options, const StartOperation& start) {
  Runner runner(options, start);
  return runner.Run();
}

}  // namespace cdc::bench
