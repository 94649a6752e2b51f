// The cdc tool's comment commands and `cdc export` end to end against a real
// cdc-comments, cdc-consultations and cdc-members (over a real Redis, on
// loopback): the built binary runs as a child process, and the record it
// exports is read back by Python's own csv and json modules, so that what a
// spreadsheet or a script reads is what the members wrote.
#include <google/protobuf/util/json_util.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/comments/comments_test_support.h"
#include "tools/cdc/cdc_cli.h"
#include "tools/cdc/cdc_runner.h"
#include "tools/cdc/python_readers.h"
#include "tools/cdc/text_output.h"

namespace cdc::cli {
namespace {

using ::cdc::cli::testing::CdcRun;
using ::cdc::cli::testing::ParseCsv;
using ::cdc::cli::testing::ParseJsonLines;
using ::cdc::cli::testing::Python;
using ::cdc::cli::testing::ReadFile;
using ::cdc::cli::testing::RunCdc;
using ::testing::_;
using ::testing::AllOf;
using ::testing::ContainsRegex;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kDraft[] =
    "# Framework on citizen data {#intro}\n"
    "Citizen data are data that people produce.\n\n"
    "## Quality {#quality}\n"
    "Quality is fitness for purpose, as agreed with users.\n\n"
    "## Égalité {#egalite}\n"
    "Personne n'est laissé de côté.\n";

// Bodies that a CSV writer must quote: a comma, quotes and a newline; and
// text outside ASCII, up to four bytes a character.
constexpr char kTrickyBody[] =
    "We suggest \"fit for use\", not \"fitness for purpose\", because:\n"
    "users say so.";
constexpr char kUnicodeBody[] =
    "L'égalité exige des données ventilées — 平等, المساواة 🌍";

constexpr char kColumns[] =
    "consultation,round,draft_version,section_key,section_title,"
    "section_order,comment,parent,author_organisation,"
    "author_organisation_type,author_country,type,body,proposed_change,quote,"
    "language,endorsement_count,disposition,response,create_time,"
    "disposition_time";

class CdcCommentsTest : public comments::testing::CommentsServerTest {
 protected:
  void SetUp() override {
    CommentsServerTest::SetUp();
    if (HasFatalFailure()) return;
    amina_ = NewMember("amina@stats.example.ke", "KEN",
                       v1::ORGANISATION_TYPE_NATIONAL_STATISTICAL_OFFICE,
                       v1::ROLE_MEMBER);
    SetProfile(amina_, "Kenya National Bureau of Statistics", {"en", "sw"});
    bruno_ = NewMember("bruno@donnees.example.fr", "FRA",
                       v1::ORGANISATION_TYPE_CIVIL_SOCIETY, v1::ROLE_MEMBER);
    SetProfile(bruno_, "Données, Citoyens & \"Co\"", {"fr"});
  }

  // Runs cdc as `token` against the test's three services, named by their
  // environment variables.
  CdcRun Cdc(const std::string& token, const std::vector<std::string>& args,
             const std::string& input = "") {
    return RunCdc(args,
                  {"CDC_TOKEN=" + token,
                   "CDC_MEMBERS_ADDRESS=" + MembersServerTest::host_->address(),
                   "CDC_CONSULTATIONS_ADDRESS=" + host_c_->address(),
                   "CDC_COMMENTS_ADDRESS=" + host_k_->address()},
                  input);
  }

  // Runs cdc and expects it to succeed; returns its stdout.
  std::string Ok(const std::string& token, const std::vector<std::string>& args,
                 const std::string& input = "") {
    const CdcRun run = Cdc(token, args, input);
    EXPECT_EQ(run.exit_code, 0) << absl::StrJoin(args, " ") << ": " << run.err;
    EXPECT_EQ(run.err, "") << absl::StrJoin(args, " ");
    return run.out;
  }

  // `cdc --json <args>` as `token`, its output parsed as a Comment.
  v1::Comment CommentOf(const std::string& token,
                        std::vector<std::string> args) {
    args.insert(args.begin(), "--json");
    const std::string json = Ok(token, args);
    v1::Comment comment;
    EXPECT_TRUE(
        google::protobuf::util::JsonStringToMessage(json, &comment).ok())
        << json;
    return comment;
  }

  // Creates consultation `id` with kDraft and opens a round for a day, with
  // cdc as the secretariat.
  void OpenRound(const std::string& id) {
    Ok(secretariat_token_,
       {"consultation", "create", "--id", id, "--title", "Framework"});
    Ok(secretariat_token_, {"consultation", "import", id, "-"}, kDraft);
    Ok(secretariat_token_, {"consultation", "open", id, "--closes_at", "+1d"});
  }

  std::string amina_;  // MEMBER token: Kenya National Bureau of Statistics
  std::string bruno_;  // MEMBER token: Données, Citoyens & "Co", France
};

TEST_F(CdcCommentsTest, TheRecordRoundTripsThroughCsvAndJsonLinesParsers) {
  const std::string python = Python();
  if (python.empty()) GTEST_SKIP() << "no python3 to read the export with";
  OpenRound("framework");
  const std::string quality = "consultations/framework/sections/quality";

  // In creation order: a tricky editorial comment with a quote and a
  // proposed change, one in French, a second comment on its section, a
  // withdrawn one, and last a reply to the first.
  const v1::Comment tricky =
      CommentOf(amina_, {"comment", "create", quality, "--type", "editorial",
                         "--body", kTrickyBody, "--proposed_change",
                         "Quality is fitness for use, as agreed with users.",
                         "--quote", "fitness for purpose"});
  ASSERT_THAT(tricky.name(), StartsWith("comments/"));
  EXPECT_EQ(tricky.anchor().exact(), "fitness for purpose");
  const v1::Comment french = CommentOf(
      bruno_, {"comment", "create", "consultations/framework/sections/egalite",
               "--body", kUnicodeBody, "--type", "technical"});
  const v1::Comment agreed = CommentOf(
      bruno_, {"comment", "create", quality, "--body", "Agreed, broadly."});
  const v1::Comment withdrawn = CommentOf(
      amina_, {"comment", "create", "consultations/framework/sections/intro",
               "--body", "On second thoughts, nothing."});
  EXPECT_THAT(Ok(amina_, {"comment", "withdraw", withdrawn.name()}),
              HasSubstr("state:            withdrawn\n"));
  const v1::Comment reply =
      CommentOf(secretariat_token_,
                {"comment", "reply", std::string(ResourceId(tricky.name())),
                 "--body", "Thank you; see the response below."});
  EXPECT_EQ(reply.parent(), tricky.name());

  EXPECT_THAT(Ok(bruno_, {"comment", "endorse", tricky.name()}),
              HasSubstr("endorsements:     1 (yours included)\n"));
  EXPECT_THAT(Ok(secretariat_token_,
                 {"comment", "hide", agreed.name(), "--reason", "Checking."}),
              HasSubstr("state:            hidden (Checking.)\n"));
  Ok(secretariat_token_,
     {"comment", "restore", agreed.name(), "--reason", "Fine after all."});
  EXPECT_THAT(
      Ok(secretariat_token_,
         {"comment", "dispose", tricky.name(), "--outcome", "partly-accepted",
          "--response", "Accepted \"fit for use\"; the rest, noted."}),
      HasSubstr("disposition:      partly-accepted, by "));

  EXPECT_THAT(
      Ok(secretariat_token_, {"comment", "show", tricky.name()}),
      AllOf(HasSubstr(absl::StrCat("on:               ", quality, "\n")),
            HasSubstr("quote:            \"fitness for purpose\" "
                      "(characters "),
            HasSubstr("body:             We suggest \"fit for use\", "
                      "not \"fitness for purpose\", because:\n"
                      "                  users say so.\n")));
  const std::string thread =
      Ok(amina_, {"comment", "list", "--thread", tricky.name()});
  EXPECT_THAT(
      thread,
      AllOf(StartsWith("ID "), HasSubstr(std::string(ResourceId(reply.name()))),
            Not(HasSubstr(std::string(ResourceId(agreed.name()))))));
  EXPECT_THAT(
      Ok(secretariat_token_, {"comment", "list", "--consultation", "framework",
                              "--awaiting_disposition", "--type", "technical"}),
      AllOf(HasSubstr(std::string(ResourceId(french.name()))),
            Not(HasSubstr(std::string(ResourceId(tricky.name()))))));
  EXPECT_THAT(Ok(secretariat_token_, {"comment", "stats", "framework"}),
              AllOf(HasSubstr("comments:              4 visible (top level "
                              "3, replies 1)\n"),
                    ContainsRegex("\neditorial +1\n"),
                    ContainsRegex("\npartly-accepted +1\n"),
                    ContainsRegex("\nquality +3 +2 +1 +")));

  Ok(secretariat_token_, {"consultation", "close", "framework"});
  Ok(secretariat_token_, {"comment", "dispose", french.name(), "--outcome",
                          "noted", "--response", "Noted, with thanks."});
  Ok(secretariat_token_, {"consultation", "publish", "framework"});

  // Once published, an observer exports it too; to a file, the same bytes.
  const std::string csv = Ok(observer_, {"export", "framework"});
  const std::string file = absl::StrCat(::testing::TempDir(), "/record.csv");
  Ok(secretariat_token_,
     {"export", "consultations/framework", "--round", "1", "--output", file});
  EXPECT_EQ(ReadFile(file), csv);
  std::remove(file.c_str());

  // CRLF ends every record (the bodies hold LF only), the header first.
  EXPECT_THAT(csv, StartsWith(absl::StrCat(kColumns, "\r\n")));
  EXPECT_EQ(std::vector<std::string>(absl::StrSplit(csv, "\r\n")).size(), 6);
  EXPECT_THAT(csv, HasSubstr("\"We suggest \"\"fit for use\"\", not "
                             "\"\"fitness for purpose\"\", because:\n"
                             "users say so.\""));

  const std::vector<std::vector<std::string>> rows = ParseCsv(python, csv);
  ASSERT_EQ(rows.size(), 5);
  EXPECT_THAT(rows[0], ElementsAreArray(std::vector<std::string>(
                           absl::StrSplit(kColumns, ','))));
  // Sections in document order; a thread's reply right after its root.
  std::vector<std::string> order;
  for (size_t i = 1; i < rows.size(); ++i) {
    ASSERT_EQ(rows[i].size(), 21) << i;
    order.push_back(rows[i][6]);
  }
  EXPECT_THAT(order, ElementsAre(tricky.name(), reply.name(), agreed.name(),
                                 french.name()));

  const std::string created = FormatTime(tricky.create_time());
  EXPECT_THAT(
      rows[1],
      ElementsAre("consultations/framework", "1", "1", "quality", "Quality",
                  "1", tricky.name(), "", "Kenya National Bureau of Statistics",
                  "national-statistical-office", "KEN", "editorial",
                  kTrickyBody,
                  "Quality is fitness for use, as agreed "
                  "with users.",
                  "fitness for purpose", "en", "1", "partly-accepted",
                  "Accepted \"fit for use\"; the rest, noted.", created,
                  MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T"
                               "[0-9]{2}:[0-9]{2}:[0-9]{2}Z")));
  EXPECT_THAT(rows[2],
              ElementsAre("consultations/framework", "1", "1", "quality",
                          "Quality", "1", reply.name(), tricky.name(), _, _, _,
                          "general", "Thank you; see the response below.", "",
                          "fitness for purpose", _, "0", "", "",
                          FormatTime(reply.create_time()), ""))
      << "a reply inherits its parent's anchor";
  EXPECT_EQ(rows[3][12], "Agreed, broadly.");
  EXPECT_EQ(rows[3][17], "");  // no disposition
  EXPECT_THAT(
      rows[4],
      ElementsAre("consultations/framework", "1", "1", "egalite", "Égalité",
                  "2", french.name(), "", "Données, Citoyens & \"Co\"",
                  "civil-society", "FRA", "technical", kUnicodeBody, "", "",
                  "fr", "0", "noted", "Noted, with thanks.",
                  FormatTime(french.create_time()), MatchesRegex(".+Z")));

  // JSON Lines: the same entries, one object a line.
  const std::string jsonl =
      Ok(observer_, {"export", "framework", "--format", "jsonl"});
  const std::vector<v1::RecordEntry> entries =
      ParseJsonLines<v1::RecordEntry>(python, jsonl);
  ASSERT_EQ(entries.size(), 4);
  for (size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ(entries[i].comment(), rows[i + 1][6]);
    EXPECT_EQ(entries[i].body(), rows[i + 1][12]);
    EXPECT_EQ(entries[i].author_organisation(), rows[i + 1][8]);
    EXPECT_EQ(
        entries[i].section(),
        absl::StrCat("consultations/framework/sections/", rows[i + 1][3]));
  }
  EXPECT_EQ(entries[0].disposition(), v1::Disposition::PARTLY_ACCEPTED);
  EXPECT_EQ(entries[0].create_time().seconds(), tricky.create_time().seconds());
  EXPECT_THAT(jsonl, HasSubstr("\"disposition\":\"PARTLY_ACCEPTED\""));
}

TEST_F(CdcCommentsTest, ARefusedExportLeavesTheOutputFileAsItWas) {
  OpenRound("framework");
  // The secretariat may export a draft of the record at any time: here, an
  // empty one is its header alone.
  EXPECT_EQ(Ok(secretariat_token_, {"export", "framework"}),
            absl::StrCat(kColumns, "\r\n"));
  EXPECT_EQ(Ok(secretariat_token_, {"export", "framework", "--format=jsonl"}),
            "");

  const std::string file = absl::StrCat(::testing::TempDir(), "/earlier.csv");
  std::ofstream(file) << "an earlier export\n";
  const CdcRun run =
      Cdc(bruno_, {"export", "framework", "--round", "1", "--output", file});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, StartsWith("cdc: FAILED_PRECONDITION: "));
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(ReadFile(file), "an earlier export\n");
  std::remove(file.c_str());
}

TEST_F(CdcCommentsTest, CommentCommandsAnswerWithTheServersCodeOrAUsageError) {
  OpenRound("framework");
  const std::string quality = "consultations/framework/sections/quality";

  CdcRun run = Cdc(amina_, {"comment", "create", quality, "--body", "x",
                            "--quote", "not in the text"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, StartsWith("cdc: INVALID_ARGUMENT: "));

  const v1::Comment comment =
      CommentOf(amina_, {"comment", "create", quality, "--body", "Mine."});
  run = Cdc(amina_, {"comment", "dispose", comment.name(), "--outcome",
                     "accepted", "--response", "Self-service."});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, StartsWith("cdc: PERMISSION_DENIED: "));

  run = Cdc(amina_, {"comment", "show", "comments/0123456789abcdef"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, StartsWith("cdc: NOT_FOUND: "));

  // Usage errors, found before any call.
  run = Cdc(secretariat_token_, {"comment", "dispose", comment.name(),
                                 "--outcome", "maybe", "--response", "r"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err,
              StartsWith("cdc: --outcome: unknown value \"maybe\"; one of: "
                         "accepted, partly-accepted, noted, not-accepted\n"));
  run = Cdc(amina_, {"comment", "create", "framework", "--body", "x"});
  EXPECT_EQ(run.exit_code, 2);
  run = Cdc(amina_, {"comment", "reply", comment.name()});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, StartsWith("cdc: --body is required\n"));
  run = Cdc(amina_, {"comment", "list", "--type", "general"});
  EXPECT_EQ(run.exit_code, 2);
  run = Cdc(amina_, {"export", "framework", "--format", "xlsx"});
  EXPECT_EQ(run.exit_code, 2);

  EXPECT_EQ(Ok(secretariat_token_, {"comment", "list", "--flagged"}),
            "no comments\n");
}

}  // namespace
}  // namespace cdc::cli
