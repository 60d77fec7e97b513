/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <limits.h>
#include <stdarg.h>
#include <string.h>

#include "error.h"
#include "path.h"
#include "spec-parse.h"
#include "strv.h"

/* Field names in messages: "process.args", "mounts[3].destination". */
int field_error(const Parser *p, const char *field, const char *fmt, ...) {
        char reason[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(reason, sizeof reason, fmt, ap);
        va_end(ap);
        return error_set(-EINVAL, "%s: %s: %s", p->path, field, reason);
}

int not_supported(const Parser *p, const char *field) {
        return error_set(-EOPNOTSUPP, "%s: %s: not supported yet by runsd", p->path, field);
}

const char *json_type_name(const json_t *v) {
        switch (json_typeof(v)) {
        case JSON_OBJECT: return "an object";
        case JSON_ARRAY: return "an array";
        case JSON_STRING: return "a string";
        case JSON_INTEGER: return "an integer";
        case JSON_REAL: return "a number";
        case JSON_TRUE:
        case JSON_FALSE: return "a boolean";
        case JSON_NULL: return "null";
        }
        return "unknown";
}

/* A key that is present with null counts as absent, as in the Go runtimes. */
json_t *member(json_t *obj, const char *key) {
        json_t *v = json_object_get(obj, key);
        return json_is_null(v) ? NULL : v;
}

int get_object(const Parser *p, json_t *obj, const char *key, const char *field, json_t **ret) {
        json_t *v = member(obj, key);

        *ret = NULL;
        if (!v)
                return 0;
        if (!json_is_object(v))
                return field_error(p, field, "must be an object, not %s", json_type_name(v));
        *ret = v;
        return 1;
}

int get_array(const Parser *p, json_t *obj, const char *key, const char *field, json_t **ret) {
        json_t *v = member(obj, key);

        *ret = NULL;
        if (!v)
                return 0;
        if (!json_is_array(v))
                return field_error(p, field, "must be an array, not %s", json_type_name(v));
        *ret = v;
        return 1;
}

int string_value(const Parser *p, json_t *v, const char *field, char **ret) {
        if (!json_is_string(v))
                return field_error(p, field, "must be a string, not %s", json_type_name(v));
        if (strlen(json_string_value(v)) != json_string_length(v))
                return field_error(p, field, "must not contain a NUL byte");
        *ret = strdup(json_string_value(v));
        return *ret ? 1 : -ENOMEM;
}

int get_string(const Parser *p, json_t *obj, const char *key, const char *field, char **ret) {
        json_t *v = member(obj, key);

        if (!v)
                return 0;
        free(*ret);
        *ret = NULL;
        return string_value(p, v, field, ret);
}

int get_required_string(const Parser *p, json_t *obj, const char *key, const char *field, char **ret) {
        int r = get_string(p, obj, key, field, ret);

        if (r == 0)
                return field_error(p, field, "is required");
        return r;
}

/* Element i of the array at field must be an object; names it in *name. */
int array_object(const Parser *p, json_t *v, const char *field, size_t i, char *name, size_t size) {
        snprintf(name, size, "%s[%zu]", field, i);
        if (!json_is_object(v))
                return field_error(p, name, "must be an object, not %s", json_type_name(v));
        return 0;
}

int get_object_array(const Parser *p, json_t *obj, const char *key, const char *field, size_t size,
                     void **ret, size_t *ret_n, ElementFn fn, void *userdata) {
        char array[160], name[192];
        json_t *a, *v;
        size_t i;
        int r;

        /* field may live in a buffer fn reuses (FIELD() in spec-resources.c) */
        snprintf(array, sizeof array, "%s", field);
        r = get_array(p, obj, key, array, &a);
        if (r <= 0)
                return r;
        *ret = calloc(json_array_size(a) + 1, size);
        if (!*ret)
                return -ENOMEM;
        json_array_foreach(a, i, v) {
                *ret_n = i + 1;
                if ((r = array_object(p, v, array, i, name, sizeof name)) < 0 ||
                    (r = fn(p, v, name, i, (char *) *ret + i * size, userdata)) < 0)
                        return r;
        }
        return 1;
}

int get_bool(const Parser *p, json_t *obj, const char *key, const char *field, bool *ret) {
        json_t *v = member(obj, key);

        if (!v)
                return 0;
        if (!json_is_boolean(v))
                return field_error(p, field, "must be a boolean, not %s", json_type_name(v));
        *ret = json_is_true(v);
        return 1;
}

/* With JSON_DECODE_INT_AS_REAL every integer came as a double. */
static bool is_integral_real(const Parser *p, const json_t *v) {
        double d;

        if (!p->ints_as_reals || !json_is_real(v))
                return false;
        d = json_real_value(v);
        return d > -9.0e15 && d < 9.0e15 && d == (double) (long long) d;
}

int integer_value(const Parser *p, json_t *v, const char *field, long long min, long long max, long long *ret) {
        long long n;

        if (json_is_integer(v))
                n = json_integer_value(v);
        else if (is_integral_real(p, v))
                n = (long long) json_real_value(v);
        else
                return field_error(p, field, "must be an integer, not %s", json_type_name(v));
        if (n < min || n > max)
                return field_error(p, field, "%lld is out of range [%lld, %lld]", n, min, max);
        *ret = n;
        return 1;
}

int get_integer(const Parser *p, json_t *obj, const char *key, const char *field,
                       long long min, long long max, long long *ret) {
        json_t *v = member(obj, key);

        if (!v)
                return 0;
        return integer_value(p, v, field, min, max, ret);
}

int get_required_integer(const Parser *p, json_t *obj, const char *key, const char *field,
                         long long min, long long max, long long *ret) {
        int r = get_integer(p, obj, key, field, min, max, ret);

        if (r == 0)
                return field_error(p, field, "is required");
        return r;
}

/* uid_t and gid_t: (uid_t) -1 is "no id" to the kernel, so it is refused. */
int get_id(const Parser *p, json_t *obj, const char *key, const char *field, uint32_t *ret) {
        long long v;
        int r = get_integer(p, obj, key, field, 0, UINT32_MAX - 1, &v);

        if (r > 0)
                *ret = (uint32_t) v;
        return r;
}

/* Unsigned 64-bit values (rlimits, resources); past INT64_MAX they come as
 * doubles (see spec_parse()). */
int get_u64(const Parser *p, json_t *obj, const char *key, const char *field, uint64_t *ret) {
        json_t *v = member(obj, key);

        if (!v)
                return 0;
        if (json_is_integer(v) && json_integer_value(v) >= 0) {
                *ret = (uint64_t) json_integer_value(v);
                return 1;
        }
        if (json_is_real(v)) {
                double d = json_real_value(v);

                /* Read as a double (see spec_parse()), 2^64-1 rounds up to 2^64. */
                if (d == 18446744073709551616.0) {
                        *ret = UINT64_MAX;
                        return 1;
                }
                if (d >= 0 && d < 18446744073709551616.0 && d == (double) (uint64_t) d) {
                        *ret = (uint64_t) d;
                        return 1;
                }
        }
        return field_error(p, field, "must be an unsigned 64-bit integer");
}

int get_required_u64(const Parser *p, json_t *obj, const char *key, const char *field, uint64_t *ret) {
        int r = get_u64(p, obj, key, field, ret);

        if (r == 0)
                return field_error(p, field, "is required");
        return r;
}

int get_strv(const Parser *p, json_t *obj, const char *key, const char *field, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        json_t *a, *v;
        size_t i;
        int r;

        r = get_array(p, obj, key, field, &a);
        if (r <= 0)
                return r;
        l = calloc(json_array_size(a) + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        json_array_foreach(a, i, v) {
                char f[256];

                snprintf(f, sizeof f, "%s[%zu]", field, i);
                r = string_value(p, v, f, &l[i]);
                if (r < 0)
                        return r;
        }
        strv_free(*ret);
        *ret = TAKE_PTR(l);
        return 1;
}

/* An absolute path without ".." components, normalized in place. */
int check_absolute(const Parser *p, const char *field, char **path) {
        char *n;

        if (!path_is_absolute(*path))
                return field_error(p, field, "\"%s\" must be an absolute path", *path);
        if (!path_is_normalized(*path))
                return field_error(p, field, "\"%s\" must not contain \"..\" components", *path);
        n = path_normalize(*path);
        if (!n)
                return -ENOMEM;
        free(*path);
        *path = n;
        return 0;
}
