// The cdc tool's parsing of its command line and its text output; no
// server involved (cdc_members_test.cc runs the tool against one).
#include "tools/cdc/cdc_cli.h"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/status_matchers.h"
#include "tools/cdc/commands.h"
#include "tools/cdc/csv.h"
#include "tools/cdc/record_export.h"
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

TEST(ExcerptTest, KeepsTheFirstLineCutByCodePoints) {
  EXPECT_EQ(Excerpt("short", 10), "short");
  EXPECT_EQ(Excerpt("first line\nsecond", 20), "first line…");
  EXPECT_EQ(Excerpt("trailing newline\n", 20), "trailing newline");
  EXPECT_EQ(Excerpt("Égalité des chances", 8), "Égalité…");
  EXPECT_EQ(DisplayWidth(Excerpt("平等平等平等", 4)), 4);
  EXPECT_EQ(Excerpt("", 5), "");
}

TEST(CsvTest, WritesPlainFieldsAsTheyAre) {
  EXPECT_EQ(CsvField("plain text; with: punctuation"),
            "plain text; with: punctuation");
  EXPECT_EQ(CsvRecord({"a", "b", "c"}), "a,b,c\r\n");
}

TEST(CsvTest, QuotesFieldsWithCommasQuotesAndLineBreaksDoublingQuotes) {
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvField("\""), "\"\"\"\"");
  EXPECT_EQ(CsvField("line\nbreak"), "\"line\nbreak\"");
  EXPECT_EQ(CsvField("carriage\rreturn"), "\"carriage\rreturn\"");
  EXPECT_EQ(CsvRecord({"one\r\ntwo", "x"}), "\"one\r\ntwo\",x\r\n");
}

TEST(CsvTest, KeepsEmptyFieldsInTheirPlaces) {
  EXPECT_EQ(CsvField(""), "");
  EXPECT_EQ(CsvRecord({"", "b", ""}), ",b,\r\n");
  EXPECT_EQ(CsvRecord({"", ""}), ",\r\n");
  EXPECT_EQ(CsvRecord({}), "\r\n");
}

TEST(CsvTest, PassesUtf8ThroughByteForByte) {
  EXPECT_EQ(CsvField("Égalité — 平等 المساواة 🌍"), "Égalité — 平等 المساواة 🌍");
  EXPECT_EQ(CsvRecord({"Données, Citoyens", "🌍"}),
            "\"Données, Citoyens\",🌍\r\n");
}

v1::RecordEntry SampleEntry() {
  v1::RecordEntry entry;
  entry.set_consultation("consultations/framework");
  entry.set_round(2);
  entry.set_draft_version(3);
  entry.set_section("consultations/framework/sections/quality");
  entry.set_section_key("quality");
  entry.set_section_title("Quality");
  entry.set_section_order(1);
  entry.set_comment("comments/c1");
  entry.set_author_organisation("Données, Citoyens");
  entry.set_author_organisation_type(v1::ORGANISATION_TYPE_CIVIL_SOCIETY);
  entry.set_author_country("FRA");
  entry.set_type(v1::Comment::EDITORIAL);
  entry.set_body("Say \"fit for use\".\nThanks.");
  entry.set_language("fr");
  entry.set_endorsement_count(4);
  entry.set_disposition(v1::Disposition::PARTLY_ACCEPTED);
  entry.set_response("Partly.");
  *entry.mutable_create_time() =
      ToTimestamp(Rfc3339("2026-12-01T10:00:00.5+01:00"));
  return entry;
}

TEST(RecordExportTest, CsvHasAHeaderAndOneRowPerEntryWithReadableValues) {
  EXPECT_EQ(RecordHeader(ExportFormat::kCsv),
            "consultation,round,draft_version,section_key,section_title,"
            "section_order,comment,parent,author_organisation,"
            "author_organisation_type,author_country,type,body,"
            "proposed_change,quote,language,endorsement_count,disposition,"
            "response,create_time,disposition_time\r\n");
  EXPECT_EQ(RecordLine(ExportFormat::kCsv, SampleEntry()),
            "consultations/framework,2,3,quality,Quality,1,comments/c1,,"
            "\"Données, Citoyens\",civil-society,FRA,editorial,"
            "\"Say \"\"fit for use\"\".\nThanks.\",,,fr,4,partly-accepted,"
            "Partly.,2026-12-01T09:00:00Z,\r\n");
  // Unspecified enums and unset times are empty cells, not "-".
  EXPECT_EQ(RecordLine(ExportFormat::kCsv, v1::RecordEntry()),
            ",0,0,,,0,,,,,,,,,,,0,,,,\r\n");
}

TEST(RecordExportTest, JsonLinesHaveOneObjectALineWithDefaultsIncluded) {
  EXPECT_EQ(RecordHeader(ExportFormat::kJsonLines), "");
  const std::string line = RecordLine(ExportFormat::kJsonLines, SampleEntry());
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  EXPECT_THAT(line, ::testing::StartsWith("{\"consultation\":"));
  EXPECT_THAT(line,
              HasSubstr("\"body\":\"Say \\\"fit for use\\\".\\nThanks.\""));
  EXPECT_THAT(line, HasSubstr("\"disposition\":\"PARTLY_ACCEPTED\""));
  EXPECT_THAT(line, HasSubstr("\"parent\":\"\""));
  EXPECT_THAT(line, HasSubstr("\"createTime\":\"2026-12-01T09:00:00.500Z\""));
}

TEST(RecordExportTest, ParsesTheFormatInAnyCase) {
  EXPECT_EQ(*ParseExportFormat("csv"), ExportFormat::kCsv);
  EXPECT_EQ(*ParseExportFormat("JSONL"), ExportFormat::kJsonLines);
  absl::StatusOr<ExportFormat> bad = ParseExportFormat("xlsx");
  EXPECT_THAT(bad, StatusIs(Code::kInvalidArgument,
                            "--format: unknown value \"xlsx\"; one of: csv, "
                            "jsonl"));
  EXPECT_TRUE(IsUsageError(bad.status()));
}

TEST(InitiativeExportTest, CsvJoinsListsAndSpellsEnumsAsCdcDoes) {
  EXPECT_EQ(InitiativeHeader(ExportFormat::kCsv),
            "name,display_name,description,lead_organisation,"
            "lead_organisation_type,partners,countries,regions,sdg_goals,"
            "sdg_indicators,participation_level,data_topics,status,links,"
            "review_state,review_note,reviewed_by,submitted_by,create_time,"
            "update_time\r\n");
  v1::Initiative initiative;
  initiative.set_name("initiatives/i1");
  initiative.set_display_name("Water points");
  initiative.set_lead_organisation("Water Watch, Kenya");
  initiative.set_lead_organisation_type(v1::ORGANISATION_TYPE_CIVIL_SOCIETY);
  initiative.add_partners("A");
  initiative.add_partners("B");
  initiative.add_countries("KEN");
  initiative.add_countries("UGA");
  initiative.add_regions(v1::Initiative::SUB_SAHARAN_AFRICA);
  initiative.add_sdg_goals(5);
  initiative.add_sdg_goals(6);
  initiative.add_sdg_indicators("6.1.1");
  initiative.set_participation_level(v1::PARTICIPATION_LEVEL_ENGAGING);
  initiative.set_status(v1::Initiative::ACTIVE);
  initiative.set_review_state(v1::Initiative::APPROVED);
  *initiative.mutable_create_time() =
      ToTimestamp(Rfc3339("2026-12-01T10:00:00Z"));
  EXPECT_EQ(InitiativeLine(ExportFormat::kCsv, initiative),
            "initiatives/i1,Water points,,\"Water Watch, Kenya\",civil-society,"
            "A;B,KEN;UGA,sub-saharan-africa,5;6,6.1.1,engaging,,active,,"
            "approved,,,,2026-12-01T10:00:00Z,\r\n");
  const std::string line = InitiativeLine(ExportFormat::kJsonLines, initiative);
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  EXPECT_THAT(line, HasSubstr("\"regions\":[\"SUB_SAHARAN_AFRICA\"]"));
  EXPECT_THAT(line, HasSubstr("\"reviewNote\":\"\""));
  EXPECT_EQ(InitiativeHeader(ExportFormat::kJsonLines), "");
}

TEST(UpdateMaskTest, NamesThePathsOfTheFlagsWrittenOnTheCommandLine) {
  CliOptions options;
  options.flags_given = {"token", "description", "level"};
  const Cli cli(options);
  absl::StatusOr<google::protobuf::FieldMask> mask =
      cli.UpdateMask({{"name", "display_name"},
                      {"description", "description"},
                      {"level", "participation_level"}});
  ASSERT_THAT(mask, IsOk());
  EXPECT_THAT(mask->paths(),
              ::testing::ElementsAre("description", "participation_level"));
  absl::StatusOr<google::protobuf::FieldMask> none =
      cli.UpdateMask({{"title", "title"}, {"tags", "tags"}});
  EXPECT_THAT(none, StatusIs(Code::kInvalidArgument,
                             "nothing to change; give one or more of "
                             "--title, --tags"));
  EXPECT_TRUE(IsUsageError(none.status()));
}

std::string ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

TEST(OutputFileTest, ReplacesTheFileOnlyOnCommit) {
  const std::string path = ::testing::TempDir() + "/cdc_output_file_test.csv";
  std::ofstream(path) << "earlier\n";
  {
    absl::StatusOr<std::unique_ptr<OutputFile>> output = OutputFile::Open(path);
    ASSERT_THAT(output, IsOk());
    ASSERT_THAT((*output)->Write("abandoned"), IsOk());
  }
  EXPECT_EQ(ReadFile(path), "earlier\n");

  absl::StatusOr<std::unique_ptr<OutputFile>> output = OutputFile::Open(path);
  ASSERT_THAT(output, IsOk());
  ASSERT_THAT((*output)->Write("a,b\r\n"), IsOk());
  ASSERT_THAT((*output)->Write("1,2\r\n"), IsOk());
  EXPECT_EQ(ReadFile(path), "earlier\n");
  ASSERT_THAT((*output)->Commit(), IsOk());
  EXPECT_EQ(ReadFile(path), "a,b\r\n1,2\r\n");
  output->reset();
  EXPECT_EQ(ReadFile(path), "a,b\r\n1,2\r\n");
  std::remove(path.c_str());
}

TEST(OutputFileTest, AFileThatCannotBeMadeIsAUsageError) {
  absl::StatusOr<std::unique_ptr<OutputFile>> output =
      OutputFile::Open("/nonexistent-directory/record.csv");
  EXPECT_THAT(output,
              StatusIs(Code::kInvalidArgument,
                       HasSubstr("cannot write /nonexistent-directory/")));
  EXPECT_TRUE(IsUsageError(output.status()));
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
  EXPECT_THAT(Resolve({"cdc", "export", "x"},
                      {"comments_address", "round", "format", "output"}),
              IsOk());
  EXPECT_THAT(Resolve({"cdc", "comment", "list"},
                      {"consultation", "type", "awaiting_disposition"}),
              IsOk());
  EXPECT_THAT(
      Resolve({"cdc", "events"}, {"notifications_address", "earliest",
                                  "consultation", "type", "limit", "format"}),
      IsOk());
  invocation =
      Resolve({"cdc", "notification", "read", "members/m/notifications/1"}, {});
  ASSERT_THAT(invocation, IsOk());
  EXPECT_EQ(invocation->command->words, "notification read");
  EXPECT_THAT(invocation->operands, ElementsAre("members/m/notifications/1"));
  // A connection flag given twice: the last one wins, as absl has it.
  EXPECT_THAT(Resolve({"cdc", "whoami"}, {"json", "json"}), IsOk());
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
          {{"cdc", "comment", "hide", "x"}, {"outcome"}},
          {{"cdc", "comment", "show"}, {}},
          {{"cdc", "export"}, {}},
          {{"cdc", "export", "x"}, {"body"}},
          {{"cdc", "notification"}, {}},
          {{"cdc", "notification", "read"}, {}},
          {{"cdc", "notification", "list"}, {"limit"}},
          {{"cdc", "follows", "x"}, {}},
          {{"cdc", "events"}, {"type", "limit", "type"}},
      };
  for (const auto& [args, flags] : cases) {
    absl::StatusOr<Invocation> invocation = Resolve(args, flags);
    EXPECT_FALSE(invocation.ok()) << args.back();
    EXPECT_TRUE(IsUsageError(invocation.status())) << args.back();
  }
  EXPECT_THAT(Resolve({"cdc", "consultation", "close", "x"}, {"closes_at"}),
              StatusIs(Code::kInvalidArgument,
                       HasSubstr("--closes_at does not apply")));
  EXPECT_THAT(Resolve({"cdc", "events"}, {"type", "type"}),
              StatusIs(Code::kInvalidArgument,
                       HasSubstr("--type is given more than once")));
}

TEST(CdcHelpTest, EveryFlagInAUsageLineExists) {
  for (const Command& command : Commands()) {
    for (const std::string& name : FlagsIn(command.flags)) {
      EXPECT_NE(absl::FindCommandLineFlag(name), nullptr)
          << Usage(command) << ": --" << name;
    }
  }
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
