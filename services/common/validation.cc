#include "services/common/validation.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/common/countries.h"

namespace cdc {
namespace {

absl::Status Invalid(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
}

bool IsAlpha(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isalpha(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool IsAlnum(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<size_t> CodePointCount(absl::string_view text) {
  size_t count = 0;
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char lead = text[i];
    size_t length;
    uint32_t code_point;
    if (lead < 0x80) {
      length = 1;
      code_point = lead;
    } else if ((lead & 0xE0) == 0xC0) {
      length = 2;
      code_point = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3;
      code_point = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4;
      code_point = lead & 0x07;
    } else {
      return absl::InvalidArgumentError("invalid UTF-8");
    }
    if (i + length > text.size()) {
      return absl::InvalidArgumentError("invalid UTF-8");
    }
    for (size_t k = 1; k < length; ++k) {
      const unsigned char next = text[i + k];
      if ((next & 0xC0) != 0x80) {
        return absl::InvalidArgumentError("invalid UTF-8");
      }
      code_point = (code_point << 6) | (next & 0x3F);
    }
    static constexpr uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code_point < kMinForLength[length] || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      return absl::InvalidArgumentError("invalid UTF-8");
    }
    i += length;
    ++count;
  }
  return count;
}

absl::Status CheckText(absl::string_view field, absl::string_view value,
                       size_t min, size_t max, TextKind kind) {
  absl::StatusOr<size_t> count = CodePointCount(value);
  if (!count.ok()) return Invalid(field, "must be valid UTF-8");
  if (*count < min) {
    return Invalid(field, min == 1 ? "is required"
                                   : absl::StrCat("must be at least ", min,
                                                  " characters"));
  }
  if (*count > max) {
    return Invalid(field, absl::StrCat("must be at most ", max,
                                       " characters (got ", *count, ")"));
  }
  bool blank = true;
  unsigned char previous = 0;
  for (unsigned char c : value) {
    const bool allowed_space =
        kind == TextKind::kMultiLine && (c == '\n' || c == '\t' || c == '\r');
    // The C1 controls U+0080..U+009F (NEL, CSI, ...) are 0xC2 0x80..0x9F in
    // UTF-8, which is known valid by now.
    const bool c1_control = previous == 0xC2 && c >= 0x80 && c <= 0x9F;
    if (((c < 0x20 || c == 0x7F) && !allowed_space) || c1_control) {
      return Invalid(field, "must not contain control characters");
    }
    if (!absl::ascii_isspace(c)) blank = false;
    previous = c;
  }
  if (min > 0 && blank) return Invalid(field, "must not be blank");
  return absl::OkStatus();
}

absl::Status CheckEmail(absl::string_view field, absl::string_view value) {
  constexpr absl::string_view kShape =
      "must be an email address like name@example.org";
  if (value.size() < 3 || value.size() > 254) return Invalid(field, kShape);
  const size_t at = value.find('@');
  if (at == absl::string_view::npos || at == 0 || at > 64 ||
      value.find('@', at + 1) != absl::string_view::npos) {
    return Invalid(field, kShape);
  }
  for (unsigned char c : value.substr(0, at)) {
    if (c <= 0x20 || c >= 0x7F || c == '"' || c == '(' || c == ')' ||
        c == ',' || c == ':' || c == ';' || c == '<' || c == '>' || c == '[' ||
        c == '\\' || c == ']') {
      return Invalid(field, kShape);
    }
  }
  const absl::string_view domain = value.substr(at + 1);
  std::vector<absl::string_view> labels = absl::StrSplit(domain, '.');
  if (labels.size() < 2) return Invalid(field, kShape);
  for (absl::string_view label : labels) {
    if (label.empty() || label.size() > 63 || label.front() == '-' ||
        label.back() == '-') {
      return Invalid(field, kShape);
    }
    for (unsigned char c : label) {
      if (!absl::ascii_isalnum(c) && c != '-') return Invalid(field, kShape);
    }
  }
  return absl::OkStatus();
}

std::string CanonicalEmail(absl::string_view email) {
  return absl::AsciiStrToLower(email);
}

absl::Status CheckCountry(absl::string_view field, absl::string_view value) {
  if (value.empty()) return Invalid(field, "is required");
  if (!IsCountryCode(value)) {
    return Invalid(field,
                   "must be an ISO 3166-1 alpha-3 country code in upper "
                   "case, like KEN or FRA");
  }
  return absl::OkStatus();
}

absl::Status CheckLanguageTag(absl::string_view field,
                              absl::string_view value) {
  // RFC 5646 "langtag" shape: language (2-3 or 5-8 letters) followed by
  // subtags of 1-8 letters or digits. Private-use and grandfathered tags
  // are not needed for people's working languages.
  constexpr absl::string_view kShape =
      "must be a BCP 47 language tag like en, fr-CA or zh-Hant";
  if (value.empty() || value.size() > 35) return Invalid(field, kShape);
  std::vector<absl::string_view> subtags = absl::StrSplit(value, '-');
  const absl::string_view language = subtags.front();
  if (!IsAlpha(language) || language.size() < 2 || language.size() == 4 ||
      language.size() > 8) {
    return Invalid(field, kShape);
  }
  for (size_t i = 1; i < subtags.size(); ++i) {
    if (subtags[i].empty() || subtags[i].size() > 8 || !IsAlnum(subtags[i])) {
      return Invalid(field, kShape);
    }
  }
  return absl::OkStatus();
}

absl::Status CheckRequestId(absl::string_view field, absl::string_view value) {
  if (value.size() > 64) return Invalid(field, "must be at most 64 characters");
  for (unsigned char c : value) {
    if (c <= 0x20 || c >= 0x7F) {
      return Invalid(field, "must be printable ASCII without spaces");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ParseResourceId(absl::string_view field,
                                            absl::string_view name,
                                            absl::string_view collection) {
  const std::string prefix = absl::StrCat(collection, "/");
  const auto shape = [&] {
    return Invalid(
        field, absl::StrCat("must be a resource name like ", prefix, "{id}"));
  };
  if (!absl::StartsWith(name, prefix)) return shape();
  const absl::string_view id = name.substr(prefix.size());
  if (id.empty() || id.size() > 64) return shape();
  for (unsigned char c : id) {
    if (!absl::ascii_isdigit(c) && !(c >= 'a' && c <= 'z') && c != '-') {
      return shape();
    }
  }
  return std::string(id);
}

absl::StatusOr<std::vector<std::string>> DistinctPaths(
    const google::protobuf::FieldMask& mask, size_t max_paths) {
  if (mask.paths().empty()) {
    return Invalid("update_mask", "must name the fields to update");
  }
  if (static_cast<size_t>(mask.paths_size()) > max_paths) {
    return Invalid("update_mask",
                   absl::StrCat("names at most ", max_paths, " paths"));
  }
  std::vector<std::string> paths;
  for (const std::string& path : mask.paths()) {
    if (std::find(paths.begin(), paths.end(), path) == paths.end()) {
      paths.push_back(path);
    }
  }
  return paths;
}

absl::StatusOr<int> CheckPageSize(int page_size, int default_size,
                                  int max_size) {
  if (page_size < 0) return Invalid("page_size", "must not be negative");
  if (page_size == 0) return default_size;
  return page_size > max_size ? max_size : page_size;
}

}  // namespace cdc
