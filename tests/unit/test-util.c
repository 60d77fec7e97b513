/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <unistd.h>

#include "test-util.h"

json_t *test_json(const char *text) {
        json_error_t e;
        json_t *v = json_loads(text, JSON_DECODE_ANY, &e);

        ASSERT_MSG(v, "bad test JSON \"%s\": %s", text, e.text);
        return v;
}

void test_json_set(json_t *root, const char *path, const char *value_json) {
        json_t *cur = root;
        const char *p = path;

        for (;;) {
                char key[128];
                size_t n = strcspn(p, ".[");
                bool is_index = false;
                size_t index = 0;
                json_t *next;

                if (n > 0) {
                        ASSERT(n < sizeof key);
                        memcpy(key, p, n);
                        key[n] = '\0';
                        p += n;
                } else {
                        char *end;

                        ASSERT_MSG(*p == '[', "bad path \"%s\"", path);
                        is_index = true;
                        index = strtoul(p + 1, &end, 10);
                        ASSERT_MSG(*end == ']', "bad path \"%s\"", path);
                        p = end + 1;
                }
                if (*p == '.')
                        p++;

                if (!*p) {
                        /* The last step: set or delete. */
                        json_t *v = value_json ? test_json(value_json) : NULL;

                        if (is_index) {
                                ASSERT_MSG(json_is_array(cur), "path \"%s\": not an array", path);
                                if (index == json_array_size(cur)) {
                                        ASSERT(v);
                                        ASSERT(json_array_append_new(cur, v) == 0);
                                } else if (v)
                                        ASSERT(json_array_set_new(cur, index, v) == 0);
                                else
                                        ASSERT(json_array_remove(cur, index) == 0);
                        } else {
                                ASSERT_MSG(json_is_object(cur), "path \"%s\": not an object", path);
                                if (v)
                                        ASSERT(json_object_set_new(cur, key, v) == 0);
                                else
                                        ASSERT_MSG(json_object_del(cur, key) == 0, "path \"%s\": nothing to delete", path);
                        }
                        return;
                }

                if (is_index) {
                        ASSERT_MSG(json_is_array(cur), "path \"%s\": not an array", path);
                        next = json_array_get(cur, index);
                        ASSERT_MSG(next, "path \"%s\": no element %zu", path, index);
                } else {
                        ASSERT_MSG(json_is_object(cur), "path \"%s\": not an object", path);
                        next = json_object_get(cur, key);
                        if (!next) {
                                ASSERT_MSG(*p != '[', "path \"%s\": no array \"%s\"", path, key);
                                next = json_object();
                                ASSERT(next);
                                ASSERT(json_object_set_new(cur, key, next) == 0);
                        }
                }
                cur = next;
        }
}

char *test_json_dump(const json_t *root) {
        char *s = json_dumps(root, JSON_COMPACT | JSON_ENCODE_ANY);

        ASSERT(s);
        return s;
}

char *test_mkdtemp(void) {
        char *d = strdup("/tmp/runsd-unit-XXXXXX");

        ASSERT(d);
        ASSERT_MSG(mkdtemp(d), "mkdtemp: %s", strerror(errno));
        return d;
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

int test_rm_rf(const char *path) {
        if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}
