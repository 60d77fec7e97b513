/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "error.h"
#include "netdev.h"

/* A request: the header, the family's message, its attributes. */
typedef struct Request {
        struct nlmsghdr h;
        union {
                struct ifinfomsg ifi;
                struct ifaddrmsg ifa;
        };
        char attrs[128];
} Request;

static void request_init(Request *r, uint16_t type, uint16_t flags, size_t size) {
        *r = (Request) {
                .h = { .nlmsg_len = NLMSG_LENGTH(size), .nlmsg_type = type, .nlmsg_flags = NLM_F_REQUEST | flags },
        };
}

static void add_attr(Request *r, unsigned short type, const void *data, size_t len) {
        struct rtattr *a = (struct rtattr *) ((char *) &r->h + NLMSG_ALIGN(r->h.nlmsg_len));

        a->rta_type = type;
        a->rta_len = RTA_LENGTH(len);
        memcpy(RTA_DATA(a), data, len);
        r->h.nlmsg_len = NLMSG_ALIGN(r->h.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

/* Send r; the kernel's one answer in buf (an error is returned). */
static int transact(int fd, Request *r, char *buf, size_t size, struct nlmsghdr **ret) {
        struct nlmsghdr *h = (struct nlmsghdr *) buf;
        ssize_t n;

        if (send(fd, &r->h, r->h.nlmsg_len, 0) < 0)
                return -errno;
        n = RETRY_EINTR(recv(fd, buf, size, 0));
        if (n < 0)
                return -errno;
        if (!NLMSG_OK(h, (size_t) n))
                return -EPROTO;
        if (h->nlmsg_type == NLMSG_ERROR && ((struct nlmsgerr *) NLMSG_DATA(h))->error < 0)
                return ((struct nlmsgerr *) NLMSG_DATA(h))->error;
        if (ret)
                *ret = h;
        return 0;
}

static int request_ack(int fd, Request *r) {
        char buf[1024];

        return transact(fd, r, buf, sizeof buf, NULL);
}

/* What of an address the kernel drops when its interface changes namespace. */
typedef struct Address {
        struct ifaddrmsg ifa;
        uint8_t local[16], address[16];
        bool has_local, has_address;
} Address;

static bool address_parse(struct nlmsghdr *h, int ifindex, Address *ret) {
        struct ifaddrmsg *ifa = NLMSG_DATA(h);
        size_t len = ifa->ifa_family == AF_INET ? 4 : 16;
        int n = (int) IFA_PAYLOAD(h);

        /* Only what the user configured and is not bound to the host's
         * network, as runc keeps: permanent, global scope. */
        if (h->nlmsg_type != RTM_NEWADDR || (int) ifa->ifa_index != ifindex || !(ifa->ifa_flags & IFA_F_PERMANENT) ||
            ifa->ifa_scope != RT_SCOPE_UNIVERSE)
                return false;
        *ret = (Address) { .ifa = *ifa };
        for (struct rtattr *a = IFA_RTA(ifa); RTA_OK(a, n); a = RTA_NEXT(a, n))
                if (RTA_PAYLOAD(a) == len && (a->rta_type == IFA_LOCAL || a->rta_type == IFA_ADDRESS)) {
                        memcpy(a->rta_type == IFA_LOCAL ? ret->local : ret->address, RTA_DATA(a), len);
                        *(a->rta_type == IFA_LOCAL ? &ret->has_local : &ret->has_address) = true;
                }
        return true;
}

static int read_addresses(int fd, int ifindex, Address **ret, size_t *ret_n) {
        _cleanup_free_ Address *list = NULL;
        size_t n = 0;
        Request r;

        request_init(&r, RTM_GETADDR, NLM_F_DUMP, sizeof(struct ifaddrmsg));
        r.ifa.ifa_family = AF_UNSPEC;
        if (send(fd, &r.h, r.h.nlmsg_len, 0) < 0)
                return -errno;
        for (;;) {
                char buf[16384];
                ssize_t n_read = RETRY_EINTR(recv(fd, buf, sizeof buf, 0));
                /* (the kernel pads each message to NLMSG_ALIGNTO: NLMSG_NEXT cannot wrap) */
                unsigned len = (unsigned) n_read;

                if (n_read < 0)
                        return -errno;
                for (struct nlmsghdr *h = (struct nlmsghdr *) buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
                        Address a, *l;

                        if (h->nlmsg_type == NLMSG_DONE) {
                                *ret = TAKE_PTR(list);
                                *ret_n = n;
                                return 0;
                        }
                        if (h->nlmsg_type == NLMSG_ERROR)
                                return ((struct nlmsgerr *) NLMSG_DATA(h))->error ?: -EPROTO;
                        if (!address_parse(h, ifindex, &a))
                                continue;
                        l = realloc(list, (n + 1) * sizeof *l);
                        if (!l)
                                return -ENOMEM;
                        list = l;
                        list[n++] = a;
                }
        }
}

/* A netlink socket of pid's network namespace: made there, it stays
 * there, and runsd goes back to its own. */
static int netns_socket(pid_t pid) {
        _cleanup_close_ int own = -1, theirs = -1;
        char path[64];
        int fd, r = 0;

        snprintf(path, sizeof path, "/proc/%d/ns/net", pid);
        own = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        theirs = open(path, O_RDONLY | O_CLOEXEC);
        if (own < 0 || theirs < 0 || setns(theirs, CLONE_NEWNET) < 0)
                return -errno;
        fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        if (fd < 0)
                r = -errno;
        if (setns(own, CLONE_NEWNET) < 0) {
                /* Not ever to go on in the container's namespace. */
                fprintf(stderr, "runsd: cannot return to its own network namespace: %m\n");
                abort();
        }
        return fd < 0 ? r : fd;
}

/* Its index in the container, up, with its addresses. */
static int device_setup(int fd, const char *name, const Address *addrs, size_t n) {
        struct nlmsghdr *h;
        char buf[4096];
        Request r;
        int ifindex;

        request_init(&r, RTM_GETLINK, 0, sizeof(struct ifinfomsg));
        add_attr(&r, IFLA_IFNAME, name, strlen(name) + 1);
        ifindex = transact(fd, &r, buf, sizeof buf, &h);
        if (ifindex < 0)
                return ifindex;
        if (h->nlmsg_type != RTM_NEWLINK)
                return -EPROTO;
        ifindex = ((struct ifinfomsg *) NLMSG_DATA(h))->ifi_index;
        for (size_t i = 0; i < n; i++) {
                size_t len = addrs[i].ifa.ifa_family == AF_INET ? 4 : 16;
                int k;

                request_init(&r, RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, sizeof(struct ifaddrmsg));
                r.ifa = (struct ifaddrmsg) {
                        .ifa_family = addrs[i].ifa.ifa_family,
                        .ifa_prefixlen = addrs[i].ifa.ifa_prefixlen,
                        .ifa_scope = addrs[i].ifa.ifa_scope,
                        .ifa_index = (unsigned) ifindex,
                };
                if (addrs[i].has_local)
                        add_attr(&r, IFA_LOCAL, addrs[i].local, len);
                if (addrs[i].has_address)
                        add_attr(&r, IFA_ADDRESS, addrs[i].address, len);
                if ((k = request_ack(fd, &r)) < 0)
                        return k;
        }
        request_init(&r, RTM_NEWLINK, NLM_F_ACK, sizeof(struct ifinfomsg));
        r.ifi = (struct ifinfomsg) { .ifi_index = ifindex, .ifi_flags = IFF_UP, .ifi_change = IFF_UP };
        return request_ack(fd, &r);
}

static int device_move(int fd, int ns_fd, const SpecNetDevice *d, pid_t pid) {
        _cleanup_free_ Address *addrs = NULL;
        uint32_t ns_pid = (uint32_t) pid;
        int ifindex = (int) if_nametoindex(d->host_name), r;
        size_t n = 0;
        Request req;

        if (ifindex == 0)
                return -errno;
        r = read_addresses(fd, ifindex, &addrs, &n);
        if (r < 0)
                return r;
        /* Moved and renamed at once: its name may be taken on either side. */
        request_init(&req, RTM_NEWLINK, NLM_F_ACK, sizeof(struct ifinfomsg));
        req.ifi = (struct ifinfomsg) { .ifi_family = AF_UNSPEC, .ifi_index = ifindex };
        add_attr(&req, IFLA_NET_NS_PID, &ns_pid, sizeof ns_pid);
        add_attr(&req, IFLA_IFNAME, d->name, strlen(d->name) + 1);
        r = request_ack(fd, &req);
        if (r < 0)
                return r;
        return device_setup(ns_fd, d->name, addrs, n);
}

int net_devices_move(const Spec *s, pid_t pid) {
        _cleanup_close_ int fd = -1, ns_fd = -1;

        if (s->n_net_devices == 0)
                return 0;
        fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        if (fd < 0)
                return error_set(-errno, "linux.netDevices: netlink socket: %m");
        ns_fd = netns_socket(pid);
        if (ns_fd < 0)
                return error_set(ns_fd, "linux.netDevices: the container's network namespace: %m");
        for (size_t i = 0; i < s->n_net_devices; i++) {
                const SpecNetDevice *d = &s->net_devices[i];
                int r = device_move(fd, ns_fd, d, pid);

                if (r < 0)
                        return error_set(r, "%s: linux.netDevices: move %s into the container as %s: %m", s->path,
                                         d->host_name, d->name);
        }
        return 0;
}
