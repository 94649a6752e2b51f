#include "services/common/validation.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/status_matchers.h"

namespace cdc {
namespace {

using ::cdc::testing::IsOk;
using ::cdc::testing::StatusIs;
using ::testing::HasSubstr;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;

TEST(CodePointCountTest, CountsAsciiOneCodePointPerByte) {
  EXPECT_EQ(*CodePointCount(""), 0u);
  EXPECT_EQ(*CodePointCount("hello world"), 11u);
}

TEST(CodePointCountTest, CountsMultiByteSequencesAsOneCodePointEach) {
  EXPECT_EQ(*CodePointCount("\xC3\xA9"), 1u);          // é, 2 bytes
  EXPECT_EQ(*CodePointCount("\xE2\x82\xAC"), 1u);      // €, 3 bytes
  EXPECT_EQ(*CodePointCount("\xF0\x9F\x98\x80"), 1u);  // 😀, 4 bytes
  EXPECT_EQ(*CodePointCount("Nairobi \xE2\x82\xAC\xC3\xA9"), 10u);
  EXPECT_EQ(*CodePointCount("\xF4\x8F\xBF\xBF"), 1u);      // U+10FFFF
  EXPECT_EQ(*CodePointCount(std::string("a\0b", 3)), 3u);  // NUL is valid
}

TEST(CodePointCountTest, RefusesOverlongEncodings) {
  EXPECT_THAT(CodePointCount("\xC0\x80"), StatusIs(kInvalid));  // NUL
  EXPECT_THAT(CodePointCount("\xC1\xBF"), StatusIs(kInvalid));
  EXPECT_THAT(CodePointCount("\xE0\x80\xAF"), StatusIs(kInvalid));  // '/'
  EXPECT_THAT(CodePointCount("\xF0\x8F\xBF\xBF"), StatusIs(kInvalid));
}

TEST(CodePointCountTest, RefusesSurrogatesAndCodePointsBeyondUnicode) {
  EXPECT_THAT(CodePointCount("\xED\xA0\x80"), StatusIs(kInvalid));  // D800
  EXPECT_THAT(CodePointCount("\xED\xBF\xBF"), StatusIs(kInvalid));  // DFFF
  EXPECT_THAT(CodePointCount("\xF4\x90\x80\x80"), StatusIs(kInvalid));
  EXPECT_THAT(CodePointCount("\xF8\x88\x80\x80\x80"), StatusIs(kInvalid));
}

TEST(CodePointCountTest, RefusesTruncatedAndStraySequences) {
  EXPECT_THAT(CodePointCount("\xC3"), StatusIs(kInvalid));
  EXPECT_THAT(CodePointCount("ab\xE2\x82"), StatusIs(kInvalid));
  EXPECT_THAT(CodePointCount("\xF0\x9F\x98"), StatusIs(kInvalid));
  EXPECT_THAT(CodePointCount("\xE2\x41\x41"), StatusIs(kInvalid));
  EXPECT_THAT(CodePointCount("\x80"), StatusIs(kInvalid));
  EXPECT_THAT(CodePointCount("\xFF"), StatusIs(kInvalid));
}

TEST(CheckTextTest, AcceptsTextWithinTheLimits) {
  EXPECT_THAT(CheckText("member.display_name", "Amina Wanjiru", 1, 100),
              IsOk());
  EXPECT_THAT(CheckText("member.bio", "", 0, 10), IsOk());
}

TEST(CheckTextTest, CountsLimitsInCodePointsNotBytes) {
  const std::string three_euros = "\xE2\x82\xAC\xE2\x82\xAC\xE2\x82\xAC";
  EXPECT_THAT(CheckText("title", three_euros, 3, 3), IsOk());
  EXPECT_THAT(CheckText("title", three_euros, 1, 2),
              StatusIs(kInvalid, HasSubstr("title: must be at most 2")));
  EXPECT_THAT(CheckText("title", three_euros, 4, 10),
              StatusIs(kInvalid, HasSubstr("title: must be at least 4")));
}

TEST(CheckTextTest, CallsAnEmptyRequiredFieldRequired) {
  EXPECT_THAT(
      CheckText("member.display_name", "", 1, 100),
      StatusIs(kInvalid, HasSubstr("member.display_name: is required")));
}

TEST(CheckTextTest, RefusesInvalidUtf8NamingTheField) {
  EXPECT_THAT(
      CheckText("comment.body", "ab\xC3", 0, 100),
      StatusIs(kInvalid, HasSubstr("comment.body: must be valid UTF-8")));
}

TEST(CheckTextTest, RefusesBlankTextWhenRequired) {
  EXPECT_THAT(CheckText("title", "   ", 1, 100),
              StatusIs(kInvalid, HasSubstr("title: must not be blank")));
  EXPECT_THAT(CheckText("body", " \n\t ", 1, 100, TextKind::kMultiLine),
              StatusIs(kInvalid, HasSubstr("body: must not be blank")));
  EXPECT_THAT(CheckText("note", "  ", 0, 100), IsOk());
}

TEST(CheckTextTest, RefusesControlCharactersInSingleLineText) {
  for (const std::string& value :
       {std::string("a\nb"), std::string("a\tb"), std::string("a\rb"),
        std::string("a\x7f"
                    "b"),
        std::string("a\x1b[0m"), std::string("a\0b", 3)}) {
    EXPECT_THAT(
        CheckText("title", value, 1, 100),
        StatusIs(kInvalid, HasSubstr("title: must not contain control")))
        << "value " << ::testing::PrintToString(value);
  }
}

TEST(CheckTextTest, RefusesC1ControlCharactersButNotOtherLatin1) {
  for (const char* value : {"a\xC2\x85"
                            "b",
                            "\xC2\x9B"
                            "31m",
                            "\xC2\x80"}) {
    EXPECT_THAT(
        CheckText("title", value, 1, 100, TextKind::kMultiLine),
        StatusIs(kInvalid, HasSubstr("title: must not contain control")))
        << ::testing::PrintToString(value);
  }
  // No-break space and letters with the same lead byte are text.
  EXPECT_THAT(CheckText("title",
                        "a\xC2\xA0"
                        "b \xC2\xBF",
                        1, 100),
              IsOk());
}

TEST(CheckTextTest, AllowsNewlinesAndTabsButNoOtherControlsInMultiLineText) {
  EXPECT_THAT(
      CheckText("body", "line 1\r\n\tline 2\n", 1, 100, TextKind::kMultiLine),
      IsOk());
  EXPECT_THAT(CheckText("body", "bell\a", 1, 100, TextKind::kMultiLine),
              StatusIs(kInvalid, HasSubstr("body: must not contain control")));
}

TEST(CheckEmailTest, AcceptsOrdinaryAddresses) {
  for (const char* email :
       {"amina@example.org", "a.b+tag@sub.example.co.ke", "x@y.io",
        "O'Neil@Example.ORG", "first_last-1@ex-ample.org"}) {
    EXPECT_THAT(CheckEmail("member.email", email), IsOk()) << email;
  }
}

TEST(CheckEmailTest, RefusesMalformedAddressesNamingTheField) {
  const std::string long_local(65, 'a');
  const std::string long_label(64, 'a');
  for (const std::string& email : {std::string(""),
                                   std::string("a@"),
                                   std::string("@example.org"),
                                   std::string("amina"),
                                   std::string("amina@example"),
                                   std::string("a@b@example.org"),
                                   std::string("amina @example.org"),
                                   std::string("amina@exa mple.org"),
                                   std::string("amina@example..org"),
                                   std::string("amina@.example.org"),
                                   std::string("amina@example.org."),
                                   std::string("amina@-example.org"),
                                   std::string("amina@example-.org"),
                                   std::string("amina@exam_ple.org"),
                                   std::string("<a>@example.org"),
                                   std::string("a\n@example.org"),
                                   std::string("am\xC3\xA9@example.org"),
                                   long_local + "@example.org",
                                   "a@" + long_label + ".org",
                                   "a@" + std::string(250, 'b') + ".org"}) {
    EXPECT_THAT(CheckEmail("member.email", email),
                StatusIs(kInvalid, HasSubstr("member.email: must be an email")))
        << "email " << ::testing::PrintToString(email);
  }
}

TEST(CheckEmailTest, CanonicalFormIsLowerCase) {
  EXPECT_EQ(CanonicalEmail("Amina.W@Example.ORG"), "amina.w@example.org");
}

TEST(CheckCountryTest, AcceptsAssignedUpperCaseAlpha3Codes) {
  for (const char* code : {"KEN", "FRA", "ABW", "ZWE", "USA"}) {
    EXPECT_THAT(CheckCountry("member.country", code), IsOk()) << code;
  }
}

TEST(CheckCountryTest, RefusesLowerCaseUnassignedAndOtherShapes) {
  for (const char* code : {"ken", "Ken", "XXX", "KE", "KENY", "404", " KEN"}) {
    EXPECT_THAT(CheckCountry("member.country", code),
                StatusIs(kInvalid, HasSubstr("member.country: must be an ISO")))
        << code;
  }
}

TEST(CheckCountryTest, CallsAnEmptyCountryRequired) {
  EXPECT_THAT(CheckCountry("member.country", ""),
              StatusIs(kInvalid, HasSubstr("member.country: is required")));
}

TEST(CheckLanguageTagTest, AcceptsWellFormedTags) {
  for (const char* tag : {"en", "sw", "fil", "fr-CA", "zh-Hant", "zh-Hant-TW",
                          "es-419", "sr-Latn-RS", "de-CH-1901"}) {
    EXPECT_THAT(CheckLanguageTag("member.languages", tag), IsOk()) << tag;
  }
}

TEST(CheckLanguageTagTest, RefusesMalformedTagsNamingTheField) {
  for (const char* tag :
       {"", "e", "engl", "en-", "-en", "en--US", "en_US", "en US", "12",
        "en-toolongsubtag", "fr-C\xC3\xA9", "abcdefghi",
        "en-aaaaaaaa-bbbbbbbb-cccccccc-dddddd"}) {
    EXPECT_THAT(
        CheckLanguageTag("member.languages", tag),
        StatusIs(kInvalid, HasSubstr("member.languages: must be a BCP")))
        << tag;
  }
}

TEST(CheckRequestIdTest, AcceptsEmptyAndPrintableAscii) {
  EXPECT_THAT(CheckRequestId("request_id", ""), IsOk());
  EXPECT_THAT(CheckRequestId("request_id", "9b2f0c6e-3a4b-4c1d"), IsOk());
  EXPECT_THAT(CheckRequestId("request_id", std::string(64, 'r')), IsOk());
}

TEST(CheckRequestIdTest, RefusesLongSpacedOrNonAsciiIds) {
  EXPECT_THAT(CheckRequestId("request_id", std::string(65, 'r')),
              StatusIs(kInvalid, HasSubstr("request_id: must be at most 64")));
  for (const char* id : {"a b", "a\tb", "caf\xC3\xA9", "a\x7f"}) {
    EXPECT_THAT(CheckRequestId("request_id", id),
                StatusIs(kInvalid, HasSubstr("request_id: must be printable")))
        << id;
  }
}

TEST(ParseResourceIdTest, ReturnsTheIdOfANameInTheCollection) {
  EXPECT_THAT(ParseResourceId("name", "members/0a1b2c3d4e5f6071", "members"),
              IsOk());
  EXPECT_EQ(*ParseResourceId("name", "members/0a1b-x9", "members"), "0a1b-x9");
}

TEST(ParseResourceIdTest, RefusesOtherCollectionsAndBadIds) {
  for (const std::string& name :
       {std::string(""), std::string("members/"), std::string("members"),
        std::string("tokens/abc"), std::string("Members/abc"),
        std::string("members/ABC"), std::string("members/a_b"),
        std::string("members/a/b"), std::string("members/a b"),
        std::string("xmembers/abc"), "members/" + std::string(65, 'a')}) {
    EXPECT_THAT(
        ParseResourceId("request.name", name, "members"),
        StatusIs(kInvalid, HasSubstr("request.name: must be a resource name "
                                     "like members/{id}")))
        << "name " << name;
  }
  EXPECT_THAT(
      ParseResourceId("name", "members/" + std::string(64, 'a'), "members"),
      IsOk());
}

TEST(CheckPageSizeTest, UsesTheDefaultForZeroAndClampsToTheMaximum) {
  EXPECT_EQ(*CheckPageSize(0), 50);
  EXPECT_EQ(*CheckPageSize(0, 10, 20), 10);
  EXPECT_EQ(*CheckPageSize(1), 1);
  EXPECT_EQ(*CheckPageSize(200), 200);
  EXPECT_EQ(*CheckPageSize(201), 200);
  EXPECT_EQ(*CheckPageSize(1000, 10, 20), 20);
}

TEST(CheckPageSizeTest, RefusesANegativeSizeNamingPageSize) {
  EXPECT_THAT(CheckPageSize(-1),
              StatusIs(kInvalid, HasSubstr("page_size: must not be negative")));
}

}  // namespace
}  // namespace cdc
