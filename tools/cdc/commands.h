// The commands of the `cdc` tool, and how a command line picks one.
//
// A command is a row of a table: its words ("consultation create"), its
// operands, its flags (as written in its usage line, which is also the list
// of the flags it accepts), a one-line summary and the function that runs
// it. The functions live in consultation_commands.cc,
// comment_commands.cc, member_commands.cc, notification_commands.cc,
// community_commands.cc and library_commands.cc, one per command.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/cdc/cdc_cli.h"

// Flags that more than one group of commands reads.
ABSL_DECLARE_FLAG(std::string, state);
ABSL_DECLARE_FLAG(std::string, country);
ABSL_DECLARE_FLAG(std::string, request_id);
ABSL_DECLARE_FLAG(std::string, type);
ABSL_DECLARE_FLAG(std::string, consultation);
ABSL_DECLARE_FLAG(std::string, format);
ABSL_DECLARE_FLAG(std::string, title);
ABSL_DECLARE_FLAG(std::string, description);
ABSL_DECLARE_FLAG(std::string, id);
ABSL_DECLARE_FLAG(std::string, body);
ABSL_DECLARE_FLAG(std::string, language);
ABSL_DECLARE_FLAG(std::vector<std::string>, languages);
ABSL_DECLARE_FLAG(std::string, author);
ABSL_DECLARE_FLAG(std::string, reason);
ABSL_DECLARE_FLAG(std::string, output);
ABSL_DECLARE_FLAG(int, limit);
ABSL_DECLARE_FLAG(std::string, name);
ABSL_DECLARE_FLAG(std::string, organisation_type);
ABSL_DECLARE_FLAG(bool, unread);
ABSL_DECLARE_FLAG(std::string, etag);
ABSL_DECLARE_FLAG(std::vector<std::string>, tags);
ABSL_DECLARE_FLAG(std::string, tag);

namespace cdc::cli {

struct Command {
  absl::string_view words;  // e.g. "consultation import"
  // Operands in order, e.g. {"NAME", "FILE"}; all required.
  std::vector<absl::string_view> operands;
  // The flags part of the usage line, e.g. "--closes_at TIME [--opens_at
  // TIME]". Every "--name" in it is a flag the command accepts.
  absl::string_view flags;
  absl::string_view summary;  // one line for `cdc help`
  // Runs the command with its operands; the connection flags are in `cli`,
  // its own flags are read with absl::GetFlag.
  absl::Status (*run)(Cli& cli, const std::vector<std::string>& operands);
};

// The rows of each group of commands.
std::vector<Command> ConsultationCommands();
std::vector<Command> CommentCommands();  // and `export`
std::vector<Command> MemberCommands();
// `notification ...`, `follow`, `unfollow`, `follows` and `events`.
std::vector<Command> NotificationCommands();
// `space ...`, `topic ...`, `conversation ...`, `block`, `unblock`,
// `blocked` and `search`.
std::vector<Command> CommunityCommands();
// `resource ...` and `initiative ...`.
std::vector<Command> LibraryCommands();

// Comments as the community uses them (comment_commands.cc): its topics'
// posts and its conversations' messages are comments on them.
//
// Creates a comment on `target` from --body (required), --language and
// --request_id, and prints it.
absl::Status PostComment(Cli& cli, const std::string& target);
// Replies to the comment named by `operand` (comments/<id> or <id>) from
// the same flags, and prints the reply.
absl::Status ReplyToComment(Cli& cli, absl::string_view operand);
// Prints every comment on `target` the caller may read, oldest first.
absl::Status ListCommentsOn(Cli& cli, const std::string& target);

// Every command, in the order `cdc help` lists them.
const std::vector<Command>& Commands();

// "cdc consultation import NAME FILE [--validate_only]".
std::string Usage(const Command& command);
// The names of the "--name" flags in a usage line: the flags a command
// accepts.
std::set<std::string> FlagsIn(absl::string_view usage);
// The text of `cdc help` (and of --help): every usage line and summary, and
// the connection flags.
std::string HelpText();

struct Invocation {
  const Command* command;             // from Commands()
  std::vector<std::string> operands;  // as many as command->operands
};

// Finds the command named by the positional arguments (`args[0]` is the
// program) and checks its operands, and that every flag in `flags_given`
// is a connection flag, one of the command's, or not a command's flag at
// all (absl's own, such as --helpfull), and that no command flag is given
// twice (absl would keep the last; lists are one comma-separated value).
// Usage error otherwise.
absl::StatusOr<Invocation> Resolve(const std::vector<std::string>& args,
                                   const std::vector<std::string>& flags_given);

}  // namespace cdc::cli
