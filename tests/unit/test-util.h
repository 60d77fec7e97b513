/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* A few assertions for the unit tests: on failure they print file:line, the
 * failed expression and the values involved, and exit non-zero. */

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define ASSERT(expr)                                                                    \
        do {                                                                            \
                if (!(expr)) {                                                          \
                        fprintf(stderr, "%s:%d: assertion failed: %s\n",                \
                                __FILE__, __LINE__, #expr);                             \
                        exit(EXIT_FAILURE);                                             \
                }                                                                       \
        } while (0)

#define ASSERT_MSG(expr, ...)                                                           \
        do {                                                                            \
                if (!(expr)) {                                                          \
                        fprintf(stderr, "%s:%d: assertion failed: %s: ",                \
                                __FILE__, __LINE__, #expr);                             \
                        fprintf(stderr, __VA_ARGS__);                                   \
                        fputc('\n', stderr);                                            \
                        exit(EXIT_FAILURE);                                             \
                }                                                                       \
        } while (0)

#define ASSERT_INT_EQ(a, b)                                                             \
        do {                                                                            \
                long long _a = (long long) (a), _b = (long long) (b);                   \
                if (_a != _b) {                                                         \
                        fprintf(stderr, "%s:%d: assertion failed: %s == %s (%lld != %lld)\n", \
                                __FILE__, __LINE__, #a, #b, _a, _b);                    \
                        exit(EXIT_FAILURE);                                             \
                }                                                                       \
        } while (0)

#define ASSERT_U64_EQ(a, b)                                                             \
        do {                                                                            \
                uint64_t _a = (uint64_t) (a), _b = (uint64_t) (b);                      \
                if (_a != _b) {                                                         \
                        fprintf(stderr, "%s:%d: assertion failed: %s == %s (0x%" PRIx64 " != 0x%" PRIx64 ")\n", \
                                __FILE__, __LINE__, #a, #b, _a, _b);                    \
                        exit(EXIT_FAILURE);                                             \
                }                                                                       \
        } while (0)

/* Both may be NULL; NULL only equals NULL. */
#define ASSERT_STR_EQ(a, b)                                                             \
        do {                                                                            \
                const char *_a = (a), *_b = (b);                                        \
                if (!((!_a && !_b) || (_a && _b && strcmp(_a, _b) == 0))) {             \
                        fprintf(stderr, "%s:%d: assertion failed: %s == %s (\"%s\" != \"%s\")\n", \
                                __FILE__, __LINE__, #a, #b, _a ?: "(null)", _b ?: "(null)"); \
                        exit(EXIT_FAILURE);                                             \
                }                                                                       \
        } while (0)

#define ASSERT_STR_CONTAINS(haystack, needle)                                           \
        do {                                                                            \
                const char *_h = (haystack), *_n = (needle);                            \
                if (!_h || !strstr(_h, _n)) {                                           \
                        fprintf(stderr, "%s:%d: assertion failed: %s contains %s (\"%s\" does not contain \"%s\")\n", \
                                __FILE__, __LINE__, #haystack, #needle, _h ?: "(null)", _n); \
                        exit(EXIT_FAILURE);                                             \
                }                                                                       \
        } while (0)

/* Parse JSON text (any value); exits on a parse error. */
json_t *test_json(const char *text);

/* Set the value at path in root, e.g. "process.args", "mounts[2].options" or
 * "linux.namespaces[6]"; with value NULL delete it.  Objects missing on the
 * way are created; an index equal to the array's size appends.  value_json is
 * JSON text.  Exits when the path does not fit the document. */
void test_json_set(json_t *root, const char *path, const char *value_json);

/* root as compact JSON text; free() it. */
char *test_json_dump(const json_t *root);

/* A fresh directory under /tmp; rm -rf it with test_rm_rf() (0 or -errno;
 * a missing path is fine). */
char *test_mkdtemp(void);
int test_rm_rf(const char *path);
