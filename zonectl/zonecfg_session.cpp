// The meaning of zonecfg commands over a session's configuration.
#include "zonectl/zonecfg_session.hpp"

#include <algorithm>
#include <sstream>

namespace zonectl::zonecfg {

using zone::Result;

namespace {

zone::Error input_error(std::string msg) {
    return zone::make_error(kSyntax, std::move(msg));
}

std::string verb_name(const Command& c) {
    return std::string(to_string(c.verb));
}

// A value as written, shaped for its property: a single word given to a list
// property is a one-item list. A list given to a single-valued property is left
// for the check to refuse with its usual message.
config::PropValue shape(const config::PropSpec* spec, config::PropValue v) {
    if (spec && spec->list && !v.is_list) return config::PropValue{true, {}, {std::move(v.scalar)}};
    return v;
}

std::string filters_text(const Command& c) {
    std::string out;
    for (const auto& a : c.assignments)
        out += " " + a.prop + "=" + format_value(a.value, false);
    return out;
}

// Verbs that only make sense outside / inside a resource scope.
bool global_only(Verb v) {
    return v == Verb::Create || v == Verb::Select || v == Verb::Export || v == Verb::Verify ||
           v == Verb::Commit || v == Verb::Revert || v == Verb::Delete;
}
bool scope_only(Verb v) {
    return v == Verb::End || v == Verb::Cancel;
}

} // namespace

Session::Session(std::string zone, Backend& backend, SessionIo io, bool interactive)
    : zone_(std::move(zone)), backend_(backend), io_(std::move(io)), interactive_(interactive) {}

template <typename T> Result<T> Session::from_daemon(Result<T> r) {
    if (!r) failed_in_daemon_ = true;
    return r;
}

Result<void> Session::load() {
    TRY(cfg, from_daemon(backend_.load(zone_)));
    loaded_ = true;
    exists_ = have_config_ = cfg.has_value();
    config_ = committed_ = cfg.value_or(config::ZoneConfig{});
    return zone::ok();
}

bool Session::dirty() const {
    return have_config_ && (!exists_ || !(config_ == committed_));
}

std::string Session::prompt() const {
    return "zonecfg:" + zone_ + (scope_ ? ":" + scope_->res.type : "") + "> ";
}

bool Session::ask(const std::string& question, bool dflt) const {
    return io_.confirm ? io_.confirm(question, dflt) : dflt;
}

Result<void> Session::run(const Command& c) {
    failed_in_daemon_ = false;
    if (c.verb == Verb::Help) return cmd_help(c);
    if (!loaded_) TRY_VOID(load());
    TRY_VOID(check_scope(c));
    return dispatch(c);
}

Result<void> Session::check_scope(const Command& c) const {
    std::string verb = verb_name(c);
    if (!have_config_ && c.verb != Verb::Create && c.verb != Verb::Exit)
        return input_error("zone '" + zone_ + "' does not exist; use 'create' to make it");
    if (scope_ && global_only(c.verb))
        return input_error(verb + ": not allowed in the " + scope_->res.type +
                           " resource scope; finish it with 'end' or 'cancel'");
    if (!scope_ && scope_only(c.verb))
        return input_error(verb + ": not in a resource scope (use 'add' or 'select' first)");
    return zone::ok();
}

Result<void> Session::dispatch(const Command& c) {
    switch (c.verb) {
    case Verb::Create:
        return cmd_create(c);
    case Verb::Set:
        return cmd_set(c);
    case Verb::Clear:
        return cmd_clear(c);
    case Verb::Add:
        return scope_ ? cmd_list_edit(c) : cmd_add(c);
    case Verb::Select:
        return cmd_select(c);
    case Verb::Remove:
        return scope_ ? cmd_list_edit(c) : cmd_remove(c);
    case Verb::Cancel:
        scope_.reset();
        return zone::ok();
    case Verb::End:
        return cmd_end();
    case Verb::Info:
        return cmd_info(c);
    case Verb::Export:
        return cmd_export(c);
    case Verb::Verify:
        return config::verify(config_);
    case Verb::Commit:
        return commit_now();
    case Verb::Revert:
        return cmd_revert(c);
    case Verb::Delete:
        return cmd_delete(c);
    case Verb::Exit:
        return cmd_exit(c);
    case Verb::Help:
        return cmd_help(c);
    }
    return zone::ok();
}

// ---- global scope ---------------------------------------------------------------

Result<void> Session::cmd_create(const Command& c) {
    if (have_config_ && !c.force)
        return input_error(exists_ ? "zone '" + zone_ +
                                         "' already exists; use 'create -F' to replace its "
                                         "configuration"
                                   : "zone '" + zone_ +
                                         "' was already created in this session; use "
                                         "'create -F' to start over");
    config::ZoneConfig fresh;
    if (!c.blank) {
        std::string name = c.template_name.empty() ? "default" : c.template_name;
        TRY(t, from_daemon(backend_.fetch_template(name)));
        fresh = std::move(t);
    }
    fresh.name = zone_;
    fresh.uuid = exists_ ? committed_.uuid : ""; // zoned keeps a zone's uuid for life
    config_ = std::move(fresh);
    have_config_ = true;
    return zone::ok();
}

Result<void> Session::cmd_set(const Command& c) {
    const Assignment& a = c.assignments.front();
    if (!scope_) {
        config::PropValue v = shape(config::find_global_prop(a.prop), a.value);
        TRY_VOID(config::check_global_prop(a.prop, v));
        config_.props[a.prop] = std::move(v);
        return zone::ok();
    }
    const auto* spec = config::find_resource_type(scope_->res.type);
    config::PropValue v = shape(config::find_resource_prop(*spec, a.prop), a.value);
    TRY_VOID(config::check_resource_prop(scope_->res.type, a.prop, v));
    scope_->res.props[a.prop] = std::move(v);
    return zone::ok();
}

Result<void> Session::cmd_clear(const Command& c) {
    const std::string& prop = c.args.front().scalar;
    if (!scope_) {
        if (!config::find_global_prop(prop)) return config::check_global_prop(prop, {});
        config_.props.erase(prop);
        return zone::ok();
    }
    const auto* spec = config::find_resource_type(scope_->res.type);
    if (!config::find_resource_prop(*spec, prop))
        return config::check_resource_prop(spec->name, prop, {});
    scope_->res.props.erase(prop);
    return zone::ok();
}

Result<void> Session::cmd_add(const Command& c) {
    if (c.args.size() != 1)
        return input_error(
            "add: PROP VALUE adds to a list inside a resource scope; here use 'add RESOURCE'");
    const std::string& type = c.args.front().scalar;
    const auto* spec = config::find_resource_type(type);
    if (!spec) return config::check_resource_prop(type, "", {});
    config::Resource res{type, {}};
    if (spec->single && !config::check_resource_fits(config_, res, std::nullopt))
        return input_error(type + ": the zone already has one; use 'select " + type +
                           "' to change it");
    Scope scope{std::move(res), std::nullopt};
    for (const auto& a : c.assignments) {
        config::PropValue v = shape(config::find_resource_prop(*spec, a.prop), a.value);
        TRY_VOID(config::check_resource_prop(type, a.prop, v));
        scope.res.props[a.prop] = std::move(v);
    }
    scope_ = std::move(scope);
    return zone::ok();
}

Result<std::vector<std::size_t>> Session::matches(const std::string& type, const Command& c) const {
    const auto* spec = config::find_resource_type(type);
    if (!spec) return config::check_resource_prop(type, "", {}).error();
    std::vector<std::pair<std::string, config::PropValue>> want;
    for (const auto& a : c.assignments) {
        const auto* prop = config::find_resource_prop(*spec, a.prop);
        if (!prop) return config::check_resource_prop(type, a.prop, {}).error();
        want.emplace_back(a.prop, shape(prop, a.value));
    }
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < config_.resources.size(); ++i) {
        const config::Resource& r = config_.resources[i];
        bool match = r.type == type && std::all_of(want.begin(), want.end(), [&](const auto& w) {
                         const config::PropValue* have = r.get(w.first);
                         return have && *have == w.second;
                     });
        if (match) out.push_back(i);
    }
    return out;
}

Result<void> Session::cmd_select(const Command& c) {
    const std::string& type = c.args.front().scalar;
    TRY(found, matches(type, c));
    if (found.empty())
        return input_error(
            "select: no " + type + " resource" +
            (c.assignments.empty() ? " is configured" : " matches" + filters_text(c)));
    if (found.size() > 1)
        return input_error("select: " + std::to_string(found.size()) + " " + type +
                           " resources match; add PROP=VALUE pairs to pick one");
    scope_ = Scope{config_.resources[found.front()], found.front()};
    return zone::ok();
}

Result<void> Session::cmd_remove(const Command& c) {
    if (c.args.size() != 1)
        return input_error(
            "remove: PROP VALUE removes from a list inside a resource scope; here use "
            "'remove RESOURCE [PROP=VALUE ...]'");
    const std::string& type = c.args.front().scalar;
    TRY(found, matches(type, c));
    if (found.empty())
        return input_error(
            "remove: no " + type + " resource" +
            (c.assignments.empty() ? " is configured" : " matches" + filters_text(c)));
    if (found.size() > 1 && !c.force)
        return input_error("remove: " + std::to_string(found.size()) + " " + type +
                           " resources match; use 'remove -F " + type + filters_text(c) +
                           "' to remove them all, or add PROP=VALUE pairs to pick one");
    for (auto it = found.rbegin(); it != found.rend(); ++it)
        config_.resources.erase(config_.resources.begin() + static_cast<long>(*it));
    return zone::ok();
}

// ---- resource scope -------------------------------------------------------------

Result<void> Session::cmd_list_edit(const Command& c) {
    std::string verb = verb_name(c);
    const std::string& type = scope_->res.type;
    if (c.args.size() != 2)
        return input_error(verb + ": inside the " + type + " resource scope use '" + verb +
                           " PROP VALUE' for list properties ('end' first to " + verb +
                           " resources)");
    const std::string& prop = c.args[0].scalar;
    const auto* spec = config::find_resource_prop(*config::find_resource_type(type), prop);
    if (!spec) return config::check_resource_prop(type, prop, {});
    if (!spec->list)
        return input_error(verb + ": " + type + " " + prop + " is not a list; use 'set " + prop +
                           "=VALUE'");
    config::PropValue items = shape(spec, c.args[1]);
    config::PropValue now =
        scope_->res.props.count(prop) ? scope_->res.props[prop] : config::PropValue{true, {}, {}};
    for (const auto& item : items.list) {
        auto at = std::find(now.list.begin(), now.list.end(), item);
        if (c.verb == Verb::Add)
            now.list.push_back(item);
        else if (at != now.list.end())
            now.list.erase(at);
        else
            return input_error("remove: '" + item + "' is not in " + prop);
    }
    TRY_VOID(config::check_resource_prop(type, prop, now));
    scope_->res.props[prop] = std::move(now);
    return zone::ok();
}

Result<void> Session::cmd_end() {
    TRY_VOID(config::check_resource(scope_->res));
    TRY_VOID(config::check_resource_fits(config_, scope_->res, scope_->index));
    if (scope_->index)
        config_.resources[*scope_->index] = std::move(scope_->res);
    else
        config_.resources.push_back(std::move(scope_->res));
    scope_.reset();
    return zone::ok();
}

// ---- output ---------------------------------------------------------------------

Result<void> Session::cmd_info(const Command& c) {
    std::ostream& out = *io_.out;
    if (scope_) {
        if (c.args.empty())
            out << format_resource(scope_->res);
        else if (!config::find_resource_prop(*config::find_resource_type(scope_->res.type),
                                             c.args[0].scalar))
            return config::check_resource_prop(scope_->res.type, c.args[0].scalar, {});
        else if (const auto* v = scope_->res.get(c.args[0].scalar))
            out << c.args[0].scalar << ": " << format_value(*v, false) << "\n";
        else
            out << c.args[0].scalar << ":\n";
        return zone::ok();
    }
    if (c.args.empty()) {
        out << "zonename: " << zone_ << "\n";
        for (const auto& p : config::global_props())
            if (const auto* v = config_.get(p.name))
                out << p.name << ": " << format_value(*v, false) << "\n";
        for (const auto& r : config_.resources)
            out << format_resource(r);
        return zone::ok();
    }
    const std::string& what = c.args[0].scalar;
    if (config::find_global_prop(what) && c.assignments.empty()) {
        const auto* v = config_.get(what);
        out << what << ":" << (v ? " " + format_value(*v, false) : "") << "\n";
        return zone::ok();
    }
    if (!config::find_resource_type(what))
        return input_error("info: '" + what + "' is neither a zone property nor a resource type");
    TRY(found, matches(what, c));
    for (std::size_t i : found)
        out << format_resource(config_.resources[i]);
    return zone::ok();
}

Result<void> Session::cmd_export(const Command& c) {
    std::string text = export_config(config_);
    if (c.file.empty() || c.file == "-") {
        *io_.out << text;
        return zone::ok();
    }
    if (!io_.write_file) return input_error("export: cannot write files here");
    return io_.write_file(c.file, text);
}

Result<void> Session::cmd_help(const Command& c) {
    *io_.out << help_text(c.args.empty() ? "" : c.args[0].scalar, scope_ ? &scope_->res : nullptr);
    return zone::ok();
}

// ---- committing and leaving -------------------------------------------------------

Result<void> Session::commit_now() {
    TRY_VOID(config::verify(config_));
    TRY(uuid, from_daemon(backend_.commit(config_, /*create=*/!exists_)));
    config_.uuid = uuid;
    committed_ = config_;
    exists_ = true;
    return zone::ok();
}

Result<void> Session::cmd_revert(const Command& c) {
    if (!c.force && !interactive_)
        return input_error("revert: use 'revert -F' to drop the changes without being asked");
    if (!c.force && !ask("Are you sure you want to revert (y/[n])? ", false)) return zone::ok();
    config_ = committed_;
    have_config_ = exists_;
    return zone::ok();
}

Result<void> Session::cmd_delete(const Command& c) {
    if (!c.force && !interactive_)
        return input_error("delete: use 'delete -F' to delete zone '" + zone_ +
                           "' without being asked");
    if (!c.force && !ask("Are you sure you want to delete zone " + zone_ + " (y/[n])? ", false))
        return zone::ok();
    if (exists_) TRY_VOID(from_daemon(backend_.remove(zone_)));
    exists_ = have_config_ = false;
    config_ = committed_ = config::ZoneConfig{};
    return zone::ok();
}

Result<void> Session::cmd_exit(const Command& c) {
    if (scope_ && c.force) scope_.reset();
    if (scope_) TRY_VOID(cmd_end()); // leaving ends the open resource, as Solaris does
    if (c.force) {
        discard_ = done_ = true;
        return zone::ok();
    }
    if (interactive_ && dirty()) {
        if (ask("Commit the changes to zone " + zone_ + " ([y]/n)? ", true)) TRY_VOID(commit_now());
        discard_ = true; // answered: either committed or dropped on purpose
    }
    done_ = true;
    return zone::ok();
}

Result<void> Session::finish() {
    failed_in_daemon_ = false;
    if (discard_) return zone::ok();
    if (scope_)
        return input_error("input ended inside the " + scope_->res.type +
                           " resource scope (missing 'end')");
    return dirty() ? commit_now() : zone::ok();
}

// ---- scripts ----------------------------------------------------------------------

Result<void> run_line(Session& s, std::string_view text, int line) {
    TRY(raws, lex_line(text, line));
    for (const auto& raw : raws) {
        TRY(cmd, parse_command(raw));
        TRY_VOID(s.run(cmd));
        if (s.done()) break;
    }
    return zone::ok();
}

std::optional<ScriptFailure> run_script(Session& s, std::string_view text, bool number_by_command) {
    int line = 0, command = 0;
    std::size_t pos = 0;
    while (pos <= text.size() && !s.done()) {
        std::size_t nl = text.find('\n', pos);
        std::string_view one =
            text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
        pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
        ++line;
        auto raws = lex_line(one, line);
        if (!raws)
            return ScriptFailure{std::move(raws).error(), number_by_command ? command + 1 : line,
                                 false};
        for (const auto& raw : *raws) {
            int where = number_by_command ? ++command : line;
            auto cmd = parse_command(raw);
            if (!cmd) return ScriptFailure{std::move(cmd).error(), where, false};
            if (auto r = s.run(*cmd); !r)
                return ScriptFailure{std::move(r).error(), where, s.failed_in_daemon()};
            if (s.done()) break;
        }
    }
    if (auto r = s.finish(); !r)
        return ScriptFailure{std::move(r).error(), 0, s.failed_in_daemon()};
    return std::nullopt;
}

} // namespace zonectl::zonecfg
