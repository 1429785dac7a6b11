// The "debootstrap[:SUITE]" image source: a real Debian root file system made
// by debootstrap (variant minbase, plus systemd-sysv for init=/sbin/init)
// from the host's own apt mirror, through a cache of the downloaded packages
// so that a rebuild is fast and needs no network.
//
//   <cache>/<suite>-minbase-<arch>.tar.gz   debootstrap --make-tarball output
//
// The cache directory is $ZONED_DEBOOTSTRAP_CACHE, else
// /var/cache/zoned/debootstrap. When the tarball is missing the builder makes
// it first (a download); tests/setup.sh makes it at setup time, so tests run
// offline (docs/images.md).
#pragma once

#include <string>
#include <string_view>

#include "images/store.hpp"
#include "runtime/common/error.hpp"

namespace zone::images {

inline constexpr const char* kDefaultDebootstrapCache = "/var/cache/zoned/debootstrap";
inline constexpr const char* kDefaultSuite = "bookworm";
// Packages on top of minbase: systemd-sysv gives /sbin/init.
inline constexpr const char* kDebootstrapInclude = "systemd-sysv";

// The cache directory in effect ($ZONED_DEBOOTSTRAP_CACHE or the default).
std::string debootstrap_cache_dir();
// "<cache>/<suite>-minbase-<arch>.tar.gz".
std::string debootstrap_tarball(const std::string& cache, const std::string& suite,
                                const std::string& arch);
// Debian's name of this machine's architecture (amd64, arm64, ...).
std::string debian_arch();

// Pure: the first Debian mirror named by apt sources, one-line style
// ("deb [opts] URL SUITE COMPONENTS", sources.list) or deb822 style
// ("URIs: URL" in a stanza whose Types include deb, *.sources). Mirrors of
// security updates are passed over. "" when there is none.
std::string mirror_from_sources_list(std::string_view text);
std::string mirror_from_deb822(std::string_view text);
// The host's mirror from /etc/apt/sources.list and /etc/apt/sources.list.d/.
Result<std::string> host_mirror();

// Suite names: lower-case letters, digits and '-' (bookworm, trixie, sid).
Result<void> check_suite(const std::string& suite);

// Fills the empty directory `rootfs` (a path: debootstrap takes one) with
// SUITE, then makes it ready to boot as a zone (docs/images.md).
Result<void> build_debootstrap_rootfs(const std::string& rootfs, const std::string& suite,
                                      ProgressFn fn = nullptr, void* ctx = nullptr);

} // namespace zone::images
