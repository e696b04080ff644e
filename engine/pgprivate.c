/*
 * pgprivate.c - initdb and pg_ctl for a private cluster; see pgprivate.h.
 *
 * Data in: a directory.  Data out: a running server listening on a Unix
 * socket in DIR/run, a database "abgleich", and its conninfo.
 *
 * The server binaries are run with fork/execv, never through a shell of
 * ours.  As root the child drops to "nobody" (setgroups, setgid, setuid)
 * before execv; uid and gid are looked up before fork, so the child only
 * makes async-signal-safe calls.  The child's stdin is /dev/null and its
 * stdout/stderr go to DIR/postgres.log (never to our stdout, which may be
 * carrying the conninfo to a shell), and it inherits no other descriptor,
 * so a daemonised postmaster cannot hold a caller's pipe open.
 *
 * Invariants: as root, every directory we create or reuse is a real
 * directory (no symlink) owned by root or "nobody" before it is handed to
 * "nobody"; the cluster path contains only characters that need no quoting
 * in a conninfo, in unix_socket_directories or in pg_ctl's shell command.
 */
#include "pgprivate.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"

#define DEFAULT_PORT 5439
#define DB_USER "abgleich"
#define RUN_AS "nobody"
/* A Unix socket path has 107 bytes; DIR/run/.s.PGSQL.NNNNN must fit. */
#define CLUSTER_DIR_MAX 80u
#define LOG_TAIL_BYTES 2000
#define LOG_TAIL_LINES 8

typedef struct runas {
    int drop;   /* we are root: run the server binaries as RUN_AS */
    uid_t uid;
    gid_t gid;
} runas;

typedef struct cluster {
    char dir[PATH_MAX], data[PATH_MAX], run[PATH_MAX], log[PATH_MAX], bin[PATH_MAX];
    int port;
    runas as;
} cluster;

/* --- finding things ---------------------------------------------------- */

static int has_server(const char *bindir)
{
    char probe[PATH_MAX];
    snprintf(probe, sizeof probe, "%s/initdb", bindir);
    if (access(probe, X_OK) != 0)
        return 0;
    snprintf(probe, sizeof probe, "%s/pg_ctl", bindir);
    return access(probe, X_OK) == 0;
}

/* Highest /usr/lib/postgresql/N/bin with initdb and pg_ctl (Debian). */
static int highest_version(char *out, size_t len)
{
    DIR *d = opendir("/usr/lib/postgresql");
    if (!d)
        return 0;
    long best = -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        char *end;
        long v = strtol(e->d_name, &end, 10);
        char bindir[PATH_MAX];
        snprintf(bindir, sizeof bindir, "/usr/lib/postgresql/%s/bin", e->d_name);
        if (end != e->d_name && *end == '\0' && v > best && has_server(bindir))
            best = v;
    }
    closedir(d);
    if (best < 0)
        return 0;
    snprintf(out, len, "/usr/lib/postgresql/%ld/bin", best);
    return 1;
}

/* The first absolute PATH directory with initdb and pg_ctl. */
static int on_path(char *out, size_t len)
{
    for (const char *p = getenv("PATH"); p && *p;) {
        const char *colon = strchr(p, ':');
        size_t n = colon ? (size_t)(colon - p) : strlen(p);
        if (n && n < len && p[0] == '/') {
            snprintf(out, len, "%.*s", (int)n, p);
            if (has_server(out))
                return 1;
        }
        p = colon ? colon + 1 : NULL;
    }
    return 0;
}

static int find_bindir(char *out, size_t len)
{
    if (highest_version(out, len) || on_path(out, len))
        return AB_OK;
    log_error("no PostgreSQL server binaries (initdb, pg_ctl) in /usr/lib/postgresql/N/bin"
              " or on PATH; install the package postgresql");
    return AB_E_NOTFOUND;
}

static int port_from_env(void)
{
    const char *e = getenv("ABGLEICH_PG_PORT");
    if (!e || !*e)
        return DEFAULT_PORT;
    char *end;
    long v = strtol(e, &end, 10);
    if (*end || v < 1024 || v > 65535) {
        log_warn("ignoring ABGLEICH_PG_PORT=%s (not in 1024..65535)", e);
        return DEFAULT_PORT;
    }
    return (int)v;
}

static int server_user(runas *as)
{
    memset(as, 0, sizeof *as);
    if (geteuid() != 0)
        return AB_OK;
    struct passwd *pw = getpwnam(RUN_AS);
    if (!pw) {
        log_error("running as root, but there is no user %s to run PostgreSQL as", RUN_AS);
        return AB_E_NOTFOUND;
    }
    as->drop = 1;
    as->uid = pw->pw_uid;
    as->gid = pw->pw_gid;
    return AB_OK;
}

/* --- running the server binaries --------------------------------------- */

/* In the child: become the server user, detach from our descriptors, exec.
 * Only async-signal-safe calls: the parent may have threads. */
static void child_exec(const cluster *c, char *const argv[], const char *out, int maxfd)
{
    static const char drop_msg[] = "abgleich: error: cannot switch to user " RUN_AS "\n";
    if (c->as.drop &&
        (setgroups(0, NULL) < 0 || setgid(c->as.gid) < 0 || setuid(c->as.uid) < 0)) {
        ssize_t w = write(STDERR_FILENO, drop_msg, sizeof drop_msg - 1);
        (void)w;
        _exit(126);
    }
    int in = open("/dev/null", O_RDONLY);
    if (in >= 0 && in != STDIN_FILENO) {
        dup2(in, STDIN_FILENO);
        close(in);
    }
    /* Opened after dropping root, so the server user owns the log. */
    int fd = open(out, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd < 0)
        fd = open("/dev/null", O_WRONLY);
    if (fd >= 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        if (fd > STDERR_FILENO)
            close(fd);
    }
    for (int k = STDERR_FILENO + 1; k < maxfd; k++)
        close(k);
    if (chdir(c->dir) < 0 && chdir("/") < 0)
        _exit(126);
    execv(argv[0], argv);
    _exit(127);
}

/* Runs c->bin/prog with args as the server user, output appended to out.
 * Returns its exit status (0..255), or AB_E_IO when it did not run. */
static int run(const cluster *c, const char *prog, char *const args[], const char *out)
{
    char path[PATH_MAX];
    char *argv[16];
    int n = 0;
    snprintf(path, sizeof path, "%s/%s", c->bin, prog);
    argv[n++] = path;
    for (int i = 0; args[i] && n < 15; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    long maxfd = sysconf(_SC_OPEN_MAX);
    if (maxfd < 0 || maxfd > 65536)
        maxfd = 65536;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        log_error("cannot start %s: %s", prog, strerror(errno));
        return AB_E_IO;
    }
    if (pid == 0)
        child_exec(c, argv, out, (int)maxfd);
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return AB_E_IO;
    if (!WIFEXITED(st)) {
        log_error("%s was killed by signal %d", prog, WTERMSIG(st));
        return AB_E_IO;
    }
    int code = WEXITSTATUS(st);
    if (code == 126 && c->as.drop)
        log_error("cannot run %s as user %s", prog, RUN_AS);
    else if (code == 127)
        log_error("cannot execute %s", path);
    return code;
}

/* Shows the last lines of the log, where initdb and the server say why. */
static void show_log_tail(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        log_error("no log at %s", path);
        return;
    }
    int cut = fseek(f, -LOG_TAIL_BYTES, SEEK_END) == 0;
    if (!cut)
        rewind(f);
    char buf[LOG_TAIL_BYTES + 1];
    size_t n = fread(buf, 1, LOG_TAIL_BYTES, f);
    fclose(f);
    while (n && buf[n - 1] == '\n')
        n--;
    buf[n] = '\0';
    /* The last LOG_TAIL_LINES lines; a line cut by the seek is dropped. */
    char *p = buf + n;
    int lines = 0;
    while (p > buf && lines < LOG_TAIL_LINES)
        if (*--p == '\n')
            lines++;
    char *nl = strchr(p, '\n');
    if (*p == '\n')
        p++;
    else if (cut && nl)
        p = nl + 1;
    log_error("the end of %s:", path);
    char *save = NULL;
    for (char *line = strtok_r(p, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        log_error("  %s", line);
}

/* --- the cluster directory --------------------------------------------- */

/* Creates or reuses path as a directory for the server user.  As root it
 * refuses symlinks and directories of other users, then hands it over. */
static int own_dir(const cluster *c, const char *path, mode_t mode)
{
    if (mkdir(path, mode) < 0 && errno != EEXIST) {
        log_error("cannot create %s: %s", path, strerror(errno));
        return AB_E_IO;
    }
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        log_error("%s: not a directory of its own (a symlink?): %s", path, strerror(errno));
        return AB_E_IO;
    }
    struct stat sb;
    int rc = AB_OK;
    if (fstat(fd, &sb) < 0) {
        log_error("%s: %s", path, strerror(errno));
        rc = AB_E_IO;
    } else if (c->as.drop && sb.st_uid != 0 && sb.st_uid != c->as.uid) {
        log_error("%s belongs to uid %u, neither root nor %s; refusing to use it", path,
                  (unsigned)sb.st_uid, RUN_AS);
        rc = AB_E_IO;
    } else if (c->as.drop && fchown(fd, c->as.uid, c->as.gid) < 0) {
        log_error("cannot hand %s to user %s: %s", path, RUN_AS, strerror(errno));
        rc = AB_E_IO;
    }
    close(fd);
    return rc;
}

static int may_pass(const struct stat *sb, const runas *as)
{
    if (sb->st_uid == as->uid)
        return (sb->st_mode & S_IXUSR) != 0;
    if (sb->st_gid == as->gid)
        return (sb->st_mode & S_IXGRP) != 0;
    return (sb->st_mode & S_IXOTH) != 0;
}

/* True when the server user may pass every directory above path. */
static int reachable(const char *path, const runas *as)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *slash = strrchr(buf, '/'); slash; slash = strrchr(buf, '/')) {
        slash[slash == buf] = '\0'; /* "/x" -> "/" */
        struct stat sb;
        if (stat(buf, &sb) < 0 || !may_pass(&sb, as))
            return 0;
        if (slash == buf)
            break;
    }
    return 1;
}

/* As root, a cluster below a private directory (a clone in /root, say)
 * cannot be run by "nobody"; it moves to /var/tmp under a name derived
 * from the requested path, so that a second call finds it again. */
static void relocate(cluster *c)
{
    unsigned h = 2166136261u;
    for (const char *p = c->dir; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    char alt[64];
    snprintf(alt, sizeof alt, "/var/tmp/abgleich-pg-%08x", h);
    static int told;
    if (!told++)
        log_info("%s is not reachable by user %s; the cluster lives in %s", c->dir, RUN_AS, alt);
    snprintf(c->dir, sizeof c->dir, "%s", alt);
}

/* Characters that need no quoting anywhere the path goes. */
static int plain_path(const char *p)
{
    for (; *p; p++)
        if (!strchr("/._-+@=:~", *p) && !(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
            !(*p >= '0' && *p <= '9'))
            return 0;
    return 1;
}

/* Fills c for dir.  create: make dir when missing; else AB_E_NOTFOUND. */
static int resolve(const char *dir, cluster *c, int create)
{
    memset(c, 0, sizeof *c);
    int rc = server_user(&c->as);
    if (rc < 0)
        return rc;
    int made = create && mkdir(dir, 0755) == 0;
    if (create && !made && errno != EEXIST) {
        log_error("cannot create %s: %s", dir, strerror(errno));
        return AB_E_IO;
    }
    if (!realpath(dir, c->dir)) {
        if (!create && errno == ENOENT)
            return AB_E_NOTFOUND;
        log_error("%s: %s", dir, strerror(errno));
        return AB_E_IO;
    }
    if (c->as.drop && !reachable(c->dir, &c->as))
        relocate(c);
    if (strlen(c->dir) > CLUSTER_DIR_MAX || !plain_path(c->dir)) {
        log_error("%s: a cluster directory needs a path of at most %u characters without"
                  " spaces or quotes (try --dir /tmp/abgleich-pg)", c->dir, CLUSTER_DIR_MAX);
        if (made)
            rmdir(dir);
        return AB_E_INVAL;
    }
    snprintf(c->data, sizeof c->data, "%s/data", c->dir);
    snprintf(c->run, sizeof c->run, "%s/run", c->dir);
    snprintf(c->log, sizeof c->log, "%s/postgres.log", c->dir);
    c->port = port_from_env();
    return find_bindir(c->bin, sizeof c->bin);
}

/* Directories for the server user; a log root left behind is handed over. */
static int prepare(const cluster *c)
{
    int rc = own_dir(c, c->dir, 0755);
    if (rc == AB_OK)
        rc = own_dir(c, c->run, 0700);
    if (rc < 0 || !c->as.drop)
        return rc;
    if (!reachable(c->dir, &c->as)) {
        log_error("user %s cannot reach %s; use a --dir under /tmp", RUN_AS, c->dir);
        return AB_E_IO;
    }
    struct stat sb;
    if (lstat(c->log, &sb) == 0 && sb.st_uid == 0 && lchown(c->log, c->as.uid, c->as.gid) < 0) {
        log_error("cannot hand %s to user %s: %s", c->log, RUN_AS, strerror(errno));
        return AB_E_IO;
    }
    return AB_OK;
}

/* --- the server -------------------------------------------------------- */

static int is_running(const cluster *c)
{
    char version[PATH_MAX + 16];
    snprintf(version, sizeof version, "%s/PG_VERSION", c->data);
    if (access(version, F_OK) != 0)
        return AB_E_NOTFOUND;
    char *args[] = {"status", "-D", (char *)c->data, NULL};
    int code = run(c, "pg_ctl", args, "/dev/null");
    if (code < 0)
        return code;
    return code == 0 ? AB_OK : AB_E_NOTFOUND;
}

static int init_cluster(const cluster *c)
{
    char version[PATH_MAX + 16];
    snprintf(version, sizeof version, "%s/PG_VERSION", c->data);
    if (access(version, F_OK) == 0)
        return AB_OK;
    int rc = own_dir(c, c->data, 0700);
    if (rc < 0)
        return rc;
    log_debug("initdb -D %s", c->data);
    char *args[] = {"-D",    (char *)c->data, "-U", DB_USER, "-A",
                    "trust", "-E", "UTF8", "--no-locale", "-N", NULL};
    if (run(c, "initdb", args, c->log) != 0) {
        log_error("initdb failed");
        show_log_tail(c->log);
        return AB_E_IO;
    }
    return AB_OK;
}

/* A batch engine's settings, not a laptop's: buffers that hold a night's
 * indexes (the plate and reference indexes of 10^6 claims), and WAL room so
 * that one file's transaction does not force checkpoints (each one makes
 * the next write of every page a full-page image).  Measured in
 * docs/tuning.md; the peers of bench/ run on the same cluster. */
#define BATCH_SETTINGS                                                            \
    "-c shared_buffers=512MB -c max_wal_size=4GB -c checkpoint_timeout=30min " \
    "-c wal_buffers=16MB"

static int start_server(const cluster *c)
{
    /* pg_ctl hands -o to /bin/sh; the path is plain (see resolve). */
    char opts[PATH_MAX + 128];
    snprintf(opts, sizeof opts, "-k %s -c listen_addresses='' -p %d %s", c->run, c->port,
             BATCH_SETTINGS);
    char *args[] = {"start", "-w", "-t", "60", "-D", (char *)c->data,
                    "-l", (char *)c->log, "-o", opts, NULL};
    log_debug("pg_ctl start -D %s", c->data);
    if (run(c, "pg_ctl", args, c->log) != 0) {
        log_error("PostgreSQL did not start");
        show_log_tail(c->log);
        return AB_E_DB;
    }
    return AB_OK;
}

/* Port and socket directory of the running server (postmaster.pid lines 4
 * and 5); left as they are when the file says nothing else. */
static void running_address(const cluster *c, char *sock, size_t socklen, int *port)
{
    char path[PATH_MAX + 32], line[PATH_MAX];
    snprintf(path, sizeof path, "%s/postmaster.pid", c->data);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    for (int no = 1; no <= 5 && fgets(line, sizeof line, f); no++) {
        line[strcspn(line, "\n")] = '\0';
        if (no == 4 && atoi(line) > 0)
            *port = atoi(line);
        if (no == 5 && line[0] == '/' && plain_path(line))
            snprintf(sock, socklen, "%s", line);
    }
    fclose(f);
}

static void one_line(char *buf, size_t len, const char *msg)
{
    snprintf(buf, len, "%s", msg ? msg : "");
    for (char *p = buf; *p; p++)
        if (*p == '\n' || *p == '\t')
            *p = p[1] ? ' ' : '\0';
}

static int create_database(const char *sock, int port)
{
    char portstr[16], msg[512];
    snprintf(portstr, sizeof portstr, "%d", port);
    const char *keys[] = {"host", "port", "user", "dbname", "application_name", NULL};
    const char *vals[] = {sock, portstr, DB_USER, "postgres", "abgleich-pg", NULL};
    PGconn *db = PQconnectdbParams(keys, vals, 0);
    PGresult *r = NULL;
    int rc = AB_E_DB;
    if (PQstatus(db) != CONNECTION_OK) {
        one_line(msg, sizeof msg, PQerrorMessage(db));
        log_error("private PostgreSQL: %s", msg);
        goto cleanup;
    }
    r = PQexec(db, "SELECT 1 FROM pg_database WHERE datname = 'abgleich'");
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 0) {
        PQclear(r);
        r = PQexec(db, "CREATE DATABASE abgleich");
    }
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    int ok = PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK ||
             (state && !strcmp(state, "42P04")); /* created meanwhile by another run */
    if (!ok) {
        one_line(msg, sizeof msg, PQresultErrorMessage(r));
        log_error("private PostgreSQL: %s", msg);
        goto cleanup;
    }
    rc = AB_OK;
cleanup:
    PQclear(r);
    PQfinish(db);
    return rc;
}

/* --- the API ----------------------------------------------------------- */

int pgprivate_start(const char *dir, char *conninfo, size_t len)
{
    cluster c;
    int rc = resolve(dir, &c, 1);
    if (rc == AB_OK)
        rc = prepare(&c);
    if (rc == AB_OK)
        rc = init_cluster(&c);
    if (rc == AB_OK && is_running(&c) != AB_OK)
        rc = start_server(&c);
    if (rc < 0)
        return rc;
    char sock[PATH_MAX];
    int port = c.port;
    snprintf(sock, sizeof sock, "%s", c.run);
    running_address(&c, sock, sizeof sock, &port);
    if ((rc = create_database(sock, port)) < 0)
        return rc;
    int n = snprintf(conninfo, len, "host=%s port=%d user=" DB_USER " dbname=abgleich", sock, port);
    if (n < 0 || (size_t)n >= len) {
        log_error("conninfo longer than %zu bytes", len);
        return AB_E_LIMIT;
    }
    return AB_OK;
}

int pgprivate_stop(const char *dir)
{
    cluster c;
    int rc = resolve(dir, &c, 0);
    if (rc == AB_E_NOTFOUND)
        return AB_OK; /* no directory, no binaries: nothing runs */
    if (rc < 0)
        return rc;
    if (is_running(&c) != AB_OK)
        return AB_OK;
    char *args[] = {"stop", "-w", "-t", "60", "-m", "fast", "-D", c.data, NULL};
    if (run(&c, "pg_ctl", args, c.log) != 0) {
        log_error("PostgreSQL did not stop");
        show_log_tail(c.log);
        return AB_E_IO;
    }
    return AB_OK;
}

int pgprivate_status(const char *dir)
{
    cluster c;
    int rc = resolve(dir, &c, 0);
    return rc < 0 ? rc : is_running(&c);
}
