// Fixture for the layering test's self-check: the receive path may not know stamping.
#include "router/stamping/stamping_service.hpp"
