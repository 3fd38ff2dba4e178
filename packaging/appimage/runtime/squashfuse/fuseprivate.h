/* What runtime.c needs from squashfuse's fuseprivate.h, which Debian's libsquashfuse-dev
 * (0.1.10x) does not install: the functions are in its libsquashfuse_ll.a. */
#ifndef SQFS_FUSEPRIVATE_H
#define SQFS_FUSEPRIVATE_H
#include <squashfuse/squashfuse.h>
#include <fuse3/fuse_lowlevel.h>
#include <stdbool.h>
int sqfs_listxattr(sqfs *fs, sqfs_inode *inode, char *buf, size_t *size);
void sqfs_usage(char *progname, bool fuse_usage);
/* Later squashfuse added a third argument (low-level usage); 0.1.10x has two. */
#define sqfs_usage(progname, fuse_usage, ll_usage) sqfs_usage(progname, fuse_usage)
typedef struct {
    char *progname;
    const char *image;
    int mountpoint;
    size_t offset;
    unsigned int idle_timeout_secs;
} sqfs_opts;
int sqfs_opt_proc(void *data, const char *arg, int key, struct fuse_args *outargs);
int sqfs_statfs(sqfs *sq, struct statvfs *st);
#endif
