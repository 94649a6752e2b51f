// cdc comment create|reply|list|show|endorse|withdraw|hide|restore|dispose|
// stats and cdc export: one function per command, and the text form of
// what cdc-comments answers.
#include <utility>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/common/status_macros.h"
#include "tools/cdc/commands.h"
#include "tools/cdc/record_export.h"
#include "tools/cdc/text_output.h"

ABSL_FLAG(std::string, proposed_change, "",
          "comment create: the replacement text proposed");
ABSL_FLAG(std::string, quote, "",
          "comment create: the passage of the section commented on, exactly "
          "as in its text (it must occur once)");
ABSL_FLAG(std::string, target, "",
          "comment list: comments on this target, e.g. "
          "consultations/x/sections/y");
ABSL_FLAG(std::string, thread, "",
          "comment list: the whole thread of this top-level comment");
ABSL_FLAG(bool, flagged, false,
          "comment list: only comments with open flags (secretariat)");
ABSL_FLAG(bool, awaiting_disposition, false,
          "comment list: only section comments without a disposition");
ABSL_FLAG(std::string, outcome, "",
          "comment dispose: accepted, partly-accepted, noted or not-accepted");
ABSL_FLAG(std::string, response, "",
          "comment dispose: the secretariat's answer to the comment");
ABSL_FLAG(int, round, 0,
          "export: the round (default: the latest published; the "
          "secretariat's latest); comment stats: the round (default: all)");

namespace cdc::cli {
namespace {

using Stub = v1::CommentsService::Stub;
using Operands = std::vector<std::string>;

// Cells of a comment list show this much of a body.
constexpr size_t kBodyExcerptWidth = 48;

// --- Text output --------------------------------------------------------

std::string AuthorText(const v1::Comment& comment) {
  return absl::StrCat(comment.author_display_name(), ", ",
                      comment.author_organisation(), " (",
                      EnumLabel(comment.author_organisation_type()), ", ",
                      comment.author_country(), ")\n", comment.author());
}

std::string StateText(const v1::Comment& comment) {
  std::string state = EnumLabel(comment.state());
  if (!comment.moderation_reason().empty()) {
    absl::StrAppend(&state, " (", comment.moderation_reason(), ")");
  }
  return state;
}

std::string QuoteText(const v1::Comment& comment) {
  const v1::TextAnchor& anchor = comment.anchor();
  if (anchor.exact().empty()) return "";
  return absl::StrCat("\"", anchor.exact(), "\" (characters ", anchor.start(),
                      "..", anchor.end(), ")");
}

std::string DispositionText(const v1::Comment& comment) {
  if (!comment.has_disposition()) return "";
  const v1::Disposition& disposition = comment.disposition();
  return absl::StrCat(EnumLabel(disposition.outcome()), ", by ",
                      disposition.responder(), " at ",
                      FormatTime(disposition.set_time()));
}

std::string CommentText(const v1::Comment& comment) {
  return Fields()
      .Add("name", comment.name())
      .Add("on", comment.target())
      .Add("reply to", comment.parent())
      .Add("thread", comment.thread())
      .Add("round", comment.round() == 0
                        ? ""
                        : absl::StrCat(comment.round(), " (draft version ",
                                       comment.draft_version(), ")"))
      .Add("author", AuthorText(comment))
      .Add("type", EnumLabel(comment.type()))
      .Add("state", StateText(comment))
      .Add("language", comment.language())
      .Add("quote", QuoteText(comment))
      .Add(
          "endorsements",
          absl::StrCat(comment.endorsement_count(),
                       comment.endorsed_by_caller() ? " (yours included)" : ""))
      .Add("replies", absl::StrCat(comment.reply_count()))
      .Add("open flags",
           absl::StrCat(comment.flag_count(),
                        comment.flagged_by_caller() ? " (yours included)" : ""))
      .Add("disposition", DispositionText(comment))
      .Add("response", comment.disposition().response())
      .Add("version", absl::StrCat(comment.version()))
      .Add("created", FormatTime(comment.create_time()))
      .Add("updated", FormatTime(comment.update_time()))
      .Add("etag", comment.etag())
      .Add("body", comment.body())
      .Add("proposed change", comment.proposed_change())
      .Format();
}

std::string CommentListText(const v1::ListCommentsResponse& response) {
  if (response.comments().empty()) return "no comments\n";
  Table table({"ID", "ON", "REPLY TO", "TYPE", "STATE", "ORGANISATION",
               "ENDORSED", "DISPOSITION", "CREATED", "BODY"});
  for (const v1::Comment& comment : response.comments()) {
    table.AddRow({std::string(ResourceId(comment.name())),
                  std::string(ResourceId(comment.target())),
                  std::string(ResourceId(comment.parent())),
                  EnumLabel(comment.type()), EnumLabel(comment.state()),
                  comment.author_organisation(),
                  absl::StrCat(comment.endorsement_count()),
                  EnumLabel(comment.disposition().outcome()),
                  FormatTime(comment.create_time()),
                  Excerpt(comment.body(), kBodyExcerptWidth)});
  }
  return table.Format();
}

// A two-column table of counts, e.g. TYPE / COMMENTS.
template <typename Entry, typename Label>
std::string CountTable(absl::string_view header,
                       const google::protobuf::RepeatedPtrField<Entry>& entries,
                       Label label) {
  Table table({std::string(header), "COMMENTS"});
  for (const Entry& entry : entries) {
    table.AddRow({label(entry), absl::StrCat(entry.count())});
  }
  return table.Format();
}

std::string SectionCountsTable(const v1::CommentStatistics& statistics) {
  Table table({"SECTION", "COMMENTS", "TOP LEVEL", "REPLIES", "AWAITING"});
  for (const v1::CommentStatistics& section : statistics.sections()) {
    table.AddRow({std::string(ResourceId(section.scope())),
                  absl::StrCat(section.total_count()),
                  absl::StrCat(section.top_level_count()),
                  absl::StrCat(section.reply_count()),
                  absl::StrCat(section.awaiting_disposition())});
  }
  return table.Format();
}

std::string StatisticsText(const v1::CommentStatistics& statistics) {
  std::string text =
      Fields()
          .Add("scope",
               absl::StrCat(
                   statistics.scope(),
                   statistics.section_title().empty()
                       ? ""
                       : absl::StrCat(" (", statistics.section_title(), ")")))
          .Add("round", statistics.round() == 0
                            ? "every round"
                            : absl::StrCat(statistics.round()))
          .Add("comments",
               absl::StrCat(statistics.total_count(), " visible (top level ",
                            statistics.top_level_count(), ", replies ",
                            statistics.reply_count(), ")"))
          .Add("authors",
               absl::StrCat(statistics.author_count(), " from ",
                            statistics.organisation_count(), " organisations"))
          .Add("awaiting disposition",
               absl::StrCat(statistics.awaiting_disposition()))
          .Format();
  absl::StrAppend(
      &text, "\n",
      CountTable("TYPE", statistics.by_type(),
                 [](const auto& entry) { return EnumLabel(entry.type()); }),
      "\n",
      CountTable("DISPOSITION", statistics.by_disposition(),
                 [](const auto& entry) {
                   return entry.outcome() == 0 ? std::string("none yet")
                                               : EnumLabel(entry.outcome());
                 }),
      "\n",
      CountTable("ORGANISATION TYPE", statistics.by_organisation_type(),
                 [](const auto& entry) {
                   return EnumLabel(entry.organisation_type());
                 }),
      "\n",
      CountTable("COUNTRY", statistics.by_country(),
                 [](const auto& entry) { return entry.country(); }));
  if (statistics.sections_size() > 0) {
    absl::StrAppend(&text, "\n", SectionCountsTable(statistics));
  }
  return text;
}

// --- Arguments ------------------------------------------------------------

// TARGET: a resource name such as consultations/x/sections/y, checked by
// the server.
absl::StatusOr<std::string> TargetName(absl::string_view text) {
  if (!absl::StrContains(text, '/')) {
    return UsageError(
        absl::StrCat("\"", text,
                     "\" is not a target; give a resource name such as "
                     "consultations/<id>/sections/<key>"));
  }
  return std::string(text);
}

// SCOPE of `comment stats`: a consultation (consultations/x or x) or a
// section of one (consultations/x/sections/y).
absl::StatusOr<std::string> ScopeName(absl::string_view text) {
  if (absl::StrContains(text, "/sections/")) return TargetName(text);
  return ResourceName("consultations", text);
}

// --type, unspecified when not given.
absl::StatusOr<v1::Comment::Type> TypeFlag() {
  const std::string type = absl::GetFlag(FLAGS_type);
  if (type.empty()) return v1::Comment::TYPE_UNSPECIFIED;
  return ParseEnum<v1::Comment::Type>("type", type);
}

// --round, 0 when not given.
absl::StatusOr<int> RoundFlag() {
  const int round = absl::GetFlag(FLAGS_round);
  if (round < 0) return UsageError("--round must be 1 or more");
  return round;
}

// What a comment and a reply both take: --body, --language, --request_id.
absl::StatusOr<v1::CreateCommentRequest> NewComment() {
  CDC_RETURN_IF_ERROR(RequireFlag("body", absl::GetFlag(FLAGS_body)));
  v1::CreateCommentRequest request;
  request.mutable_comment()->set_body(absl::GetFlag(FLAGS_body));
  request.mutable_comment()->set_language(absl::GetFlag(FLAGS_language));
  request.set_request_id(absl::GetFlag(FLAGS_request_id));
  return request;
}

// --- Commands ---------------------------------------------------------------

absl::Status Create(Cli& cli, const Operands& operands) {
  CDC_ASSIGN_OR_RETURN(v1::CreateCommentRequest request, NewComment());
  v1::Comment& comment = *request.mutable_comment();
  CDC_ASSIGN_OR_RETURN(*comment.mutable_target(), TargetName(operands[0]));
  CDC_ASSIGN_OR_RETURN(v1::Comment::Type type, TypeFlag());
  comment.set_type(type);
  comment.set_proposed_change(absl::GetFlag(FLAGS_proposed_change));
  if (const std::string quote = absl::GetFlag(FLAGS_quote); !quote.empty()) {
    comment.mutable_anchor()->set_exact(quote);
  }
  return cli.CallAndPrint(&Stub::CreateComment, request, CommentText);
}

absl::Status Reply(Cli& cli, const Operands& operands) {
  return ReplyToComment(cli, operands[0]);
}

absl::Status List(Cli& cli, const Operands&) {
  v1::ListCommentsRequest request;
  request.set_target(absl::GetFlag(FLAGS_target));
  CDC_ASSIGN_OR_RETURN(
      *request.mutable_consultation(),
      OptionalName("consultations", absl::GetFlag(FLAGS_consultation)));
  CDC_ASSIGN_OR_RETURN(*request.mutable_thread(),
                       OptionalName("comments", absl::GetFlag(FLAGS_thread)));
  CDC_ASSIGN_OR_RETURN(*request.mutable_author(),
                       OptionalName("members", absl::GetFlag(FLAGS_author)));
  request.set_flagged_only(absl::GetFlag(FLAGS_flagged));
  if (request.target().empty() && request.consultation().empty() &&
      request.thread().empty() && request.author().empty() &&
      !request.flagged_only()) {
    return UsageError(
        "say which comments: --target, --consultation, --thread, --author or "
        "--flagged");
  }
  CDC_ASSIGN_OR_RETURN(v1::Comment::Type type, TypeFlag());
  request.set_type(type);
  request.set_awaiting_disposition(absl::GetFlag(FLAGS_awaiting_disposition));
  return cli.ListAndPrint(&Stub::ListComments, request, CommentListText);
}

absl::Status Show(Cli& cli, const Operands& operands) {
  CDC_ASSIGN_OR_RETURN(auto request, NamedRequest<v1::GetCommentRequest>(
                                         "comments", operands[0]));
  return cli.CallAndPrint(&Stub::GetComment, request, CommentText);
}

absl::Status Endorse(Cli& cli, const Operands& operands) {
  CDC_ASSIGN_OR_RETURN(auto request, NamedRequest<v1::EndorseCommentRequest>(
                                         "comments", operands[0]));
  return cli.CallAndPrint(&Stub::EndorseComment, request, CommentText);
}

absl::Status Withdraw(Cli& cli, const Operands& operands) {
  CDC_ASSIGN_OR_RETURN(auto request, NamedRequest<v1::WithdrawCommentRequest>(
                                         "comments", operands[0]));
  return cli.CallAndPrint(&Stub::WithdrawComment, request, CommentText);
}

// comment hide and comment restore: a comment and a --reason.
template <typename Request>
absl::Status Moderate(Cli& cli, const Operands& operands,
                      Cli::Method<Stub, Request, v1::Comment> method) {
  CDC_ASSIGN_OR_RETURN(auto request,
                       NamedRequest<Request>("comments", operands[0]));
  CDC_RETURN_IF_ERROR(RequireFlag("reason", absl::GetFlag(FLAGS_reason)));
  request.set_reason(absl::GetFlag(FLAGS_reason));
  return cli.CallAndPrint(method, request, CommentText);
}

absl::Status Hide(Cli& cli, const Operands& operands) {
  return Moderate<v1::HideCommentRequest>(cli, operands, &Stub::HideComment);
}

absl::Status Restore(Cli& cli, const Operands& operands) {
  return Moderate<v1::RestoreCommentRequest>(cli, operands,
                                             &Stub::RestoreComment);
}

absl::Status Dispose(Cli& cli, const Operands& operands) {
  CDC_ASSIGN_OR_RETURN(auto request, NamedRequest<v1::SetDispositionRequest>(
                                         "comments", operands[0]));
  CDC_RETURN_IF_ERROR(
      RequireFlags({{"outcome", absl::GetFlag(FLAGS_outcome)},
                    {"response", absl::GetFlag(FLAGS_response)}}));
  CDC_ASSIGN_OR_RETURN(v1::Disposition::Outcome outcome,
                       ParseEnum<v1::Disposition::Outcome>(
                           "outcome", absl::GetFlag(FLAGS_outcome)));
  request.mutable_disposition()->set_outcome(outcome);
  request.mutable_disposition()->set_response(absl::GetFlag(FLAGS_response));
  return cli.CallAndPrint(&Stub::SetDisposition, request, CommentText);
}

absl::Status Stats(Cli& cli, const Operands& operands) {
  v1::GetCommentStatisticsRequest request;
  CDC_ASSIGN_OR_RETURN(*request.mutable_scope(), ScopeName(operands[0]));
  CDC_ASSIGN_OR_RETURN(int round, RoundFlag());
  request.set_round(round);
  request.set_include_sections(
      !absl::StrContains(request.scope(), "/sections/"));
  return cli.CallAndPrint(&Stub::GetCommentStatistics, request, StatisticsText);
}

absl::Status Export(Cli& cli, const Operands& operands) {
  v1::ExportRecordRequest request;
  CDC_ASSIGN_OR_RETURN(*request.mutable_consultation(),
                       ResourceName("consultations", operands[0]));
  CDC_ASSIGN_OR_RETURN(int round, RoundFlag());
  request.set_round(round);
  CDC_ASSIGN_OR_RETURN(ExportFormat format,
                       ParseExportFormat(absl::GetFlag(FLAGS_format)));
  return WriteExport(
      absl::GetFlag(FLAGS_output), RecordHeader(format), [&](auto write) {
        return cli.CallStream(&Stub::ExportRecord, request,
                              [&](const v1::RecordEntry& entry) {
                                return write(RecordLine(format, entry));
                              });
      });
}

}  // namespace

absl::Status PostComment(Cli& cli, const std::string& target) {
  CDC_ASSIGN_OR_RETURN(v1::CreateCommentRequest request, NewComment());
  request.mutable_comment()->set_target(target);
  return cli.CallAndPrint(&Stub::CreateComment, request, CommentText);
}

absl::Status ReplyToComment(Cli& cli, absl::string_view operand) {
  CDC_ASSIGN_OR_RETURN(v1::CreateCommentRequest request, NewComment());
  CDC_ASSIGN_OR_RETURN(*request.mutable_comment()->mutable_parent(),
                       ResourceName("comments", operand));
  return cli.CallAndPrint(&Stub::CreateComment, request, CommentText);
}

absl::Status ListCommentsOn(Cli& cli, const std::string& target) {
  v1::ListCommentsRequest request;
  request.set_target(target);
  return cli.ListAndPrint(&Stub::ListComments, request, CommentListText);
}

std::vector<Command> CommentCommands() {
  return {
      {"comment create",
       {"TARGET"},
       "--body B [--type general|technical|editorial] [--proposed_change P] "
       "[--quote EXACT] [--language L] [--request_id R]",
       "comments on a target, e.g. consultations/x/sections/y, while its "
       "round is open",
       Create},
      {"comment reply",
       {"COMMENT"},
       "--body B [--language L] [--request_id R]",
       "replies to a comment",
       Reply},
      {"comment list",
       {},
       "(--target T | --consultation C | --thread COMMENT | --author MEMBER | "
       "--flagged) [--type T] [--awaiting_disposition]",
       "lists comments, oldest first; given together, every filter must hold",
       List},
      {"comment show", {"COMMENT"}, "", "shows a comment", Show},
      {"comment endorse",
       {"COMMENT"},
       "",
       "endorses someone else's comment (once; again changes nothing)",
       Endorse},
      {"comment withdraw",
       {"COMMENT"},
       "",
       "withdraws your own comment while its round is open",
       Withdraw},
      {"comment hide",
       {"COMMENT"},
       "--reason R",
       "hides a comment from its readers (moderators)",
       Hide},
      {"comment restore",
       {"COMMENT"},
       "--reason R",
       "shows a hidden comment again, or dismisses its flags (moderators)",
       Restore},
      {"comment dispose",
       {"COMMENT"},
       "--outcome accepted|partly-accepted|noted|not-accepted --response TEXT",
       "sets the secretariat's disposition of a comment until the record is "
       "published",
       Dispose},
      {"comment stats",
       {"SCOPE"},
       "[--round N]",
       "counts a consultation's or a section's visible comments",
       Stats},
      {"export",
       {"CONSULTATION"},
       "[--round N] [--format csv|jsonl] [--output FILE|-]",
       "writes the comment-response record of a round as CSV or JSON Lines",
       Export},
  };
}

}  // namespace cdc::cli
