#include "services/consultations/markdown.h"

#include <array>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "services/common/crypto.h"
#include "services/common/status_macros.h"
#include "services/common/validation.h"

namespace cdc::consultations {
namespace {

constexpr absl::string_view kBom = "\xEF\xBB\xBF";
constexpr size_t kMaxKeyLength = 64;

absl::Status DraftError(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("markdown: ", what));
}

absl::Status LineError(int line, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("markdown: line ", line, ": ", what));
}

// Splits on LF, CRLF and lone CR. A final line ending does not start another
// line, so "a\n" is one line, as an editor shows it.
std::vector<absl::string_view> SplitLines(absl::string_view text) {
  std::vector<absl::string_view> lines;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\n' && text[i] != '\r') continue;
    lines.push_back(text.substr(start, i - start));
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
    start = i + 1;
  }
  if (start < text.size()) lines.push_back(text.substr(start));
  return lines;
}

bool IsSpaceOrTab(char c) { return c == ' ' || c == '\t'; }

bool IsBlank(absl::string_view line) {
  for (char c : line) {
    if (!absl::ascii_isspace(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Number of leading spaces (not tabs: a tab indents by 4 columns, which
// already makes an indented code block).
size_t Indent(absl::string_view line) {
  size_t n = 0;
  while (n < line.size() && line[n] == ' ') ++n;
  return n;
}

absl::string_view TrimSpacesAndTabs(absl::string_view s) {
  while (!s.empty() && IsSpaceOrTab(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpaceOrTab(s.back())) s.remove_suffix(1);
  return s;
}

struct Fence {
  char marker;    // '`' or '~'
  size_t length;  // at least 3
  int line = 0;   // where it opened
};

// An opening code fence: at most 3 spaces, then 3 or more '`' or '~'. After
// backticks the info string may not contain a backtick (CommonMark), so
// "```inline```" is not a fence.
std::optional<Fence> OpeningFence(absl::string_view line) {
  const size_t indent = Indent(line);
  if (indent > 3) return std::nullopt;
  line.remove_prefix(indent);
  if (line.empty() || (line[0] != '`' && line[0] != '~')) return std::nullopt;
  const char marker = line[0];
  size_t length = 0;
  while (length < line.size() && line[length] == marker) ++length;
  if (length < 3) return std::nullopt;
  if (marker == '`' &&
      line.substr(length).find('`') != absl::string_view::npos) {
    return std::nullopt;
  }
  return Fence{marker, length, 0};
}

// A closing fence: the same marker, at least as long, nothing but white
// space after it.
bool ClosesFence(absl::string_view line, const Fence& fence) {
  const size_t indent = Indent(line);
  if (indent > 3) return false;
  line.remove_prefix(indent);
  size_t length = 0;
  while (length < line.size() && line[length] == fence.marker) ++length;
  return length >= fence.length && IsBlank(line.substr(length));
}

struct AtxHeading {
  int level;                  // 1..6
  absl::string_view content;  // after the '#'s, trimmed; may be empty
};

std::optional<AtxHeading> ParseAtxHeading(absl::string_view line) {
  const size_t indent = Indent(line);
  if (indent > 3) return std::nullopt;
  line.remove_prefix(indent);
  size_t level = 0;
  while (level < line.size() && line[level] == '#') ++level;
  if (level < 1 || level > 6) return std::nullopt;
  if (level < line.size() && !IsSpaceOrTab(line[level])) return std::nullopt;
  return AtxHeading{static_cast<int>(level),
                    TrimSpacesAndTabs(line.substr(level))};
}

// Why a line that starts like a heading is not one, for the error about
// text before the first heading; "" when it does not look like one.
absl::string_view NotAHeadingHint(absl::string_view line) {
  const size_t indent = Indent(line);
  absl::string_view rest = line.substr(indent);
  if (rest.empty() || rest[0] != '#') return "";
  if (indent > 3) return " (a heading is indented by at most 3 spaces)";
  size_t level = 0;
  while (level < rest.size() && rest[level] == '#') ++level;
  if (level > 6) return " (a heading has at most 6 '#')";
  return " (a heading needs a space after its '#')";
}

// Drops an optional closing sequence: a run of '#' that is the whole content
// or follows a space or tab (so "C#" keeps its '#').
absl::string_view StripClosingSequence(absl::string_view content) {
  size_t end = content.size();
  while (end > 0 && content[end - 1] == '#') --end;
  if (end == content.size()) return content;
  if (end == 0) return "";
  if (!IsSpaceOrTab(content[end - 1])) return content;
  return TrimSpacesAndTabs(content.substr(0, end));
}

bool IsKeyChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

bool IsValidKey(absl::string_view key) {
  if (key.empty() || key.size() > kMaxKeyLength || key[0] == '-') {
    return false;
  }
  for (char c : key) {
    if (!IsKeyChar(c)) return false;
  }
  return true;
}

struct Title {
  std::string text;
  std::string key;  // from the anchor; empty without one
};

// Splits heading content into title and anchor. Content that ends with '}'
// and contains "{#" is taken as an anchor attempt: a key that breaks the
// rules is an error rather than text, so that a typo never silently changes
// which key (and so which comments) a section has. Both "Title {#key} ##"
// and Pandoc's "Title ## {#key}" are read.
absl::StatusOr<Title> SplitTitle(int line, absl::string_view content) {
  content = StripClosingSequence(content);
  Title title;
  if (!content.empty() && content.back() == '}') {
    const size_t open = content.rfind("{#");
    if (open != absl::string_view::npos) {
      const absl::string_view key =
          content.substr(open + 2, content.size() - open - 3);
      if (!IsValidKey(key)) {
        return LineError(
            line,
            absl::StrCat("anchor \"", content.substr(open),
                         "\" is malformed; a key is 1..64 characters of a-z, "
                         "0-9 and \"-\", starting with a letter or digit"));
      }
      title.key = std::string(key);
      content =
          StripClosingSequence(TrimSpacesAndTabs(content.substr(0, open)));
    }
  }
  title.text = std::string(content);
  return title;
}

bool IsSetextUnderline(absl::string_view line) {
  const size_t indent = Indent(line);
  if (indent > 3) return false;
  line = TrimSpacesAndTabs(line.substr(indent));
  if (line.empty() || (line[0] != '=' && line[0] != '-')) return false;
  for (char c : line) {
    if (c != line[0]) return false;
  }
  return true;
}

// "---", "***", "_ _ _": three or more of one of those characters, spaces
// and tabs between them allowed.
bool IsThematicBreak(absl::string_view line) {
  const size_t indent = Indent(line);
  if (indent > 3) return false;
  line.remove_prefix(indent);
  if (line.empty() || (line[0] != '-' && line[0] != '*' && line[0] != '_')) {
    return false;
  }
  size_t count = 0;
  for (char c : line) {
    if (c == line[0]) {
      ++count;
    } else if (!IsSpaceOrTab(c)) {
      return false;
    }
  }
  return count >= 3;
}

// Whether a setext underline below `line` would make it a heading in
// CommonMark: paragraph text, not a thematic break, list item or block quote
// (under those "---" is a thematic break of its own).
bool CanBeSetextText(absl::string_view line) {
  const size_t indent = Indent(line);
  if (indent > 3 || IsThematicBreak(line)) return false;
  line.remove_prefix(indent);
  if (line.empty() || line[0] == '>') return false;
  const auto marker_ends_item = [&](size_t after) {
    return after == line.size() || IsSpaceOrTab(line[after]);
  };
  if ((line[0] == '-' || line[0] == '+' || line[0] == '*') &&
      marker_ends_item(1)) {
    return false;
  }
  size_t digits = 0;
  while (digits < line.size() && digits < 9 &&
         absl::ascii_isdigit(static_cast<unsigned char>(line[digits]))) {
    ++digits;
  }
  if (digits > 0 && digits < line.size() &&
      (line[digits] == '.' || line[digits] == ')') &&
      marker_ends_item(digits + 1)) {
    return false;
  }
  return true;
}

absl::StatusOr<size_t> CodePoints(int line, absl::string_view text) {
  absl::StatusOr<size_t> count = CodePointCount(text);
  if (!count.ok()) return LineError(line, "not valid UTF-8");
  return *count;
}

// Base letters of U+00C0..U+017F (Latin-1 Supplement letters and Latin
// Extended-A), one row of 16 per line; "" for the two symbols among them,
// U+00D7 (multiplication sign) and U+00F7 (division sign).
constexpr char32_t kFoldFirst = 0xC0;
// clang-format off
constexpr std::array<const char*, 0x180 - 0xC0> kFold = {
  "a","a","a","a","a","a","ae","c","e","e","e","e","i","i","i","i",    // C0
  "d","n","o","o","o","o","o","","o","u","u","u","u","y","th","ss",    // D0
  "a","a","a","a","a","a","ae","c","e","e","e","e","i","i","i","i",    // E0
  "d","n","o","o","o","o","o","","o","u","u","u","u","y","th","y",     // F0
  "a","a","a","a","a","a","c","c","c","c","c","c","c","c","d","d",     // 100
  "d","d","e","e","e","e","e","e","e","e","e","e","g","g","g","g",     // 110
  "g","g","g","g","h","h","h","h","i","i","i","i","i","i","i","i",     // 120
  "i","i","ij","ij","j","j","k","k","k","l","l","l","l","l","l","l",   // 130
  "l","l","l","n","n","n","n","n","n","n","n","n","o","o","o","o",     // 140
  "o","o","oe","oe","r","r","r","r","r","r","s","s","s","s","s","s",   // 150
  "s","s","t","t","t","t","t","t","u","u","u","u","u","u","u","u",     // 160
  "u","u","u","u","w","w","y","y","y","z","z","z","z","z","z","s",     // 170
};
// clang-format on

// What a code point contributes to a slug: its lower-case ASCII letters,
// "" for a combining mark (so that decomposed "e\u0301" folds like "é"), or
// nullopt for a separator.
std::optional<absl::string_view> FoldForSlug(char32_t c) {
  static constexpr absl::string_view kAsciiLower = "abcdefghijklmnopqrstuvwxyz";
  static constexpr absl::string_view kDigits = "0123456789";
  if (c >= 'a' && c <= 'z') return kAsciiLower.substr(c - 'a', 1);
  if (c >= 'A' && c <= 'Z') return kAsciiLower.substr(c - 'A', 1);
  if (c >= '0' && c <= '9') return kDigits.substr(c - '0', 1);
  if (c == 0xAA) return "a";  // ª
  if (c == 0xBA) return "o";  // º
  if (c >= kFoldFirst && c < kFoldFirst + kFold.size()) {
    absl::string_view base = kFold[c - kFoldFirst];
    if (base.empty()) return std::nullopt;
    return base;
  }
  if (c == 0x218 || c == 0x219) return "s";  // Ș ș (Romanian)
  if (c == 0x21A || c == 0x21B) return "t";  // Ț ț (Romanian)
  if (c >= 0x300 && c <= 0x36F) return "";   // combining diacritical marks
  return std::nullopt;
}

// Decodes the code point at `*i` and advances past it; a byte that does not
// start a well-formed sequence decodes as U+FFFD on its own. (ParseDraft
// has checked its titles; SlugKey is public and must not trust its input.)
char32_t NextCodePoint(absl::string_view s, size_t* i) {
  const unsigned char lead = s[*i];
  size_t length = 1;
  char32_t c = lead;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    c = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    c = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    c = lead & 0x07;
  } else if (lead >= 0x80) {
    ++*i;
    return 0xFFFD;
  }
  if (*i + length > s.size()) {
    ++*i;
    return 0xFFFD;
  }
  for (size_t k = 1; k < length; ++k) {
    const unsigned char next = s[*i + k];
    if ((next & 0xC0) != 0x80) {
      ++*i;
      return 0xFFFD;
    }
    c = (c << 6) | (next & 0x3F);
  }
  *i += length;
  return c;
}

}  // namespace

std::string SlugKey(absl::string_view title) {
  std::string slug;
  bool pending_dash = false;  // a separator run since the last letter
  size_t i = 0;
  while (i < title.size() && slug.size() < kMaxKeyLength) {
    const std::optional<absl::string_view> folded =
        FoldForSlug(NextCodePoint(title, &i));
    if (!folded.has_value()) {
      pending_dash = !slug.empty();
      continue;
    }
    if (folded->empty()) continue;
    if (pending_dash) slug.push_back('-');
    pending_dash = false;
    slug.append(folded->data(), folded->size());
  }
  if (slug.size() > kMaxKeyLength) slug.resize(kMaxKeyLength);
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  if (slug.empty()) {
    return absl::StrCat("s-", HexEncode(Sha256(title)).substr(0, 12));
  }
  return slug;
}

namespace {

// Builds the sections while the lines are read; the one open section's text
// is collected as line views and checked when the next heading closes it.
class DraftBuilder final {
 public:
  explicit DraftBuilder(const DraftLimits& limits) : limits_(limits) {}

  bool has_section() const { return !draft_.sections.empty(); }

  absl::Status AddHeading(int line, const AtxHeading& heading) {
    CDC_RETURN_IF_ERROR(CloseSection());
    if (draft_.sections.size() >= limits_.max_sections) {
      return LineError(line, absl::StrCat("a draft has at most ",
                                          limits_.max_sections, " sections"));
    }
    CDC_ASSIGN_OR_RETURN(Title title, SplitTitle(line, heading.content));
    if (title.text.empty()) return LineError(line, "the heading has no title");
    CDC_ASSIGN_OR_RETURN(const size_t title_length,
                         CodePoints(line, title.text));
    if (title_length > limits_.max_title) {
      return LineError(
          line, absl::StrCat("the title is ", title_length,
                             " characters; the limit is ", limits_.max_title));
    }
    std::string key =
        title.key.empty() ? SlugKey(title.text) : std::move(title.key);
    const auto [used, inserted] = key_lines_.try_emplace(key, line);
    if (!inserted) {
      return LineError(
          line, absl::StrCat("key \"", key,
                             "\" is already used by the heading on line ",
                             used->second));
    }

    if (!draft_.sections.empty() && heading.level > previous_level_ + 1) {
      draft_.warnings.push_back(
          absl::StrCat("line ", line, ": heading level jumps from ",
                       previous_level_, " to ", heading.level));
    }
    previous_level_ = heading.level;
    while (!open_.empty() && open_.back().first >= heading.level) {
      open_.pop_back();
    }

    ParsedSection& section = draft_.sections.emplace_back();
    section.key = key;
    section.parent_key = open_.empty() ? "" : open_.back().second;
    section.level = heading.level;
    section.order = static_cast<int>(draft_.sections.size()) - 1;
    section.title = std::move(title.text);
    section.line = line;
    open_.emplace_back(heading.level, std::move(key));
    return absl::OkStatus();
  }

  // Lines before the first heading (blank ones: others are refused) belong
  // to no section.
  void AddTextLine(absl::string_view line) {
    if (has_section()) text_.push_back(line);
  }

  void Warn(int line, absl::string_view what) {
    draft_.warnings.push_back(absl::StrCat("line ", line, ": ", what));
  }

  absl::StatusOr<ParsedDraft> Finish() && {
    CDC_RETURN_IF_ERROR(CloseSection());
    return std::move(draft_);
  }

 private:
  // Sets the open section's text from the lines collected since its heading.
  absl::Status CloseSection() {
    if (draft_.sections.empty()) return absl::OkStatus();
    size_t begin = 0;
    size_t end = text_.size();
    while (begin < end && IsBlank(text_[begin])) ++begin;
    while (end > begin && IsBlank(text_[end - 1])) --end;
    ParsedSection& section = draft_.sections.back();
    section.text =
        absl::StrJoin(text_.begin() + begin, text_.begin() + end, "\n");
    text_.clear();
    CDC_ASSIGN_OR_RETURN(const size_t length,
                         CodePoints(section.line, section.text));
    if (length > limits_.max_text) {
      return LineError(
          section.line,
          absl::StrCat("the text of section \"", section.key, "\" is ", length,
                       " characters; the limit is ", limits_.max_text));
    }
    return absl::OkStatus();
  }

  const DraftLimits& limits_;
  ParsedDraft draft_;
  std::vector<absl::string_view> text_;  // the open section's lines so far
  absl::flat_hash_map<std::string, int> key_lines_;  // key -> heading line
  std::vector<std::pair<int, std::string>> open_;    // (level, key) ancestors
  int previous_level_ = 0;
};

}  // namespace

absl::StatusOr<ParsedDraft> ParseDraft(absl::string_view markdown,
                                       const DraftLimits& limits) {
  if (markdown.size() > limits.max_bytes) {
    return DraftError(absl::StrCat("the draft is ", markdown.size(),
                                   " bytes; the limit is ", limits.max_bytes,
                                   " bytes"));
  }
  if (markdown.substr(0, kBom.size()) == kBom) {
    markdown.remove_prefix(kBom.size());
  }
  const std::vector<absl::string_view> lines = SplitLines(markdown);
  // Line endings are ASCII and never inside a multi-byte sequence, so
  // checking line by line finds the same errors and can name the line.
  bool blank = true;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!CodePointCount(lines[i]).ok()) {
      return LineError(static_cast<int>(i) + 1, "not valid UTF-8");
    }
    blank = blank && IsBlank(lines[i]);
  }
  if (blank) return DraftError("the draft is empty");

  DraftBuilder builder(limits);
  std::optional<Fence> fence;  // the open code block's fence
  bool after_text = false;     // the previous line could take an underline
  for (size_t i = 0; i < lines.size(); ++i) {
    const int line = static_cast<int>(i) + 1;
    const absl::string_view text = lines[i];
    if (fence.has_value()) {
      if (ClosesFence(text, *fence)) fence.reset();
      builder.AddTextLine(text);
      continue;
    }
    if (IsBlank(text)) {
      after_text = false;
      builder.AddTextLine(text);
      continue;
    }
    if (std::optional<AtxHeading> heading = ParseAtxHeading(text)) {
      CDC_RETURN_IF_ERROR(builder.AddHeading(line, *heading));
      after_text = false;
      continue;
    }
    if (!builder.has_section()) {
      return LineError(line, absl::StrCat("text before the first heading",
                                          NotAHeadingHint(text),
                                          "; a draft starts with a heading "
                                          "such as \"# Title\""));
    }
    builder.AddTextLine(text);
    fence = OpeningFence(text);
    if (fence.has_value()) {
      fence->line = line;
      after_text = false;
    } else if (after_text && IsSetextUnderline(text)) {
      builder.Warn(line, "setext headings are not sections; use #");
      after_text = false;
    } else {
      after_text = CanBeSetextText(text);
    }
  }
  // CommonMark runs an unclosed code block to the end of the document,
  // where it hides any heading after it: worth a word to the author.
  if (fence.has_value()) {
    builder.Warn(fence->line,
                 "code fence is never closed; everything after it is code");
  }
  return std::move(builder).Finish();
}

}  // namespace cdc::consultations
