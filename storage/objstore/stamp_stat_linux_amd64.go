package objstore

import "syscall"

const sysFstatat = syscall.SYS_NEWFSTATAT
