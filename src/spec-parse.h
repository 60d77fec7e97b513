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

/* linux.resources (spec-resources.c); prefix names its fields in messages. */
int spec_resources_parse_object(const Parser *p, json_t *res, const char *prefix, SpecResources **ret);
