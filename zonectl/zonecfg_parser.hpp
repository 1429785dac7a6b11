// The zonecfg language, text to commands. Pure: no I/O, no daemon.
//
//   script   := line*            one or more commands per line, separated by ';'
//   command  := VERB flag* word* (PROP=VALUE)*
//   VALUE    := word | '[' [word (',' word)*] ']'
//   word     := characters other than space ; = [ ] , and '"', or "quoted text"
// A '#' that starts a word comments out the rest of the line. Inside double
// quotes every character is literal, except \" and \\. A list may hold
// spaces (`[ro, nodev]`). `PROP = VALUE` with spaces is read as PROP=VALUE.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "runtime/common/error.hpp"
#include "runtime/config/zone_config.hpp"

namespace zonectl::zonecfg {

namespace config = zone::config;

// Error code of input the language does not accept (exit status kExitUsage).
inline constexpr const char* kSyntax = "SYNTAX";

// One word of input. quoted[i] says whether text[i] came from inside double
// quotes, where '=', '[', ']' and ',' lose their meaning.
struct Word {
    std::string text;
    std::vector<bool> quoted;

    void append(char c, bool q);
    bool is(std::string_view s) const; // unquoted and equal to s
    std::size_t find_unquoted(char c, std::size_t from = 0) const;
    Word slice(std::size_t pos, std::size_t n = std::string::npos) const;
};

struct RawCommand {
    int line = 0;
    std::vector<Word> words;
};

// Splits one line of input into commands (none for a blank or comment line).
zone::Result<std::vector<RawCommand>> lex_line(std::string_view text, int line);

enum class Verb {
    Create,
    Set,
    Clear,
    Add,
    Select,
    Remove,
    Cancel,
    End,
    Info,
    Export,
    Verify,
    Commit,
    Revert,
    Delete,
    Exit,
    Help,
};
std::string_view to_string(Verb v);
const std::vector<Verb>& all_verbs();
// "set PROP=VALUE": the synopsis of a command, for usage errors and help.
std::string_view usage(Verb v);
std::string_view summary(Verb v);

struct Assignment {
    std::string prop;
    config::PropValue value; // is_list when written as [a,b]
    bool operator==(const Assignment&) const = default;
};

struct Command {
    Verb verb = Verb::Help;
    int line = 0;
    bool force = false;                  // -F
    bool blank = false;                  // create -b
    std::string template_name;           // create -t NAME
    std::string file;                    // export -f FILE
    std::vector<config::PropValue> args; // positional words: a name, or PROP VALUE
    std::vector<Assignment> assignments; // PROP=VALUE after the positional words
};

// Checks the verb, its flags and the shape of its arguments. Whether a name is
// a real property or resource is for the session, which knows the scope.
zone::Result<Command> parse_command(const RawCommand& raw);

// A value as written after '=': "[a,b]" is a list, anything else a scalar.
zone::Result<config::PropValue> parse_value(const Word& w);

// The inverse of the lexer for one value: quotes it when needed, so that
// export output reads back to the same value.
std::string quote_word(std::string_view s, bool in_list);
// "[a,b]" for lists; `for_export` quotes words that need it.
std::string format_value(const config::PropValue& v, bool for_export);

} // namespace zonectl::zonecfg
