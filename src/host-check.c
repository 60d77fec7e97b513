/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "error.h"
#include "fileio.h"
#include "host-check.h"

#define SELINUX_MAGIC 0xf97cff8c
#define RDTGROUP_SUPER_MAGIC 0x7655821

static bool fs_is(const char *path, unsigned long magic) {
        struct statfs st;

        return statfs(path, &st) == 0 && (unsigned long) st.f_type == magic;
}

bool host_apparmor_enabled(void) {
        _cleanup_free_ char *text = NULL;
        size_t len;

        return read_full_file("/sys/module/apparmor/parameters/enabled", 64, &text, &len) >= 0 && text[0] == 'Y';
}

bool host_selinux_enabled(void) {
        return fs_is("/sys/fs/selinux", SELINUX_MAGIC);
}

bool host_idmapped_mounts(void) {
        /* mount_setattr(2) came with MOUNT_ATTR_IDMAP, in Linux 5.12. */
        return syscall(SYS_mount_setattr, -1, "", AT_EMPTY_PATH, NULL, 0) >= 0 || errno != ENOSYS;
}

bool host_intel_rdt_supported(void) {
        /* No machine runsd is tested on has resctrl: refused rather than untested. */
        return false;
}

int host_check(const Spec *s) {
        bool selinux = host_selinux_enabled();

        /* Ignored by runc where the LSM is off; refused here, since a
         * container that asked for confinement would run without it. */
        if (s->process.apparmor_profile && !host_apparmor_enabled())
                return error_set(-EOPNOTSUPP, "%s: process.apparmorProfile: AppArmor is not enabled on this host",
                                 s->path);
        if (s->process.selinux_label && !selinux)
                return error_set(-EOPNOTSUPP, "%s: process.selinuxLabel: SELinux is not enabled on this host", s->path);
        if (s->mount_label && !selinux)
                return error_set(-EOPNOTSUPP, "%s: linux.mountLabel: SELinux is not enabled on this host", s->path);
        for (size_t i = 0; i < s->n_mounts; i++)
                if (s->mounts[i].idmap && !host_idmapped_mounts())
                        return error_set(-EOPNOTSUPP, "%s: mounts[%zu].options: idmap: this kernel has no idmapped "
                                         "mounts (mount_setattr(2))", s->path, i);
        if (s->has_intel_rdt) {
                if (!fs_is("/sys/fs/resctrl", RDTGROUP_SUPER_MAGIC))
                        return error_set(-EOPNOTSUPP, "%s: linux.intelRdt: resctrl is not mounted on this host",
                                         s->path);
                if (!host_intel_rdt_supported())
                        return error_set(-EOPNOTSUPP, "%s: linux.intelRdt: not supported yet by runsd", s->path);
        }
        return 0;
}
