/*
 * test_claimsnap.c - the claim snapshot written beside the run: the file
 * holds the index as it was when the child was forked, whatever the parent
 * does to its own copy afterwards (here: pays every claim, then frees the
 * index), and claimsnap_wait reports the child's result; what killed
 * writers of the same snapshot left is swept away first; the child writes
 * at idle priority until the run waits for it, and then at normal.
 */
#define _GNU_SOURCE /* SCHED_IDLE */
#include <criterion/criterion.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../engine/claimsnap.h"

#define N 5000

static void ref_of(int i, char *out, size_t n)
{
    snprintf(out, n, "4%011d", i);
}

static claimidx *index_of(int n)
{
    claimidx *ix;
    cr_assert_eq(claimidx_create(&ix, (size_t)n), AB_OK);
    char ref[32];
    for (int i = 0; i < n; i++) {
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
    claimidx *ix = index_of(N);
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
    claimidx *ix = index_of(N);
    claimsnap_meta m = {.system_id = "1", .db_name = "t"};
    claimsnap_bg bg = {0};
    cr_assert_eq(claimsnap_save_bg("/proc/abgleich-no/claims.snap", &m, ix, &bg), AB_OK);
    int64_t ms;
    cr_assert_lt(claimsnap_wait(&bg, &ms), 0);
    claimidx_destroy(ix);
}

/* The state letter of /proc/PID/stat: 'T' stopped, 'Z' exited. */
static char proc_state(pid_t pid)
{
    char f[64], line[256];
    snprintf(f, sizeof f, "/proc/%d/stat", (int)pid);
    FILE *fp = fopen(f, "r");
    if (!fp)
        return '?';
    char st = '?';
    if (fgets(line, sizeof line, fp)) {
        char *p = strrchr(line, ')');
        if (p && p[1] == ' ')
            st = p[2];
    }
    fclose(fp);
    return st;
}

static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Whether this process may lift another from SCHED_IDLE (CAP_SYS_NICE or
 * RLIMIT_NICE; a container may grant neither): probed on a child of its own. */
static int may_raise_idle(void)
{
    pid_t p = fork();
    if (p == 0) {
        struct sched_param sp = {0};
        sched_setscheduler(0, SCHED_IDLE, &sp);
        for (;;)
            pause();
    }
    cr_assert_gt(p, 0);
    for (int i = 0; i < 2000 && sched_getscheduler(p) != SCHED_IDLE; i++)
        pause_ms(1);
    /* A sandbox that refuses SCHED_IDLE itself has nothing to lift. */
    struct sched_param sp = {0};
    int ok = sched_getscheduler(p) == SCHED_IDLE && sched_setscheduler(p, SCHED_OTHER, &sp) == 0;
    kill(p, SIGKILL);
    waitpid(p, NULL, 0);
    return ok;
}

struct waiter {
    claimsnap_bg *bg;
    int rc;
    int64_t ms;
};

static void *wait_thread(void *arg)
{
    struct waiter *w = arg;
    w->rc = claimsnap_wait(w->bg, &w->ms);
    return NULL;
}

static char prio_dir[] = "/tmp/abgleich-snap-XXXXXX";
static char prio_path[CLAIMSNAP_PATH_MAX];

/* Also when an assertion ended the test: no 37 MB file left in /tmp. */
static void prio_cleanup(void)
{
    if (prio_path[0])
        unlink(prio_path);
    if (strcmp(prio_dir + strlen(prio_dir) - 6, "XXXXXX"))
        rmdir(prio_dir);
}

/* The child is caught at idle priority and held there (SIGSTOP); a thread
 * then waits for it as the run would, and the child must be raised to
 * normal priority while it is still held, before it has written a byte more. */
Test(claimsnap, the_wait_raises_the_writer_to_normal_priority, .fini = prio_cleanup)
{
    if (!may_raise_idle())
        cr_skip_test("this process may not lift another from SCHED_IDLE"
                     " (no CAP_SYS_NICE, RLIMIT_NICE below 20)");
    enum { BIG = 300000 };
    char *path = prio_path;
    cr_assert_not_null(mkdtemp(prio_dir));
    snprintf(prio_path, sizeof prio_path, "%s/claims-prio.snap", prio_dir);
    claimsnap_meta m = {.system_id = "7711", .db_name = "t", .db_oid = 5, .epoch = 1};
    claimidx *ix = index_of(BIG);
    claimsnap_bg bg = {0};
    int caught = 0;
    /* A write of this size takes tens of milliseconds; should the child
     * still finish between the look and the stop, try again. */
    for (int attempt = 0; attempt < 5 && !caught; attempt++) {
        cr_assert_eq(claimsnap_save_bg(path, &m, ix, &bg), AB_OK);
        cr_assert_gt(bg.pid, 0);
        int pol = -1;
        struct timespec t0, t;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        do /* a busy look, no sleep: the child may finish within a millisecond */
            pol = sched_getscheduler(bg.pid);
        while (pol != SCHED_IDLE && pol >= 0 && clock_gettime(CLOCK_MONOTONIC, &t) == 0 &&
               t.tv_sec - t0.tv_sec < 2);
        kill(bg.pid, SIGSTOP);
        for (int i = 0; i < 1000 && proc_state(bg.pid) != 'T' && proc_state(bg.pid) != 'Z'; i++)
            pause_ms(1);
        caught = pol == SCHED_IDLE && proc_state(bg.pid) == 'T';
        if (!caught) {
            kill(bg.pid, SIGCONT);
            int64_t ms;
            cr_assert_eq(claimsnap_wait(&bg, &ms), AB_OK);
        }
    }
    cr_assert(caught, "the writer was never seen at idle priority while still writing");
    cr_assert_eq(sched_getscheduler(bg.pid), SCHED_IDLE, "held at idle priority");
    struct waiter w = {.bg = &bg, .rc = 1};
    pid_t child = bg.pid;
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, wait_thread, &w), 0);
    int pol = SCHED_IDLE;
    for (int i = 0; i < 5000 && (pol = sched_getscheduler(child)) == SCHED_IDLE; i++)
        pause_ms(1);
    cr_assert_eq(proc_state(child), 'T', "still held, so it was raised before it finished");
    kill(child, SIGCONT);
    cr_assert_eq(pthread_join(t, NULL), 0);
    cr_assert_eq(pol, SCHED_OTHER, "the wait raised the writer to normal priority");
    cr_assert_eq(w.rc, AB_OK);
    cr_assert_geq(w.ms, 0);
    cr_assert_eq(bg.pid, 0);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0, "the snapshot was written in the end");
    claimidx_destroy(ix);
}
