// How many cores this process may run on.
#pragma once

namespace dfota {

// The CPUs in this process's affinity mask (what taskset, a cgroup cpuset or
// a container leaves it), else the machine's count; at least 1.
unsigned usable_cores();

} // namespace dfota
