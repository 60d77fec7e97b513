/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>
#include <sys/stat.h>

#include "spec-parse.h"
#include "spec.h"

/* linux.devices: the nodes to create in the container's /dev. */

static mode_t device_type_ifmt(char type) {
        switch (type) {
        case 'c':
        case 'u':               /* unbuffered: a character device to mknod */
                return S_IFCHR;
        case 'b':
                return S_IFBLK;
        case 'p':
                return S_IFIFO;
        }
        return 0;
}

static int parse_device(const Parser *p, json_t *v, const char *name, size_t i, void *element, void *userdata) {
        _cleanup_free_ char *type = NULL;
        SpecDevice *d = element;
        long long n;
        char f[256];
        int k;

        snprintf(f, sizeof f, "%s.path", name);
        if ((k = get_required_string(p, v, "path", f, &d->path)) < 0 ||
            (k = check_absolute(p, f, &d->path)) < 0)
                return k;
        /* What runsd creates stays in the container's /dev. */
        if (strncmp(d->path, "/dev/", 5) != 0)
                return field_error(p, f, "\"%s\" is not under /dev", d->path);

        snprintf(f, sizeof f, "%s.type", name);
        if ((k = get_required_string(p, v, "type", f, &type)) < 0)
                return k;
        if (strlen(type) != 1 || !device_type_ifmt(type[0]))
                return field_error(p, f, "\"%s\" is not \"c\", \"b\", \"u\" or \"p\"", type);
        d->type = type[0];

        /* A fifo has no device number; the kernel ignores one given. */
        snprintf(f, sizeof f, "%s.major", name);
        k = d->type == 'p' ? get_integer(p, v, "major", f, 0, 4095, &n)
                           : get_required_integer(p, v, "major", f, 0, 4095, &n);  /* 12 bits in dev_t */
        if (k < 0)
                return k;
        d->major = k > 0 ? (uint32_t) n : 0;
        snprintf(f, sizeof f, "%s.minor", name);
        k = d->type == 'p' ? get_integer(p, v, "minor", f, 0, 1048575, &n)
                           : get_required_integer(p, v, "minor", f, 0, 1048575, &n);   /* 20 bits */
        if (k < 0)
                return k;
        d->minor = k > 0 ? (uint32_t) n : 0;

        /* Some clients send the whole st_mode (0020666); its type bits,
         * if any, must be the entry's type. */
        snprintf(f, sizeof f, "%s.fileMode", name);
        k = get_integer(p, v, "fileMode", f, 0, 0177777, &n);
        if (k < 0)
                return k;
        if (k > 0 && (n & S_IFMT) && (mode_t) (n & S_IFMT) != device_type_ifmt(d->type))
                return field_error(p, f, "0%llo does not match type \"%c\"", n, d->type);
        d->mode = k > 0 ? (mode_t) (n & 07777) : 0666;     /* runc's default */

        snprintf(f, sizeof f, "%s.uid", name);
        if ((k = get_id(p, v, "uid", f, &d->uid)) < 0)
                return k;
        snprintf(f, sizeof f, "%s.gid", name);
        return get_id(p, v, "gid", f, &d->gid);
}

int spec_devices_parse(const Parser *p, json_t *linux_obj, Spec *s) {
        int k = get_object_array(p, linux_obj, "devices", "linux.devices", sizeof(SpecDevice),
                                 (void **) &s->devices, &s->n_devices, parse_device, NULL);

        return k < 0 ? k : 0;
}

mode_t spec_device_ifmt(const SpecDevice *d) {
        return device_type_ifmt(d->type);
}

void spec_devices_free(SpecDevice *d, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(d[i].path);
        free(d);
}
