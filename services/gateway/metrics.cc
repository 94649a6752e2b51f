#include "services/gateway/metrics.h"

#include "absl/strings/str_cat.h"
#include "services/common/log.h"

namespace cdc::gateway {
namespace {

// Seconds; the usual spread from a cache hit to a slow backend.
constexpr double kBounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                              0.25,  0.5,    1,     2.5,  5,     10};
constexpr size_t kBucketCount = sizeof(kBounds) / sizeof(kBounds[0]);

// A label value, quoted and escaped as the exposition format wants.
std::string Label(absl::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

}  // namespace

void Metrics::Observe(absl::string_view route, int status,
                      absl::Duration latency) {
  const double seconds = absl::ToDoubleSeconds(latency);
  absl::MutexLock lock(&mu_);
  ++requests_[{std::string(route), status}];
  Histogram& h = latency_[std::string(route)];
  if (h.buckets.empty()) h.buckets.assign(kBucketCount, 0);
  for (size_t i = 0; i < kBucketCount; ++i) {
    if (seconds <= kBounds[i]) ++h.buckets[i];
  }
  h.sum += seconds;
  ++h.count;
}

std::string Metrics::Render() const {
  std::string out;
  absl::MutexLock lock(&mu_);
  out +=
      "# HELP cdc_gateway_requests_total HTTP requests by route and status.\n"
      "# TYPE cdc_gateway_requests_total counter\n";
  for (const auto& [key, count] : requests_) {
    absl::StrAppend(&out, "cdc_gateway_requests_total{route=", Label(key.first),
                    ",status=\"", key.second, "\"} ", count, "\n");
  }
  out +=
      "# HELP cdc_gateway_errors_total HTTP requests answered with a status "
      "of 400 or more.\n"
      "# TYPE cdc_gateway_errors_total counter\n";
  for (const auto& [key, count] : requests_) {
    if (key.second < 400) continue;
    absl::StrAppend(&out, "cdc_gateway_errors_total{route=", Label(key.first),
                    ",status=\"", key.second, "\"} ", count, "\n");
  }
  out +=
      "# HELP cdc_gateway_request_duration_seconds Time to answer, by "
      "route.\n"
      "# TYPE cdc_gateway_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    for (size_t i = 0; i < kBucketCount; ++i) {
      absl::StrAppend(
          &out,
          "cdc_gateway_request_duration_seconds_bucket{route=", Label(route),
          ",le=\"", kBounds[i], "\"} ", h.buckets[i], "\n");
    }
    absl::StrAppend(
        &out,
        "cdc_gateway_request_duration_seconds_bucket{route=", Label(route),
        ",le=\"+Inf\"} ", h.count, "\n",
        "cdc_gateway_request_duration_seconds_sum{route=", Label(route), "} ",
        h.sum, "\n",
        "cdc_gateway_request_duration_seconds_count{route=", Label(route), "} ",
        h.count, "\n");
  }
  absl::StrAppend(&out,
                  "# HELP cdc_gateway_open_streams Server-sent-event streams "
                  "open now.\n"
                  "# TYPE cdc_gateway_open_streams gauge\n"
                  "cdc_gateway_open_streams ",
                  open_streams_.load(), "\n");
  return out;
}

}  // namespace cdc::gateway
