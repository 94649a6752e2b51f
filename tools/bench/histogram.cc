#include "tools/bench/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace cdc::bench {

LatencyHistogram::LatencyHistogram() {
  for (auto& count : counts_) count.store(0, std::memory_order_relaxed);
}

int LatencyHistogram::BucketOf(int64_t ns) {
  if (ns < kSubBuckets) return ns < 0 ? 0 : static_cast<int>(ns);
  const int msb = 63 - std::countl_zero(static_cast<uint64_t>(ns));
  const int shift = msb - 7;  // keeps the top 8 bits: 128..255
  if (shift > kTopShift) return kBuckets - 1;
  const int mantissa = static_cast<int>(ns >> shift);
  return kSubBuckets * (shift + 1) + (mantissa - kSubBuckets);
}

int64_t LatencyHistogram::LowerBound(int bucket) {
  if (bucket < kSubBuckets) return bucket;
  const int shift = bucket / kSubBuckets - 1;
  const int64_t mantissa = kSubBuckets + bucket % kSubBuckets;
  return mantissa << shift;
}

int64_t LatencyHistogram::Width(int bucket) {
  if (bucket < kSubBuckets) return 1;
  return int64_t{1} << (bucket / kSubBuckets - 1);
}

void LatencyHistogram::Record(int64_t ns) {
  if (ns < 0) ns = 0;
  counts_[BucketOf(ns)].fetch_add(1, std::memory_order_relaxed);
  total_.fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(ns, std::memory_order_relaxed);
  int64_t seen = max_ns_.load(std::memory_order_relaxed);
  while (ns > seen &&
         !max_ns_.compare_exchange_weak(seen, ns, std::memory_order_relaxed)) {
  }
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (int i = 0; i < kBuckets; ++i) {
    counts_[i].fetch_add(other.counts_[i].load(std::memory_order_relaxed),
                         std::memory_order_relaxed);
  }
  total_.fetch_add(other.count(), std::memory_order_relaxed);
  sum_ns_.fetch_add(other.sum_ns_.load(std::memory_order_relaxed),
                    std::memory_order_relaxed);
  int64_t seen = max_ns_.load(std::memory_order_relaxed);
  const int64_t theirs = other.max_ns();
  while (theirs > seen && !max_ns_.compare_exchange_weak(
                              seen, theirs, std::memory_order_relaxed)) {
  }
}

int64_t LatencyHistogram::count() const {
  return total_.load(std::memory_order_relaxed);
}

int64_t LatencyHistogram::max_ns() const {
  return max_ns_.load(std::memory_order_relaxed);
}

double LatencyHistogram::mean_ns() const {
  const int64_t n = count();
  return n == 0 ? 0.0
                : static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) /
                      static_cast<double>(n);
}

int64_t LatencyHistogram::Quantile(double q) const {
  const int64_t n = count();
  if (n == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  const int64_t rank =
      std::max<int64_t>(1, static_cast<int64_t>(std::ceil(q * n)));
  if (rank >= n) return max_ns();
  int64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts_[i].load(std::memory_order_relaxed);
    if (seen >= rank) {
      // The middle of the bucket, never above the true maximum.
      return std::min(max_ns(), LowerBound(i) + Width(i) / 2);
    }
  }
  return max_ns();
}

std::vector<std::pair<int64_t, int64_t>> LatencyHistogram::NonEmpty() const {
  std::vector<std::pair<int64_t, int64_t>> out;
  for (int i = 0; i < kBuckets; ++i) {
    const int64_t c = counts_[i].load(std::memory_order_relaxed);
    if (c > 0) out.emplace_back(LowerBound(i) + Width(i) - 1, c);
  }
  return out;
}

}  // namespace cdc::bench
