// template.* methods: zonecfg templates, built-in and stored (runtime/templates.hpp).
// template.get and template.list are registered with the zone.config.* methods.
#include <mutex>

#include "images/store.hpp"
#include "runtime/common/log.hpp"
#include "runtime/daemon.hpp"
#include "runtime/templates.hpp"

namespace zone {

namespace {

templates::TemplateStore template_store(Call& c) {
    return templates::TemplateStore(c.daemon.paths().root + "/templates");
}

// create/delete one at a time: "exists?" and the write are one step.
std::mutex g_templates_mu;

} // namespace

Result<api::json> get_template(Call& c) {
    TRY(name, api::param_string(c.params, "name"));
    TRY(t, template_store(c).load(name));
    return templates::to_json(t);
}

Result<api::json> list_templates(Call& c) {
    api::json names = api::json::array(), details = api::json::array();
    for (const auto& n : config::builtin_template_names()) {
        names.push_back(n);
        details.push_back({{"name", n}, {"source", "built-in"}, {"created", ""}});
    }
    TRY(stored, template_store(c).list());
    for (const auto& t : stored) {
        names.push_back(t.name);
        details.push_back({{"name", t.name}, {"source", t.source}, {"created", t.created}});
    }
    return api::json{{"templates", names}, {"details", details}};
}

namespace {

// params: name, and either zone (its committed configuration) or config
// (a configuration object, as zonecfg builds it from a command file);
// replace: overwrite an existing template.
Result<api::json> template_create(Call& c) {
    TRY(name, api::param_string(c.params, "name"));
    TRY_VOID(templates::TemplateStore::check_name(name));
    TRY(replace, api::param_bool(c.params, "replace", false));
    templates::Template t;
    t.name = name;
    t.created = images::rfc3339_now();
    if (c.params.contains("zone")) {
        TRY(zone_name, api::param_string(c.params, "zone"));
        TRY_VOID(config::check_zone_name(zone_name));
        TRY(zp, c.daemon.registry().find(zone_name));
        TRY(lk, ZoneLock::acquire(zp));
        if (!lk->exists) return make_error(api::code::kNotFound, "zone '" + zone_name + "' is not configured");
        t.config = templates::from_zone(lk->config);
        t.source = "zone:" + zone_name;
    } else {
        auto it = c.params.find("config");
        if (it == c.params.end() || !it->is_object())
            return make_error(api::code::kInvalidParams, "give parameter 'zone' or 'config' (an object)");
        api::json j = *it;
        j["name"] = "";
        j["uuid"] = "";
        auto cfg = config::from_json(j);
        if (!cfg) return std::move(cfg).error().wrap("template '" + name + "'");
        t.config = std::move(cfg).value();
        t.source = c.params.value("source", std::string("config"));
    }
    std::lock_guard g(g_templates_mu);
    TRY_VOID(template_store(c).save(t, replace));
    ZLOG_INFO("template=%s %s from %s by uid %u", name.c_str(), replace ? "written" : "created",
              t.source.c_str(), c.peer.uid);
    return templates::to_json(t);
}

Result<api::json> template_delete(Call& c) {
    TRY(name, api::param_string(c.params, "name"));
    std::lock_guard g(g_templates_mu);
    TRY_VOID(template_store(c).remove(name));
    ZLOG_INFO("template=%s deleted by uid %u", name.c_str(), c.peer.uid);
    return api::json{{"name", name}};
}

} // namespace

std::vector<Method> template_methods() {
    return {
        {"template.create", Access::Admin, template_create},
        {"template.delete", Access::Admin, template_delete},
    };
}

} // namespace zone
