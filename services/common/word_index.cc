#include "services/common/word_index.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace cdc {
namespace {

// Words too common to tell documents apart, in the Collaborative's working
// languages that use spaces between words (English and French).
const absl::flat_hash_set<std::string>& StopWords() {
  static const auto* words = new absl::flat_hash_set<std::string>{
      "an",   "and", "are", "as",   "at",   "be",  "by",  "for", "from", "has",
      "have", "in",  "is",  "it",   "its",  "of",  "on",  "or",  "that", "the",
      "this", "to",  "was", "were", "with", "au",  "aux", "ce",  "ces",  "dans",
      "de",   "des", "du",  "en",   "est",  "et",  "il",  "la",  "le",   "les",
      "leur", "ou",  "par", "pas",  "pour", "qui", "que", "sa",  "se",   "son",
      "sur",  "un",  "une", "sont", "avec"};
  return *words;
}

// Decodes one code point at `*i` and advances past it; U+FFFD for a bad
// byte (texts are checked as UTF-8 on write, so this is only defensive).
char32_t NextCodePoint(absl::string_view text, size_t* i) {
  const auto byte = [&](size_t k) {
    return static_cast<unsigned char>(text[k]);
  };
  const unsigned char b = byte(*i);
  int length = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : 4;
  if ((b >= 0x80 && b < 0xC0) || *i + length > text.size()) {
    ++*i;
    return 0xFFFD;
  }
  char32_t cp = length == 1   ? b
                : length == 2 ? b & 0x1F
                : length == 3 ? b & 0x0F
                              : b & 0x07;
  for (int k = 1; k < length; ++k) cp = (cp << 6) | (byte(*i + k) & 0x3F);
  *i += length;
  return cp;
}

void AppendUtf8(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// The unaccented ASCII form of letters U+00C0..U+017F ("" for the two
// signs × and ÷ among them), so that "Données" and "donnees" match.
struct Fold {
  char32_t first, last;
  const char* ascii;
};
constexpr Fold kFolds[] = {
    {0xC0, 0xC5, "a"},   {0xC6, 0xC6, "ae"},  {0xC7, 0xC7, "c"},
    {0xC8, 0xCB, "e"},   {0xCC, 0xCF, "i"},   {0xD0, 0xD0, "d"},
    {0xD1, 0xD1, "n"},   {0xD2, 0xD6, "o"},   {0xD7, 0xD7, ""},
    {0xD8, 0xD8, "o"},   {0xD9, 0xDC, "u"},   {0xDD, 0xDD, "y"},
    {0xDE, 0xDE, "th"},  {0xDF, 0xDF, "ss"},  {0xE0, 0xE5, "a"},
    {0xE6, 0xE6, "ae"},  {0xE7, 0xE7, "c"},   {0xE8, 0xEB, "e"},
    {0xEC, 0xEF, "i"},   {0xF0, 0xF0, "d"},   {0xF1, 0xF1, "n"},
    {0xF2, 0xF6, "o"},   {0xF7, 0xF7, ""},    {0xF8, 0xF8, "o"},
    {0xF9, 0xFC, "u"},   {0xFD, 0xFD, "y"},   {0xFE, 0xFE, "th"},
    {0xFF, 0xFF, "y"},   {0x100, 0x105, "a"}, {0x106, 0x10D, "c"},
    {0x10E, 0x111, "d"}, {0x112, 0x11B, "e"}, {0x11C, 0x123, "g"},
    {0x124, 0x127, "h"}, {0x128, 0x131, "i"}, {0x132, 0x133, "ij"},
    {0x134, 0x135, "j"}, {0x136, 0x138, "k"}, {0x139, 0x142, "l"},
    {0x143, 0x14B, "n"}, {0x14C, 0x151, "o"}, {0x152, 0x153, "oe"},
    {0x154, 0x159, "r"}, {0x15A, 0x161, "s"}, {0x162, 0x167, "t"},
    {0x168, 0x173, "u"}, {0x174, 0x175, "w"}, {0x176, 0x178, "y"},
    {0x179, 0x17E, "z"}, {0x17F, 0x17F, "s"},
};

// Code points that end a word outside ASCII: Latin-1 signs, general and
// CJK punctuation, the replacement character.
bool IsSeparator(char32_t cp) {
  return (cp >= 0x80 && cp <= 0xBF) || (cp >= 0x2000 && cp <= 0x206F) ||
         (cp >= 0x3000 && cp <= 0x303F) || (cp >= 0xFF01 && cp <= 0xFF0F) ||
         cp == 0xFFFD || cp == 0xFEFF;
}

// What a code point is to the tokenizer.
enum class Kind {
  kSeparator,  // ends a word
  kIgnored,    // dropped inside a word (Arabic and Hebrew vowel marks)
  kLetter,     // part of a word, appended folded
  kIdeograph,  // Han or kana: words are not separated by spaces
};

bool IsIdeograph(char32_t cp) {
  return (cp >= 0x3040 && cp <= 0x30FF) ||  // hiragana, katakana
         (cp >= 0x3400 && cp <= 0x4DBF) ||  // CJK extension A
         (cp >= 0x4E00 && cp <= 0x9FFF) ||  // CJK unified ideographs
         (cp >= 0xF900 && cp <= 0xFAFF);    // compatibility ideographs
}

// The lower-case, unaccented form of letters of the other scripts the
// Collaborative writes in (Greek, Cyrillic, Armenian, Vietnamese Latin):
// case and accents do not change a word's meaning for search.
char32_t FoldOther(char32_t cp) {
  // Greek: accented vowels to plain, capitals to small, final sigma.
  switch (cp) {
    case 0x386:
    case 0x3AC:
      return 0x3B1;
    case 0x388:
    case 0x3AD:
      return 0x3B5;
    case 0x389:
    case 0x3AE:
      return 0x3B7;
    case 0x38A:
    case 0x3AF:
    case 0x3CA:
    case 0x390:
      return 0x3B9;
    case 0x38C:
    case 0x3CC:
      return 0x3BF;
    case 0x38E:
    case 0x3CD:
    case 0x3CB:
    case 0x3B0:
      return 0x3C5;
    case 0x38F:
    case 0x3CE:
      return 0x3C9;
    case 0x3C2:
      return 0x3C3;
    case 0x401:
    case 0x451:
      return 0x435;  // Cyrillic ё searches as е
    default:
      break;
  }
  if (cp >= 0x391 && cp <= 0x3A9) return cp + 0x20;  // Greek capitals
  if (cp >= 0x410 && cp <= 0x42F) return cp + 0x20;  // Cyrillic capitals
  if (cp >= 0x400 && cp <= 0x40F) return cp + 0x50;  // Cyrillic Ѐ..Џ
  if (cp >= 0x460 && cp <= 0x4FF && cp % 2 == 0 &&   // Cyrillic pairs
      !(cp >= 0x482 && cp <= 0x489) && cp != 0x4C0) {
    return cp + 1;
  }
  if (cp >= 0x531 && cp <= 0x556) return cp + 0x30;  // Armenian capitals
  return cp;
}

// Vietnamese letters (Latin Extended Additional, and ơ ư) to ASCII.
const char* FoldVietnamese(char32_t cp) {
  if (cp == 0x1A0 || cp == 0x1A1) return "o";
  if (cp == 0x1AF || cp == 0x1B0) return "u";
  if (cp >= 0x1EA0 && cp <= 0x1EB7) return "a";
  if (cp >= 0x1EB8 && cp <= 0x1EC7) return "e";
  if (cp >= 0x1EC8 && cp <= 0x1ECB) return "i";
  if (cp >= 0x1ECC && cp <= 0x1EE3) return "o";
  if (cp >= 0x1EE4 && cp <= 0x1EF1) return "u";
  if (cp >= 0x1EF2 && cp <= 0x1EF9) return "y";
  return nullptr;
}

// Classifies `cp` and, for a letter, appends its folded form to `word`.
Kind Classify(char32_t cp, std::string* word) {
  if (cp < 0x80) {
    const char c = static_cast<char>(cp);
    if (c >= 'A' && c <= 'Z') {
      word->push_back(static_cast<char>(c - 'A' + 'a'));
      return Kind::kLetter;
    }
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      word->push_back(c);
      return Kind::kLetter;
    }
    return Kind::kSeparator;
  }
  if (IsSeparator(cp)) return Kind::kSeparator;
  if ((cp >= 0x64B && cp <= 0x65F) || cp == 0x670 || cp == 0x640 ||
      (cp >= 0x591 && cp <= 0x5C7)) {
    return Kind::kIgnored;  // harakat, tatweel, Hebrew points
  }
  if (IsIdeograph(cp)) return Kind::kIdeograph;
  for (const Fold& fold : kFolds) {
    if (cp >= fold.first && cp <= fold.last) {
      if (*fold.ascii == '\0') return Kind::kSeparator;
      word->append(fold.ascii);
      return Kind::kLetter;
    }
  }
  if (const char* ascii = FoldVietnamese(cp)) {
    word->append(ascii);
    return Kind::kLetter;
  }
  AppendUtf8(FoldOther(cp), word);
  return Kind::kLetter;
}

struct Token {
  std::string word;        // folded
  size_t begin = 0;        // byte offset in the text
  size_t end = 0;          // byte offset just past it
  size_t letters = 0;      // code points in the text
  bool ideograph = false;  // from a run of Han or kana
};

// Every word of `text` with its place, stop words included. Runs of Han
// or kana, written without spaces, become their overlapping pairs of
// characters ("人口普查" -> 人口, 口普, 普查), the usual way to search such
// text without a dictionary; a lone character is its own word.
std::vector<Token> Tokens(absl::string_view text) {
  std::vector<Token> tokens;
  Token current;
  // The ideograph run being read: each character's text and offset.
  std::vector<std::pair<std::string, size_t>> run;
  const auto finish = [&](size_t at) {
    if (!current.word.empty()) {
      current.end = at;
      tokens.push_back(std::move(current));
    }
    current = Token();
  };
  const auto finish_run = [&](size_t at) {
    for (size_t k = 0; k < run.size(); ++k) {
      if (run.size() > 1 && k + 1 == run.size()) break;
      Token pair;
      pair.ideograph = true;
      pair.begin = run[k].second;
      pair.word = run[k].first;
      pair.letters = 1;
      if (k + 1 < run.size()) {
        pair.word += run[k + 1].first;
        pair.letters = 2;
      }
      pair.end = k + 2 < run.size() ? run[k + 2].second : at;
      tokens.push_back(std::move(pair));
    }
    run.clear();
  };
  size_t i = 0;
  while (i < text.size()) {
    const size_t at = i;
    const char32_t cp = NextCodePoint(text, &i);
    std::string folded;
    const Kind kind = Classify(cp, &folded);
    if (kind == Kind::kIdeograph) {
      finish(at);
      run.emplace_back(std::string(text.substr(at, i - at)), at);
      continue;
    }
    if (!run.empty()) finish_run(at);
    if (kind == Kind::kIgnored) continue;
    if (kind == Kind::kSeparator) {
      finish(at);
      continue;
    }
    // Over-long words are cut: the rest of them is skipped.
    if (current.letters >= static_cast<size_t>(kMaxWordLength)) continue;
    if (current.word.empty()) current.begin = at;
    current.word += folded;
    ++current.letters;
  }
  finish(text.size());
  finish_run(text.size());
  return tokens;
}

bool Searchable(const Token& token) {
  if (token.ideograph) return true;
  return token.letters >= 2 && !StopWords().contains(token.word);
}

// Scores every document of one prefix that holds all the words (ARGV[3..]):
// ZINTER of the words' sets, each weighted by its idf. Answers
// {total, doc, score, doc, score, ...} with the best ARGV[2] documents.
constexpr char kSearchLua[] = R"lua(
local prefix, limit = ARGV[1], tonumber(ARGV[2])
local n = tonumber(redis.call('GET', prefix .. 'n') or '0')
local zinter = {'ZINTER', #ARGV - 2}
local weights = {'WEIGHTS'}
for i = 3, #ARGV do
  local key = prefix .. 'w:' .. ARGV[i]
  local df = redis.call('ZCARD', key)
  if df == 0 then return {0} end
  zinter[#zinter + 1] = key
  weights[#weights + 1] = string.format('%.17g', math.log(1 + n / df))
end
for _, w in ipairs(weights) do zinter[#zinter + 1] = w end
zinter[#zinter + 1] = 'WITHSCORES'
local flat = redis.call(unpack(zinter))
local hits = {}
for i = 1, #flat, 2 do
  hits[#hits + 1] = {flat[i], tonumber(flat[i + 1])}
end
table.sort(hits, function(a, b)
  if a[2] ~= b[2] then return a[2] > b[2] end
  return a[1] < b[1]
end)
local out = {#hits}
for i = 1, math.min(limit, #hits) do
  out[#out + 1] = hits[i][1]
  out[#out + 1] = string.format('%.17g', hits[i][2])
end
return out
)lua";

const RedisScript& SearchScript() {
  static const auto* script = new RedisScript(kSearchLua);
  return *script;
}

absl::StatusOr<WordMatches> ToMatches(const RedisReply& reply) {
  if (reply.type != RedisReply::Type::kArray || reply.elements.empty() ||
      reply.elements.size() % 2 != 1) {
    return absl::InternalError("word index: unexpected search reply");
  }
  WordMatches matches;
  matches.total = reply.elements[0].integer;
  for (size_t i = 1; i + 1 < reply.elements.size(); i += 2) {
    WordMatch match{reply.elements[i].str, 0};
    if (!absl::SimpleAtod(reply.elements[i + 1].str, &match.score)) {
      return absl::InternalError("word index: unexpected score");
    }
    matches.best.push_back(std::move(match));
  }
  return matches;
}

}  // namespace

const char kWordIndexLua[] = R"lua(
local function index_drop(prefix, doc)
  local dkey = prefix .. 'd:' .. doc
  local words = redis.call('SMEMBERS', dkey)
  if #words == 0 then return end
  for _, w in ipairs(words) do
    redis.call('ZREM', prefix .. 'w:' .. w, doc)
  end
  redis.call('DEL', dkey)
  redis.call('DECR', prefix .. 'n')
end
local function index_put(prefix, doc, first)
  index_drop(prefix, doc)
  local count = tonumber(ARGV[first])
  local dkey = prefix .. 'd:' .. doc
  for i = 0, count - 1 do
    local w = ARGV[first + 1 + 2 * i]
    redis.call('ZADD', prefix .. 'w:' .. w, ARGV[first + 2 + 2 * i], doc)
    redis.call('SADD', dkey, w)
  end
  if count > 0 then redis.call('INCR', prefix .. 'n') end
  return first + 1 + 2 * count
end
)lua";

std::vector<std::string> Words(absl::string_view text) {
  std::vector<std::string> words;
  for (Token& token : Tokens(text)) {
    if (Searchable(token)) words.push_back(std::move(token.word));
  }
  return words;
}

absl::StatusOr<std::vector<std::string>> QueryWords(absl::string_view field,
                                                    absl::string_view query) {
  std::vector<std::string> words;
  absl::flat_hash_set<std::string> seen;
  for (std::string& word : Words(query)) {
    if (seen.insert(word).second) words.push_back(std::move(word));
  }
  if (words.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        field,
        ": holds no word to search for (words of two or more letters that "
        "are not as common as \"the\" or \"de\")"));
  }
  if (words.size() > static_cast<size_t>(kMaxQueryWords)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": has ", words.size(), " words; at most ",
                     kMaxQueryWords, " are searched"));
  }
  return words;
}

TermWeights DocumentTerms(std::initializer_list<WeightedText> fields) {
  std::map<std::string, double> terms;
  for (const WeightedText& field : fields) {
    std::map<std::string, int> counts;
    for (std::string& word : Words(field.text)) ++counts[std::move(word)];
    for (const auto& [word, count] : counts) {
      terms[word] += field.weight * (1.0 + std::log(count));
    }
  }
  return TermWeights(terms.begin(), terms.end());
}

void AppendTermArgs(const TermWeights& terms, std::vector<std::string>* argv) {
  argv->push_back(absl::StrCat(terms.size()));
  for (const auto& [word, weight] : terms) {
    argv->push_back(word);
    argv->push_back(absl::StrFormat("%.6g", weight));
  }
}

absl::StatusOr<WordMatches> SearchWords(RedisClient& redis,
                                        absl::string_view prefix,
                                        const std::vector<std::string>& words,
                                        int limit) {
  absl::StatusOr<std::vector<WordMatches>> all =
      SearchWordsMany(redis, {std::string(prefix)}, words, limit);
  if (!all.ok()) return all.status();
  return std::move(all->front());
}

absl::StatusOr<std::vector<WordMatches>> SearchWordsMany(
    RedisClient& redis, const std::vector<std::string>& prefixes,
    const std::vector<std::string>& words, int limit) {
  if (words.empty()) return absl::InvalidArgumentError("no words to search");
  std::vector<RedisClient::ScriptCall> calls;
  for (const std::string& prefix : prefixes) {
    RedisClient::ScriptCall call;
    call.args = {prefix, absl::StrCat(std::max(limit, 0))};
    call.args.insert(call.args.end(), words.begin(), words.end());
    calls.push_back(std::move(call));
  }
  absl::StatusOr<std::vector<absl::StatusOr<RedisReply>>> replies =
      redis.EvalMany(SearchScript(), calls);
  if (!replies.ok()) return replies.status();
  std::vector<WordMatches> out;
  for (absl::StatusOr<RedisReply>& reply : *replies) {
    if (!reply.ok()) return reply.status();
    absl::StatusOr<WordMatches> matches = ToMatches(*reply);
    if (!matches.ok()) return matches.status();
    out.push_back(*std::move(matches));
  }
  return out;
}

std::string Snippet(absl::string_view text,
                    const std::vector<std::string>& words, size_t max_chars) {
  // Plain text: Markdown marks and line breaks become spaces, runs of
  // spaces one space.
  std::string plain;
  bool space = true;
  for (char c : text) {
    const bool blank = c == '\n' || c == '\r' || c == '\t' || c == ' ' ||
                       c == '*' || c == '_' || c == '#' || c == '`' ||
                       c == '>' || c == '[' || c == ']';
    if (blank) {
      if (!space) plain.push_back(' ');
      space = true;
    } else {
      plain.push_back(c);
      space = false;
    }
  }
  while (!plain.empty() && plain.back() == ' ') plain.pop_back();

  // Where the first query word occurs (a word that starts with it counts).
  size_t hit = 0;
  for (const Token& token : Tokens(plain)) {
    const bool match =
        std::any_of(words.begin(), words.end(), [&](const std::string& w) {
          return absl::string_view(token.word).substr(0, w.size()) == w;
        });
    if (match) {
      hit = token.begin;
      break;
    }
  }

  // Code point offsets of every byte that starts one.
  std::vector<size_t> starts;
  for (size_t i = 0; i < plain.size();) {
    starts.push_back(i);
    NextCodePoint(plain, &i);
  }
  if (starts.size() <= max_chars) return plain;
  const size_t hit_index =
      std::lower_bound(starts.begin(), starts.end(), hit) - starts.begin();
  // Begin a third of the window before the word, at a word boundary.
  const size_t budget = max_chars - 2;  // room for the two ellipses
  size_t first = hit_index > budget / 3 ? hit_index - budget / 3 : 0;
  if (first + budget > starts.size()) first = starts.size() - budget;
  while (first > 0 && first < hit_index && plain[starts[first - 1]] != ' ') {
    ++first;
  }
  const size_t last = std::min(starts.size(), first + budget);
  const size_t begin_byte = starts[first];
  const size_t end_byte = last < starts.size() ? starts[last] : plain.size();
  std::string out;
  if (first > 0) out.append("…");
  out.append(plain, begin_byte, end_byte - begin_byte);
  if (last < starts.size()) out.append("…");
  return out;
}

}  // namespace cdc
