// The gateway's metrics in the Prometheus text exposition format:
// requests and errors by route and status, latency histograms per route,
// and open streams. Routes are patterns (a fixed set), never raw paths, so
// the label space stays bounded.
#pragma once

#include <atomic>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace cdc::gateway {

class Metrics {
 public:
  // One finished request: `route` is its pattern ("static", "health", ...
  // for the gateway's own), `status` its HTTP status.
  void Observe(absl::string_view route, int status, absl::Duration latency);
  void StreamOpened() { open_streams_.fetch_add(1); }
  void StreamClosed() { open_streams_.fetch_sub(1); }
  int open_streams() const { return open_streams_.load(); }

  // The text exposition format, version 0.0.4.
  std::string Render() const;

 private:
  struct Histogram {
    std::vector<int64_t> buckets;  // cumulative counts per upper bound
    double sum = 0;
    int64_t count = 0;
  };

  mutable absl::Mutex mu_;
  std::map<std::pair<std::string, int>, int64_t> requests_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Histogram> latency_ ABSL_GUARDED_BY(mu_);
  std::atomic<int> open_streams_{0};
};

}  // namespace cdc::gateway
