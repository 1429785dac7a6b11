// zonecfg templates kept by zoned: <state>/templates/<name>.json, each a
// zone configuration without a name or uuid (docs/qa.md). The built-in
// templates ("default", "blank") come from the config library and cannot be
// replaced or deleted.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "runtime/common/error.hpp"
#include "runtime/config/zone_config.hpp"

namespace zone::templates {

struct Template {
    std::string name;
    std::string created;      // RFC 3339 UTC
    std::string source;       // "zone:web", "file", "config"
    config::ZoneConfig config;
};

nlohmann::json to_json(const Template& t);
Result<Template> template_from_json(const nlohmann::json& j);

// Pure: a template from a zone's configuration: no name or uuid, and no host
// name when it was the zone's own name (the default of every zone made from it).
config::ZoneConfig from_zone(const config::ZoneConfig& zone_cfg);

class TemplateStore {
  public:
    explicit TemplateStore(std::string dir) : dir_(std::move(dir)) {}

    // Template names follow zone names; built-in names are taken.
    static Result<void> check_name(const std::string& name);

    // Written atomically; EXISTS unless `replace`.
    Result<void> save(const Template& t, bool replace) const;
    // A stored template or a built-in one; NOT_FOUND names the known ones.
    Result<Template> load(const std::string& name) const;
    Result<std::vector<Template>> list() const;  // stored ones, by name
    Result<void> remove(const std::string& name) const;

  private:
    std::string path(const std::string& name) const { return dir_ + "/" + name + ".json"; }
    std::string dir_;
};

} // namespace zone::templates
