// `cdc-load report`: the Markdown tables of a run's results, with every
// throughput also as a ratio to the echo baseline of the same run and each
// target of the issue checked.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tools/bench/bench.pb.h"

namespace cdc::bench {

// `results` in the order the rows are wanted; the one named "echo" is the
// baseline (ratios are left out without it).
std::string Report(const std::vector<BenchResult>& results);

}  // namespace cdc::bench
