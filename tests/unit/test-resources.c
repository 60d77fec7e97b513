/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "error.h"
#include "resources.h"
#include "spec.h"

#include "test-util.h"

/* The vectors crun and runc test their conversions with. */
static void test_conversions(void) {
        ASSERT_INT_EQ(cpu_shares_to_weight(0), 0);
        ASSERT_INT_EQ(cpu_shares_to_weight(2), 1);
        ASSERT_INT_EQ(cpu_shares_to_weight(3), 2);
        ASSERT_INT_EQ(cpu_shares_to_weight(512), 59);
        ASSERT_INT_EQ(cpu_shares_to_weight(1024), 100);
        ASSERT_INT_EQ(cpu_shares_to_weight(260000), 9929);
        ASSERT_INT_EQ(cpu_shares_to_weight(262144), 10000);
        ASSERT_INT_EQ(cpu_shares_to_weight(1000000), 10000);

        ASSERT_INT_EQ(cpu_quota_to_per_sec_usec(50000, 100000), 500000);
        ASSERT_INT_EQ(cpu_quota_to_per_sec_usec(12345, 100000), 130000);  /* rounded up to 10 ms */
        ASSERT_INT_EQ(cpu_quota_to_per_sec_usec(25000, 0), 250000);       /* the kernel's default period */
        ASSERT(cpu_quota_to_per_sec_usec(-1, 100000) == UINT64_MAX);

        ASSERT_INT_EQ(blkio_weight_to_io_weight(10), 1);
        ASSERT_INT_EQ(blkio_weight_to_io_weight(500), 4950);
        ASSERT_INT_EQ(blkio_weight_to_io_weight(1000), 10000);
}

static void test_cpu_lists(void) {
        static const char *const bad[] = { "", "-", "0-", "-1", "3-1", "0,,1", "0 ", "a", "8192", "0-99999" };
        uint8_t *mask;
        size_t size;

        ASSERT(cpu_list_to_mask("0-3,6,9-10", &mask, &size) == 0);
        ASSERT_INT_EQ(size, 2);
        ASSERT_INT_EQ(mask[0], 0x4f);
        ASSERT_INT_EQ(mask[1], 0x06);
        free(mask);
        ASSERT(cpu_list_to_mask("0", &mask, &size) == 0);
        ASSERT_INT_EQ(size, 1);
        ASSERT_INT_EQ(mask[0], 1);
        free(mask);
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
                ASSERT_MSG(cpu_list_to_mask(bad[i], NULL, NULL) < 0, "\"%s\" accepted", bad[i]);
}

static void test_resources_file(void) {
        SpecResources *r = NULL;
        const char *text = "{\"memory\":{\"limit\":1048576,\"swap\":-1},\"pids\":{\"limit\":-1},"
                           "\"blockIO\":{\"throttleWriteIOPSDevice\":[{\"major\":8,\"minor\":0,\"rate\":10}]},"
                           "\"unified\":{\"memory.high\":\"max\"}}";

        ASSERT(spec_resources_parse(text, strlen(text), "r.json", &r) == 0);
        ASSERT(r->memory.limit.set && r->memory.limit.value == 1048576);
        ASSERT(r->memory.swap.set && r->memory.swap.value == -1);
        ASSERT(!r->memory.reservation.set);
        ASSERT(r->pids_limit.set && r->pids_limit.value == -1);
        ASSERT_INT_EQ(r->block_io.n_throttle[THROTTLE_WRITE_IOPS], 1);
        ASSERT_INT_EQ(r->block_io.throttle[THROTTLE_WRITE_IOPS][0].rate, 10);
        ASSERT(streq(r->unified[0], "memory.high") && streq(r->unified[1], "max") && !r->unified[2]);
        spec_resources_free(r);

        error_clear();
        ASSERT(spec_resources_parse("[]", 2, "r.json", &r) == -EINVAL);
        ASSERT(strstr(error_message(-EINVAL), "r.json: must hold a JSON object"));
}

int main(void) {
        test_conversions();
        test_cpu_lists();
        test_resources_file();
        return 0;
}
