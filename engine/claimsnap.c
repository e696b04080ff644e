/*
 * claimsnap.c - the claim index on disk; see claimsnap.h.
 *
 * File: snap_head (magic, version, byte order, meta, XXH3 of the bytes
 * before it), then claimidx_save's bytes.  The header is checked here, the
 * index by claimidx_load (its own checksum over the payload), so a file cut
 * short or changed anywhere is refused and the caller loads from the
 * database instead; a snapshot is a cache, never the truth.
 * Written as a temporary file in the same directory, fsynced, renamed over
 * the old one, then the directory fsynced: a reader sees the old file or
 * the new one, and a crash leaves at worst a stray DIR/.claims-*.tmp.
 * The file must be a regular file of our own user that nobody else can
 * read or write: it holds plates (personal data), and one planted by
 * someone else would feed reconcile false claims.
 * claimsnap_save_bg writes from a forked child: 1.35 GB at 10^7 claims
 * take 3-4 s, which a night otherwise spends before its first payment.
 * The child formats a few paths (snprintf, mkstemps) and writes memory it
 * inherited to a file: no allocation, no stdio stream, no lock that another
 * thread of the parent could have held at the fork.  Temporary files are
 * named after their snapshot, so that a writer can sweep away what killed
 * writers of the same snapshot left.
 */
#define _GNU_SOURCE /* SCHED_IDLE */
#include "claimsnap.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xxhash.h>

#include "fdio.h"
#include "monotime.h"

#define HEAD_MAGIC "ABCLSNAP"
#define HEAD_VERSION 1u
#define HEAD_ORDER 0x01020304u

typedef struct snap_head {
    char magic[8];
    uint32_t version, order;
    claimsnap_meta meta;
    uint64_t checksum; /* XXH3-64 of the bytes above */
} snap_head;

int claimsnap_dir(const char *opt, char *out, size_t n)
{
    const char *env = getenv("ABGLEICH_STATE_DIR"), *xdg = getenv("XDG_STATE_HOME");
    const char *home = getenv("HOME");
    int w;
    if (opt && *opt)
        w = snprintf(out, n, "%s", opt);
    else if (env && *env)
        w = snprintf(out, n, "%s", env);
    else if (xdg && *xdg == '/') /* the XDG spec: a relative value is invalid */
        w = snprintf(out, n, "%s/abgleich", xdg);
    else if (home && *home)
        w = snprintf(out, n, "%s/.local/state/abgleich", home);
    else
        return AB_E_NOTFOUND;
    return w < 0 || (size_t)w >= n ? AB_E_LIMIT : AB_OK;
}

int claimsnap_path(const char *dir, const claimsnap_meta *m, char *out, size_t n)
{
    char name[sizeof m->db_name];
    size_t len = strnlen(m->db_name, sizeof m->db_name - 1);
    for (size_t i = 0; i < len; i++) {
        char c = m->db_name[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == '-';
        name[i] = ok ? c : '_';
    }
    name[len] = '\0';
    /* the hash keeps "a b" and "a_b" apart */
    unsigned h = (unsigned)(XXH3_64bits(m->db_name, len) & 0xffffffffu);
    int w = snprintf(out, n, "%s/claims-%s-%s-%08x.snap", dir, m->system_id, name, h);
    return w < 0 || (size_t)w >= n ? AB_E_LIMIT : AB_OK;
}

static int64_t num(const pgsink_result *r, int col)
{
    return strtoll(pgsink_result_value(r, 0, col), NULL, 10);
}

int claimsnap_db_state(pgsink *db, claimsnap_meta *m)
{
    pgsink_result *r = NULL;
    int rc = pgsink_query(db,
                          "SELECT (SELECT system_identifier FROM pg_control_system()),"
                          " current_database(),"
                          " (SELECT oid FROM pg_database WHERE datname = current_database()),"
                          " (SELECT count(*) FROM abgleich.schema_migrations),"
                          " (SELECT coalesce(max(version), 0) FROM abgleich.schema_migrations),"
                          " (SELECT epoch FROM abgleich.claimsnap_state),"
                          " (SELECT coalesce(max(id), 0) FROM abgleich.claims),"
                          " (SELECT coalesce(max(id), 0) FROM abgleich.allocations),"
                          " (SELECT coalesce(max(id), 0) FROM abgleich.claim_events)",
                          0, NULL, &r);
    if (rc < 0)
        return rc;
    memset(m, 0, sizeof *m);
    if (pgsink_result_rows(r) != 1 || pgsink_result_isnull(r, 0, 5)) {
        pgsink_result_free(r);
        return AB_E_DB;
    }
    snprintf(m->system_id, sizeof m->system_id, "%s", pgsink_result_value(r, 0, 0));
    snprintf(m->db_name, sizeof m->db_name, "%s", pgsink_result_value(r, 0, 1));
    m->db_oid = num(r, 2);
    m->migrations = num(r, 3);
    m->last_migration = num(r, 4);
    m->epoch = num(r, 5);
    m->max_claim = num(r, 6);
    m->max_alloc = num(r, 7);
    m->max_event = num(r, 8);
    pgsink_result_free(r);
    return AB_OK;
}

static uint64_t head_sum(const snap_head *h)
{
    return XXH3_64bits(h, offsetof(snap_head, checksum));
}

int claimsnap_open(const char *path, claimsnap_meta *m, int *fd, char *why, size_t n)
{
    int f = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (f < 0) {
        snprintf(why, n, "%s", strerror(errno));
        return errno == ENOENT ? AB_E_NOTFOUND : AB_E_PARSE;
    }
    struct stat sb;
    snap_head h;
    const char *bad = NULL;
    if (fstat(f, &sb) < 0 || !S_ISREG(sb.st_mode))
        bad = "not a regular file";
    else if (sb.st_uid != geteuid() || (sb.st_mode & 077))
        bad = "not private to this user (owner or mode)";
    else if (fdio_read_all(f, &h, sizeof h) < 0)
        bad = "truncated header";
    else if (memcmp(h.magic, HEAD_MAGIC, sizeof h.magic) || h.order != HEAD_ORDER)
        bad = "not a claim snapshot";
    else if (h.version != HEAD_VERSION)
        bad = "written by another version";
    else if (head_sum(&h) != h.checksum)
        bad = "damaged header";
    if (bad) {
        snprintf(why, n, "%s", bad);
        close(f);
        return AB_E_PARSE;
    }
    *m = h.meta;
    m->system_id[sizeof m->system_id - 1] = m->db_name[sizeof m->db_name - 1] = '\0';
    *fd = f;
    return AB_OK;
}

const char *claimsnap_stale(const claimsnap_meta *f, const claimsnap_meta *now)
{
    if (strcmp(f->system_id, now->system_id) || strcmp(f->db_name, now->db_name) ||
        f->db_oid != now->db_oid)
        return "another database";
    if (f->migrations != now->migrations || f->last_migration != now->last_migration)
        return "another schema version";
    if (f->epoch != now->epoch)
        return "claims were changed in place since (purge or correction)";
    if (f->max_claim > now->max_claim || f->max_alloc > now->max_alloc ||
        f->max_event > now->max_event)
        return "ahead of the database (restored from a backup?)";
    if (f->claims < 0 || f->claims > f->max_claim)
        return "inconsistent claim count";
    return NULL;
}

static int make_dir(const char *dir)
{
    char p[CLAIMSNAP_PATH_MAX];
    if (snprintf(p, sizeof p, "%s", dir) >= (int)sizeof p)
        return AB_E_LIMIT;
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0700) < 0 && errno != EEXIST)
            return AB_E_IO;
        *s = '/';
    }
    return mkdir(p, 0700) < 0 && errno != EEXIST ? AB_E_IO : AB_OK;
}

static int sync_dir(const char *dir)
{
    int d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d < 0)
        return AB_E_IO;
    int rc = fsync(d) < 0 ? AB_E_IO : AB_OK;
    close(d);
    return rc;
}

/* path's directory into dir (CLAIMSNAP_PATH_MAX bytes); its file name. */
static const char *split(const char *path, char *dir)
{
    const char *slash = strrchr(path, '/');
    if (!slash || (size_t)(slash - path) >= CLAIMSNAP_PATH_MAX)
        return NULL;
    snprintf(dir, CLAIMSNAP_PATH_MAX, "%.*s", (int)(slash - path), path);
    return slash + 1;
}

int claimsnap_save(const char *path, const claimsnap_meta *m, const claimidx *ix)
{
    char dir[CLAIMSNAP_PATH_MAX], tmp[CLAIMSNAP_PATH_MAX];
    const char *base = split(path, dir);
    if (!base)
        return AB_E_INVAL;
    if (snprintf(tmp, sizeof tmp, "%s/.%s-XXXXXX.tmp", dir, base) >= (int)sizeof tmp)
        return AB_E_LIMIT;
    int rc = make_dir(dir);
    if (rc < 0)
        return rc;
    int fd = mkstemps(tmp, 4); /* mode 0600 */
    if (fd < 0)
        return AB_E_IO;
    snap_head h;
    memset(&h, 0, sizeof h); /* padding too: the checksum covers it */
    memcpy(h.magic, HEAD_MAGIC, sizeof h.magic);
    h.version = HEAD_VERSION;
    h.order = HEAD_ORDER;
    h.meta = *m;
    h.meta.claims = (int64_t)claimidx_count(ix);
    h.checksum = head_sum(&h);
    rc = fdio_write_all(fd, &h, sizeof h);
    if (rc == AB_OK)
        rc = claimidx_save(ix, fd);
    if (rc == AB_OK && fsync(fd) < 0)
        rc = AB_E_IO;
    if (close(fd) < 0 && rc == AB_OK)
        rc = AB_E_IO;
    if (rc == AB_OK && rename(tmp, path) < 0)
        rc = AB_E_IO;
    if (rc < 0) {
        unlink(tmp);
        return rc;
    }
    return sync_dir(dir);
}

/* What a child tells its parent, in a shared anonymous page. */
struct claimsnap_done {
    int rc;
    int64_t ms;
};

/* Removes the temporary files that writers of this path left when they
 * were killed (a child dies with its run).  Only writers of the same path,
 * that is of the same database, could be writing one right now, and
 * reconcile's advisory lock keeps those apart. */
static void sweep(const char *path)
{
    char dir[CLAIMSNAP_PATH_MAX], prefix[CLAIMSNAP_PATH_MAX], f[CLAIMSNAP_PATH_MAX];
    const char *base = split(path, dir);
    if (!base || snprintf(prefix, sizeof prefix, ".%s-", base) >= (int)sizeof prefix)
        return;
    DIR *d = opendir(dir);
    if (!d)
        return;
    size_t np = strlen(prefix);
    for (struct dirent *e; (e = readdir(d));) {
        size_t n = strlen(e->d_name);
        if (n > np + 4 && !strncmp(e->d_name, prefix, np) && !strcmp(e->d_name + n - 4, ".tmp") &&
            snprintf(f, sizeof f, "%s/%s", dir, e->d_name) < (int)sizeof f)
            unlink(f);
    }
    closedir(d);
}

/* The child: dies with the parent, so that no orphan writes into a state
 * directory its caller may be removing; signals that the parent's handlers
 * (serve's loop) would have forwarded to it now end the child instead. */
static _Noreturn void child_main(pid_t parent, const char *path, const claimsnap_meta *m,
                                 const claimidx *ix, struct claimsnap_done *done)
{
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
        _exit(1);
    int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        signal(sigs[i], SIG_DFL);
    /* Only the CPU time the run leaves idle (a night's ledger phase keeps
     * one core waiting on the server): at full priority the write took as
     * long as before, beside a night that could not spare it.
     * claimsnap_wait raises it again if the run must wait for it. */
    struct sched_param sp = {0};
    (void)sched_setscheduler(0, SCHED_IDLE, &sp);
    double t0 = monotime_s();
    done->rc = claimsnap_save(path, m, ix);
    done->ms = (int64_t)((monotime_s() - t0) * 1000);
    _exit(0);
}

int claimsnap_save_bg(const char *path, const claimsnap_meta *m, const claimidx *ix,
                      claimsnap_bg *bg)
{
    assert(bg->pid == 0);
    if (strlen(path) >= sizeof bg->path)
        return AB_E_LIMIT;
    sweep(path);
    struct claimsnap_done *done = mmap(NULL, sizeof *done, PROT_READ | PROT_WRITE,
                                       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (done == MAP_FAILED)
        return claimsnap_save(path, m, ix);
    done->rc = AB_E_IO; /* a child killed before it reports has failed */
    done->ms = 0;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        munmap(done, sizeof *done);
        return claimsnap_save(path, m, ix);
    }
    if (pid == 0)
        child_main(parent, path, m, ix, done);
    bg->pid = pid;
    bg->done = done;
    bg->claims = claimidx_count(ix);
    memcpy(bg->path, path, strlen(path) + 1);
    return AB_OK;
}

int claimsnap_wait(claimsnap_bg *bg, int64_t *ms)
{
    *ms = -1;
    if (bg->pid == 0)
        return AB_OK;
    int status = 0;
    pid_t got;
    while ((got = waitpid(bg->pid, &status, WNOHANG)) < 0 && errno == EINTR)
        ;
    if (got == 0) {
        /* Still writing, and now the run waits for it (holding reconcile's
         * lock): back to normal priority.  Refused without the right
         * (RLIMIT_NICE; the systemd unit grants it), it goes on idle. */
        struct sched_param sp = {0};
        (void)sched_setscheduler(bg->pid, SCHED_OTHER, &sp);
        while ((got = waitpid(bg->pid, &status, 0)) < 0 && errno == EINTR)
            ;
    }
    int rc;
    if (got < 0 && errno == ECHILD)
        rc = bg->done->rc; /* reaped for us (SIGCHLD ignored): its own word */
    else
        rc = got == bg->pid && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? bg->done->rc
                                                                             : AB_E_IO;
    *ms = bg->done->ms;
    munmap(bg->done, sizeof *bg->done);
    bg->done = NULL;
    bg->pid = 0;
    return rc;
}
