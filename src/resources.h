/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "spec.h"

/* What a config asks of its unit: linux.resources as systemd unit
 * properties and as the cgroup files systemd has no property for, and the
 * org.systemd.property.* annotations.  The mapping table is in man/runsd.8. */

/* "0-3,6" -> a bitmask as systemd's AllowedCPUs= takes it (bit j of byte i
 * is CPU 8i+j).  ret_mask NULL: only check the syntax. */
int cpu_list_to_mask(const char *list, uint8_t **ret_mask, size_t *ret_size);

/* The conversions runc and crun use, so one config means the same under
 * all three. */
uint64_t cpu_shares_to_weight(uint64_t shares);
uint64_t cpu_quota_to_per_sec_usec(int64_t quota, uint64_t period);
uint64_t blkio_weight_to_io_weight(uint64_t weight);

/* Refuse, before anything is made, what cannot be applied in this layout
 * (unified: cgroup v2 alone); warn of what is deliberately not applied.
 * where prefixes messages: "<path>: linux.resources.". */
int resources_check(const SpecResources *r, bool unified, const char *where);

/* memory.checkBeforeUpdate: refuse a limit below what the cgroup uses now. */
int resources_check_memory_usage(const SpecResources *r, const char *cgroup, const char *where);

/* Append r's unit properties to m, inside its open a(sv) array. */
int resources_append_properties(sd_bus_message *m, const SpecResources *r, bool unified);

/* Write what has no unit property into the container's cgroup (its path in
 * every hierarchy). */
int resources_write_cgroup(const SpecResources *r, bool unified, const char *cgroup, const char *where);

/* Append the org.systemd.property.* annotations' properties. */
int unit_properties_append(sd_bus_message *m, const SpecUnitProperty *props, size_t n);
