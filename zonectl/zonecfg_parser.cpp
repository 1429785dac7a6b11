// zonecfg language: lexer (characters to words), parser (words to commands)
// and the quoting that `export` needs to read back exactly.
#include "zonectl/zonecfg_parser.hpp"

#include <algorithm>
#include <array>

namespace zonectl::zonecfg {

using zone::Result;

namespace {

zone::Error syntax(std::string msg) {
    return zone::make_error(kSyntax, std::move(msg));
}

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

// Accumulates words and commands of one line.
class Lexer {
  public:
    explicit Lexer(int line) : line_(line) { cmd_.line = line; }

    Result<std::vector<RawCommand>> run(std::string_view text) {
        for (std::size_t i = 0; i < text.size(); ++i) {
            char c = text[i];
            if (in_quote_) {
                if (c == '"')
                    in_quote_ = false;
                else if (c == '\\' && i + 1 < text.size() &&
                         (text[i + 1] == '"' || text[i + 1] == '\\'))
                    word_.append(text[++i], true);
                else
                    word_.append(c, true);
                continue;
            }
            if (c == '#' && !in_word_ && depth_ == 0) break; // comment to end of line
            if (c == '"')
                in_quote_ = in_word_ = true;
            else if (c == ';')
                end_command();
            else if (is_space(c) && depth_ == 0)
                end_word();
            else {
                depth_ += c == '[' ? 1 : (c == ']' && depth_ > 0 ? -1 : 0);
                word_.append(c, false);
                in_word_ = true;
            }
        }
        if (in_quote_) return syntax("unterminated quoted string (missing '\"')");
        end_command();
        return std::move(out_);
    }

  private:
    void end_word() {
        if (in_word_) cmd_.words.push_back(std::move(word_));
        word_ = Word{};
        in_word_ = false;
    }
    void end_command() {
        end_word();
        depth_ = 0;
        if (!cmd_.words.empty()) out_.push_back(std::move(cmd_));
        cmd_ = RawCommand{line_, {}};
    }

    int line_;
    std::vector<RawCommand> out_;
    RawCommand cmd_;
    Word word_;
    bool in_word_ = false; // a word has started (possibly an empty "" one)
    bool in_quote_ = false;
    int depth_ = 0; // unquoted '[' nesting: spaces inside a list do not split
};

struct VerbInfo {
    Verb verb;
    std::string_view name;
    std::string_view flags; // accepted single-letter flags; 't' and 'f' take an argument
    std::string_view usage;
    std::string_view summary;
};

constexpr std::array<VerbInfo, 16> kVerbs = {{
    {Verb::Create, "create", "Fbt", "create [-F] [-b | -t TEMPLATE]",
     "start a new configuration from a template (default: \"default\"; -b: blank)"},
    {Verb::Set, "set", "", "set PROP=VALUE",
     "set a property of the zone or of the current resource"},
    {Verb::Clear, "clear", "", "clear PROP", "unset a property"},
    {Verb::Add, "add", "", "add RESOURCE [PROP=VALUE ...] | add PROP VALUE",
     "add a resource and enter its scope; in a resource scope, add to a list property"},
    {Verb::Select, "select", "", "select RESOURCE [PROP=VALUE ...]",
     "enter the scope of the one resource that matches, to change it"},
    {Verb::Remove, "remove", "F", "remove [-F] RESOURCE [PROP=VALUE ...] | remove PROP VALUE",
     "remove matching resources (-F: all that match); in a resource scope, remove from a list"},
    {Verb::Cancel, "cancel", "", "cancel", "leave the resource scope, dropping its changes"},
    {Verb::End, "end", "", "end", "leave the resource scope, keeping the resource"},
    {Verb::Info, "info", "", "info [PROP | RESOURCE [PROP=VALUE ...]]", "show the configuration"},
    {Verb::Export, "export", "f", "export [-f FILE]",
     "print commands that recreate the configuration"},
    {Verb::Verify, "verify", "", "verify", "check the whole configuration"},
    {Verb::Commit, "commit", "", "commit", "store the configuration in zoned"},
    {Verb::Revert, "revert", "F", "revert [-F]", "drop the changes made since the last commit"},
    {Verb::Delete, "delete", "F", "delete [-F]", "delete the zone's configuration"},
    {Verb::Exit, "exit", "F", "exit [-F]", "leave zonecfg (-F: without committing)"},
    {Verb::Help, "help", "", "help [COMMAND | PROP | RESOURCE | properties | resources]",
     "show help"},
}};

const VerbInfo& info_of(Verb v) {
    return *std::find_if(kVerbs.begin(), kVerbs.end(),
                         [v](const VerbInfo& i) { return i.verb == v; });
}

zone::Error usage_error(Verb v, std::string why) {
    return syntax(std::string(info_of(v).name) + ": " + why +
                  " (usage: " + std::string(info_of(v).usage) + ")");
}

// Reads flags such as -F, -b, -t NAME right after the verb; returns the index
// of the first word that is not a flag.
Result<std::size_t> parse_flags(const RawCommand& raw, const VerbInfo& vi, Command& cmd) {
    std::size_t i = 1;
    for (; i < raw.words.size(); ++i) {
        const Word& w = raw.words[i];
        if (w.text.size() < 2 || w.text[0] != '-' || w.quoted[0]) break;
        for (std::size_t k = 1; k < w.text.size(); ++k) {
            char f = w.text[k];
            if (vi.flags.find(f) == std::string_view::npos)
                return usage_error(vi.verb, "unknown option '-" + std::string(1, f) + "'");
            if (f == 'F') cmd.force = true;
            if (f == 'b') cmd.blank = true;
            if (f != 't' && f != 'f') continue;
            if (k + 1 != w.text.size() || i + 1 >= raw.words.size())
                return usage_error(vi.verb,
                                   "option '-" + std::string(1, f) + "' needs an argument");
            (f == 't' ? cmd.template_name : cmd.file) = raw.words[++i].text;
            break;
        }
    }
    return i;
}

bool ends_with_unquoted_eq(const Word& w) {
    return !w.text.empty() && w.text.back() == '=' && !w.quoted.back();
}

// "prop = value", "prop= value" and "prop =value" become one "prop=value" word.
std::vector<Word> merge_assignments(std::vector<Word> words) {
    std::vector<Word> out;
    for (auto& w : words) {
        bool starts_eq = !w.text.empty() && w.text[0] == '=' && !w.quoted[0];
        bool glue =
            !out.empty() && (ends_with_unquoted_eq(out.back()) ||
                             (starts_eq && out.back().find_unquoted('=') == std::string::npos));
        if (!glue) {
            out.push_back(std::move(w));
            continue;
        }
        for (std::size_t i = 0; i < w.text.size(); ++i)
            out.back().append(w.text[i], w.quoted[i]);
    }
    return out;
}

Result<void> parse_arguments(std::vector<Word> words, Command& cmd) {
    for (const Word& w : merge_assignments(std::move(words))) {
        std::size_t eq = w.find_unquoted('=');
        if (eq == std::string::npos) {
            if (!cmd.assignments.empty())
                return usage_error(cmd.verb, "'" + w.text + "' after PROP=VALUE pairs");
            TRY(v, parse_value(w));
            cmd.args.push_back(std::move(v));
            continue;
        }
        if (eq == 0)
            return usage_error(cmd.verb, "'" + w.text + "' has no property name before '='");
        TRY(value, parse_value(w.slice(eq + 1)));
        cmd.assignments.push_back(Assignment{w.text.substr(0, eq), std::move(value)});
    }
    return zone::ok();
}

// How many positional words and whether PROP=VALUE pairs each verb takes.
Result<void> check_arity(const Command& c) {
    std::size_t n = c.args.size();
    bool pairs = !c.assignments.empty();
    bool ok = true;
    switch (c.verb) {
    case Verb::Set:
        ok = n == 0 && c.assignments.size() == 1;
        break;
    case Verb::Clear:
        ok = n == 1 && !pairs;
        break;
    case Verb::Add:
    case Verb::Remove:
        ok = n == 1 || (n == 2 && !pairs);
        break;
    case Verb::Select:
        ok = n == 1;
        break;
    case Verb::Info:
        ok = n == 1 || (n == 0 && !pairs);
        break;
    case Verb::Help:
        ok = n <= 1 && !pairs;
        break;
    default:
        ok = n == 0 && !pairs;
        break;
    }
    if (!ok) return usage_error(c.verb, (n > 0 || pairs) ? "wrong arguments" : "missing arguments");
    if (c.blank && !c.template_name.empty())
        return usage_error(c.verb, "-b and -t exclude each other");
    // Names of properties, resources and topics are single words, never lists.
    std::size_t names =
        (c.verb == Verb::Add || c.verb == Verb::Remove) ? std::min<std::size_t>(n, 1) : n;
    for (std::size_t i = 0; i < names; ++i)
        if (c.args[i].is_list) return usage_error(c.verb, "a list where a name is expected");
    return zone::ok();
}

bool is_safe_char(char c, bool in_list) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    if (c == ',') return !in_list;
    return std::string_view("_./:@+%=-()").find(c) != std::string_view::npos;
}

} // namespace

// ---- Word -------------------------------------------------------------------------

void Word::append(char c, bool q) {
    text.push_back(c);
    quoted.push_back(q);
}

bool Word::is(std::string_view s) const {
    return text == s && std::none_of(quoted.begin(), quoted.end(), [](bool q) { return q; });
}

std::size_t Word::find_unquoted(char c, std::size_t from) const {
    for (std::size_t i = from; i < text.size(); ++i)
        if (text[i] == c && !quoted[i]) return i;
    return std::string::npos;
}

Word Word::slice(std::size_t pos, std::size_t n) const {
    Word w;
    w.text = text.substr(pos, n);
    w.quoted.assign(quoted.begin() + static_cast<long>(pos),
                    quoted.begin() + static_cast<long>(pos + w.text.size()));
    return w;
}

// ---- lexer and parser -----------------------------------------------------------

Result<std::vector<RawCommand>> lex_line(std::string_view text, int line) {
    return Lexer(line).run(text);
}

std::string_view to_string(Verb v) {
    return info_of(v).name;
}
std::string_view usage(Verb v) {
    return info_of(v).usage;
}
std::string_view summary(Verb v) {
    return info_of(v).summary;
}

const std::vector<Verb>& all_verbs() {
    static const std::vector<Verb> verbs = [] {
        std::vector<Verb> out;
        for (const auto& vi : kVerbs)
            out.push_back(vi.verb);
        return out;
    }();
    return verbs;
}

Result<Command> parse_command(const RawCommand& raw) {
    const Word& first = raw.words.at(0);
    const VerbInfo* vi = nullptr;
    for (const auto& i : kVerbs)
        if (first.is(i.name)) vi = &i;
    if (first.is("?")) vi = &info_of(Verb::Help); // "?" is help, as at many prompts
    if (!vi) return syntax("unknown command '" + first.text + "' (type 'help' for the list)");
    Command cmd;
    cmd.verb = vi->verb;
    cmd.line = raw.line;
    TRY(rest, parse_flags(raw, *vi, cmd));
    TRY_VOID(parse_arguments(
        std::vector<Word>(raw.words.begin() + static_cast<long>(rest), raw.words.end()), cmd));
    TRY_VOID(check_arity(cmd));
    return cmd;
}

Result<config::PropValue> parse_value(const Word& w) {
    if (w.text.empty() || w.text[0] != '[' || w.quoted[0]) {
        if (w.find_unquoted('[') != std::string::npos || w.find_unquoted(']') != std::string::npos)
            return syntax("'" + w.text +
                          "': '[' and ']' belong around a whole list; quote them otherwise");
        return config::PropValue{false, w.text, {}};
    }
    if (w.text.back() != ']' || w.quoted.back() || w.text.size() < 2)
        return syntax("'" + w.text + "': unterminated list (missing ']')");
    Word inner = w.slice(1, w.text.size() - 2);
    config::PropValue v{true, {}, {}};
    std::size_t start = 0;
    for (;;) {
        std::size_t comma = inner.find_unquoted(',', start);
        Word item =
            inner.slice(start, comma == std::string::npos ? std::string::npos : comma - start);
        // Unquoted spaces around an item are layout, not part of the value.
        while (!item.text.empty() && is_space(item.text.back()) && !item.quoted.back())
            item = item.slice(0, item.text.size() - 1);
        while (!item.text.empty() && is_space(item.text[0]) && !item.quoted[0])
            item = item.slice(1);
        if (item.find_unquoted('[') != std::string::npos ||
            item.find_unquoted(']') != std::string::npos)
            return syntax("'" + w.text + "': lists do not nest");
        if (item.text.empty() && comma == std::string::npos && start == 0) return v; // "[]"
        // No list property accepts an empty word, so "" items are refused with the rest.
        if (item.text.empty()) return syntax("'" + w.text + "': empty item in list");
        v.list.push_back(item.text);
        if (comma == std::string::npos) return v;
        start = comma + 1;
    }
}

// ---- quoting ----------------------------------------------------------------------

std::string quote_word(std::string_view s, bool in_list) {
    bool safe = !s.empty() &&
                std::all_of(s.begin(), s.end(), [&](char c) { return is_safe_char(c, in_list); });
    if (safe) return std::string(s);
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

std::string format_value(const config::PropValue& v, bool for_export) {
    if (!v.is_list) return for_export ? quote_word(v.scalar, false) : v.scalar;
    std::string out = "[";
    for (std::size_t i = 0; i < v.list.size(); ++i)
        out += (i ? "," : "") + (for_export ? quote_word(v.list[i], true) : v.list[i]);
    return out + "]";
}

} // namespace zonectl::zonecfg
