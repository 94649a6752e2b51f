#include "services/comments/anchor.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/status_matchers.h"

namespace cdc::comments {
namespace {

using ::cdc::testing::IsOk;
using ::cdc::testing::StatusIs;
using ::cdc::v1::TextAnchor;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Property;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;

constexpr absl::string_view kFox =
    "The quick brown fox jumps over the lazy dog.";

// An anchor to be found by its text (start and end 0).
TextAnchor Quote(absl::string_view exact, absl::string_view prefix = "",
                 absl::string_view suffix = "") {
  TextAnchor anchor;
  anchor.set_exact(std::string(exact));
  anchor.set_prefix(std::string(prefix));
  anchor.set_suffix(std::string(suffix));
  return anchor;
}

// An anchor with its offsets given.
TextAnchor At(absl::string_view exact, int start, int end,
              absl::string_view prefix = "", absl::string_view suffix = "") {
  TextAnchor anchor = Quote(exact, prefix, suffix);
  anchor.set_start(start);
  anchor.set_end(end);
  return anchor;
}

auto AnchorIs(int start, int end, absl::string_view prefix,
              absl::string_view suffix) {
  return AllOf(Property("start", &TextAnchor::start, start),
               Property("end", &TextAnchor::end, end),
               Property("prefix", &TextAnchor::prefix, std::string(prefix)),
               Property("suffix", &TextAnchor::suffix, std::string(suffix)));
}

// The anchor resolved against `text`, which must succeed.
TextAnchor Resolved(const TextAnchor& anchor, absl::string_view text) {
  absl::StatusOr<TextAnchor> resolved = ResolveAnchor(anchor, text);
  EXPECT_THAT(resolved, IsOk());
  if (!resolved.ok()) return {};
  return *resolved;
}

std::string Repeat(absl::string_view s, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) absl::StrAppend(&out, s);
  return out;
}

// --- Finding the quote --------------------------------------------------

TEST(ResolveAnchorTest, FillsInTheOffsetsAndContextOfAQuoteThatOccursOnce) {
  const TextAnchor resolved = Resolved(Quote("brown fox"), kFox);
  EXPECT_EQ(resolved.exact(), "brown fox");
  EXPECT_THAT(resolved,
              AnchorIs(10, 19, "The quick ", " jumps over the lazy dog."));
}

TEST(ResolveAnchorTest, FillsInAtMost32CodePointsOfContextOnEachSide) {
  const std::string text =
      absl::StrCat(Repeat("x", 40), "QUOTE", Repeat("y", 40));
  EXPECT_THAT(Resolved(Quote("QUOTE"), text),
              AnchorIs(40, 45, Repeat("x", 32), Repeat("y", 32)));
}

TEST(ResolveAnchorTest, FillsInNoContextPastTheEdgesOfTheText) {
  EXPECT_THAT(Resolved(Quote("The"), kFox),
              AnchorIs(0, 3, "", kFox.substr(3, 32)));
  EXPECT_THAT(Resolved(Quote(kFox), kFox),
              AnchorIs(0, static_cast<int>(kFox.size()), "", ""));
}

TEST(ResolveAnchorTest, KeepsTheContextTheCallerGaveAndFillsInTheOtherSide) {
  EXPECT_THAT(Resolved(Quote("fox", "brown "), kFox),
              AnchorIs(16, 19, "brown ", " jumps over the lazy dog."));
  EXPECT_THAT(Resolved(Quote("fox", "", " jumps"), kFox),
              AnchorIs(16, 19, "The quick brown ", " jumps"));
}

TEST(ResolveAnchorTest, RejectsAQuoteThatDoesNotOccur) {
  EXPECT_THAT(ResolveAnchor(Quote("red fox"), kFox),
              StatusIs(kInvalid,
                       "anchor.exact: does not occur in the "
                       "section's text"));
}

TEST(ResolveAnchorTest, MatchesCaseAndWhiteSpaceExactly) {
  EXPECT_THAT(ResolveAnchor(Quote("Brown fox"), kFox), StatusIs(kInvalid));
  EXPECT_THAT(ResolveAnchor(Quote("brown  fox"), kFox), StatusIs(kInvalid));
}

TEST(ResolveAnchorTest, RejectsAQuoteThatOccursMoreThanOnce) {
  EXPECT_THAT(ResolveAnchor(Quote("the"), "the cat, the dog and the bird"),
              StatusIs(kInvalid,
                       "anchor.exact: occurs 3 times; add a prefix "
                       "or suffix to say which"));
}

TEST(ResolveAnchorTest, APrefixSaysWhichOccurrenceIsMeant) {
  const absl::string_view text = "Article 3 applies. Article 4 applies too.";
  EXPECT_THAT(Resolved(Quote("applies", "4 "), text),
              AnchorIs(29, 36, "4 ", " too."));
}

TEST(ResolveAnchorTest, ASuffixSaysWhichOccurrenceIsMeant) {
  const absl::string_view text = "Article 3 applies. Article 4 applies too.";
  EXPECT_THAT(Resolved(Quote("applies", "", "."), text),
              AnchorIs(10, 17, "Article 3 ", "."));
}

TEST(ResolveAnchorTest, RejectsAPrefixAndSuffixThatStillLeaveTwoOccurrences) {
  EXPECT_THAT(ResolveAnchor(Quote("b", "a", "c"), "abc abc"),
              StatusIs(kInvalid, HasSubstr("occurs 2 times")));
}

TEST(ResolveAnchorTest, CountsOnlyOccurrencesThatThePrefixEndsRightBefore) {
  // "the" occurs before both "cat"s, but with a space in between.
  EXPECT_THAT(
      ResolveAnchor(Quote("cat", "the"), "the cat and the dog and the cat"),
      StatusIs(kInvalid,
               "anchor.exact: does not occur in the section's "
               "text with the given prefix"));
}

TEST(ResolveAnchorTest, CountsOnlyOccurrencesThatTheSuffixStartsRightAfter) {
  EXPECT_THAT(ResolveAnchor(Quote("fox", "", "jumps"), kFox),
              StatusIs(kInvalid,
                       "anchor.exact: does not occur in the "
                       "section's text with the given suffix"));
  EXPECT_THAT(ResolveAnchor(Quote("fox", "brown ", "jumps"), kFox),
              StatusIs(kInvalid, HasSubstr("with the given prefix and "
                                           "suffix")));
}

TEST(ResolveAnchorTest, CountsOverlappingOccurrences) {
  EXPECT_THAT(ResolveAnchor(Quote("aaa"), "aaaa"),
              StatusIs(kInvalid, HasSubstr("occurs 2 times")));
  EXPECT_THAT(ResolveAnchor(Quote("aa"), "aaaa"),
              StatusIs(kInvalid, HasSubstr("occurs 3 times")));
  EXPECT_THAT(Resolved(Quote("aaa", "a"), "aaaa"), AnchorIs(1, 4, "a", ""));
  EXPECT_THAT(Resolved(Quote("aaa", "", "a"), "aaaa"), AnchorIs(0, 3, "", "a"));
}

TEST(ResolveAnchorTest, FindsAQuoteThatSpansLines) {
  const absl::string_view text = "First line.\nSecond\tline.\n";
  EXPECT_THAT(Resolved(Quote("line.\nSecond\t"), text),
              AnchorIs(6, 19, "First ", "line.\n"));
}

// --- Offsets given --------------------------------------------------------

TEST(ResolveAnchorTest, AcceptsOffsetsThatHoldTheQuote) {
  EXPECT_THAT(Resolved(At("brown fox", 10, 19), kFox),
              AnchorIs(10, 19, "The quick ", " jumps over the lazy dog."));
  EXPECT_THAT(Resolved(At("The", 0, 3), kFox),
              AnchorIs(0, 3, "", kFox.substr(3, 32)));
}

TEST(ResolveAnchorTest, OffsetsSayWhichOccurrenceIsMeant) {
  EXPECT_THAT(Resolved(At("the", 9, 12), "the cat, the dog and the bird"),
              AnchorIs(9, 12, "the cat, ", " dog and the bird"));
}

TEST(ResolveAnchorTest, RejectsOffsetsThatDoNotHoldTheQuote) {
  const auto kDoesNotHold =
      StatusIs(kInvalid, "anchor: start..end does not hold the quoted text");
  EXPECT_THAT(ResolveAnchor(At("brown fox", 11, 20), kFox), kDoesNotHold);
  EXPECT_THAT(ResolveAnchor(At("brown fox", 10, 18), kFox), kDoesNotHold);
  EXPECT_THAT(ResolveAnchor(At("brown fox", 10, 10), kFox), kDoesNotHold);
}

TEST(ResolveAnchorTest, AcceptsAPrefixAndSuffixThatAdjoinTheOffsets) {
  EXPECT_THAT(Resolved(At("fox", 16, 19, "brown ", " jumps"), kFox),
              AnchorIs(16, 19, "brown ", " jumps"));
}

TEST(ResolveAnchorTest, RejectsAPrefixOrSuffixThatDoesNotAdjoinTheOffsets) {
  EXPECT_THAT(ResolveAnchor(At("fox", 16, 19, "brown"), kFox),
              StatusIs(kInvalid,
                       "anchor.prefix: does not end right before "
                       "the quoted text"));
  EXPECT_THAT(ResolveAnchor(At("fox", 16, 19, "", "jumps"), kFox),
              StatusIs(kInvalid,
                       "anchor.suffix: does not start right after "
                       "the quoted text"));
  // At the very start there is nothing for a prefix to match.
  EXPECT_THAT(ResolveAnchor(At("The", 0, 3, " "), kFox),
              StatusIs(kInvalid, HasSubstr("anchor.prefix")));
}

TEST(ResolveAnchorTest, RejectsAnEndPastTheEndOfTheText) {
  EXPECT_THAT(ResolveAnchor(At("dog.", 41, 45), kFox),
              StatusIs(kInvalid,
                       "anchor.end: must be at most 44, the length "
                       "of the section's text"));
  EXPECT_THAT(Resolved(At("dog.", 40, 44), kFox),
              AnchorIs(40, 44, "k brown fox jumps over the lazy ", ""));
}

TEST(ResolveAnchorTest, RejectsNegativeOrReversedOffsets) {
  EXPECT_THAT(ResolveAnchor(At("fox", -1, 3), kFox),
              StatusIs(kInvalid, "anchor.start: must not be negative"));
  EXPECT_THAT(
      ResolveAnchor(At("fox", 0, -3), kFox),
      StatusIs(kInvalid, HasSubstr("anchor.end: must not be negative")));
  EXPECT_THAT(
      ResolveAnchor(At("fox", 19, 16), kFox),
      StatusIs(kInvalid, "anchor.end: must not be less than anchor.start"));
  // end 0 means "find it", which a start says it is not.
  EXPECT_THAT(ResolveAnchor(At("fox", 16, 0), kFox),
              StatusIs(kInvalid, HasSubstr("anchor.end")));
}

// --- Text beyond ASCII: offsets count code points, not bytes -------------

TEST(ResolveAnchorTest, CountsOffsetsInCodePointsOfFrenchText) {
  const absl::string_view text =
      "Le délai de réponse est de 30 jours. Le délai peut être prolongé.";
  EXPECT_THAT(
      Resolved(Quote("délai peut"), text),
      AnchorIs(40, 50, " de réponse est de 30 jours. Le ", " être prolongé."));
  EXPECT_THAT(
      Resolved(At("réponse", 12, 19), text),
      AnchorIs(12, 19, "Le délai de ", " est de 30 jours. Le délai peut "));
  // Byte offsets (13..21) are not code point offsets.
  EXPECT_THAT(ResolveAnchor(At("réponse", 13, 21), text),
              StatusIs(kInvalid, HasSubstr("does not hold")));
}

TEST(ResolveAnchorTest, CountsOffsetsInCodePointsOfArabicText) {
  const absl::string_view text = "السلام عليكم ورحمة الله وبركاته";
  EXPECT_THAT(Resolved(Quote("عليكم"), text),
              AnchorIs(7, 12, "السلام ", " ورحمة الله وبركاته"));
  EXPECT_THAT(Resolved(At("الله", 19, 23), text),
              AnchorIs(19, 23, "السلام عليكم ورحمة ", " وبركاته"));
  EXPECT_THAT(ResolveAnchor(At("الله", 19, 32), text),
              StatusIs(kInvalid, HasSubstr("must be at most 31")));
}

TEST(ResolveAnchorTest, CountsOffsetsInCodePointsOfChineseText) {
  const absl::string_view text = "公众咨询草案第三条规定了答复期限。";
  EXPECT_THAT(Resolved(Quote("第三条"), text),
              AnchorIs(6, 9, "公众咨询草案", "规定了答复期限。"));
  EXPECT_THAT(Resolved(At("第三条", 6, 9), text),
              AnchorIs(6, 9, "公众咨询草案", "规定了答复期限。"));
}

TEST(ResolveAnchorTest, CountsAnEmojiOutsideTheBmpAsOneCodePoint) {
  const absl::string_view text = "Bravo 👏 pour ce texte 🎉 merci";
  EXPECT_THAT(Resolved(Quote("merci"), text),
              AnchorIs(24, 29, "Bravo 👏 pour ce texte 🎉 ", ""));
  EXPECT_THAT(Resolved(Quote("👏"), text),
              AnchorIs(6, 7, "Bravo ", " pour ce texte 🎉 merci"));
  EXPECT_THAT(Resolved(At("🎉", 22, 23), text),
              AnchorIs(22, 23, "Bravo 👏 pour ce texte ", " merci"));
}

TEST(ResolveAnchorTest, CutsDefaultContextOnCodePointBoundaries) {
  const std::string text =
      absl::StrCat(Repeat("é", 40), "[x]", Repeat("😀", 40));
  EXPECT_THAT(Resolved(Quote("[x]"), text),
              AnchorIs(40, 43, Repeat("é", 32), Repeat("😀", 32)));
}

// --- The anchor's own fields ----------------------------------------------

TEST(ResolveAnchorTest, RejectsAnEmptyQuote) {
  EXPECT_THAT(ResolveAnchor(Quote(""), kFox),
              StatusIs(kInvalid, "anchor.exact: is required"));
  EXPECT_THAT(ResolveAnchor(At("", 3, 3), kFox),
              StatusIs(kInvalid, "anchor.exact: is required"));
}

TEST(ResolveAnchorTest, RejectsAQuoteOfOnlyWhiteSpace) {
  EXPECT_THAT(ResolveAnchor(Quote(" "), kFox),
              StatusIs(kInvalid, "anchor.exact: must not be blank"));
}

TEST(ResolveAnchorTest, LimitsTheQuoteTo2000CodePointsNotBytes) {
  const std::string text = Repeat("é", 2001);
  EXPECT_THAT(ResolveAnchor(At(Repeat("é", 2001), 0, 2001), text),
              StatusIs(kInvalid, HasSubstr("anchor.exact: must be at most "
                                           "2000 characters")));
  EXPECT_THAT(Resolved(At(Repeat("é", 2000), 1, 2001), text),
              AnchorIs(1, 2001, "é", ""));
}

TEST(ResolveAnchorTest, LimitsPrefixAndSuffixTo200CodePoints) {
  const std::string text =
      absl::StrCat(Repeat("a", 201), "b", Repeat("c", 201));
  EXPECT_THAT(ResolveAnchor(Quote("b", Repeat("a", 201)), text),
              StatusIs(kInvalid, HasSubstr("anchor.prefix: must be at most "
                                           "200 characters")));
  EXPECT_THAT(ResolveAnchor(Quote("b", "", Repeat("c", 201)), text),
              StatusIs(kInvalid, HasSubstr("anchor.suffix: must be at most "
                                           "200 characters")));
  EXPECT_THAT(Resolved(Quote("b", Repeat("a", 200), Repeat("c", 200)), text),
              AnchorIs(201, 202, Repeat("a", 200), Repeat("c", 200)));
}

TEST(ResolveAnchorTest, RejectsInvalidUtf8InTheAnchor) {
  const std::string truncated = "caf\xC3";       // é cut after its first byte
  const std::string overlong = "\xC0\xAF";       // '/' in two bytes
  const std::string surrogate = "\xED\xA0\x80";  // U+D800
  EXPECT_THAT(ResolveAnchor(Quote(truncated), kFox),
              StatusIs(kInvalid, "anchor.exact: must be valid UTF-8"));
  EXPECT_THAT(ResolveAnchor(Quote("fox", overlong), kFox),
              StatusIs(kInvalid, "anchor.prefix: must be valid UTF-8"));
  EXPECT_THAT(ResolveAnchor(Quote("fox", "", surrogate), kFox),
              StatusIs(kInvalid, "anchor.suffix: must be valid UTF-8"));
}

TEST(ResolveAnchorTest, RejectsControlCharactersButNewlineAndTab) {
  EXPECT_THAT(
      ResolveAnchor(Quote("brown\x01"), kFox),
      StatusIs(kInvalid, "anchor.exact: must not contain control characters"));
  EXPECT_THAT(ResolveAnchor(Quote("fox", "\x1B[0m"), kFox),
              StatusIs(kInvalid, HasSubstr("anchor.prefix")));
}

TEST(ResolveAnchorTest, TreatsASectionTextThatIsNotUtf8AsAnInternalError) {
  EXPECT_THAT(ResolveAnchor(Quote("fox"), "brown fox \xFF"),
              StatusIs(absl::StatusCode::kInternal));
}

// --- Size -----------------------------------------------------------------

TEST(ResolveAnchorTest, FindsAQuoteAtTheEndOfA100000CharacterText) {
  // 15 code points of 1, 2, 3 and 4 bytes, 6,666 times, then the quote.
  constexpr absl::string_view kUnit = "Règle ١٢ 条款 😀. ";
  std::string text = Repeat(kUnit, 6666);
  absl::StrAppend(&text, "Fin du texte");
  const int before = 15 * 6666;
  EXPECT_THAT(
      Resolved(Quote("Fin du texte"), text),
      AnchorIs(before, before + 12, absl::StrCat(". ", Repeat(kUnit, 2)), ""));
  EXPECT_THAT(Resolved(At("texte", before + 7, before + 12), text),
              AnchorIs(before + 7, before + 12,
                       absl::StrCat(" ١٢ 条款 😀. ", kUnit, "Fin du "), ""));
}

TEST(ResolveAnchorTest, CountsTheOccurrencesOfALongQuoteInALongRun) {
  const std::string text = Repeat("a", 100000);
  EXPECT_THAT(ResolveAnchor(Quote(Repeat("a", 2000)), text),
              StatusIs(kInvalid, HasSubstr("occurs 98001 times")));
  EXPECT_THAT(Resolved(At(Repeat("a", 2000), 98000, 100000), text),
              AnchorIs(98000, 100000, Repeat("a", 32), ""));
}

}  // namespace
}  // namespace cdc::comments
