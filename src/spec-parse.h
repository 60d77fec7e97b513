/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "macro.h"
#include "spec.h"

/* Typed readers of config.json's fields, for spec.c and spec-resources.c.
 * Each names the field in its error: "<path>: mounts[3].destination: ...".
 * The get_*() return 1 if the key was there (and not null), 0 if not. */

typedef struct Parser {
        const char *path;
        bool ints_as_reals;     /* see spec_parse() */
} Parser;

int field_error(const Parser *p, const char *field, const char *fmt, ...) _printf_(3, 4);
int not_supported(const Parser *p, const char *field);
const char *json_type_name(const json_t *v);
/* A key present with null counts as absent, as in the Go runtimes. */
json_t *member(json_t *obj, const char *key);

int get_object(const Parser *p, json_t *obj, const char *key, const char *field, json_t **ret);
int get_array(const Parser *p, json_t *obj, const char *key, const char *field, json_t **ret);
int string_value(const Parser *p, json_t *v, const char *field, char **ret);
int get_string(const Parser *p, json_t *obj, const char *key, const char *field, char **ret);
int get_required_string(const Parser *p, json_t *obj, const char *key, const char *field, char **ret);
/* Element i of the array at field must be an object; names it in *name. */
int array_object(const Parser *p, json_t *v, const char *field, size_t i, char *name, size_t size);
/* An array of objects at key: *ret gets one zeroed element of size bytes
 * per entry (and one more, zero, at the end), and fn parses entry i, named
 * "field[i]" in messages.  *ret_n counts the entries handed to fn, so what
 * a failed one holds is freed with the rest. */
typedef int (*ElementFn)(const Parser *p, json_t *v, const char *name, size_t i, void *element, void *userdata);
int get_object_array(const Parser *p, json_t *obj, const char *key, const char *field, size_t size,
                     void **ret, size_t *ret_n, ElementFn fn, void *userdata);
int get_bool(const Parser *p, json_t *obj, const char *key, const char *field, bool *ret);
int integer_value(const Parser *p, json_t *v, const char *field, long long min, long long max, long long *ret);
int get_integer(const Parser *p, json_t *obj, const char *key, const char *field,
                long long min, long long max, long long *ret);
int get_required_integer(const Parser *p, json_t *obj, const char *key, const char *field,
                         long long min, long long max, long long *ret);
/* uid_t and gid_t: (uid_t) -1 is "no id" to the kernel, so it is refused. */
int get_id(const Parser *p, json_t *obj, const char *key, const char *field, uint32_t *ret);
int get_u64(const Parser *p, json_t *obj, const char *key, const char *field, uint64_t *ret);
int get_required_u64(const Parser *p, json_t *obj, const char *key, const char *field, uint64_t *ret);
int get_strv(const Parser *p, json_t *obj, const char *key, const char *field, char ***ret);
/* An absolute path without ".." components, normalized in place. */
int check_absolute(const Parser *p, const char *field, char **path);

/* config.json's "hooks" (spec-hooks.c). */
int spec_hooks_parse(const Parser *p, json_t *root, SpecHooks *ret);

/* uidMappings or gidMappings (key) of object l, named field in messages:
 * 1 if there, 0 if not. */
int parse_id_maps(const Parser *p, json_t *l, const char *key, const char *field, SpecIdMap **ret, size_t *ret_n);

/* Up to 64 printable characters, no '/': a host or domain name. */
bool hostname_valid(const char *h);

/* linux.uidMappings, gidMappings, timeOffsets and sysctl, and domainname
 * (spec-namespaces.c), once linux.namespaces and process are parsed. */
int spec_namespaces_parse(const Parser *p, json_t *root, Spec *s);
void spec_namespaces_done(SpecNamespaceSettings *ns);

/* linux.resources (spec-resources.c); prefix names its fields in messages. */
int spec_resources_parse_object(const Parser *p, json_t *res, const char *prefix, SpecResources **ret);

/* linux.devices (spec-devices.c) */
int spec_devices_parse(const Parser *p, json_t *linux_obj, Spec *s);
void spec_devices_free(SpecDevice *d, size_t n);

/* linux_obj.seccomp into *ret, NULL if absent (spec-seccomp.c). */
int spec_seccomp_parse(const Parser *p, json_t *linux_obj, SpecSeccomp **ret);

/* process.scheduler, ioPriority, execCPUAffinity, apparmorProfile and
 * selinuxLabel; linux.personality, memoryPolicy and mountLabel, once the
 * mounts are parsed (spec-process.c). */
int spec_process_attr_parse(const Parser *p, json_t *process, SpecProcess *proc);
void spec_process_attr_done(SpecProcess *proc);
int spec_linux_attr_parse(const Parser *p, json_t *linux_obj, Spec *s);
void spec_linux_attr_done(Spec *s);

/* linux.netDevices and intelRdt, once linux.namespaces is parsed (spec-host.c). */
int spec_host_parse(const Parser *p, json_t *linux_obj, Spec *s);
void spec_host_done(Spec *s);
