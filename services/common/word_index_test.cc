// The word index: words, terms and tf-idf search against a real Redis.
#include "services/common/word_index.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/redis_test_server.h"
#include "services/common/status_matchers.h"

namespace cdc {
namespace {

using ::cdc::testing::IsOk;
using ::cdc::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(WordsTest, LowerCasesFoldsAccentsAndDropsStopWordsAndSingleLetters) {
  EXPECT_THAT(Words("The Données of a Citizen-Science NETWORK, in 2030!"),
              ElementsAre("donnees", "citizen", "science", "network", "2030"));
  EXPECT_THAT(Words("Œuvre, façade; Straße"),
              ElementsAre("oeuvre", "facade", "strasse"));
}

TEST(WordsTest, KeepsOtherScriptsAndSplitsAtTheirPunctuation) {
  EXPECT_THAT(Words("бюро статистики、数据"),
              ElementsAre("бюро", "статистики", "数据"));
}

TEST(WordsTest, FoldsCaseAndAccentsOfOtherScripts) {
  EXPECT_THAT(Words("Данные ЁЖИК"), ElementsAre("данные",
                                                "еж"
                                                "ик"));
  EXPECT_THAT(Words("Δεδομένα ΠΟΛΙΤΏΝ"), ElementsAre("δεδομενα", "πολιτων"));
  EXPECT_THAT(Words("Người dân, dữ liệu"),
              ElementsAre("nguoi", "dan", "lieu"));  // "du" is a stop word
  EXPECT_THAT(Words("البَيانات"), ElementsAre("البيانات"));
}

TEST(WordsTest, HanAndKanaBecomeOverlappingPairs) {
  EXPECT_THAT(Words("人口普查数据"),
              ElementsAre("人口", "口普", "普查", "查数", "数据"));
  EXPECT_THAT(Words("数 census"), ElementsAre("数", "census"));
  EXPECT_THAT(Words("データ"), ElementsAre("デー", "ータ"));
}

TEST(WordsTest, CutsOverlongWords) {
  const std::vector<std::string> words =
      Words(absl::StrCat(std::string(100, 'x'), " end"));
  ASSERT_EQ(words.size(), 2u);
  EXPECT_EQ(words[0].size(), static_cast<size_t>(kMaxWordLength));
  EXPECT_EQ(words[1], "end");
}

TEST(QueryWordsTest, DistinctWordsOrAClearError) {
  absl::StatusOr<std::vector<std::string>> words =
      QueryWords("query", "data DATA privacy data");
  ASSERT_THAT(words, IsOk());
  EXPECT_THAT(*words, ElementsAre("data", "privacy"));
  EXPECT_THAT(QueryWords("query", "the of a"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("query: holds no word")));
  std::string many;
  for (int i = 0; i < 21; ++i) absl::StrAppend(&many, "word", i, " ");
  EXPECT_THAT(QueryWords("query", many),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("has 21 words; at most 20")));
}

TEST(DocumentTermsTest, WeighsFieldsAndDampensRepeats) {
  const TermWeights terms =
      DocumentTerms({{"Privacy", 3.0}, {"privacy privacy consent", 1.0}});
  ASSERT_EQ(terms.size(), 2u);
  EXPECT_EQ(terms[0].first, "consent");
  EXPECT_DOUBLE_EQ(terms[0].second, 1.0);
  EXPECT_EQ(terms[1].first, "privacy");
  EXPECT_DOUBLE_EQ(terms[1].second, 3.0 + 1.0 + std::log(2.0));
}

TEST(SnippetTest, PlainTextAroundTheFirstMatch) {
  EXPECT_EQ(Snippet("# Title\n\nSome **bold** text", {"bold"}),
            "Title Some bold text");
  std::string long_text;
  for (int i = 0; i < 100; ++i) absl::StrAppend(&long_text, "filler ");
  absl::StrAppend(&long_text, "Consentement éclairé ");
  for (int i = 0; i < 100; ++i) absl::StrAppend(&long_text, "after ");
  const std::string snippet = Snippet(long_text, {"consentement"}, 60);
  EXPECT_THAT(snippet, HasSubstr("Consentement éclairé"));
  EXPECT_TRUE(snippet.rfind("…", 0) == 0) << snippet;
  EXPECT_THAT(snippet, ::testing::EndsWith("…"));
}

class WordIndexTest : public cdc::testing::RedisTest {
 protected:
  static constexpr char kPrefix[] = "test:{s0}:ix:";

  // Indexes (or, with no fields, drops) `doc` as a write script would.
  void Put(const std::string& doc, std::initializer_list<WeightedText> fields) {
    static const auto* put = new RedisScript(
        absl::StrCat(kWordIndexLua, "index_put(ARGV[1], ARGV[2], 3)"));
    std::vector<std::string> args = {kPrefix, doc};
    AppendTermArgs(DocumentTerms(fields), &args);
    ASSERT_THAT(redis().Eval(*put, {}, args), IsOk());
  }
  void Drop(const std::string& doc) {
    static const auto* drop = new RedisScript(
        absl::StrCat(kWordIndexLua, "index_drop(ARGV[1], ARGV[2])"));
    ASSERT_THAT(redis().Eval(*drop, {}, {kPrefix, doc}), IsOk());
  }
  std::vector<std::string> Docs(const std::string& query, int limit = 10) {
    absl::StatusOr<std::vector<std::string>> words = QueryWords("q", query);
    EXPECT_THAT(words, IsOk());
    absl::StatusOr<WordMatches> matches =
        SearchWords(redis(), kPrefix, *words, limit);
    EXPECT_THAT(matches, IsOk());
    std::vector<std::string> docs;
    if (!matches.ok()) return docs;
    for (const WordMatch& m : matches->best) docs.push_back(m.doc);
    return docs;
  }
};

TEST_F(WordIndexTest, EveryWordMustMatchAndTitlesRankFirst) {
  Put("a", {{"Consent in citizen data", 3}, {"A body about privacy.", 1}});
  Put("b", {{"Privacy", 3}, {"Consent and privacy of citizen data", 1}});
  Put("c", {{"Roadmaps", 3}, {"National roadmaps for data", 1}});
  EXPECT_THAT(Docs("privacy"), ElementsAre("b", "a"));
  EXPECT_THAT(Docs("consent"), ElementsAre("a", "b"));
  EXPECT_THAT(Docs("citizen privacy"), ElementsAre("b", "a"));
  EXPECT_THAT(Docs("roadmap"), IsEmpty());  // no stemming
  EXPECT_THAT(Docs("privacy roadmaps"), IsEmpty());
  // A rare word weighs more than a common one (idf).
  EXPECT_THAT(Docs("data roadmaps"), ElementsAre("c"));
}

TEST_F(WordIndexTest, FindsWordsInsideTextWrittenWithoutSpaces) {
  Put("zh", {{"人口普查数据的质量", 1}});
  Put("ru", {{"Качество ДАННЫХ переписи", 1}});
  EXPECT_THAT(Docs("数据"), ElementsAre("zh"));
  EXPECT_THAT(Docs("普查数据"), ElementsAre("zh"));
  EXPECT_THAT(Docs("普查数"), ElementsAre("zh"));  // every pair present
  EXPECT_THAT(Docs("数据普查"), IsEmpty());        // 据普 is not in it
  EXPECT_THAT(Docs("数据库"), IsEmpty());
  EXPECT_THAT(Docs("данных"), ElementsAre("ru"));
}

TEST_F(WordIndexTest, ReindexingReplacesWordsAndDropForgetsTheDocument) {
  Put("a", {{"Sensitive data", 3}});
  Put("a", {{"Gender statistics", 3}});
  EXPECT_THAT(Docs("sensitive"), IsEmpty());
  EXPECT_THAT(Docs("gender"), ElementsAre("a"));
  Drop("a");
  Drop("a");  // idempotent
  EXPECT_THAT(Docs("gender"), IsEmpty());
  auto count = redis().Command({"GET", absl::StrCat(kPrefix, "n")});
  ASSERT_THAT(count, IsOk());
  EXPECT_EQ(count->str, "0");
}

TEST_F(WordIndexTest, LimitKeepsTheBestAndTotalCountsAll) {
  for (int i = 0; i < 30; ++i) {
    Put(absl::StrCat("d", i < 10 ? "0" : "", i),
        {{i == 17 ? "census census census" : "census", 1}});
  }
  absl::StatusOr<WordMatches> matches =
      SearchWords(redis(), kPrefix, {"census"}, 5);
  ASSERT_THAT(matches, IsOk());
  EXPECT_EQ(matches->total, 30);
  ASSERT_EQ(matches->best.size(), 5u);
  EXPECT_EQ(matches->best[0].doc, "d17");
  EXPECT_EQ(matches->best[1].doc, "d00");  // ties by id
}

}  // namespace
}  // namespace cdc
