// zone-monitor: started by zoned, one per running zone (see monitor.hpp).
#include "runtime/monitor.hpp"

int main() { return zone::monitor::run(); }
