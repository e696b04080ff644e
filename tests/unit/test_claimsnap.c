/*
 * test_claimsnap.c - the claim snapshot written beside the run: the file
 * holds the index as it was when the child was forked, whatever the parent
 * does to its own copy afterwards (here: pays every claim, then frees the
 * index), and claimsnap_wait reports the child's result; what killed
 * writers of the same snapshot left is swept away first.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../engine/claimsnap.h"

#define N 5000

static void ref_of(int i, char *out, size_t n)
{
    snprintf(out, n, "4%011d", i);
}

static claimidx *index_of_n(void)
{
    claimidx *ix;
    cr_assert_eq(claimidx_create(&ix, N), AB_OK);
    char ref[32];
    for (int i = 0; i < N; i++) {
        uint32_t s;
        ref_of(i, ref, sizeof ref);
        cr_assert_eq(claimidx_insert(ix, ref, strlen(ref), 10 + i, 2000 + i, 1500 + i, i, &s),
                     AB_OK);
    }
    return ix;
}

Test(claimsnap, save_bg_writes_the_index_as_at_the_call)
{
    char dir[] = "/tmp/abgleich-snap-XXXXXX", path[CLAIMSNAP_PATH_MAX], ref[32];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/state/claims-test.snap", dir);
    claimsnap_meta m = {.system_id = "7711", .db_name = "t", .db_oid = 5, .epoch = 3,
                        .max_claim = N + 9, .max_alloc = 77, .max_event = 0};
    claimidx *ix = index_of_n();
    /* What a killed writer of this snapshot left goes; another's stays. */
    char stale[CLAIMSNAP_PATH_MAX], other[CLAIMSNAP_PATH_MAX], sub[CLAIMSNAP_PATH_MAX];
    snprintf(sub, sizeof sub, "%s/state", dir);
    cr_assert_eq(mkdir(sub, 0700), 0);
    snprintf(stale, sizeof stale, "%s/.claims-test.snap-a1b2c3.tmp", sub);
    snprintf(other, sizeof other, "%s/.claims-other.snap-a1b2c3.tmp", sub);
    fclose(fopen(stale, "w"));
    fclose(fopen(other, "w"));
    claimsnap_bg bg = {0};
    cr_assert_eq(claimsnap_save_bg(path, &m, ix, &bg), AB_OK);
    cr_assert_neq(access(stale, F_OK), 0, "the stale temporary file was removed");
    cr_assert_eq(access(other, F_OK), 0, "another snapshot's was not");
    unlink(other);
    cr_assert_gt(bg.pid, 0, "written by a child");
    /* Held still (if it has not finished already) while the parent goes
     * on: every claim paid in full, then the index freed. */
    kill(bg.pid, SIGSTOP);
    for (int i = 0; i < N; i++) {
        ref_of(i, ref, sizeof ref);
        uint32_t s = claimidx_find(ix, ref, strlen(ref));
        claimidx_apply(ix, s, claimidx_open(ix, s));
        cr_assert_eq(claimidx_open(ix, s), 0);
    }
    claimidx_destroy(ix);
    kill(bg.pid, SIGCONT);
    int64_t ms = -2;
    cr_assert_eq(claimsnap_wait(&bg, &ms), AB_OK);
    cr_assert_geq(ms, 0);
    cr_assert_eq(bg.pid, 0, "nothing in flight any more");

    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600);
    claimsnap_meta got;
    int fd = -1;
    char why[160];
    cr_assert_eq(claimsnap_open(path, &got, &fd, why, sizeof why), AB_OK, "%s", why);
    cr_assert_eq(got.epoch, 3);
    cr_assert_eq(got.max_alloc, 77);
    cr_assert_eq(got.claims, N);
    claimidx *back = NULL;
    cr_assert_eq(claimidx_load(&back, fd, 0), AB_OK);
    close(fd);
    for (int i = 0; i < N; i++) {
        ref_of(i, ref, sizeof ref);
        uint32_t s = claimidx_find(back, ref, strlen(ref));
        cr_assert_neq(s, CLAIMIDX_NONE);
        cr_assert_eq(claimidx_open(back, s), 1500 + i, "%s: open as at the fork", ref);
        cr_assert_eq(claimidx_claim_id(back, s), 10 + i);
    }
    claimidx_destroy(back);
    unlink(path);
    snprintf(path, sizeof path, "%s/state", dir);
    rmdir(path);
    rmdir(dir);
}

Test(claimsnap, wait_without_a_child)
{
    claimsnap_bg bg = {0};
    int64_t ms = 0;
    cr_assert_eq(claimsnap_wait(&bg, &ms), AB_OK);
    cr_assert_eq(ms, -1);
}

Test(claimsnap, a_failed_write_is_reported)
{
    /* A directory that cannot be made: the child fails, the parent hears. */
    claimidx *ix = index_of_n();
    claimsnap_meta m = {.system_id = "1", .db_name = "t"};
    claimsnap_bg bg = {0};
    cr_assert_eq(claimsnap_save_bg("/proc/abgleich-no/claims.snap", &m, ix, &bg), AB_OK);
    int64_t ms;
    cr_assert_lt(claimsnap_wait(&bg, &ms), 0);
    claimidx_destroy(ix);
}
