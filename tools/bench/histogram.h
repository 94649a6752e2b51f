// A latency histogram with log-linear buckets, for the load generator.
//
// Values are nanoseconds. Below 128 ns each nanosecond has its own bucket;
// above, every power of two is cut into 128 equal buckets, so a bucket is
// never wider than 1/128 of its lower bound and a percentile read at the
// bucket's middle is within 0.4% of the true value, from 1 us to the top of
// the range (2^38 ns, about 270 s; longer values land in the last bucket,
// and the exact maximum is kept apart). Recording is lock-free, so every
// completion thread records into one histogram.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <vector>

namespace cdc::bench {

class LatencyHistogram final {
 public:
  static constexpr int kSubBuckets = 128;  // per power of two
  static constexpr int kTopShift = 30;     // 2^(30+8) ns is the top
  static constexpr int kBuckets = kSubBuckets * (kTopShift + 2);

  LatencyHistogram();
  LatencyHistogram(const LatencyHistogram&) = delete;
  LatencyHistogram& operator=(const LatencyHistogram&) = delete;

  // Thread-safe. Negative values count as 0.
  void Record(int64_t ns);
  // Adds every value of `other` (not thread-safe against its recorders).
  void Merge(const LatencyHistogram& other);

  int64_t count() const;
  int64_t max_ns() const;
  double mean_ns() const;
  // The value at quantile `q` in [0, 1]: the middle of the bucket holding
  // the ceil(q * count)-th smallest value (the exact maximum for the last
  // one); 0 when empty.
  int64_t Quantile(double q) const;

  // The buckets that hold values: (inclusive upper bound, count).
  std::vector<std::pair<int64_t, int64_t>> NonEmpty() const;

  static int BucketOf(int64_t ns);
  static int64_t LowerBound(int bucket);
  static int64_t Width(int bucket);

 private:
  std::array<std::atomic<int64_t>, kBuckets> counts_;
  std::atomic<int64_t> total_{0};
  std::atomic<int64_t> sum_ns_{0};
  std::atomic<int64_t> max_ns_{0};
};

}  // namespace cdc::bench
