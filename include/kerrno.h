/* Linux error numbers, so return codes read the same as in Linux. */
#ifndef KP_KERRNO_H
#define KP_KERRNO_H

#define EPERM		1
#define ENOENT		2
#define EINTR		4
#define EIO		5
#define E2BIG		7
#define ENOEXEC		8
#define EAGAIN		11
#define ENOMEM		12
#define EFAULT		14
#define EBUSY		16
#define EEXIST		17
#define ENODEV		19
#define EINVAL		22
#define EFBIG		27
#define ENOSPC		28
#define ERANGE		34
#define EDEADLK		35
#define ENAMETOOLONG	36
#define ENOSYS		38
#define ELOOP		40
#define ENODATA		61
#define ETIME		62
#define EPROTO		71
#define EILSEQ		84
#define EMSGSIZE	90
#define EPROTONOSUPPORT	93
#define EOPNOTSUPP	95
#define EADDRINUSE	98
#define ENETDOWN	100
#define ENETUNREACH	101
#define ENOBUFS		105
#define ENOTCONN	107
#define EHOSTUNREACH	113
#define ETIMEDOUT	110

#endif
