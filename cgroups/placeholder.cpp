// cgroup library (see tree.hpp).
