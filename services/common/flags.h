// Command-line parsing where every flag can also come from the environment.
//
// A flag --redis_address may be given as CDC_REDIS_ADDRESS=...; the command
// line wins over the environment. Bad values fail fast with a message naming
// the flag or variable.
#pragma once

#include <string>
#include <vector>

namespace cdc {

// Applies CDC_<FLAG> environment variables, then parses argv. Returns the
// positional arguments (argv[0] first). Exits with status 2 on a bad value.
std::vector<std::string> ParseFlagsWithEnvironment(int argc, char** argv,
                                                   const char* usage);

// "redis_address" -> "CDC_REDIS_ADDRESS".
std::string EnvironmentVariableFor(const std::string& flag_name);

}  // namespace cdc
