#include "templates.hpp"

#include <algorithm>
#include <unistd.h>

#include "images/store.hpp"
#include "runtime/api/protocol.hpp"
#include "runtime/common/fs.hpp"

namespace zone::templates {

nlohmann::json to_json(const Template& t) {
    config::ZoneConfig cfg = t.config;
    cfg.name = t.name;
    cfg.uuid.clear();
    return nlohmann::json{
        {"name", t.name}, {"created", t.created}, {"source", t.source}, {"config", config::to_json(cfg)}};
}

Result<Template> template_from_json(const nlohmann::json& j) {
    if (!j.is_object() || !j.contains("config"))
        return make_error("EINVAL", "a template is an object with a 'config'");
    Template t;
    t.name = j.value("name", std::string());
    t.created = j.value("created", std::string());
    t.source = j.value("source", std::string());
    TRY(cfg, config::from_json(j["config"]));
    t.config = std::move(cfg);
    return t;
}

config::ZoneConfig from_zone(const config::ZoneConfig& zone_cfg) {
    config::ZoneConfig cfg = zone_cfg;
    auto host = cfg.props.find("hostname");
    if (host != cfg.props.end() && host->second.scalar == zone_cfg.name) cfg.props.erase(host);
    cfg.name.clear();
    cfg.uuid.clear();
    return cfg;
}

Result<void> TemplateStore::check_name(const std::string& name) {
    if (!config::check_zone_name(name))
        return make_error(api::code::kInvalidParams,
                          "template name '" + name +
                              "' is not valid: 1-63 characters of A-Z a-z 0-9 _ . -, starting with a "
                              "letter or digit");
    if (config::builtin_template(name))
        return make_error(api::code::kExists, "'" + name + "' is a built-in template and cannot be changed");
    return ok();
}

Result<void> TemplateStore::save(const Template& t, bool replace) const {
    TRY_VOID(check_name(t.name));
    TRY_VOID(fs::mkdir_p(dir_, 0700));
    if (!replace && fs::exists(path(t.name)))
        return make_error(api::code::kExists, "template '" + t.name + "' already exists");
    return fs::write_file_atomic(path(t.name), to_json(t).dump(2) + "\n", 0600);
}

Result<Template> TemplateStore::load(const std::string& name) const {
    if (auto b = config::builtin_template(name)) return Template{name, "", "built-in", *b};
    if (!config::check_zone_name(name) || !fs::exists(path(name))) {
        std::string known;
        for (const auto& n : config::builtin_template_names()) known += (known.empty() ? "" : ", ") + n;
        if (auto all = list())
            for (const auto& t : *all) known += ", " + t.name;
        return make_error(api::code::kNotFound, "no template named '" + name + "' (there are: " + known + ")");
    }
    TRY(text, fs::read_file(path(name)));
    auto j = nlohmann::json::parse(text, nullptr, false);
    auto t = template_from_json(j);
    if (!t) return std::move(t).error().wrap(path(name));
    t->name = name;
    return t;
}

Result<std::vector<Template>> TemplateStore::list() const {
    std::vector<Template> out;
    if (!fs::exists(dir_)) return out;
    TRY(fd, fs::open_dir(dir_));
    TRY(names, fs::list_dir(fd.get(), dir_));
    std::sort(names.begin(), names.end());
    for (const auto& n : names) {
        if (n.size() <= 5 || n.compare(n.size() - 5, 5, ".json") != 0 || n[0] == '.') continue;
        std::string name = n.substr(0, n.size() - 5);
        if (!config::check_zone_name(name)) continue;
        auto t = load(name);
        if (t) out.push_back(std::move(t).value());
    }
    return out;
}

Result<void> TemplateStore::remove(const std::string& name) const {
    TRY_VOID(check_name(name));
    if (::unlink(path(name).c_str()) < 0) {
        if (errno == ENOENT) return make_error(api::code::kNotFound, "no template named '" + name + "'");
        return sys_error("unlink(" + path(name) + ")");
    }
    return ok();
}

} // namespace zone::templates
