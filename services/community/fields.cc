#include "services/community/fields.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/common/status_macros.h"

namespace cdc::community {
namespace {

// A host name or address literal, optionally with a port.
bool IsHostAndPort(absl::string_view authority) {
  absl::string_view host = authority;
  absl::string_view port;
  if (absl::StartsWith(authority, "[")) {
    const size_t close = authority.find(']');
    if (close == absl::string_view::npos || close == 1) return false;
    for (char c : authority.substr(1, close - 1)) {
      if (!absl::ascii_isxdigit(c) && c != ':' && c != '.') return false;
    }
    const absl::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return false;
      port = rest.substr(1);
      if (port.empty()) return false;
    }
    host = "";
  } else if (const size_t colon = authority.rfind(':');
             colon != absl::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (port.empty()) return false;
  }
  if (!port.empty()) {
    if (port.size() > 5) return false;
    int value = 0;
    for (char c : port) {
      if (!absl::ascii_isdigit(c)) return false;
      value = value * 10 + (c - '0');
    }
    if (value < 1 || value > 65535) return false;
  }
  if (absl::StartsWith(authority, "[")) return true;
  if (host.empty()) return false;
  if (host.back() == '.') host.remove_suffix(1);  // a fully qualified name
  for (absl::string_view label : absl::StrSplit(host, '.')) {
    if (label.empty() || label.size() > 63 || label.front() == '-' ||
        label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!absl::ascii_isalnum(c) && c != '-') return false;
    }
  }
  return true;
}

}  // namespace

std::string IdOf(absl::string_view name) {
  return std::string(name.substr(name.rfind('/') + 1));
}

absl::Status Invalid(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
}

absl::Status NotFound(absl::string_view name) {
  return absl::NotFoundError(absl::StrCat(name, " does not exist"));
}

absl::Status StaleEtag(absl::string_view name) {
  return absl::AbortedError(
      absl::StrCat("etag: ", name,
                   " was changed since you read it; read it again and retry"));
}

std::string Indexed(absl::string_view field, int i) {
  return absl::StrCat(field, "[", i, "]");
}

bool IsSecretariat(const v1::Principal& p) {
  return p.role() == v1::ROLE_SECRETARIAT;
}

absl::Status CheckHttpUrl(absl::string_view field, absl::string_view url) {
  constexpr absl::string_view kShape =
      "must be an absolute http or https URL like https://example.org/guide";
  if (url.empty()) return Invalid(field, "is required");
  if (url.size() > kMaxUrl) {
    return Invalid(field, absl::StrCat("must be at most ", kMaxUrl,
                                       " characters (got ", url.size(), ")"));
  }
  for (unsigned char c : url) {
    if (c <= 0x20 || c >= 0x7F) {
      return Invalid(field,
                     "must not contain spaces, control or non-ASCII "
                     "characters (percent-encode them)");
    }
  }
  const size_t separator = url.find("://");
  if (separator == absl::string_view::npos) return Invalid(field, kShape);
  const std::string scheme = absl::AsciiStrToLower(url.substr(0, separator));
  if (scheme != "http" && scheme != "https") return Invalid(field, kShape);
  absl::string_view rest = url.substr(separator + 3);
  const absl::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.find('@') != absl::string_view::npos) {
    return Invalid(field, "must not carry a user name or password");
  }
  if (!IsHostAndPort(authority)) {
    return Invalid(field, absl::StrCat(kShape, " (the host is not valid)"));
  }
  return absl::OkStatus();
}

absl::Status CheckCount(absl::string_view field, int count, int min, int max,
                        absl::string_view what) {
  if (count < min) {
    return Invalid(field, absl::StrCat("needs at least ", min, " ", what));
  }
  if (count > max) {
    return Invalid(field, absl::StrCat("holds at most ", max, " ", what,
                                       " (got ", count, ")"));
  }
  return absl::OkStatus();
}

// `value` was not seen before in its list.
absl::Status CheckDistinct(absl::string_view field, int i,
                           const std::string& value,
                           std::set<std::string>* seen) {
  if (!seen->insert(value).second) {
    return Invalid(
        Indexed(field, i),
        absl::StrCat("repeats \"", value, "\"; each must be distinct"));
  }
  return absl::OkStatus();
}

absl::Status CheckTag(absl::string_view field, absl::string_view tag) {
  if (tag.empty() || tag.size() > kMaxTagLength) {
    return Invalid(field, absl::StrCat("must be 1 to ", kMaxTagLength,
                                       " characters of a-z, 0-9 and \"-\""));
  }
  for (char c : tag) {
    if (!(c >= 'a' && c <= 'z') && !absl::ascii_isdigit(c) && c != '-') {
      return Invalid(field, absl::StrCat("must be 1 to ", kMaxTagLength,
                                         " characters of a-z, 0-9 and \"-\""));
    }
  }
  return absl::OkStatus();
}

// Lower-cases the tags, then checks them.
absl::Status NormaliseTags(
    absl::string_view field,
    google::protobuf::RepeatedPtrField<std::string>* tags) {
  CDC_RETURN_IF_ERROR(CheckCount(field, tags->size(), 0, kMaxTags, "tags"));
  std::set<std::string> seen;
  for (int i = 0; i < tags->size(); ++i) {
    std::string& tag = *tags->Mutable(i);
    absl::AsciiStrToLower(&tag);
    CDC_RETURN_IF_ERROR(CheckTag(Indexed(field, i), tag));
    CDC_RETURN_IF_ERROR(CheckDistinct(field, i, tag, &seen));
  }
  return absl::OkStatus();
}

}  // namespace cdc::community
