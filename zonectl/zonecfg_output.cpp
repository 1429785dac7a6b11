// Renderings of configurations for export, info and help.
#include "zonectl/zonecfg_output.hpp"

#include <algorithm>

#include "zonectl/zonecfg_parser.hpp"

namespace zonectl::zonecfg {

namespace {

std::string pad(std::string_view s, std::size_t width) {
    std::string out(s);
    if (out.size() < width) out.append(width - out.size(), ' ');
    return out + " ";
}

std::string props_help(const std::vector<config::PropSpec>& props, std::string_view indent) {
    std::string out;
    for (const auto& p : props)
        out += std::string(indent) + pad(p.name, 17) + std::string(p.help) + "\n";
    return out;
}

std::string resource_help(const config::ResourceSpec& r) {
    std::string out = std::string(r.name) + ": " + std::string(r.help) +
                      (r.single ? " (at most one)" : "") + "\n";
    return out + props_help(r.props, "  ");
}

std::string general_help() {
    std::string out = "Commands:\n";
    for (Verb v : all_verbs())
        out += "  " + std::string(usage(v)) + "\n      " + std::string(summary(v)) + "\n";
    out += "Values: word, \"quoted text\" or a list [a,b]. Commands end at ';' or a new line;\n"
           "'#' starts a comment. Type 'help properties', 'help resources' or 'help NAME'.\n";
    return out;
}

std::string scope_help(const config::Resource& scope) {
    const auto* spec = config::find_resource_type(scope.type);
    std::string out = spec ? resource_help(*spec) : scope.type + "\n";
    return out + "In this scope: set PROP=VALUE, clear PROP, add PROP VALUE and remove PROP VALUE\n"
                 "(list properties), info [PROP], end (keep the resource), cancel (drop it).\n";
}

} // namespace

std::vector<std::pair<std::string, const config::PropValue*>>
ordered_props(const config::Resource& r) {
    std::vector<std::pair<std::string, const config::PropValue*>> out;
    if (const auto* spec = config::find_resource_type(r.type))
        for (const auto& p : spec->props)
            if (const auto* v = r.get(p.name)) out.emplace_back(std::string(p.name), v);
    for (const auto& kv : r.props) {
        // Not a structured binding: clang 14 cannot capture one in a lambda.
        const std::string& name = kv.first;
        bool listed =
            std::any_of(out.begin(), out.end(), [&](const auto& o) { return o.first == name; });
        if (!listed) out.emplace_back(name, &kv.second);
    }
    return out;
}

std::string export_config(const config::ZoneConfig& cfg) {
    std::string out = "create -b\n";
    for (const auto& p : config::global_props())
        if (const auto* v = cfg.get(p.name))
            out += "set " + std::string(p.name) + "=" + format_value(*v, true) + "\n";
    for (const auto& r : cfg.resources) {
        out += "add " + r.type + "\n";
        for (const auto& [name, v] : ordered_props(r))
            out += "set " + name + "=" + format_value(*v, true) + "\n";
        out += "end\n";
    }
    return out;
}

std::string format_resource(const config::Resource& r) {
    std::string out = r.type + ":\n";
    for (const auto& [name, v] : ordered_props(r))
        out += "\t" + name + ": " + format_value(*v, false) + "\n";
    return out;
}

std::string help_text(std::string_view topic, const config::Resource* scope) {
    if (topic.empty()) return scope ? scope_help(*scope) : general_help();
    for (Verb v : all_verbs())
        if (to_string(v) == topic)
            return "usage: " + std::string(usage(v)) + "\n  " + std::string(summary(v)) + "\n";
    if (topic == "properties")
        return "Zone properties (set PROP=VALUE):\n" + props_help(config::global_props(), "  ");
    if (topic == "resources") {
        std::string out;
        for (const auto& r : config::resource_types())
            out += resource_help(r);
        return out;
    }
    if (const auto* r = config::find_resource_type(topic)) return resource_help(*r);
    if (scope)
        if (const auto* spec = config::find_resource_type(scope->type))
            if (const auto* p = config::find_resource_prop(*spec, topic))
                return std::string(p->name) + ": " + std::string(p->help) + "\n";
    if (const auto* p = config::find_global_prop(topic))
        return std::string(p->name) + ": " + std::string(p->help) + "\n";
    return "no help for '" + std::string(topic) + "'; type 'help' for the list of commands\n";
}

} // namespace zonectl::zonecfg
