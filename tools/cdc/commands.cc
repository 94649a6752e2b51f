#include "tools/cdc/commands.h"

#include <algorithm>
#include <set>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "tools/cdc/text_output.h"

ABSL_FLAG(std::string, state, "",
          "consultation list: DRAFT|OPEN|CLOSED|PUBLISHED; member list: "
          "PENDING|ACTIVE|REJECTED|SUSPENDED; space list/update: "
          "active|archived; topic list: open|closed|archived");
ABSL_FLAG(std::string, country, "",
          "ISO 3166-1 alpha-3 code: member apply, member list, resource list "
          "and initiative list/export (filter)");
ABSL_FLAG(std::string, request_id, "",
          "makes a create safe to retry: the same id within 24 hours returns "
          "the first result");
ABSL_FLAG(std::string, type, "",
          "comment create: general (default), technical or editorial; "
          "comment list: only comments of that type; events: only events of "
          "these types, e.g. comment-created,round-opened; resource "
          "create/update/list: guideline, toolkit, case-study, dataset, "
          "training or other");
ABSL_FLAG(std::string, consultation, "",
          "comment list: comments on every section of this consultation; "
          "events: only events of these consultations, comma-separated");
ABSL_FLAG(std::string, format, "",
          "export, initiative export: csv (default) or jsonl; events: text "
          "(default) or jsonl");
ABSL_FLAG(std::string, title, "",
          "the title: consultation create, space create/update, topic "
          "create/update, resource create/update");
ABSL_FLAG(std::string, description, "",
          "the description (light Markdown): consultation create, space "
          "create/update, initiative create/update");
ABSL_FLAG(std::string, id, "",
          "the id to create with (3..63 of a-z, 0-9, -): consultation create, "
          "space create");
ABSL_FLAG(std::string, body, "",
          "the text: comment create/reply, topic create/update/post/reply, "
          "conversation write");
ABSL_FLAG(std::string, language, "",
          "a BCP 47 tag, e.g. fr: comment create/reply, topic post/reply and "
          "conversation write (default: your first language); resource list "
          "(filter)");
ABSL_FLAG(std::vector<std::string>, languages, {},
          "BCP 47 language tags, e.g. en,fr: member apply, resource "
          "create/update");
ABSL_FLAG(std::string, author, "",
          "comment list, topic list: only those by this member");
ABSL_FLAG(std::string, reason, "",
          "why: comment hide/restore (shown to the author), topic close "
          "(shown on the topic)");
ABSL_FLAG(std::string, output, "-",
          "export, initiative export: the file to write (- for stdout); "
          "replaced only when the export succeeds");
ABSL_FLAG(int, limit, 0,
          "notification watch, events: stop after this many (default: run "
          "until interrupted or the stream ends); search: the best this many "
          "(default 20)");
ABSL_FLAG(std::string, name, "",
          "member apply: the applicant's full name; initiative "
          "create/update: the initiative's name");
ABSL_FLAG(std::string, organisation_type, "",
          "e.g. civil-society, national-statistical-office, academia: member "
          "apply (required), member list (filter), initiative create/update "
          "(the lead organisation's type), initiative list/counts/export "
          "(filter)");
ABSL_FLAG(bool, unread, false,
          "notification list, topic list: only unread ones");
ABSL_FLAG(std::vector<std::string>, tags, {},
          "topic create/update, resource create/update: tags, e.g. "
          "privacy,sampling (update: the whole list)");
ABSL_FLAG(std::string, tag, "",
          "topic list, resource list: only those with this tag");
ABSL_FLAG(std::string, etag, "",
          "the etag the object was read with: the change is refused "
          "(ABORTED) if it changed since");

namespace cdc::cli {
namespace {

absl::Status Help(Cli& cli, const std::vector<std::string>&) {
  cli.PrintText(HelpText());
  return absl::OkStatus();
}

bool StartsWithWords(const std::vector<std::string>& args,
                     const std::vector<absl::string_view>& words) {
  if (args.size() < words.size() + 1) return false;
  return std::equal(words.begin(), words.end(), args.begin() + 1);
}

// The commands whose first word is `group`, by their second words.
std::string CommandsOfGroup(absl::string_view group) {
  std::vector<std::string> names;
  for (const Command& command : Commands()) {
    std::vector<absl::string_view> words = absl::StrSplit(command.words, ' ');
    if (words.size() == 2 && words[0] == group) {
      names.emplace_back(words[1]);
    }
  }
  return absl::StrJoin(names, ", ");
}

}  // namespace

std::set<std::string> FlagsIn(absl::string_view usage) {
  std::set<std::string> names;
  for (size_t at = usage.find("--"); at != absl::string_view::npos;
       at = usage.find("--", at)) {
    at += 2;
    size_t end = at;
    while (end < usage.size() &&
           (absl::ascii_isalnum(static_cast<unsigned char>(usage[end])) ||
            usage[end] == '_')) {
      ++end;
    }
    names.emplace(usage.substr(at, end - at));
    at = end;
  }
  return names;
}

const std::vector<Command>& Commands() {
  static const auto* const kCommands = [] {
    auto* commands = new std::vector<Command>(ConsultationCommands());
    for (Command& command : CommentCommands()) commands->push_back(command);
    for (Command& command : MemberCommands()) commands->push_back(command);
    for (Command& command : NotificationCommands()) {
      commands->push_back(command);
    }
    for (Command& command : CommunityCommands()) commands->push_back(command);
    for (Command& command : LibraryCommands()) commands->push_back(command);
    commands->push_back(
        {"help", {}, "", "lists the commands and the connection flags", Help});
    return commands;
  }();
  return *kCommands;
}

std::string Usage(const Command& command) {
  std::string usage = absl::StrCat("cdc ", command.words);
  for (absl::string_view operand : command.operands) {
    absl::StrAppend(&usage, " ", operand);
  }
  if (!command.flags.empty()) absl::StrAppend(&usage, " ", command.flags);
  return usage;
}

std::string HelpText() {
  std::string text =
      "The command-line client of the cdc services.\n"
      "TIME is RFC 3339 (2026-12-31T23:59:00Z) or relative to now "
      "(+30d, +12h, +90m).\n"
      "NAME, CONSULTATION, COMMENT, MEMBER, SPACE, CONVERSATION, RESOURCE "
      "and INITIATIVE are consultations/<id>, comments/<id>, members/<id>, "
      "spaces/<id>, ... or just <id>; a list of members is "
      "members/<a>,members/<b> or <a>,<b>.\n"
      "TOPIC is spaces/<space>/topics/<topic>, as `cdc topic list` prints "
      "it.\n"
      "TARGET is a resource name: consultations/<id>/sections/<key> (to "
      "follow: also comments/<id>, the comment's whole thread).\n"
      "NOTIFICATION is members/<id>/notifications/<n>, as `cdc notification "
      "list` prints it.\n"
      "TYPE is an event type: comment-replied, COMMENT_REPLIED or "
      "EVENT_TYPE_COMMENT_REPLIED.\n";
  absl::string_view group;
  for (const Command& command : Commands()) {
    // Commands of two words are grouped by the first; the others together.
    const size_t space = command.words.find(' ');
    const absl::string_view this_group =
        space == absl::string_view::npos ? "" : command.words.substr(0, space);
    if (this_group != group || &command == &Commands().front()) {
      absl::StrAppend(&text, "\n");
    }
    group = this_group;
    absl::StrAppend(&text, "  ", Usage(command), "\n      ", command.summary,
                    "\n");
  }
  absl::StrAppend(&text,
                  "\nConnection flags (every flag can also be given as the "
                  "environment variable CDC_<FLAG>, e.g. CDC_TOKEN):\n");
  Fields flags;
  for (const std::string& name : ConnectionFlags()) {
    const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    flags.Add(absl::StrCat("  --", name),
              absl::StrCat(flag->Help(), " (default \"", flag->DefaultValue(),
                           "\")"));
  }
  absl::StrAppend(&text, flags.Format());
  absl::StrAppend(&text,
                  "\nExit status: 0 done, 1 the call failed (the error is on "
                  "stderr as \"cdc: CODE: message\"), 2 usage error.\n"
                  "More in tools/cdc/README.md.\n");
  return text;
}

absl::StatusOr<Invocation> Resolve(
    const std::vector<std::string>& args,
    const std::vector<std::string>& flags_given) {
  if (args.size() < 2) {
    return UsageError("no command given; `cdc help` lists them");
  }
  const Command* found = nullptr;
  size_t found_words = 0;
  for (const Command& command : Commands()) {
    const std::vector<absl::string_view> words =
        absl::StrSplit(command.words, ' ');
    if (words.size() > found_words && StartsWithWords(args, words)) {
      found = &command;
      found_words = words.size();
    }
  }
  if (found == nullptr) {
    const std::string group_commands = CommandsOfGroup(args[1]);
    if (group_commands.empty()) {
      return UsageError(absl::StrCat("unknown command \"", args[1],
                                     "\"; `cdc help` lists them"));
    }
    if (args.size() == 2) {
      return UsageError(absl::StrCat("`cdc ", args[1],
                                     "` needs a command: ", group_commands));
    }
    return UsageError(absl::StrCat("unknown command \"", args[1], " ", args[2],
                                   "\"; the ", args[1],
                                   " commands are: ", group_commands));
  }

  Invocation invocation{found, {args.begin() + 1 + found_words, args.end()}};
  if (invocation.operands.size() != found->operands.size()) {
    return UsageError(
        absl::StrCat(invocation.operands.size() < found->operands.size()
                         ? "missing argument"
                         : "too many arguments",
                     "\nusage: ", Usage(*found)));
  }

  std::set<std::string> commands_flags;
  for (const Command& command : Commands()) {
    commands_flags.merge(FlagsIn(command.flags));
  }
  const std::set<std::string> accepted = FlagsIn(found->flags);
  std::set<std::string> seen;
  for (const std::string& flag : flags_given) {
    if (!commands_flags.contains(flag)) continue;
    if (!accepted.contains(flag)) {
      return UsageError(absl::StrCat("--", flag, " does not apply to `cdc ",
                                     found->words,
                                     "`\nusage: ", Usage(*found)));
    }
    if (!seen.insert(flag).second) {
      return UsageError(absl::StrCat(
          "--", flag,
          " is given more than once; give a list as one comma-separated "
          "value\nusage: ",
          Usage(*found)));
    }
  }
  return invocation;
}

}  // namespace cdc::cli
