#include "tools/bench/report.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace cdc::bench {
namespace {

constexpr char kCpuPrefix[] = "cpu_us_per_op.";

// A result's CPU time per operation in `process` ("all": every process
// measured), rounded; "" when not measured.
std::string Cpu(const BenchResult& r, const std::string& process) {
  auto it = r.figures().find(absl::StrCat(kCpuPrefix, process));
  if (it == r.figures().end()) return "";
  return absl::StrFormat("%.0f", it->second);
}

// Milliseconds with three significant digits.
std::string Ms(double us) {
  const double ms = us / 1e3;
  if (ms == 0) return "0";
  if (ms >= 100) return absl::StrFormat("%.0f", ms);
  if (ms >= 10) return absl::StrFormat("%.1f", ms);
  if (ms >= 1) return absl::StrFormat("%.2f", ms);
  return absl::StrFormat("%.3f", ms);
}

std::string Load(const LoadSettings& s) {
  std::string load;
  if (s.mode() == "events") {
    load = absl::StrCat(s.requests(), " events, one at a time");
  } else if (s.mode() == "open") {
    load = absl::StrFormat("open loop, %.0f/s", s.rate());
  } else {
    load = absl::StrCat(s.concurrency(), " in flight");
  }
  if (s.mode() != "events") {
    if (s.requests() > 0) {
      absl::StrAppend(&load, ", ", s.requests(), " calls");
    } else if (s.duration_s() > 0) {
      absl::StrAppendFormat(&load, ", %g s (+%g s warm-up)", s.duration_s(),
                            s.warmup_s());
    }
  }
  if (s.channels() > 0) absl::StrAppend(&load, ", ", s.channels(), " conn.");
  return load;
}

const BenchResult* Find(const std::vector<BenchResult>& results,
                        const std::string& scenario) {
  for (const BenchResult& r : results) {
    if (r.scenario() == scenario) return &r;
  }
  return nullptr;
}

// The target in words and whether it holds ("" when there is none).
std::pair<std::string, std::string> Check(
    const BenchResult& r, const BenchResult* echo,
    const std::vector<BenchResult>& results) {
  const Target& t = r.target();
  std::vector<std::string> wanted, verdicts;
  bool holds = true;
  if (t.min_echo_ratio() > 0) {
    wanted.push_back(absl::StrFormat("≥ %.2f× echo", t.min_echo_ratio()));
    if (echo == nullptr || echo->throughput() <= 0) {
      verdicts.push_back("no echo baseline");
      holds = false;
    } else {
      const double ratio = r.throughput() / echo->throughput();
      if (ratio < t.min_echo_ratio()) {
        holds = false;
        verdicts.push_back(absl::StrFormat("%.3f×", ratio));
      }
    }
  }
  if (t.max_p99_ms() > 0) {
    wanted.push_back(absl::StrFormat("p99 ≤ %g ms", t.max_p99_ms()));
    if (r.latency().p99_us() / 1e3 > t.max_p99_ms()) {
      holds = false;
      verdicts.push_back(absl::StrCat("p99 ", Ms(r.latency().p99_us()), " ms"));
    }
  }
  if (!t.figure().empty()) {
    wanted.push_back(absl::StrFormat("%s ≤ %g", t.figure(), t.max_figure()));
    auto it = r.figures().find(t.figure());
    if (it == r.figures().end()) {
      holds = false;
      verdicts.push_back("figure missing");
    } else if (it->second > t.max_figure()) {
      holds = false;
      verdicts.push_back(absl::StrFormat("%.0f", it->second));
    }
  }
  if (!t.relative_to().empty()) {
    wanted.push_back(
        absl::StrFormat("p50 ≤ %g× %s's", t.max_p50_factor(), t.relative_to()));
    const BenchResult* other = Find(results, t.relative_to());
    if (other == nullptr || other->latency().p50_us() <= 0) {
      holds = false;
      verdicts.push_back(absl::StrCat(t.relative_to(), " missing"));
    } else {
      const double factor = r.latency().p50_us() / other->latency().p50_us();
      if (factor > t.max_p50_factor()) {
        holds = false;
        verdicts.push_back(absl::StrFormat("%.2f×", factor));
      }
    }
  }
  if (wanted.empty()) return {"", ""};
  if (!r.errors().empty()) {
    holds = false;
    verdicts.push_back("errors");
  }
  return {absl::StrJoin(wanted, "; "),
          holds ? "**yes**"
                : absl::StrCat("**no** (", absl::StrJoin(verdicts, ", "), ")")};
}

}  // namespace

std::string Report(const std::vector<BenchResult>& results) {
  const BenchResult* echo = Find(results, "echo");
  std::string out =
      "| scenario | load | ok | errors | throughput /s | × echo | p50 ms | "
      "p90 ms | p99 ms | max ms | CPU µs/op | target | holds |\n"
      "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|---|\n";
  for (const BenchResult& r : results) {
    int64_t errors = 0;
    for (const auto& [label, n] : r.errors()) errors += n;
    const bool rated = r.settings().mode() != "events" && r.throughput() > 0;
    std::string ratio = "";
    if (rated && echo != nullptr && echo->throughput() > 0) {
      ratio = absl::StrFormat("%.3f", r.throughput() / echo->throughput());
    }
    const auto [wanted, holds] = Check(r, echo, results);
    absl::StrAppend(
        &out, "| ", r.scenario(), " | ", Load(r.settings()), " | ", r.ok(),
        " | ", errors, " | ",
        rated ? absl::StrFormat("%.0f", r.throughput()) : std::string("–"),
        " | ", ratio, " | ", Ms(r.latency().p50_us()), " | ",
        r.latency().p90_us() > 0 ? Ms(r.latency().p90_us()) : "–", " | ",
        Ms(r.latency().p99_us()), " | ", Ms(r.latency().max_us()), " | ",
        Cpu(r, "all"), " | ", wanted, " | ", holds, " |\n");
  }
  // Where each operation's CPU time went, by process.
  std::vector<std::string> processes;
  for (const BenchResult& r : results) {
    for (const auto& [name, value] : r.figures()) {
      if (!absl::StartsWith(name, kCpuPrefix)) continue;
      const std::string process = name.substr(sizeof(kCpuPrefix) - 1);
      if (process != "all" && std::find(processes.begin(), processes.end(),
                                        process) == processes.end()) {
        processes.push_back(process);
      }
    }
  }
  std::sort(processes.begin(), processes.end());
  if (!processes.empty()) {
    absl::StrAppend(&out, "\nCPU time per operation, µs, by process:\n\n",
                    "| scenario | ", absl::StrJoin(processes, " | "),
                    " |\n|---|");
    for (size_t i = 0; i < processes.size(); ++i) out += "--:|";
    out += "\n";
    for (const BenchResult& r : results) {
      if (Cpu(r, "all").empty()) continue;
      absl::StrAppend(&out, "| ", r.scenario(), " |");
      for (const std::string& p : processes) {
        absl::StrAppend(&out, " ", Cpu(r, p), " |");
      }
      out += "\n";
    }
  }
  std::string figures;
  for (const BenchResult& r : results) {
    const std::map<std::string, double> sorted(r.figures().begin(),
                                               r.figures().end());
    for (const auto& [name, value] : sorted) {
      if (absl::StartsWith(name, kCpuPrefix)) continue;
      absl::StrAppend(&figures, "| ", r.scenario(), " | ", name, " | ",
                      std::fabs(value) >= 100 || value == std::floor(value)
                          ? absl::StrFormat("%.0f", value)
                          : absl::StrFormat("%.3f", value),
                      " |\n");
    }
  }
  if (!figures.empty()) {
    absl::StrAppend(&out, "\n| scenario | figure | value |\n|---|---|--:|\n",
                    figures);
  }
  std::string what;
  for (const BenchResult& r : results) {
    absl::StrAppend(
        &what, "- **", r.scenario(), "**: ", r.description(),
        r.address().empty() ? "" : absl::StrCat(" (", r.address(), ")"), "\n");
    for (const auto& [label, n] : r.errors()) {
      absl::StrAppend(&what, "  - errors ", label, ": ", n, "\n");
    }
    for (const std::string& note : r.notes()) {
      absl::StrAppend(&what, "  - ", note, "\n");
    }
  }
  absl::StrAppend(&out, "\n", what);
  return out;
}

}  // namespace cdc::bench
