#include "services/gateway/transcoder.h"

#include <google/protobuf/duration.pb.h>
#include <google/protobuf/field_mask.pb.h>
#include <google/protobuf/timestamp.pb.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "services/common/log.h"
#include "services/common/status_macros.h"

namespace cdc::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// A field path resolved against a message type: one descriptor per part.
using FieldPath = std::vector<const FieldDescriptor*>;

std::string PathName(const FieldPath& path) {
  return absl::StrJoin(path, ".",
                       [](std::string* out, const FieldDescriptor* field) {
                         out->append(field->name());
                       });
}

google::protobuf::StringPiece ToPiece(absl::string_view text) {
  return google::protobuf::StringPiece(text.data(), text.size());
}

// Resolves "a.b.c" in `type`: every part but the last must be a singular
// message field. With `json_names`, a part may also be a field's JSON name
// ("pageSize"), as grpc-gateway accepts in queries. The error says what is
// wrong without naming who asked; callers add that.
absl::StatusOr<FieldPath> ResolveFieldPath(const Descriptor* type,
                                           absl::string_view path,
                                           bool json_names) {
  FieldPath result;
  const std::vector<absl::string_view> parts = absl::StrSplit(path, '.');
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string part(parts[i]);
    const FieldDescriptor* field = type->FindFieldByName(part);
    if (field == nullptr && json_names) {
      for (int f = 0; f < type->field_count(); ++f) {
        if (type->field(f)->json_name() == part) {
          field = type->field(f);
          break;
        }
      }
    }
    if (field == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("no field \"", part, "\" in ", type->full_name()));
    }
    result.push_back(field);
    if (i + 1 < parts.size()) {
      if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE ||
          field->is_repeated()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "\"", part, "\" is not a message field, so it has no \"",
            parts[i + 1], "\""));
      }
      type = field->message_type();
    }
  }
  return result;
}

// The message that holds the last field of `path`, creating the messages
// on the way.
Message* MutableParent(Message* message, const FieldPath& path) {
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    message = message->GetReflection()->MutableMessage(message, path[i]);
  }
  return message;
}

// The string at `path` (singular string fields all through), or "" when a
// message on the way is unset.
std::string ReadString(const Message& message, const FieldPath& path) {
  const Message* current = &message;
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    if (!current->GetReflection()->HasField(*current, path[i])) return "";
    current = &current->GetReflection()->GetMessage(*current, path[i]);
  }
  return current->GetReflection()->GetString(*current, path.back());
}

bool IsSingularString(const FieldDescriptor* field) {
  return field->type() == FieldDescriptor::TYPE_STRING && !field->is_repeated();
}

// The first line of a protobuf JSON error: the lines after it quote the
// input around the problem, which may be long and is the client's own.
std::string FirstLine(absl::string_view text) {
  return std::string(
      absl::StripAsciiWhitespace(text.substr(0, text.find('\n'))));
}

// `text` quoted for an error message: escaped, and cut to its first 100
// bytes (at a character boundary) so that a huge value is not echoed whole.
std::string Quote(absl::string_view text) {
  constexpr size_t kMax = 100;
  if (text.size() <= kMax) {
    return absl::StrCat("\"", absl::Utf8SafeCHexEscape(text), "\"");
  }
  size_t end = kMax;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
    --end;
  }
  return absl::StrCat("\"", absl::Utf8SafeCHexEscape(text.substr(0, end)),
                      "...\"");
}

// "displayName" -> "display_name"; snake_case passes unchanged.
std::string SnakeCase(absl::string_view path) {
  std::string out;
  for (char c : path) {
    if (absl::ascii_isupper(static_cast<unsigned char>(c))) {
      out.push_back('_');
      out.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// Replaces every byte that does not start a valid UTF-8 sequence (overlong
// forms, surrogates and code points past U+10FFFF included) by U+FFFD.
std::string ValidUtf8(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char lead = static_cast<unsigned char>(text[i]);
    size_t length = 0;
    uint32_t code_point = 0;
    uint32_t min = 0;
    if (lead < 0x80) {
      out.push_back(static_cast<char>(lead));
      ++i;
      continue;
    } else if ((lead >> 5) == 0x6) {
      length = 2, code_point = lead & 0x1F, min = 0x80;
    } else if ((lead >> 4) == 0xE) {
      length = 3, code_point = lead & 0x0F, min = 0x800;
    } else if ((lead >> 3) == 0x1E) {
      length = 4, code_point = lead & 0x07, min = 0x10000;
    }
    bool valid = length > 0 && i + length <= text.size();
    for (size_t k = 1; valid && k < length; ++k) {
      const unsigned char next = static_cast<unsigned char>(text[i + k]);
      valid = (next & 0xC0) == 0x80;
      code_point = (code_point << 6) | (next & 0x3F);
    }
    valid = valid && code_point >= min && code_point <= 0x10FFFF &&
            !(code_point >= 0xD800 && code_point <= 0xDFFF);
    if (valid) {
      out.append(text.data() + i, length);
      i += length;
    } else {
      out.append("\xEF\xBF\xBD");
      ++i;
    }
  }
  return out;
}

// Sets (or, for a repeated field, adds) a scalar or enum field from query
// text. The error says what the text should have been.
absl::Status SetScalar(Message* message, const FieldDescriptor* field,
                       absl::string_view text) {
  const Reflection* reflection = message->GetReflection();
  const bool add = field->is_repeated();
  auto bad = [&](absl::string_view expected) {
    return absl::InvalidArgumentError(
        absl::StrCat(Quote(text), " is not ", expected));
  };
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32: {
      int32_t value;
      if (!absl::SimpleAtoi(text, &value)) return bad("an int32");
      add ? reflection->AddInt32(message, field, value)
          : reflection->SetInt32(message, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t value;
      if (!absl::SimpleAtoi(text, &value)) return bad("an int64");
      add ? reflection->AddInt64(message, field, value)
          : reflection->SetInt64(message, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT32: {
      uint32_t value;
      if (!absl::SimpleAtoi(text, &value)) return bad("a uint32");
      add ? reflection->AddUInt32(message, field, value)
          : reflection->SetUInt32(message, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t value;
      if (!absl::SimpleAtoi(text, &value)) return bad("a uint64");
      add ? reflection->AddUInt64(message, field, value)
          : reflection->SetUInt64(message, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_DOUBLE: {
      double value;
      if (!absl::SimpleAtod(text, &value)) return bad("a number");
      add ? reflection->AddDouble(message, field, value)
          : reflection->SetDouble(message, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_FLOAT: {
      float value;
      if (!absl::SimpleAtof(text, &value)) return bad("a number");
      add ? reflection->AddFloat(message, field, value)
          : reflection->SetFloat(message, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      bool value;
      if (text == "true") {
        value = true;
      } else if (text == "false") {
        value = false;
      } else {
        return bad("true or false");
      }
      add ? reflection->AddBool(message, field, value)
          : reflection->SetBool(message, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const google::protobuf::EnumDescriptor* type = field->enum_type();
      const google::protobuf::EnumValueDescriptor* value =
          type->FindValueByName(std::string(text));
      int number;
      if (value == nullptr && absl::SimpleAtoi(text, &number)) {
        value = type->FindValueByNumber(number);
      }
      if (value == nullptr) {
        return bad(absl::StrCat("a value of ", type->full_name()));
      }
      add ? reflection->AddEnum(message, field, value)
          : reflection->SetEnum(message, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string value(text);
      if (field->type() == FieldDescriptor::TYPE_BYTES) {
        // proto3 JSON accepts both base64 alphabets.
        if (!absl::Base64Unescape(text, &value) &&
            !absl::WebSafeBase64Unescape(text, &value)) {
          return bad("base64");
        }
      }
      add ? reflection->AddString(message, field, std::move(value))
          : reflection->SetString(message, field, std::move(value));
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      break;
  }
  return absl::InvalidArgumentError("cannot be set from text");
}

// Whether a message type is one that the query may set as one value.
bool IsQueryLeafMessage(const Descriptor* type) {
  const std::string& name = type->full_name();
  return name == "google.protobuf.Timestamp" ||
         name == "google.protobuf.Duration" ||
         name == "google.protobuf.FieldMask" ||
         (absl::StartsWith(name, "google.protobuf.") &&
          absl::EndsWith(name, "Value") && name != "google.protobuf.Value" &&
          type->field_count() == 1 && type->field(0)->name() == "value");
}

// Fills a well-known message (IsQueryLeafMessage) from query text.
absl::Status SetWellKnown(Message* message, absl::string_view text) {
  const std::string& name = message->GetDescriptor()->full_name();
  if (name == "google.protobuf.Timestamp") {
    google::protobuf::Timestamp timestamp;
    if (!google::protobuf::util::TimeUtil::FromString(std::string(text),
                                                      &timestamp)) {
      return absl::InvalidArgumentError(absl::StrCat(
          Quote(text), " is not an RFC 3339 time like 2026-11-25T14:00:00Z"));
    }
    message->CopyFrom(timestamp);
    return absl::OkStatus();
  }
  if (name == "google.protobuf.Duration") {
    google::protobuf::Duration duration;
    if (!google::protobuf::util::TimeUtil::FromString(std::string(text),
                                                      &duration)) {
      return absl::InvalidArgumentError(
          absl::StrCat(Quote(text), " is not a duration like 3600s"));
    }
    message->CopyFrom(duration);
    return absl::OkStatus();
  }
  if (name == "google.protobuf.FieldMask") {
    google::protobuf::FieldMask mask;
    for (absl::string_view path : absl::StrSplit(text, ',')) {
      path = absl::StripAsciiWhitespace(path);
      if (path.empty()) {
        return absl::InvalidArgumentError(
            "empty path in a comma-separated field mask");
      }
      std::string snake = SnakeCase(path);
      // Field names, dot-separated, in a form the JSON mapping carries
      // unchanged (protobuf's JSON printer and parser give it back): what
      // an update_mask can mean. Other text would reach the service and
      // print back as JSON as another path.
      google::protobuf::FieldMask one;
      one.add_paths(snake);
      std::string camel;
      google::protobuf::FieldMask back;
      const bool field_path =
          absl::c_all_of(
              snake,
              [](char c) {
                return absl::ascii_islower(static_cast<unsigned char>(c)) ||
                       absl::ascii_isdigit(static_cast<unsigned char>(c)) ||
                       c == '_' || c == '.';
              }) &&
          google::protobuf::util::MessageToJsonString(one, &camel).ok() &&
          google::protobuf::util::JsonStringToMessage(camel, &back).ok() &&
          back.paths_size() == 1 && back.paths(0) == snake;
      if (!field_path) {
        return absl::InvalidArgumentError(
            absl::StrCat(Quote(path), " is not a field path"));
      }
      mask.add_paths(std::move(snake));
    }
    message->CopyFrom(mask);
    return absl::OkStatus();
  }
  // A wrapper: its one field "value".
  return SetScalar(message, message->GetDescriptor()->field(0), text);
}

// Sets the field at `path` from one query parameter.
absl::Status SetQueryValue(Message* request, const FieldPath& path,
                           absl::string_view text) {
  Message* parent = MutableParent(request, path);
  const FieldDescriptor* field = path.back();
  const Reflection* reflection = parent->GetReflection();
  if (field->is_map()) {
    return absl::InvalidArgumentError("a map cannot be set from the query");
  }
  if (const google::protobuf::OneofDescriptor* oneof =
          field->real_containing_oneof();
      oneof != nullptr) {
    const FieldDescriptor* set =
        reflection->GetOneofFieldDescriptor(*parent, oneof);
    if (set != nullptr && set != field) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", set->name(), "\" is already set; only one of \"",
                       oneof->name(), "\" may be"));
    }
  }
  if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
    return SetScalar(parent, field, text);
  }
  if (!IsQueryLeafMessage(field->message_type())) {
    return absl::InvalidArgumentError(
        field->is_repeated()
            ? "a repeated message cannot be set from the query"
            : "a message: set its fields (\"field.subfield=...\")");
  }
  Message* target = field->is_repeated()
                        ? reflection->AddMessage(parent, field)
                        : reflection->MutableMessage(parent, field);
  return SetWellKnown(target, text);
}

// Layer 1 of BuildRequest: the JSON body.
absl::Status MergeBody(const Route& route, absl::string_view body_json,
                       Message* request) {
  const absl::string_view body = absl::StripAsciiWhitespace(body_json);
  if (route.body.empty()) {
    if (!body.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "body: ", route.verb, " ", route.pattern, " takes no request body"));
    }
    return absl::OkStatus();
  }
  if (body.empty()) return absl::OkStatus();  // as "{}"
  Message* target = request;
  if (route.body != "*") {
    absl::StatusOr<FieldPath> path = ResolveFieldPath(
        request->GetDescriptor(), route.body, /*json_names=*/false);
    if (!path.ok() ||
        path->back()->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE ||
        path->back()->is_repeated()) {
      return absl::InternalError(
          absl::StrCat("route ", route.pattern, ": body field \"", route.body,
                       "\" is not a message field of ",
                       request->GetDescriptor()->full_name()));
    }
    Message* parent = MutableParent(request, *path);
    target = parent->GetReflection()->MutableMessage(parent, path->back());
  }
  const google::protobuf::util::Status status =
      google::protobuf::util::JsonStringToMessage(
          ToPiece(body), target, google::protobuf::util::JsonParseOptions());
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("body: ", FirstLine(status.message().ToString())));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<QueryParams> ParseQuery(absl::string_view raw) {
  QueryParams params;
  for (absl::string_view piece : absl::StrSplit(raw, '&')) {
    if (piece.empty()) continue;
    const size_t equals = piece.find('=');
    const absl::string_view raw_key = piece.substr(0, equals);
    const absl::string_view raw_value = equals == absl::string_view::npos
                                            ? absl::string_view()
                                            : piece.substr(equals + 1);
    absl::StatusOr<std::string> key =
        PercentDecode(raw_key, /*plus_is_space=*/true);
    if (!key.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "query parameter ", raw_key, ": ", key.status().message()));
    }
    if (key->empty()) {
      return absl::InvalidArgumentError("query: a parameter has no name");
    }
    absl::StatusOr<std::string> value =
        PercentDecode(raw_value, /*plus_is_space=*/true);
    if (!value.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "query parameter ", *key, ": ", value.status().message()));
    }
    params.emplace_back(*std::move(key), *std::move(value));
  }
  return params;
}

absl::StatusOr<const google::protobuf::MethodDescriptor*> FindMethod(
    const Route& route) {
  const google::protobuf::MethodDescriptor* method =
      google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
          std::string(route.method));
  if (method == nullptr) {
    return absl::InternalError(absl::StrCat("route ", route.pattern,
                                            ": no gRPC method ", route.method,
                                            " in the generated pool"));
  }
  return method;
}

absl::StatusOr<std::unique_ptr<Message>> NewResponse(const Route& route) {
  CDC_ASSIGN_OR_RETURN(const google::protobuf::MethodDescriptor* method,
                       FindMethod(route));
  return std::unique_ptr<Message>(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(method->output_type())
          ->New());
}

absl::StatusOr<std::unique_ptr<Message>> BuildRequest(
    const RouteMatch& match, absl::string_view body_json,
    const QueryParams& query) {
  if (match.route == nullptr) {
    return absl::InternalError("BuildRequest without a route");
  }
  const Route& route = *match.route;
  CDC_ASSIGN_OR_RETURN(const google::protobuf::MethodDescriptor* method,
                       FindMethod(route));
  const Descriptor* type = method->input_type();
  std::unique_ptr<Message> request(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(type)
          ->New());

  // The bound fields, resolved once: string fields, by the route table's
  // rules.
  std::vector<std::pair<FieldPath, const std::string*>> bindings;
  for (const auto& [field_path, value] : match.bindings) {
    absl::StatusOr<FieldPath> path =
        ResolveFieldPath(type, field_path, /*json_names=*/false);
    if (!path.ok() || !IsSingularString(path->back())) {
      return absl::InternalError(
          absl::StrCat("route ", route.pattern, ": \"", field_path,
                       "\" is not a string field of ", type->full_name()));
    }
    bindings.emplace_back(*std::move(path), &value);
  }

  // 1. The body, and whether it contradicts the path.
  CDC_RETURN_IF_ERROR(MergeBody(route, body_json, request.get()));
  for (const auto& [path, value] : bindings) {
    const std::string in_body = ReadString(*request, path);
    if (!in_body.empty() && in_body != *value) {
      return absl::InvalidArgumentError(
          absl::StrCat("body: ", PathName(path), " ", Quote(in_body),
                       " does not match ", Quote(*value), " in the URL path"));
    }
  }

  // 2. The query.
  absl::flat_hash_set<std::string> singular_seen;
  for (const auto& [key, value] : query) {
    auto error = [&key = key](absl::string_view why) {
      return absl::InvalidArgumentError(
          absl::StrCat("query parameter ", key, ": ", why));
    };
    if (route.body == "*") {
      return error(
          "not allowed: this method reads every field from the JSON body");
    }
    absl::StatusOr<FieldPath> path =
        ResolveFieldPath(type, key, /*json_names=*/true);
    if (!path.ok()) return error(path.status().message());
    const std::string name = PathName(*path);
    if (!route.body.empty() &&
        (name == route.body ||
         absl::StartsWith(name, absl::StrCat(route.body, ".")))) {
      return error(
          absl::StrCat("set it in the JSON body (\"", route.body, "\")"));
    }
    bool bound = false;
    for (const auto& [binding_path, binding_value] : bindings) {
      if (PathName(binding_path) != name) continue;
      if (value != *binding_value) {
        return error(absl::StrCat(Quote(value), " does not match ",
                                  Quote(*binding_value), " in the URL path"));
      }
      bound = true;
    }
    if (bound) continue;
    if (!path->back()->is_repeated() && !singular_seen.insert(name).second) {
      return error("given more than once for a field that is not repeated");
    }
    absl::Status status = SetQueryValue(request.get(), *path, value);
    if (!status.ok()) return error(status.message());
  }

  // 3. The path bindings.
  for (const auto& [path, value] : bindings) {
    Message* parent = MutableParent(request.get(), path);
    parent->GetReflection()->SetString(parent, path.back(), *value);
  }
  return request;
}

absl::StatusOr<std::string> ResponseToJson(const Message& response) {
  std::string json;
  const google::protobuf::util::Status status =
      google::protobuf::util::MessageToJsonString(
          response, &json, google::protobuf::util::JsonPrintOptions());
  if (!status.ok()) {
    return absl::InternalError(
        absl::StrCat("response to JSON: ", status.message().ToString()));
  }
  return json;
}

int HttpStatusFor(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kCancelled:
      return 499;
    case absl::StatusCode::kUnknown:
      return 500;
    case absl::StatusCode::kInvalidArgument:
      return 400;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
      return 409;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kFailedPrecondition:
      return 400;
    case absl::StatusCode::kAborted:
      return 409;
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kUnimplemented:
      return 501;
    case absl::StatusCode::kInternal:
      return 500;
    case absl::StatusCode::kUnavailable:
      return 503;
    case absl::StatusCode::kDataLoss:
      return 500;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    default:
      return 500;
  }
}

std::string ErrorJson(const absl::Status& status) {
  std::string json = absl::StrCat("{\"code\":", static_cast<int>(status.code()),
                                  ",\"message\":");
  AppendJsonString(&json, ValidUtf8(status.message()));
  json.append(",\"details\":[]}");
  return json;
}

}  // namespace cdc::gateway
