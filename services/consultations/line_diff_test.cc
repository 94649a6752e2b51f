#include "services/consultations/line_diff.h"

#include <algorithm>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cdc::consultations {
namespace {

using ::cdc::v1::DiffLine;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// One line per DiffLine: "=from,to text", "-from text" or "+to text".
std::vector<std::string> Render(const std::vector<DiffLine>& lines) {
  std::vector<std::string> out;
  for (const DiffLine& line : lines) {
    switch (line.op()) {
      case DiffLine::EQUAL:
        EXPECT_GT(line.from_line(), 0);
        EXPECT_GT(line.to_line(), 0);
        out.push_back(absl::StrCat("=", line.from_line(), ",", line.to_line(),
                                   " ", line.text()));
        break;
      case DiffLine::DELETE:
        EXPECT_EQ(line.to_line(), 0);
        out.push_back(absl::StrCat("-", line.from_line(), " ", line.text()));
        break;
      case DiffLine::INSERT:
        EXPECT_EQ(line.from_line(), 0);
        out.push_back(absl::StrCat("+", line.to_line(), " ", line.text()));
        break;
      default:
        ADD_FAILURE() << "unexpected op " << line.op();
    }
  }
  return out;
}

int Count(const std::vector<DiffLine>& lines, DiffLine::Op op) {
  return static_cast<int>(
      std::count_if(lines.begin(), lines.end(),
                    [op](const DiffLine& line) { return line.op() == op; }));
}

// Checks what every diff must satisfy: the older text is the EQUAL and
// DELETE lines, the newer the EQUAL and INSERT lines, numbered 1, 2, ...
// in order; no INSERT is directly followed by a DELETE.
void ExpectConsistent(const std::vector<std::string>& from,
                      const std::vector<std::string>& to,
                      const std::vector<DiffLine>& lines) {
  std::vector<std::string> old_side, new_side;
  for (size_t k = 0; k < lines.size(); ++k) {
    const DiffLine& line = lines[k];
    if (line.op() != DiffLine::INSERT) {
      old_side.push_back(line.text());
      EXPECT_EQ(line.from_line(), static_cast<int>(old_side.size()));
    }
    if (line.op() != DiffLine::DELETE) {
      new_side.push_back(line.text());
      EXPECT_EQ(line.to_line(), static_cast<int>(new_side.size()));
    }
    if (k > 0 && line.op() == DiffLine::DELETE) {
      EXPECT_NE(lines[k - 1].op(), DiffLine::INSERT) << "at " << k;
    }
  }
  EXPECT_EQ(old_side, from);
  EXPECT_EQ(new_side, to);
}

// Length of a longest common subsequence, the O(N*M) way.
int LcsLength(const std::vector<std::string>& a,
              const std::vector<std::string>& b) {
  std::vector<int> previous(b.size() + 1, 0), current(b.size() + 1, 0);
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      current[j] = a[i - 1] == b[j - 1] ? previous[j - 1] + 1
                                        : std::max(previous[j], current[j - 1]);
    }
    std::swap(previous, current);
  }
  return previous[b.size()];
}

std::string Numbered(int n, absl::string_view prefix = "line ") {
  std::string text;
  for (int i = 1; i <= n; ++i) absl::StrAppend(&text, prefix, i, "\n");
  return text;
}

TEST(DiffLinesTest, MarksEveryLineOfIdenticalTextsEqual) {
  EXPECT_THAT(Render(DiffLines("a\nb\nc", "a\nb\nc")),
              ElementsAre("=1,1 a", "=2,2 b", "=3,3 c"));
}

TEST(DiffLinesTest, GivesNoLinesForTwoEmptyTexts) {
  EXPECT_THAT(DiffLines("", ""), IsEmpty());
}

TEST(DiffLinesTest, InsertsEveryLineOfATextThatWasEmpty) {
  EXPECT_THAT(Render(DiffLines("", "a\nb\n")), ElementsAre("+1 a", "+2 b"));
}

TEST(DiffLinesTest, DeletesEveryLineOfATextThatBecameEmpty) {
  EXPECT_THAT(Render(DiffLines("a\nb\n", "")), ElementsAre("-1 a", "-2 b"));
}

TEST(DiffLinesTest, ShowsAChangedMiddleLineAsADeleteThenAnInsert) {
  EXPECT_THAT(Render(DiffLines("a\nb\nc\n", "a\nB\nc\n")),
              ElementsAre("=1,1 a", "-2 b", "+2 B", "=3,3 c"));
}

TEST(DiffLinesTest, PutsTheDeletesBeforeTheInsertsOfAChangedStretch) {
  EXPECT_THAT(Render(DiffLines("a\nb\nc\nd\ne", "a\nX\nY\nZ\ne")),
              ElementsAre("=1,1 a", "-2 b", "-3 c", "-4 d", "+2 X", "+3 Y",
                          "+4 Z", "=5,5 e"));
}

TEST(DiffLinesTest, NumbersLinesOfBothTextsAcrossInsertsAndDeletes) {
  EXPECT_THAT(
      Render(DiffLines("a\nb\nc\nd", "x\na\nc\nd\ny")),
      ElementsAre("+1 x", "=1,2 a", "-2 b", "=3,3 c", "=4,4 d", "+5 y"));
}

TEST(DiffLinesTest, DoesNotCountAFinalNewlineAsAnotherLine) {
  EXPECT_THAT(Render(DiffLines("a\nb\n", "a\nb")),
              ElementsAre("=1,1 a", "=2,2 b"));
  EXPECT_THAT(Render(DiffLines("a\n", "a\n\n")), ElementsAre("=1,1 a", "+2 "));
  EXPECT_THAT(Render(DiffLines("\n", "")), ElementsAre("-1 "));
}

TEST(DiffLinesTest, TreatsCarriageReturnAsAnOrdinaryCharacter) {
  EXPECT_THAT(Render(DiffLines("a\r\nb\r\n", "a\nb\r\n")),
              ElementsAre("-1 a\r", "+1 a", "=2,2 b\r"));
}

TEST(DiffLinesTest, KeepsRepeatedLinesAligned) {
  EXPECT_THAT(Render(DiffLines("x\n\nx\n\nx", "x\n\nx")),
              ElementsAre("=1,1 x", "=2,2 ", "=3,3 x", "-4 ", "-5 x"));
}

TEST(DiffLinesTest, FindsOneChangeInFiveThousandLines) {
  const std::string from = Numbered(5000);
  std::string to = from;
  const std::string old_line = "line 2500\n";
  to.replace(to.find(old_line), old_line.size(), "line 2500, revised\n");

  const std::vector<DiffLine> lines = DiffLines(from, to);
  ASSERT_EQ(lines.size(), 5001u);
  EXPECT_EQ(Count(lines, DiffLine::DELETE), 1);
  EXPECT_EQ(Count(lines, DiffLine::INSERT), 1);
  EXPECT_EQ(Count(lines, DiffLine::EQUAL), 4999);
  EXPECT_EQ(Render({lines[2499], lines[2500]}),
            (std::vector<std::string>{"-2500 line 2500",
                                      "+2500 line 2500, revised"}));
}

TEST(DiffLinesTest, RewritesFiveThousandLinesWithNothingInCommon) {
  const std::vector<DiffLine> lines =
      DiffLines(Numbered(5000, "old "), Numbered(5000, "new "));
  ASSERT_EQ(lines.size(), 10000u);
  EXPECT_EQ(Count(lines, DiffLine::DELETE), 5000);
  EXPECT_EQ(Count(lines, DiffLine::INSERT), 5000);
  EXPECT_EQ(lines[4999].op(), DiffLine::DELETE);
  EXPECT_EQ(lines[5000].op(), DiffLine::INSERT);
}

TEST(DiffLinesTest, KeepsOneLineOfFiveThousandReversed) {
  const int n = 5000;
  std::vector<std::string> forward, reversed;
  for (int i = 1; i <= n; ++i) forward.push_back(absl::StrCat("line ", i));
  reversed.assign(forward.rbegin(), forward.rend());
  const std::vector<DiffLine> lines =
      DiffLines(absl::StrJoin(forward, "\n"), absl::StrJoin(reversed, "\n"));
  EXPECT_EQ(Count(lines, DiffLine::EQUAL), 1);
  ExpectConsistent(forward, reversed, lines);
}

TEST(DiffLinesTest, ScatteredEditsInFiveThousandLinesStayMinimal) {
  std::vector<std::string> from, to;
  for (int i = 1; i <= 5000; ++i) {
    from.push_back(i % 7 == 0 ? "" : absl::StrCat("line ", i));
  }
  to = from;
  for (int i = 4900; i > 0; i -= 100) {
    to.erase(to.begin() + i);
    to.insert(to.begin() + i / 2, absl::StrCat("new ", i));
  }
  const std::vector<DiffLine> lines =
      DiffLines(absl::StrJoin(from, "\n"), absl::StrJoin(to, "\n"));
  EXPECT_EQ(Count(lines, DiffLine::EQUAL), LcsLength(from, to));
  ExpectConsistent(from, to, lines);
}

TEST(DiffLinesTest, MatchesTheLongestCommonSubsequenceOnRandomTexts) {
  std::mt19937 random(20240607);
  for (int round = 0; round < 2000; ++round) {
    const int alphabet = 1 + static_cast<int>(random() % 5);
    std::vector<std::string> a(random() % 25), b(random() % 25);
    for (std::string& line : a)
      line = std::string(1, 'a' + random() % alphabet);
    for (std::string& line : b)
      line = std::string(1, 'a' + random() % alphabet);
    const std::vector<DiffLine> lines =
        DiffLines(absl::StrJoin(a, "\n"), absl::StrJoin(b, "\n"));
    ASSERT_EQ(Count(lines, DiffLine::EQUAL), LcsLength(a, b))
        << absl::StrJoin(a, "") << " -> " << absl::StrJoin(b, "");
    ExpectConsistent(a, b, lines);
  }
}

}  // namespace
}  // namespace cdc::consultations
