#include "netlink.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <sched.h>
#include <unistd.h>

#include "runtime/common/fd.hpp"
#include "runtime/common/fs.hpp"

namespace zone::net {

namespace {

Error nl_error(int err, const std::string& op) {
    // libnl returns negative NLE_* codes; keep its text and a stable code.
    Error e = make_error("ENETLINK", op + ": " + nl_geterror(err));
    if (err == -NLE_EXIST) e.code = "EEXIST";
    if (err == -NLE_PERM) e.code = "EPERM";
    return e;
}

template <typename T, void (*Free)(T*)> struct NlPtr {
    T* p = nullptr;
    ~NlPtr() {
        if (p) Free(p);
    }
};
void free_link(rtnl_link* l) { rtnl_link_put(l); }
void free_addr(rtnl_addr* a) { rtnl_addr_put(a); }
void free_nladdr(nl_addr* a) { nl_addr_put(a); }
void free_route(rtnl_route* r) { rtnl_route_put(r); }

Result<nl_addr*> make_nladdr(uint32_t host_order, int prefix) {
    uint32_t be = htonl(host_order);
    nl_addr* a = nl_addr_build(AF_INET, &be, sizeof be);
    if (!a) return make_error("ENOMEM", "nl_addr_build");
    nl_addr_set_prefixlen(a, prefix);
    return a;
}

Result<void> add_address(NlSocket& sk, int ifindex, const Cidr& c, const std::string& what) {
    NlPtr<rtnl_addr, free_addr> addr{rtnl_addr_alloc()};
    TRY(local, make_nladdr(c.addr, c.prefix));
    NlPtr<nl_addr, free_nladdr> hold{local};
    rtnl_addr_set_ifindex(addr.p, ifindex);
    rtnl_addr_set_local(addr.p, local);
    int err = rtnl_addr_add(sk.get(), addr.p, NLM_F_REPLACE);
    if (err < 0 && err != -NLE_EXIST) return nl_error(err, "add address " + to_string(c) + " to " + what);
    return ok();
}

Result<void> set_up(NlSocket& sk, const std::string& name) {
    NlPtr<rtnl_link, free_link> cur;
    int err = rtnl_link_get_kernel(sk.get(), 0, name.c_str(), &cur.p);
    if (err < 0) return nl_error(err, "find link " + name);
    NlPtr<rtnl_link, free_link> change{rtnl_link_alloc()};
    rtnl_link_set_flags(change.p, IFF_UP);
    err = rtnl_link_change(sk.get(), cur.p, change.p, 0);
    if (err < 0) return nl_error(err, "set " + name + " up");
    return ok();
}

} // namespace

Result<NlSocket> NlSocket::open(int netns_fd) {
    UniqueFd self;
    if (netns_fd >= 0) {
        self = UniqueFd(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
        if (!self) return sys_error("open(/proc/thread-self/ns/net)");
        if (::setns(netns_fd, CLONE_NEWNET) < 0) return sys_error("setns(zone network namespace)");
    }
    nl_sock* sk = nl_socket_alloc();
    int err = sk ? nl_connect(sk, NETLINK_ROUTE) : -NLE_NOMEM;
    if (netns_fd >= 0 && ::setns(self.get(), CLONE_NEWNET) < 0) {
        if (sk) nl_socket_free(sk);
        return sys_error("setns(back to our network namespace)");
    }
    if (err < 0) {
        if (sk) nl_socket_free(sk);
        return nl_error(err, "netlink connect");
    }
    return NlSocket(sk);
}

NlSocket::~NlSocket() {
    if (sk_) nl_socket_free(sk_);
}

Result<int> link_index(NlSocket& sk, const std::string& name) {
    NlPtr<rtnl_link, free_link> l;
    int err = rtnl_link_get_kernel(sk.get(), 0, name.c_str(), &l.p);
    if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV) return 0;
    if (err < 0) return nl_error(err, "find link " + name);
    return rtnl_link_get_ifindex(l.p);
}

Result<int> ensure_bridge(NlSocket& sk, const std::string& name, const Cidr& gateway) {
    TRY(idx, link_index(sk, name));
    if (idx == 0) {
        NlPtr<rtnl_link, free_link> br{rtnl_link_bridge_alloc()};
        rtnl_link_set_name(br.p, name.c_str());
        int err = rtnl_link_add(sk.get(), br.p, NLM_F_CREATE);
        if (err < 0 && err != -NLE_EXIST) return nl_error(err, "create bridge " + name);
        TRY(again, link_index(sk, name));
        idx = again;
    }
    TRY_VOID(add_address(sk, idx, gateway, "bridge " + name));
    TRY_VOID(set_up(sk, name));
    return idx;
}

Result<void> delete_link(NlSocket& sk, const std::string& name) {
    NlPtr<rtnl_link, free_link> l{rtnl_link_alloc()};
    rtnl_link_set_name(l.p, name.c_str());
    int err = rtnl_link_delete(sk.get(), l.p);
    if (err < 0 && err != -NLE_OBJ_NOTFOUND && err != -NLE_NODEV) return nl_error(err, "delete link " + name);
    return ok();
}

Result<void> create_veth(NlSocket& host, const std::string& host_name, int bridge_ifindex,
                         const std::string& zone_name, int netns_fd) {
    NlPtr<rtnl_link, free_link> veth{rtnl_link_veth_alloc()};
    if (!veth.p) return make_error("ENOMEM", "rtnl_link_veth_alloc");
    rtnl_link_set_name(veth.p, host_name.c_str());
    rtnl_link_set_master(veth.p, bridge_ifindex);
    rtnl_link_set_flags(veth.p, IFF_UP);
    rtnl_link* peer = rtnl_link_veth_get_peer(veth.p);
    rtnl_link_set_name(peer, zone_name.c_str());
    rtnl_link_set_ns_fd(peer, netns_fd);
    rtnl_link_put(peer);
    int err = rtnl_link_add(host.get(), veth.p, NLM_F_CREATE | NLM_F_EXCL);
    if (err < 0) return nl_error(err, "create veth " + host_name + " (peer " + zone_name + " in the zone)");
    return ok();
}

Result<void> set_port_isolated(NlSocket& sk, const std::string& ifname) {
    TRY(idx, link_index(sk, ifname));
    if (idx == 0) return make_error("ENODEV", "no link " + ifname);
    // libnl has no setter for IFLA_BRPORT_ISOLATED: a plain RTM_SETLINK for
    // the bridge family with the flag in IFLA_PROTINFO.
    nl_msg* msg = nlmsg_alloc_simple(RTM_SETLINK, NLM_F_REQUEST | NLM_F_ACK);
    if (!msg) return make_error("ENOMEM", "nlmsg_alloc");
    ifinfomsg ifi{};
    ifi.ifi_family = AF_BRIDGE;
    ifi.ifi_index = idx;
    int err = nlmsg_append(msg, &ifi, sizeof ifi, NLMSG_ALIGNTO);
    nlattr* nest = err < 0 ? nullptr : nla_nest_start(msg, IFLA_PROTINFO | NLA_F_NESTED);
    if (nest) {
        err = nla_put_u8(msg, IFLA_BRPORT_ISOLATED, 1);
        nla_nest_end(msg, nest);
        if (err >= 0) err = nl_send_sync(sk.get(), msg);  // frees msg
        else nlmsg_free(msg);
    } else {
        nlmsg_free(msg);
        err = err < 0 ? err : -NLE_NOMEM;
    }
    if (err < 0) return nl_error(err, "isolate bridge port " + ifname);
    return ok();
}

Result<void> configure_zone_link(NlSocket& zone, const std::string& ifname, const Cidr& addr,
                                 uint32_t gateway) {
    TRY(idx, link_index(zone, ifname));
    if (idx == 0) return make_error("ENODEV", "no link " + ifname + " in the zone");
    TRY_VOID(add_address(zone, idx, addr, ifname + " in the zone"));
    TRY_VOID(set_up(zone, ifname));
    if (gateway == 0) return ok();
    NlPtr<rtnl_route, free_route> route{rtnl_route_alloc()};
    TRY(dst, make_nladdr(0, 0));
    NlPtr<nl_addr, free_nladdr> hold_dst{dst};
    TRY(gw, make_nladdr(gateway, 32));
    NlPtr<nl_addr, free_nladdr> hold_gw{gw};
    rtnl_route_set_family(route.p, AF_INET);
    rtnl_route_set_dst(route.p, dst);
    rtnl_route_set_table(route.p, RT_TABLE_MAIN);
    rtnl_nexthop* nh = rtnl_route_nh_alloc();
    rtnl_route_nh_set_ifindex(nh, idx);
    rtnl_route_nh_set_gateway(nh, gw);
    rtnl_route_add_nexthop(route.p, nh);
    int err = rtnl_route_add(zone.get(), route.p, NLM_F_CREATE | NLM_F_REPLACE);
    if (err < 0) return nl_error(err, "default route via " + ipv4_to_string(gateway) + " in the zone");
    return ok();
}

Result<void> enable_ip_forward() {
    UniqueFd fd(::open("/proc/sys/net/ipv4/ip_forward", O_WRONLY | O_CLOEXEC));
    if (!fd || ::write(fd.get(), "1", 1) != 1) return sys_error("write(/proc/sys/net/ipv4/ip_forward)");
    return ok();
}

} // namespace zone::net
