#include "tools/bench/histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace cdc::bench {
namespace {

TEST(LatencyHistogramTest, BucketsCoverEveryValueOnceAndInOrder) {
  int64_t previous_end = 0;
  for (int b = 0; b < LatencyHistogram::kBuckets; ++b) {
    EXPECT_EQ(LatencyHistogram::LowerBound(b), previous_end) << b;
    previous_end = LatencyHistogram::LowerBound(b) + LatencyHistogram::Width(b);
    EXPECT_EQ(LatencyHistogram::BucketOf(LatencyHistogram::LowerBound(b)), b);
    EXPECT_EQ(LatencyHistogram::BucketOf(previous_end - 1), b);
  }
}

TEST(LatencyHistogramTest, NoBucketIsWiderThanA128thOfItsValues) {
  for (int b = LatencyHistogram::kSubBuckets; b < LatencyHistogram::kBuckets;
       ++b) {
    EXPECT_LE(LatencyHistogram::Width(b) * 128, LatencyHistogram::LowerBound(b))
        << b;
  }
}

TEST(LatencyHistogramTest,
     PercentilesAreWithinOnePercentFromOneMicrosecondToAMinute) {
  std::mt19937_64 random(7);
  std::lognormal_distribution<double> spread(std::log(2e6), 3.0);
  std::vector<int64_t> values;
  LatencyHistogram h;
  for (int i = 0; i < 200000; ++i) {
    const int64_t ns = std::clamp<int64_t>(static_cast<int64_t>(spread(random)),
                                           1000, 60'000'000'000);
    values.push_back(ns);
    h.Record(ns);
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.01, 0.5, 0.9, 0.99, 0.999}) {
    const int64_t exact =
        values[static_cast<size_t>(std::ceil(q * values.size())) - 1];
    EXPECT_NEAR(h.Quantile(q), exact, exact * 0.01) << q;
  }
  EXPECT_EQ(h.Quantile(1.0), values.back());
  EXPECT_EQ(h.max_ns(), values.back());
  EXPECT_EQ(h.count(), 200000);
}

TEST(LatencyHistogramTest, AnEmptyHistogramReadsZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.Quantile(0.5), 0);
  EXPECT_EQ(h.mean_ns(), 0);
  EXPECT_TRUE(h.NonEmpty().empty());
}

TEST(LatencyHistogramTest, ValuesBeyondTheTopLandInTheLastBucketWithTheirMax) {
  LatencyHistogram h;
  h.Record(int64_t{1} << 50);
  EXPECT_EQ(LatencyHistogram::BucketOf(int64_t{1} << 50),
            LatencyHistogram::kBuckets - 1);
  EXPECT_EQ(h.Quantile(0.99), int64_t{1} << 50);
}

TEST(LatencyHistogramTest, MergeAddsCountsAndKeepsTheLargerMax) {
  LatencyHistogram a, b;
  a.Record(1000);
  b.Record(5000);
  b.Record(7000);
  a.Merge(b);
  EXPECT_EQ(a.count(), 3);
  EXPECT_EQ(a.max_ns(), 7000);
  EXPECT_NEAR(a.Quantile(0.5), 5000, 50);
}

}  // namespace
}  // namespace cdc::bench
