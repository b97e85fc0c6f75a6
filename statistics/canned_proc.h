// Real kernel files captured on a dabs build machine (Linux 6.18, 2 cores, Debian 12), kept
// verbatim so the parsers are tested on what the kernel writes. Test-only.
#pragma once

#include <string_view>

namespace dabs::statistics::canned {

// /proc/stat
inline constexpr std::string_view kProcStat = R"(cpu  285816 0 35618 181084 1417 0 2452 457 0 0
cpu0 136495 0 16632 98496 398 0 1109 228 0 0
cpu1 149321 0 18985 82587 1019 0 1342 229 0 0
intr 2315471 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 1 1 13 0 0 0 0 508 3504 0 54 1 170228 0 562 359 0 1593 5030 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
ctxt 23285612
btime 1795211649
processes 22564
procs_running 3
procs_blocked 0
softirq 19623206 0 95104 4 19026710 170227 0 3 137516 0 193642
)";

// /proc/meminfo
inline constexpr std::string_view kMeminfo = R"(MemTotal:       24684084 kB
MemFree:        23294116 kB
MemAvailable:   23752816 kB
Buffers:            1948 kB
Cached:           590784 kB
SwapCached:            0 kB
Active:           364088 kB
Inactive:         679636 kB
Active(anon):       1568 kB
Inactive(anon):   458328 kB
Active(file):     362520 kB
Inactive(file):   221308 kB
Unevictable:       12816 kB
Mlocked:           11896 kB
SwapTotal:             0 kB
SwapFree:              0 kB
Zswap:                 0 kB
Zswapped:              0 kB
Dirty:             65964 kB
Writeback:             0 kB
AnonPages:        463924 kB
Mapped:            35540 kB
Shmem:              8872 kB
KReclaimable:     172840 kB
Slab:             200752 kB
SReclaimable:     172840 kB
SUnreclaim:        27912 kB
KernelStack:        1544 kB
PageTables:         2884 kB
SecPageTables:         0 kB
NFS_Unstable:          0 kB
Bounce:                0 kB
WritebackTmp:          0 kB
CommitLimit:    12342040 kB
Committed_AS:     533536 kB
VmallocTotal:   34359738367 kB
VmallocUsed:       14332 kB
VmallocChunk:          0 kB
Percpu:              688 kB
AnonHugePages:         0 kB
ShmemHugePages:        0 kB
ShmemPmdMapped:        0 kB
FileHugePages:      2048 kB
FilePmdMapped:         0 kB
Balloon:               0 kB
HugePages_Total:       0
HugePages_Free:        0
HugePages_Rsvd:        0
HugePages_Surp:        0
Hugepagesize:       2048 kB
Hugetlb:               0 kB
DirectMap4k:       28672 kB
DirectMap2M:     2068480 kB
DirectMap1G:    25165824 kB
)";

// /proc/net/dev
inline constexpr std::string_view kNetDev =
    R"(Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo: 3095471684 19021418    0    0    0     0          0         0 3095471684 19021418    0    0    0     0       0          0
  ifb0:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0
  ifb1:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0
  eth0: 31682902     714    0    0    0     0          0         0    34917     408    0    0    0     0       0          0
)";

// /proc/diskstats
inline constexpr std::string_view kDiskstats =
    R"(   7       0 loop0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
   7       1 loop1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
   7       2 loop2 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
   7       3 loop3 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
   7       4 loop4 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
   7       5 loop5 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
   7       6 loop6 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
   7       7 loop7 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
 254       0 vda 335810 73767 16699498 442333 43739 26312 23180672 43658 0 26572 488273 11787 25 17709520 2239 1380 41
 253       0 zram0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
)";

// cgroup v2 files as a container limited to 2 CPUs and 512 MiB shows them (this machine
// has no cgroup v2 limits, so these follow the kernel's cgroup-v2.rst formats).
inline constexpr std::string_view kCgroupCpuMax = "200000 100000\n";
inline constexpr std::string_view kCgroupCpuStat = R"(usage_usec 2512866
user_usec 1735000
system_usec 777866
core_sched.force_idle_usec 0
nr_periods 120
nr_throttled 3
throttled_usec 41520
nr_bursts 0
burst_usec 0
)";
inline constexpr std::string_view kCgroupMemoryMax = "536870912\n";
inline constexpr std::string_view kCgroupMemoryCurrent = "301989888\n";
inline constexpr std::string_view kCgroupMemoryStat = R"(anon 201326592
file 92274688
kernel 8388608
kernel_stack 327680
pagetables 1310720
sock 0
shmem 0
file_mapped 25165824
file_dirty 0
file_writeback 0
active_anon 0
inactive_anon 201326592
active_file 25165824
inactive_file 67108864
unevictable 0
)";

}  // namespace dabs::statistics::canned
