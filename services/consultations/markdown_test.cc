#include "services/consultations/markdown.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/crypto.h"
#include "services/common/status_matchers.h"

namespace cdc::consultations {
namespace {

using ::cdc::testing::IsOk;
using ::cdc::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;
using ::testing::Pair;
using ::testing::StartsWith;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;

// The sections of a draft that must parse.
std::vector<ParsedSection> Sections(absl::string_view markdown,
                                    const DraftLimits& limits = {}) {
  absl::StatusOr<ParsedDraft> draft = ParseDraft(markdown, limits);
  EXPECT_THAT(draft, IsOk());
  if (!draft.ok()) return {};
  return draft->sections;
}

std::vector<std::string> Warnings(absl::string_view markdown) {
  absl::StatusOr<ParsedDraft> draft = ParseDraft(markdown);
  EXPECT_THAT(draft, IsOk());
  if (!draft.ok()) return {};
  return draft->warnings;
}

std::vector<std::string> Keys(absl::string_view markdown) {
  std::vector<std::string> keys;
  for (const ParsedSection& section : Sections(markdown)) {
    keys.push_back(section.key);
  }
  return keys;
}

std::string HashKey(absl::string_view title) {
  return "s-" + HexEncode(Sha256(title)).substr(0, 12);
}

TEST(ParseDraftTest, MakesOneSectionPerHeadingInDocumentOrder) {
  const std::vector<ParsedSection> sections = Sections(
      "# Introduction\n"
      "Why this consultation.\n"
      "\n"
      "## Key principles {#principles}\n"
      "First principle.\n"
      "# Annex\n");
  ASSERT_EQ(sections.size(), 3u);

  EXPECT_EQ(sections[0].key, "introduction");
  EXPECT_EQ(sections[0].parent_key, "");
  EXPECT_EQ(sections[0].level, 1);
  EXPECT_EQ(sections[0].order, 0);
  EXPECT_EQ(sections[0].title, "Introduction");
  EXPECT_EQ(sections[0].text, "Why this consultation.");
  EXPECT_EQ(sections[0].line, 1);

  EXPECT_EQ(sections[1].key, "principles");
  EXPECT_EQ(sections[1].parent_key, "introduction");
  EXPECT_EQ(sections[1].level, 2);
  EXPECT_EQ(sections[1].order, 1);
  EXPECT_EQ(sections[1].title, "Key principles");
  EXPECT_EQ(sections[1].text, "First principle.");
  EXPECT_EQ(sections[1].line, 4);

  EXPECT_EQ(sections[2].key, "annex");
  EXPECT_EQ(sections[2].parent_key, "");
  EXPECT_EQ(sections[2].order, 2);
  EXPECT_EQ(sections[2].text, "");
  EXPECT_EQ(sections[2].line, 6);
}

TEST(ParseDraftTest, TrimsBlankLinesAroundTheTextButKeepsThoseInside) {
  const std::vector<ParsedSection> sections = Sections(
      "# A\n"
      "\n"
      "  \t\n"
      "    indented code\n"
      "\n"
      "\n"
      "last line with a hard break  \n"
      "   \n"
      "\n");
  ASSERT_EQ(sections.size(), 1u);
  EXPECT_EQ(sections[0].text,
            "    indented code\n\n\nlast line with a hard break  ");
}

TEST(ParseDraftTest, GivesEachSectionItsNearestPrecedingLowerHeadingAsParent) {
  const std::vector<ParsedSection> sections = Sections(
      "# One\n"
      "## Two\n"
      "### Three\n"
      "#### Four\n"
      "##### Five\n"
      "###### Six\n"
      "### Three again\n"
      "## Two again\n"
      "# One again\n");
  ASSERT_EQ(sections.size(), 9u);
  std::vector<std::pair<int, std::string>> levels_and_parents;
  for (const ParsedSection& section : sections) {
    levels_and_parents.emplace_back(section.level, section.parent_key);
  }
  EXPECT_THAT(levels_and_parents,
              ElementsAre(Pair(1, ""), Pair(2, "one"), Pair(3, "two"),
                          Pair(4, "three"), Pair(5, "four"), Pair(6, "five"),
                          Pair(3, "two"), Pair(2, "one"), Pair(1, "")));
}

TEST(ParseDraftTest, TakesTheParentFromTheNearestLowerLevelAfterALevelJump) {
  const std::vector<ParsedSection> sections = Sections(
      "# Top\n"
      "### Deep\n"
      "## Middle\n"
      "### Deep again\n");
  ASSERT_EQ(sections.size(), 4u);
  EXPECT_EQ(sections[1].parent_key, "top");
  EXPECT_EQ(sections[2].parent_key, "top");
  EXPECT_EQ(sections[3].parent_key, "middle");
}

TEST(ParseDraftTest, LeavesSubSectionsOutOfTheirParentsText) {
  const std::vector<ParsedSection> sections = Sections(
      "# Parent\n"
      "Parent text.\n"
      "## Child\n"
      "Child text.\n");
  ASSERT_EQ(sections.size(), 2u);
  EXPECT_EQ(sections[0].text, "Parent text.");
  EXPECT_EQ(sections[1].text, "Child text.");
}

TEST(ParseDraftTest, RefusesAnEmptyOrBlankDraft) {
  for (absl::string_view markdown :
       {"", "\n", " \t\r\n\r\n  ", "\xEF\xBB\xBF", "\xEF\xBB\xBF  \n"}) {
    EXPECT_THAT(ParseDraft(markdown),
                StatusIs(kInvalid, "markdown: the draft is empty"))
        << markdown;
  }
}

TEST(ParseDraftTest, RefusesADraftWithoutHeadings) {
  EXPECT_THAT(
      ParseDraft("Just a paragraph.\nAnd another line.\n"),
      StatusIs(kInvalid, StartsWith("markdown: line 1: text before the first "
                                    "heading")));
}

TEST(ParseDraftTest, RefusesTextBeforeTheFirstHeadingNamingItsLine) {
  EXPECT_THAT(ParseDraft("\n  \nPreamble\n# Title\n"),
              StatusIs(kInvalid, StartsWith("markdown: line 3: text before "
                                            "the first heading")));
  EXPECT_THAT(ParseDraft("```\n# not a heading\n```\n# Title\n"),
              StatusIs(kInvalid, StartsWith("markdown: line 1: ")));
}

TEST(ParseDraftTest, SaysWhyAHashLineBeforeTheFirstHeadingIsNoHeading) {
  EXPECT_THAT(ParseDraft("#Title\n"),
              StatusIs(kInvalid, HasSubstr("needs a space after its '#'")));
  EXPECT_THAT(ParseDraft("####### Seven\n"),
              StatusIs(kInvalid, HasSubstr("at most 6 '#'")));
  EXPECT_THAT(ParseDraft("    # Indented\n"),
              StatusIs(kInvalid, HasSubstr("at most 3 spaces")));
}

TEST(ParseDraftTest, ReadsCrlfAndLoneCrAsLf) {
  const std::vector<ParsedSection> sections = Sections(
      "# A\r\n"
      "line 1\r\n"
      "\r\n"
      "line 3\r\n"
      "# B\r"
      "x\r"
      "y\r");
  ASSERT_EQ(sections.size(), 2u);
  EXPECT_EQ(sections[0].title, "A");
  EXPECT_EQ(sections[0].text, "line 1\n\nline 3");
  EXPECT_EQ(sections[1].title, "B");
  EXPECT_EQ(sections[1].line, 5);
  EXPECT_EQ(sections[1].text, "x\ny");
}

TEST(ParseDraftTest, IgnoresAByteOrderMarkAtTheStart) {
  const std::vector<ParsedSection> sections =
      Sections("\xEF\xBB\xBF# Scope\nText.\n");
  ASSERT_EQ(sections.size(), 1u);
  EXPECT_EQ(sections[0].title, "Scope");
  EXPECT_EQ(sections[0].key, "scope");
  EXPECT_EQ(sections[0].line, 1);
}

TEST(ParseDraftTest, ReadsOnlyAtxHeadingsWithASpaceAndAtMostThreeSpacesIndent) {
  const std::vector<ParsedSection> sections = Sections(
      "# Top\n"
      "   ## Indented three\n"
      "    ## Indented four is code\n"
      "##\tTabbed\n"
      "#hashtag is text\n"
      "####### seven is text\n"
      "\t# tab-indented is text\n");
  ASSERT_EQ(sections.size(), 3u);
  EXPECT_EQ(sections[1].title, "Indented three");
  EXPECT_EQ(sections[1].level, 2);
  EXPECT_EQ(sections[1].text, "    ## Indented four is code");
  EXPECT_EQ(sections[2].title, "Tabbed");
  EXPECT_EQ(sections[2].text,
            "#hashtag is text\n####### seven is text\n\t# tab-indented is "
            "text");
}

TEST(ParseDraftTest, DropsTheClosingSequenceOfHashes) {
  const std::vector<ParsedSection> sections = Sections(
      "# Title #\n"
      "## Subtitle ####   \n"
      "## C#\n"
      "## Issue #42 fixed\n"
      "## Trailing #\\#\n");
  ASSERT_EQ(sections.size(), 5u);
  EXPECT_EQ(sections[0].title, "Title");
  EXPECT_EQ(sections[1].title, "Subtitle");
  EXPECT_EQ(sections[2].title, "C#");
  EXPECT_EQ(sections[3].title, "Issue #42 fixed");
  EXPECT_EQ(sections[4].title, "Trailing #\\#");
}

TEST(ParseDraftTest, TakesTheKeyFromATrailingAnchor) {
  const std::vector<ParsedSection> sections = Sections(
      "# Key principles {#principles}\n"
      "## Scope and   definitions   {#2-scope}  \n"
      "## Closing hashes after {#after} ##\n"
      "## Closing hashes before ## {#before}\n"
      "## Braces {in} the middle\n");
  ASSERT_EQ(sections.size(), 5u);
  EXPECT_EQ(sections[0].key, "principles");
  EXPECT_EQ(sections[0].title, "Key principles");
  EXPECT_EQ(sections[1].key, "2-scope");
  EXPECT_EQ(sections[1].title, "Scope and   definitions");
  EXPECT_EQ(sections[2].key, "after");
  EXPECT_EQ(sections[2].title, "Closing hashes after");
  EXPECT_EQ(sections[3].key, "before");
  EXPECT_EQ(sections[3].title, "Closing hashes before");
  EXPECT_EQ(sections[4].key, "braces-in-the-middle");
  EXPECT_EQ(sections[4].title, "Braces {in} the middle");
}

TEST(ParseDraftTest, RefusesAMalformedAnchorNamingTheLine) {
  const std::string too_long(65, 'a');
  for (const std::string& anchor :
       {std::string("{#}"), std::string("{#Upper}"),
        std::string("{#two words}"), std::string("{#-dash-first}"),
        std::string("{#under_score}"), std::string("{#caf\xC3\xA9}"),
        "{#" + too_long + "}"}) {
    EXPECT_THAT(ParseDraft("# Fine\ntext\n## Title " + anchor + "\n"),
                StatusIs(kInvalid, StartsWith("markdown: line 3: anchor \"" +
                                              anchor + "\" is malformed")))
        << anchor;
  }
  EXPECT_THAT(Keys("# Sixty-four {#" + std::string(64, 'a') + "}\n"),
              ElementsAre(std::string(64, 'a')));
}

TEST(ParseDraftTest, RefusesAHeadingWithoutATitle) {
  for (absl::string_view heading : {"##", "## ", "## ###", "## {#key}"}) {
    EXPECT_THAT(
        ParseDraft(absl::StrCat("# A\n", heading, "\n")),
        StatusIs(kInvalid, "markdown: line 2: the heading has no title"))
        << heading;
  }
}

TEST(ParseDraftTest, RefusesTheSameAnchorTwiceNamingBothLines) {
  EXPECT_THAT(ParseDraft("# Principles {#principles}\n"
                         "text\n"
                         "\n"
                         "## Other principles {#principles}\n"),
              StatusIs(kInvalid,
                       "markdown: line 4: key \"principles\" is "
                       "already used by the heading on line 1"));
}

TEST(ParseDraftTest, RefusesAnAnchorThatRepeatsAnEarlierDerivedKey) {
  EXPECT_THAT(ParseDraft("# Intro\n"
                         "## Principles\n"
                         "text\n"
                         "## More {#principles}\n"),
              StatusIs(kInvalid,
                       "markdown: line 4: key \"principles\" is "
                       "already used by the heading on line 2"));
}

TEST(ParseDraftTest, RefusesADerivedKeyThatRepeatsAnEarlierAnchor) {
  EXPECT_THAT(ParseDraft("# Intro {#scope}\n"
                         "# Scope\n"),
              StatusIs(kInvalid,
                       "markdown: line 2: key \"scope\" is already "
                       "used by the heading on line 1"));
}

TEST(ParseDraftTest, RefusesTwoTitlesWithTheSameSlug) {
  EXPECT_THAT(ParseDraft("# Scope\n"
                         "## Definitions\n"
                         "# SCOPE!\n"),
              StatusIs(kInvalid,
                       "markdown: line 3: key \"scope\" is already "
                       "used by the heading on line 1"));
}

TEST(ParseDraftTest, NeverReadsAHeadingInsideFencedCode) {
  const std::vector<ParsedSection> sections = Sections(
      "# Code\n"
      "```bash\n"
      "# a shell comment\n"
      "~~~\n"
      "# still code\n"
      "```\n"
      "   ~~~~\n"
      "# code again\n"
      "~~~\n"
      "## still code: the closing fence is shorter\n"
      "~~~~~ \n"
      "## After\n"
      "````\n"
      "# unclosed: code to the end\n");
  ASSERT_EQ(sections.size(), 2u);
  EXPECT_EQ(sections[0].text,
            "```bash\n# a shell comment\n~~~\n# still code\n```\n   ~~~~\n"
            "# code again\n~~~\n## still code: the closing fence is shorter\n"
            "~~~~~ ");
  EXPECT_EQ(sections[1].title, "After");
  EXPECT_EQ(sections[1].line, 12);
  EXPECT_EQ(sections[1].text, "````\n# unclosed: code to the end");
}

TEST(ParseDraftTest, WarnsThatACodeFenceIsNeverClosed) {
  EXPECT_THAT(Warnings("# A\n"
                       "```\n"
                       "code\n"
                       "```\n"
                       "# B\n"
                       "~~~\n"
                       "# hidden\n"),
              ElementsAre("line 6: code fence is never closed; everything "
                          "after it is code"));
}

TEST(ParseDraftTest, DoesNotTakeInlineCodeForAFence) {
  const std::vector<ParsedSection> sections = Sections(
      "# A\n"
      "```inline``` code\n"
      "# B\n");
  ASSERT_EQ(sections.size(), 2u);
  EXPECT_EQ(sections[1].title, "B");
}

TEST(ParseDraftTest, DerivesKeysFromNonAsciiTitles) {
  const std::string arabic = "المبادئ العامة";
  const std::string chinese = "一般原则";
  const std::vector<ParsedSection> sections = Sections(
      "# Principes clés\n"
      "# Año de la niñez: ¿qué cambió?\n"
      "# " +
      arabic +
      "\n"
      "# " +
      chinese +
      "\n"
      "# Straße, Größe & Œuvre\n");
  ASSERT_EQ(sections.size(), 5u);
  EXPECT_EQ(sections[0].key, "principes-cles");
  EXPECT_EQ(sections[0].title, "Principes clés");
  EXPECT_EQ(sections[1].key, "ano-de-la-ninez-que-cambio");
  EXPECT_EQ(sections[2].key, HashKey(arabic));
  EXPECT_THAT(sections[2].key, MatchesRegex("s-[0-9a-f]{12}"));
  EXPECT_EQ(sections[2].title, arabic);
  EXPECT_EQ(sections[3].key, HashKey(chinese));
  EXPECT_NE(sections[3].key, sections[2].key);
  EXPECT_EQ(sections[4].key, "strasse-grosse-oeuvre");
}

TEST(ParseDraftTest, RefusesADraftOverTheByteLimitSayingTheLimit) {
  DraftLimits limits;
  limits.max_bytes = 16;
  EXPECT_THAT(ParseDraft("# Title\n12345678", limits), IsOk());
  EXPECT_THAT(ParseDraft("# Title\n123456789", limits),
              StatusIs(kInvalid,
                       "markdown: the draft is 17 bytes; the limit "
                       "is 16 bytes"));
}

TEST(ParseDraftTest, RefusesMoreSectionsThanTheLimitNamingTheFirstExtraOne) {
  DraftLimits limits;
  limits.max_sections = 3;
  EXPECT_THAT(ParseDraft("# A\n# B\n# C\n", limits), IsOk());
  EXPECT_THAT(ParseDraft("# A\n# B\n# C\ntext\n# D\n", limits),
              StatusIs(kInvalid,
                       "markdown: line 5: a draft has at most 3 "
                       "sections"));
}

TEST(ParseDraftTest, CountsTheTitleLimitInCharactersNotBytes) {
  DraftLimits limits;
  limits.max_title = 5;
  EXPECT_THAT(
      ParseDraft("# \xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\n", limits),
      IsOk());  // 5 x é, 10 bytes
  EXPECT_THAT(ParseDraft("# Fine\n## Sixsix {#six}\n", limits),
              StatusIs(kInvalid,
                       "markdown: line 2: the title is 6 "
                       "characters; the limit is 5"));
}

TEST(ParseDraftTest, RefusesASectionTextOverTheLimitNamingItsHeading) {
  DraftLimits limits;
  limits.max_text = 7;
  // "ab\n\xC3\xA9\xC3\xA9\nc" is 7 characters; the blank lines are trimmed.
  EXPECT_THAT(ParseDraft("# A\n\nab\n\xC3\xA9\xC3\xA9\nc\n\n# B\n", limits),
              IsOk());
  EXPECT_THAT(ParseDraft("# A\nfine\n## B\nabcd\nefg\n# C\n", limits),
              StatusIs(kInvalid,
                       "markdown: line 3: the text of section "
                       "\"b\" is 8 characters; the limit is 7"));
  EXPECT_THAT(ParseDraft("# A\nfine\n## Last\n12345678", limits),
              StatusIs(kInvalid, StartsWith("markdown: line 3: ")));
}

TEST(ParseDraftTest, RefusesInvalidUtf8NamingTheLine) {
  EXPECT_THAT(ParseDraft("# A\nfine\nbad \xC3\x28 byte\n"),
              StatusIs(kInvalid, "markdown: line 3: not valid UTF-8"));
  EXPECT_THAT(ParseDraft("# A\r\n\r\n# Caf\xE9\r\n"),  // Latin-1 é
              StatusIs(kInvalid, "markdown: line 3: not valid UTF-8"));
  EXPECT_THAT(ParseDraft("# A\ntruncated \xE2\x82"),
              StatusIs(kInvalid, "markdown: line 2: not valid UTF-8"));
}

TEST(ParseDraftTest, WarnsWhenTheHeadingLevelJumpsByMoreThanOne) {
  EXPECT_THAT(Warnings("# A\n### B\n## C\n#### D\n###### E\n# F\n### G\n"),
              ElementsAre("line 2: heading level jumps from 1 to 3",
                          "line 4: heading level jumps from 2 to 4",
                          "line 5: heading level jumps from 4 to 6",
                          "line 7: heading level jumps from 1 to 3"));
  EXPECT_THAT(Warnings("### Starting deep is fine\n#### D\n# A\n## B\n"),
              IsEmpty());
}

TEST(ParseDraftTest, WarnsThatASetextHeadingIsNoSection) {
  const absl::StatusOr<ParsedDraft> draft = ParseDraft(
      "# A\n"
      "Looks like a title\n"
      "==================\n"
      "\n"
      "Another one\n"
      "---\n");
  ASSERT_THAT(draft, IsOk());
  EXPECT_THAT(draft->warnings,
              ElementsAre("line 3: setext headings are not sections; use #",
                          "line 6: setext headings are not sections; use #"));
  ASSERT_EQ(draft->sections.size(), 1u);
  EXPECT_EQ(draft->sections[0].text,
            "Looks like a title\n==================\n\nAnother one\n---");
}

TEST(ParseDraftTest, DoesNotTakeThematicBreaksOrCodeForSetextUnderlines) {
  EXPECT_THAT(Warnings("# A\n"
                       "Paragraph.\n"
                       "\n"
                       "---\n"
                       "- list item\n"
                       "---\n"
                       "> quote\n"
                       "---\n"
                       "1. first\n"
                       "---\n"
                       "```\n"
                       "code\n"
                       "---\n"
                       "```\n"
                       "---\n"
                       "\n"
                       "***\n"
                       "---\n"
                       " - - -\n"
                       "---\n"
                       "## B\n"
                       "---\n"),
              IsEmpty());
}

TEST(SlugKeyTest, LowerCasesAsciiAndJoinsOtherRunsWithOneDash) {
  EXPECT_EQ(SlugKey("Key principles"), "key-principles");
  EXPECT_EQ(SlugKey("  C++ & Rust: 2024 edition!  "), "c-rust-2024-edition");
  EXPECT_EQ(SlugKey("Article 12(3)(b)"), "article-12-3-b");
  EXPECT_EQ(SlugKey("---already-slugged---"), "already-slugged");
}

TEST(SlugKeyTest, FoldsLatinDiacriticsToTheirBaseLetters) {
  EXPECT_EQ(SlugKey("Principes clés"), "principes-cles");
  EXPECT_EQ(SlugKey("Educación y niñez"), "educacion-y-ninez");
  EXPECT_EQ(SlugKey("Français à l'œuvre"), "francais-a-l-oeuvre");
  EXPECT_EQ(SlugKey("Ørsted Æbler Å"), "orsted-aebler-a");
  EXPECT_EQ(SlugKey("Große Straße"), "grosse-strasse");
  EXPECT_EQ(SlugKey("Łódź Gdańsk"), "lodz-gdansk");
  EXPECT_EQ(SlugKey("Český Plzeň Ğ İ ş"), "cesky-plzen-g-i-s");
  EXPECT_EQ(SlugKey("Țară și Ș"), "tara-si-s");
  EXPECT_EQ(SlugKey("Þórður"), "thordur");
  EXPECT_EQ(SlugKey("2 × 3 ÷ 4"), "2-3-4");  // symbols, not letters
}

TEST(SlugKeyTest, DropsCombiningMarksOfDecomposedLetters) {
  EXPECT_EQ(SlugKey("cle\xCC\x81s"), "cles");  // e + U+0301
}

TEST(SlugKeyTest, FallsBackToAHashWhenNoLetterOrDigitIsLeft) {
  EXPECT_EQ(SlugKey("المبادئ العامة"), HashKey("المبادئ العامة"));
  EXPECT_EQ(SlugKey("一般原则"), HashKey("一般原则"));
  EXPECT_EQ(SlugKey("!!!"), HashKey("!!!"));
  EXPECT_THAT(SlugKey("一般原则"), MatchesRegex("s-[0-9a-f]{12}"));
}

TEST(SlugKeyTest, KeepsTheLatinPartOfAMixedTitle) {
  EXPECT_EQ(SlugKey("Annex 一 (原则)"), "annex");
}

TEST(SlugKeyTest, TruncatesToSixtyFourCharactersWithoutATrailingDash) {
  EXPECT_EQ(SlugKey(std::string(70, 'a')), std::string(64, 'a'));
  EXPECT_EQ(SlugKey(std::string(63, 'a') + " bcd"), std::string(63, 'a'));
  EXPECT_EQ(SlugKey(std::string(62, 'a') + " bcd"),
            std::string(62, 'a') + "-b");
  EXPECT_EQ(SlugKey(std::string(63, 'a') + "\xC3\x9F"),  // ß -> "ss"
            std::string(63, 'a') + "s");
}

TEST(SlugKeyTest, SurvivesInvalidUtf8) {
  EXPECT_EQ(SlugKey("caf\xE9 noir"), "caf-noir");
  EXPECT_EQ(SlugKey("ab\xE2\x82"), "ab");
}

}  // namespace
}  // namespace cdc::consultations
