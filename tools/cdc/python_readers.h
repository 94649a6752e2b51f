// Test support: what the cdc tool exports, read back by Python's own csv
// and json modules, so that a test checks what a spreadsheet or a script
// reads rather than what cdc's own writer meant to write.
#pragma once

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tools/cdc/cdc_runner.h"

namespace cdc::cli::testing {

// Reads CSV from stdin strictly, as UTF-8, and prints its rows as a JSON
// array of arrays of strings.
inline constexpr char kCsvToJson[] = R"py(
import csv, io, json, sys
text = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", newline="")
rows = list(csv.reader(text, strict=True))
sys.stdout.buffer.write(json.dumps(rows, ensure_ascii=False).encode("utf-8"))
)py";

// Reads JSON Lines from stdin (LF endings, one object a line) and prints
// them as one JSON array.
inline constexpr char kJsonLinesToJson[] = R"py(
import json, sys
data = sys.stdin.buffer.read().decode("utf-8")
if "\r" in data or not data.endswith("\n"):
    sys.exit("not lines ending in LF")
rows = [json.loads(line) for line in data[:-1].split("\n")]
if not all(isinstance(row, dict) for row in rows):
    sys.exit("a line is not a JSON object")
sys.stdout.buffer.write(json.dumps(rows, ensure_ascii=False).encode("utf-8"))
)py";

// python3, or "" when this machine has none (the test then skips).
inline std::string Python() {
  for (const char* path : {"/usr/bin/python3", "/usr/local/bin/python3"}) {
    if (access(path, X_OK) == 0) return path;
  }
  return "";
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

// Runs `script` with `input` on stdin and parses what it prints as a JSON
// array.
inline google::protobuf::ListValue PythonJson(const std::string& python,
                                              const char* script,
                                              const std::string& input) {
  const CdcRun run = RunProgram(python, {"-c", script}, {}, input);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  google::protobuf::ListValue rows;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(run.out, &rows).ok())
      << run.out;
  return rows;
}

// The CSV `csv` as Python's csv module reads it: rows of fields.
inline std::vector<std::vector<std::string>> ParseCsv(const std::string& python,
                                                      const std::string& csv) {
  const google::protobuf::ListValue parsed =
      PythonJson(python, kCsvToJson, csv);
  std::vector<std::vector<std::string>> rows;
  for (const google::protobuf::Value& row : parsed.values()) {
    std::vector<std::string>& fields = rows.emplace_back();
    for (const google::protobuf::Value& field : row.list_value().values()) {
      fields.push_back(field.string_value());
    }
  }
  return rows;
}

// The JSON Lines `jsonl` as Python's json module reads it, each object read
// back as a `Message` (a RecordEntry, an Initiative).
template <typename Message>
std::vector<Message> ParseJsonLines(const std::string& python,
                                    const std::string& jsonl) {
  const google::protobuf::ListValue parsed =
      PythonJson(python, kJsonLinesToJson, jsonl);
  std::vector<Message> messages;
  for (const google::protobuf::Value& row : parsed.values()) {
    std::string json;
    EXPECT_TRUE(
        google::protobuf::util::MessageToJsonString(row.struct_value(), &json)
            .ok());
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(
                    json, &messages.emplace_back())
                    .ok())
        << json;
  }
  return messages;
}

}  // namespace cdc::cli::testing
