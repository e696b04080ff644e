/*
 * pgprivate.c - initdb and pg_ctl for a private cluster; see pgprivate.h.
 *
 * The server binaries are run with fork/execv (no shell, so paths with
 * spaces or quotes are harmless).  As root the child drops to "nobody"
 * with setgroups/setgid/setuid before execv, and the cluster directory is
 * chowned to that user.  The port number only names the socket file; a
 * fixed one keeps the conninfo stable across runs.
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
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"

#define PGPRIVATE_PORT "5439"
#define PGPRIVATE_USER "abgleich"
#define RUN_AS "nobody"

/* Highest /usr/lib/postgresql/N/bin holding initdb. */
static int find_bindir(char *out, size_t len)
{
    DIR *d = opendir("/usr/lib/postgresql");
    long best = -1;
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            char *end;
            long v = strtol(e->d_name, &end, 10);
            char probe[PATH_MAX];
            snprintf(probe, sizeof probe, "/usr/lib/postgresql/%s/bin/initdb", e->d_name);
            if (*end == '\0' && v > best && access(probe, X_OK) == 0)
                best = v;
        }
        closedir(d);
    }
    if (best < 0) {
        log_error("no PostgreSQL server binaries in /usr/lib/postgresql (package postgresql)");
        return AB_E_NOTFOUND;
    }
    snprintf(out, len, "/usr/lib/postgresql/%ld/bin", best);
    return AB_OK;
}

/* Runs bindir/prog with args; output appended to logpath. 0 on exit 0. */
static int run(const char *bindir, const char *prog, char *const args[], const char *logpath)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", bindir, prog);
    pid_t pid = fork();
    if (pid < 0)
        return AB_E_IO;
    if (pid == 0) {
        if (geteuid() == 0) {
            struct passwd *pw = getpwnam(RUN_AS);
            if (!pw || setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 ||
                setuid(pw->pw_uid) < 0)
                _exit(126);
        }
        /* Opened after dropping root, so the server user owns the log. */
        int fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
        char *argv[16];
        int n = 0;
        argv[n++] = path;
        for (int i = 0; args[i] && n < 15; i++)
            argv[n++] = args[i];
        argv[n] = NULL;
        execv(path, argv);
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return AB_E_IO;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? AB_OK : AB_E_IO;
}

static int make_dir(const char *path)
{
    if (mkdir(path, 0700) < 0 && errno != EEXIST) {
        log_error("cannot create %s: %s", path, strerror(errno));
        return AB_E_IO;
    }
    if (geteuid() == 0) {
        struct passwd *pw = getpwnam(RUN_AS);
        if (!pw || chown(path, pw->pw_uid, pw->pw_gid) < 0) {
            log_error("cannot hand %s to user %s", path, RUN_AS);
            return AB_E_IO;
        }
    }
    return AB_OK;
}

typedef struct paths {
    char dir[PATH_MAX], data[PATH_MAX], run[PATH_MAX], log[PATH_MAX], bin[PATH_MAX];
} paths;

/* True when every directory above path lets other users pass (o+x), which
 * the server user needs to reach its cluster. */
static int reachable_by_others(const char *path)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *slash = strrchr(buf, '/'); slash && slash != buf; slash = strrchr(buf, '/')) {
        *slash = '\0';
        struct stat sb;
        if (stat(buf, &sb) < 0 || !(sb.st_mode & S_IXOTH))
            return 0;
    }
    return 1;
}

/* As root, a cluster below a private directory (a clone in /root, say)
 * cannot be run by "nobody"; it moves to /var/tmp under a name derived from
 * the requested path, so a second run finds it again. */
static void relocate_if_private(paths *p)
{
    if (geteuid() != 0 || reachable_by_others(p->dir))
        return;
    unsigned h = 2166136261u;
    for (const char *c = p->dir; *c; c++)
        h = (h ^ (unsigned char)*c) * 16777619u;
    char alt[PATH_MAX];
    snprintf(alt, sizeof alt, "/var/tmp/abgleich-pg-%08x", h);
    static int told;
    if (!told++)
        log_info("%s is not reachable by user %s; the cluster lives in %s", p->dir, RUN_AS, alt);
    if (mkdir(alt, 0755) < 0 && errno != EEXIST)
        return;
    snprintf(p->dir, sizeof p->dir, "%s", alt);
}

static int resolve(const char *dir, paths *p)
{
    if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
        log_error("cannot create %s: %s", dir, strerror(errno));
        return AB_E_IO;
    }
    if (!realpath(dir, p->dir))
        return AB_E_IO;
    relocate_if_private(p);
    if (strlen(p->dir) > 80) {
        /* A Unix socket path has ~107 bytes; keep room for the file name. */
        log_error("%s: path too long for a PostgreSQL socket", p->dir);
        return AB_E_INVAL;
    }
    snprintf(p->data, sizeof p->data, "%s/data", p->dir);
    snprintf(p->run, sizeof p->run, "%s/run", p->dir);
    snprintf(p->log, sizeof p->log, "%s/postgres.log", p->dir);
    return find_bindir(p->bin, sizeof p->bin);
}

static int create_database(const paths *p)
{
    char conninfo[PATH_MAX + 64];
    snprintf(conninfo, sizeof conninfo, "host=%s port=" PGPRIVATE_PORT " user=" PGPRIVATE_USER
             " dbname=postgres", p->run);
    PGconn *c = PQconnectdb(conninfo);
    int rc = AB_E_DB;
    if (PQstatus(c) != CONNECTION_OK) {
        log_error("private PostgreSQL: %s", PQerrorMessage(c));
        goto out;
    }
    PGresult *r = PQexec(c, "SELECT 1 FROM pg_database WHERE datname = 'abgleich'");
    int exists = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0;
    PQclear(r);
    if (!exists) {
        r = PQexec(c, "CREATE DATABASE abgleich");
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            log_error("private PostgreSQL: %s", PQresultErrorMessage(r));
            PQclear(r);
            goto out;
        }
        PQclear(r);
    }
    rc = AB_OK;
out:
    PQfinish(c);
    return rc;
}

int pgprivate_status(const char *dir)
{
    paths p;
    int rc = resolve(dir, &p);
    if (rc < 0)
        return rc;
    char *args[] = {"status", "-D", p.data, NULL};
    char devnull[] = "/dev/null";
    return run(p.bin, "pg_ctl", args, devnull) == AB_OK ? AB_OK : AB_E_NOTFOUND;
}

static int init_cluster(const paths *p)
{
    char version[PATH_MAX + 16];
    snprintf(version, sizeof version, "%s/PG_VERSION", p->data);
    if (access(version, F_OK) == 0)
        return AB_OK;
    int rc = make_dir(p->data);
    if (rc < 0)
        return rc;
    char *args[] = {"-D", (char *)p->data, "-U", PGPRIVATE_USER, "-A", "trust", "-E", "UTF8",
                    "--no-locale", "-N", NULL};
    rc = run(p->bin, "initdb", args, p->log);
    if (rc < 0)
        log_error("initdb failed; see %s", p->log);
    return rc;
}

int pgprivate_start(const char *dir, char *conninfo, size_t len)
{
    paths p;
    int rc = resolve(dir, &p);
    if (rc == AB_OK)
        rc = make_dir(p.dir);
    if (rc == AB_OK)
        rc = make_dir(p.run);
    if (rc == AB_OK)
        rc = init_cluster(&p);
    if (rc < 0)
        return rc;
    if (pgprivate_status(dir) != AB_OK) {
        char opts[PATH_MAX + 128];
        snprintf(opts, sizeof opts,
                 "-k %s -c listen_addresses='' -p " PGPRIVATE_PORT " -c fsync=on", p.run);
        char *args[] = {"start", "-w", "-t", "60", "-D", p.data, "-l", p.log, "-o", opts, NULL};
        if ((rc = run(p.bin, "pg_ctl", args, p.log)) < 0) {
            log_error("PostgreSQL did not start; see %s", p.log);
            return rc;
        }
    }
    if ((rc = create_database(&p)) < 0)
        return rc;
    snprintf(conninfo, len, "host=%s port=" PGPRIVATE_PORT " user=" PGPRIVATE_USER
             " dbname=abgleich", p.run);
    return AB_OK;
}

int pgprivate_stop(const char *dir)
{
    paths p;
    int rc = resolve(dir, &p);
    if (rc < 0)
        return rc;
    if (pgprivate_status(dir) != AB_OK)
        return AB_OK;
    char *args[] = {"stop", "-w", "-m", "fast", "-D", p.data, NULL};
    return run(p.bin, "pg_ctl", args, p.log);
}
