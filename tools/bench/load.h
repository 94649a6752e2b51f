// The load generator's engine: keeps a number of operations in flight
// (closed loop) or starts them at a fixed rate (open loop), and measures
// each one's latency into a histogram.
//
// An operation is anything asynchronous (a unary gRPC call on the callback
// API, an HTTP request on a kept-alive connection, two calls at once): the
// engine calls `start(slot, done)` and the operation calls `done` exactly
// once, from any thread, with "" on success or a short error label
// ("UNAVAILABLE", "HTTP 503"). `slot` is in [0, SlotCount(options)) and no
// two operations in flight share one, so an operation can keep its
// per-call state (request, response, context) in a slot of its own.
//
// Closed loop: `concurrency` slots, each starting its next operation as
// soon as the previous one ends. Open loop: an operation is due every
// 1/rate seconds and its latency counts from when it was due, so a system
// that falls behind shows it in the latency (no coordinated omission); at
// most `max_in_flight` wait at once, further ones fail as "GENERATOR_FULL".
//
// Measured: operations that end in the window after the warm-up; or, with
// `requests`, exactly that many operations from the first (no warm-up).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tools/bench/histogram.h"

namespace cdc::bench {

struct LoadOptions {
  int concurrency = 64;      // closed loop: operations in flight
  double rate = 0;           // > 0: open loop, operations started per second
  int max_in_flight = 4096;  // open loop: cap on operations waiting
  absl::Duration warmup = absl::Seconds(2);
  absl::Duration duration = absl::Seconds(10);
  int64_t requests = 0;  // > 0: run exactly this many instead of a duration
  // Progress on stderr every this often (zero: none).
  absl::Duration progress = absl::ZeroDuration();
};

using Done = std::function<void(absl::string_view error)>;
using StartOperation = std::function<void(int slot, Done done)>;

struct LoadStats {
  std::unique_ptr<LatencyHistogram> latency;  // of operations that succeeded
  int64_t ok = 0;
  std::map<std::string, int64_t> errors;  // by label
  absl::Duration elapsed;                 // the measured window
  int64_t ended = 0;          // every operation that ended, warm-up included
  double throughput() const;  // ok per second of `elapsed`
};

// Nanoseconds on the monotonic clock the engine measures with.
int64_t MonotonicNowNs();

// How many slots the operations may use.
int SlotCount(const LoadOptions& options);

// Runs the load and returns what was measured once every operation started
// has ended (or 30 s after the end, for operations that never do).
LoadStats RunLoad(const LoadOptions& options, const StartOperation& start);

}  // namespace cdc::bench
