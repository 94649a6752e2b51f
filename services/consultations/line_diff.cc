#include "services/consultations/line_diff.h"

#include <optional>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_split.h"

namespace cdc::consultations {
namespace {

using ::cdc::v1::DiffLine;

std::vector<absl::string_view> SplitLines(absl::string_view text) {
  if (text.empty()) return {};
  if (text.back() == '\n') text.remove_suffix(1);
  return absl::StrSplit(text, '\n');
}

// A matched pair: line a[i] of the older text equals b[j] of the newer.
using Match = std::pair<int, int>;

// Longest common subsequence of two sequences of line ids, by Myers'
// linear-space divide and conquer ("An O(ND) Difference Algorithm and Its
// Variations", 1986, section 4b): find the middle of an optimal edit path by
// searching forward from the start and backward from the end at once, split
// there, recurse on both halves. The bisection follows the formulation of
// Neil Fraser's diff-match-patch, which bounds the diagonals it visits to
// the edit graph.
class Lcs final {
 public:
  Lcs(const std::vector<int>& a, const std::vector<int>& b) : a_(a), b_(b) {}

  // Appends the matches within a[a_lo, a_hi) x b[b_lo, b_hi), in order.
  void Run(int a_lo, int a_hi, int b_lo, int b_hi, std::vector<Match>* out) {
    while (a_lo < a_hi && b_lo < b_hi && a_[a_lo] == b_[b_lo]) {
      out->emplace_back(a_lo++, b_lo++);
    }
    int suffix = 0;
    while (a_lo < a_hi - suffix && b_lo < b_hi - suffix &&
           a_[a_hi - suffix - 1] == b_[b_hi - suffix - 1]) {
      ++suffix;
    }
    a_hi -= suffix;
    b_hi -= suffix;
    // With the ends stripped and both sides non-empty, at least two edits
    // remain, so the split point lies strictly inside and both halves are
    // smaller: the recursion ends.
    if (a_lo < a_hi && b_lo < b_hi) {
      if (const std::optional<Match> split = Bisect(a_lo, a_hi, b_lo, b_hi)) {
        Run(a_lo, split->first, b_lo, split->second, out);
        Run(split->first, a_hi, split->second, b_hi, out);
      }
    }
    for (int k = 0; k < suffix; ++k) out->emplace_back(a_hi + k, b_hi + k);
  }

 private:
  // A point on an optimal path from (a_lo, b_lo) to (a_hi, b_hi), at the end
  // of the middle snake; nullopt only if the searches never meet, which
  // cannot happen (then the range would be left as all DELETE and INSERT:
  // still a correct diff, just not a minimal one).
  std::optional<Match> Bisect(int a_lo, int a_hi, int b_lo, int b_hi) {
    const int n = a_hi - a_lo;
    const int m = b_hi - b_lo;
    const int max_d = (n + m + 1) / 2;
    const int offset = max_d + 1;
    const int size = 2 * max_d + 3;
    // forward[offset + k]: furthest x reached on diagonal k = x - y from the
    // start; backward[offset + k]: furthest distance from the end reached on
    // diagonal k of the reversed graph. -1: not reached yet.
    forward_.assign(size, -1);
    backward_.assign(size, -1);
    forward_[offset + 1] = 0;
    backward_[offset + 1] = 0;
    const int delta = n - m;
    // With an odd delta the paths can first meet on a forward step, with an
    // even one on a backward step.
    const bool check_forward = (delta % 2) != 0;
    // Diagonals that ran off the graph's right or bottom edge are skipped.
    int f_start = 0, f_end = 0, b_start = 0, b_end = 0;
    for (int d = 0; d < max_d; ++d) {
      for (int k = -d + f_start; k <= d - f_end; k += 2) {
        const int i = offset + k;
        int x = (k == -d || (k != d && forward_[i - 1] < forward_[i + 1]))
                    ? forward_[i + 1]
                    : forward_[i - 1] + 1;
        int y = x - k;
        while (x < n && y < m && a_[a_lo + x] == b_[b_lo + y]) {
          ++x;
          ++y;
        }
        forward_[i] = x;
        if (x > n) {
          f_end += 2;
        } else if (y > m) {
          f_start += 2;
        } else if (check_forward) {
          const int j = offset + delta - k;
          if (j >= 0 && j < size && backward_[j] != -1 &&
              x >= n - backward_[j]) {
            return Match{a_lo + x, b_lo + y};
          }
        }
      }
      for (int k = -d + b_start; k <= d - b_end; k += 2) {
        const int i = offset + k;
        int x = (k == -d || (k != d && backward_[i - 1] < backward_[i + 1]))
                    ? backward_[i + 1]
                    : backward_[i - 1] + 1;
        int y = x - k;
        while (x < n && y < m && a_[a_hi - x - 1] == b_[b_hi - y - 1]) {
          ++x;
          ++y;
        }
        backward_[i] = x;
        if (x > n) {
          b_end += 2;
        } else if (y > m) {
          b_start += 2;
        } else if (!check_forward) {
          const int j = offset + delta - k;
          if (j >= 0 && j < size && forward_[j] != -1) {
            const int fx = forward_[j];
            const int fy = fx - (j - offset);
            if (fx >= n - x) return Match{a_lo + fx, b_lo + fy};
          }
        }
      }
    }
    return std::nullopt;
  }

  const std::vector<int>& a_;
  const std::vector<int>& b_;
  std::vector<int> forward_;  // scratch, reused by every Bisect
  std::vector<int> backward_;
};

DiffLine MakeLine(DiffLine::Op op, absl::string_view text, int from_line,
                  int to_line) {
  DiffLine line;
  line.set_op(op);
  line.set_text(std::string(text));
  line.set_from_line(from_line);
  line.set_to_line(to_line);
  return line;
}

}  // namespace

std::vector<DiffLine> DiffLines(absl::string_view from, absl::string_view to) {
  const std::vector<absl::string_view> a_lines = SplitLines(from);
  const std::vector<absl::string_view> b_lines = SplitLines(to);
  const int n = static_cast<int>(a_lines.size());
  const int m = static_cast<int>(b_lines.size());

  // Lines as small integers: equal lines, equal ids.
  absl::flat_hash_map<absl::string_view, int> ids;
  const auto intern = [&ids](absl::string_view line) {
    return ids.try_emplace(line, static_cast<int>(ids.size())).first->second;
  };
  std::vector<int> a(n), b(m);
  for (int i = 0; i < n; ++i) a[i] = intern(a_lines[i]);
  for (int j = 0; j < m; ++j) b[j] = intern(b_lines[j]);

  std::vector<Match> matches;
  int prefix = 0;
  while (prefix < n && prefix < m && a[prefix] == b[prefix]) {
    matches.emplace_back(prefix, prefix);
    ++prefix;
  }
  int suffix = 0;
  while (suffix < n - prefix && suffix < m - prefix &&
         a[n - 1 - suffix] == b[m - 1 - suffix]) {
    ++suffix;
  }

  // A line that occurs in only one text can never be matched, so leaving
  // it out changes no longest common subsequence; it keeps a rewritten
  // stretch from costing Myers O(N^2) for nothing.
  std::vector<bool> in_a(ids.size(), false), in_b(ids.size(), false);
  for (int i = prefix; i < n - suffix; ++i) in_a[a[i]] = true;
  for (int j = prefix; j < m - suffix; ++j) in_b[b[j]] = true;
  std::vector<int> a_kept, b_kept;    // ids of lines in both texts
  std::vector<int> a_index, b_index;  // their positions in a and b
  for (int i = prefix; i < n - suffix; ++i) {
    if (in_b[a[i]]) {
      a_kept.push_back(a[i]);
      a_index.push_back(i);
    }
  }
  for (int j = prefix; j < m - suffix; ++j) {
    if (in_a[b[j]]) {
      b_kept.push_back(b[j]);
      b_index.push_back(j);
    }
  }
  std::vector<Match> middle;
  Lcs(a_kept, b_kept)
      .Run(0, static_cast<int>(a_kept.size()), 0,
           static_cast<int>(b_kept.size()), &middle);
  for (const auto& [i, j] : middle) {
    matches.emplace_back(a_index[i], b_index[j]);
  }
  for (int k = suffix; k > 0; --k) matches.emplace_back(n - k, m - k);

  // Between two matches, the older text's lines go first.
  std::vector<DiffLine> lines;
  lines.reserve(n + m - matches.size());
  int i = 0, j = 0;
  matches.emplace_back(n, m);  // sentinel: flushes the last stretch
  for (const auto& [mi, mj] : matches) {
    for (; i < mi; ++i) {
      lines.push_back(MakeLine(DiffLine::DELETE, a_lines[i], i + 1, 0));
    }
    for (; j < mj; ++j) {
      lines.push_back(MakeLine(DiffLine::INSERT, b_lines[j], 0, j + 1));
    }
    if (mi == n) break;
    lines.push_back(MakeLine(DiffLine::EQUAL, a_lines[i], i + 1, j + 1));
    ++i;
    ++j;
  }
  return lines;
}

}  // namespace cdc::consultations
