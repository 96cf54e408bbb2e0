// Fixture for the layering test's self-check: dicom/ knows nothing of the queue.
#include "queue/instance_store.hpp"
