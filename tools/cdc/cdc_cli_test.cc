// The cdc tool's parsing of its command line and its text output; no
// server involved (cdc_members_test.cc runs the tool against one).
#include "tools/cdc/cdc_cli.h"

#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/status_matchers.h"
#include "tools/cdc/commands.h"
#include "tools/cdc/text_output.h"

namespace cdc::cli {
namespace {

using ::cdc::testing::IsOk;
using ::cdc::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Code = absl::StatusCode;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

absl::Time Rfc3339(const char* text) {
  absl::Time time;
  std::string error;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, text, &time, &error))
      << error;
  return time;
}

TEST(ParseTimeTest, ReadsRfc3339InUtcAndWithAnOffset) {
  EXPECT_EQ(*ParseTime("closes_at", "2026-12-31T23:59:00Z", kNow),
            absl::FromCivil(absl::CivilSecond(2026, 12, 31, 23, 59, 0),
                            absl::UTCTimeZone()));
  EXPECT_EQ(*ParseTime("closes_at", "2026-12-31T23:59:00+03:00", kNow),
            absl::FromCivil(absl::CivilSecond(2026, 12, 31, 20, 59, 0),
                            absl::UTCTimeZone()));
}

TEST(ParseTimeTest, ReadsDaysHoursAndMinutesFromNow) {
  EXPECT_EQ(*ParseTime("closes_at", "+30d", kNow), kNow + absl::Hours(720));
  EXPECT_EQ(*ParseTime("closes_at", "+12h", kNow), kNow + absl::Hours(12));
  EXPECT_EQ(*ParseTime("closes_at", "+90m", kNow), kNow + absl::Minutes(90));
}

TEST(ParseTimeTest, RefusesAnythingElseAsAUsageErrorNamingTheFlag) {
  for (const char* bad :
       {"", "tomorrow", "30d", "+d", "+0d", "+-5d", "++5d", "+5x", "+5",
        "+1.5d", "2026-12-31", "2026-12-31 23:59"}) {
    absl::StatusOr<absl::Time> time = ParseTime("opens_at", bad, kNow);
    EXPECT_THAT(time, StatusIs(Code::kInvalidArgument, HasSubstr("--opens_at")))
        << bad;
    EXPECT_TRUE(IsUsageError(time.status())) << bad;
  }
}

TEST(ToTimestampTest, KeepsSecondsAndNanos) {
  const google::protobuf::Timestamp timestamp =
      ToTimestamp(Rfc3339("2026-12-31T23:59:00.25Z"));
  EXPECT_EQ(FormatTime(timestamp), "2026-12-31T23:59:00Z");
  EXPECT_EQ(timestamp.nanos(), 250'000'000);
}

TEST(ResourceNameTest, AcceptsTheNameOrJustTheId) {
  EXPECT_EQ(*ResourceName("consultations", "x"), "consultations/x");
  EXPECT_EQ(*ResourceName("consultations", "consultations/x"),
            "consultations/x");
  EXPECT_EQ(ResourceId("consultations/x"), "x");
}

TEST(ResourceNameTest, RefusesEmptyIdsAndOtherCollections) {
  for (const char* bad : {"", "consultations/", "members/x", "a/b"}) {
    absl::StatusOr<std::string> name = ResourceName("consultations", bad);
    EXPECT_FALSE(name.ok()) << bad;
    EXPECT_TRUE(IsUsageError(name.status())) << bad;
  }
}

TEST(EnumSpellingTest, LabelsDropTheCommonPrefixInLowerCaseWithHyphens) {
  EXPECT_EQ(EnumLabel(v1::ORGANISATION_TYPE_CIVIL_SOCIETY), "civil-society");
  EXPECT_EQ(EnumLabel(v1::ROLE_SECRETARIAT), "secretariat");
  EXPECT_EQ(EnumLabel(v1::Consultation::OPEN), "open");
  EXPECT_EQ(EnumLabel(v1::Member::PENDING), "pending");
  EXPECT_EQ(EnumLabel(v1::SectionDiff::MODIFIED), "modified");
  EXPECT_EQ(EnumLabel(v1::ROLE_UNSPECIFIED), "-");
}

TEST(EnumSpellingTest, ParsesLabelsAndProtoNamesInAnyCase) {
  for (const char* text : {"civil-society", "CIVIL_SOCIETY", "Civil-Society",
                           "ORGANISATION_TYPE_CIVIL_SOCIETY"}) {
    EXPECT_EQ(*ParseEnum<v1::OrganisationType>("organisation_type", text),
              v1::ORGANISATION_TYPE_CIVIL_SOCIETY)
        << text;
  }
  EXPECT_EQ(*ParseEnum<v1::Consultation::State>("state", "DRAFT"),
            v1::Consultation::DRAFT);
  EXPECT_EQ(*ParseEnum<v1::Role>("role", "observer"), v1::ROLE_OBSERVER);
}

TEST(EnumSpellingTest, RefusesUnknownAndUnspecifiedValuesListingTheChoices) {
  EXPECT_THAT(ParseEnum<v1::Consultation::State>("state", "ajar"),
              StatusIs(Code::kInvalidArgument,
                       HasSubstr("one of: draft, open, closed, published")));
  EXPECT_FALSE(ParseEnum<v1::Role>("role", "unspecified").ok());
  EXPECT_FALSE(ParseEnum<v1::Role>("role", "-").ok());
}

TEST(ExitCodeTest, OnlyUsageErrorsExitWithTwo) {
  EXPECT_EQ(ExitCode(absl::OkStatus()), 0);
  EXPECT_EQ(ExitCode(UsageError("bad")), 2);
  EXPECT_EQ(ExitCode(absl::InvalidArgumentError("from the server")), 1);
  EXPECT_EQ(ExitCode(absl::NotFoundError("gone")), 1);
  EXPECT_THAT(RequireFlag("title", " "),
              StatusIs(Code::kInvalidArgument, "--title is required"));
  EXPECT_THAT(RequireFlag("title", "T"), IsOk());
}

TEST(FieldsTest, AlignsValuesAndIndentsFurtherLines) {
  EXPECT_EQ(Fields()
                .Add("name", "consultations/x")
                .Add("closes at", "")
                .Add("description", "first\n\nthird")
                .Format(),
            "name:         consultations/x\n"
            "closes at:    -\n"
            "description:  first\n"
            "\n"
            "              third\n");
}

TEST(TableTest, PadsColumnsByCodePointsWithoutTrailingBlanks) {
  Table table({"KEY", "TITLE", "CHANGE"});
  table.AddRow({"egalite", "Égalité des chances", "added"});
  table.AddRow({"x", "", "unchanged"});
  EXPECT_EQ(table.Format(),
            "KEY      TITLE                CHANGE\n"
            "egalite  Égalité des chances  added\n"
            "x        -                    unchanged\n");
}

TEST(FormatTimeTest, PrintsUtcSecondsOrADashWhenUnset) {
  EXPECT_EQ(FormatTime(google::protobuf::Timestamp()), "-");
  EXPECT_EQ(FormatTime(ToTimestamp(Rfc3339("2026-12-31T23:59:00+01:00"))),
            "2026-12-31T22:59:00Z");
}

// Runs CheckCommandLineFlags on `args` (program name added); restores every
// flag afterwards.
absl::StatusOr<std::vector<std::string>> CheckFlags(
    std::vector<std::string> args) {
  absl::FlagSaver saver;
  args.insert(args.begin(), "cdc");
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  return CheckCommandLineFlags(static_cast<int>(argv.size()), argv.data());
}

TEST(CheckCommandLineFlagsTest, NamesTheFlagsInEveryForm) {
  EXPECT_THAT(*CheckFlags({"consultation", "import", "x", "-", "--json",
                           "--novalidate_only", "--request_id", "r1",
                           "-deadline=5s", "--", "--not-a-flag"}),
              ElementsAre("json", "validate_only", "request_id", "deadline"));
}

TEST(CheckCommandLineFlagsTest, RefusesUnknownFlagsAndBadValues) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{
           {"whoami", "--bogus"},
           {"whoami", "--deadline=soon"},
           {"whoami", "--notoken"},
           {"consultation", "open", "x", "--draft_version=two"},
           {"sign-in", "--email"}}) {
    absl::StatusOr<std::vector<std::string>> flags = CheckFlags(args);
    EXPECT_FALSE(flags.ok()) << args.back();
    EXPECT_TRUE(IsUsageError(flags.status())) << args.back();
  }
}

TEST(ResolveTest, FindsTheCommandAndItsOperands) {
  absl::StatusOr<Invocation> invocation = Resolve(
      {"cdc", "consultation", "import", "x", "draft.md"}, {"validate_only"});
  ASSERT_THAT(invocation, IsOk());
  EXPECT_EQ(invocation->command->words, "consultation import");
  EXPECT_THAT(invocation->operands, ElementsAre("x", "draft.md"));
  EXPECT_THAT(Resolve({"cdc", "whoami"}, {"token", "json"}), IsOk());
}

TEST(ResolveTest, RefusesWrongCommandsOperandsAndFlagsAsUsageErrors) {
  const std::vector<
      std::pair<std::vector<std::string>, std::vector<std::string>>>
      cases = {
          {{"cdc"}, {}},
          {{"cdc", "consult"}, {}},
          {{"cdc", "consultation"}, {}},
          {{"cdc", "consultation", "delete", "x"}, {}},
          {{"cdc", "consultation", "close"}, {}},
          {{"cdc", "consultation", "close", "x", "y"}, {}},
          {{"cdc", "consultation", "close", "x"}, {"closes_at"}},
          {{"cdc", "whoami"}, {"email"}},
      };
  for (const auto& [args, flags] : cases) {
    absl::StatusOr<Invocation> invocation = Resolve(args, flags);
    EXPECT_FALSE(invocation.ok()) << args.back();
    EXPECT_TRUE(IsUsageError(invocation.status())) << args.back();
  }
  EXPECT_THAT(Resolve({"cdc", "consultation", "close", "x"}, {"closes_at"}),
              StatusIs(Code::kInvalidArgument,
                       HasSubstr("--closes_at does not apply")));
}

TEST(CdcHelpTest, ListsEveryCommandAndConnectionFlag) {
  const std::string help = HelpText();
  for (const Command& command : Commands()) {
    EXPECT_THAT(help, HasSubstr(Usage(command)));
  }
  for (const std::string& flag : ConnectionFlags()) {
    EXPECT_THAT(help, HasSubstr("--" + flag));
  }
}

}  // namespace
}  // namespace cdc::cli
