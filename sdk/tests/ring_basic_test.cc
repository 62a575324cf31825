#include <gtest/gtest.h>
#include "vmbus/ring/outgoing_ring.h"
#include "vmbus/ring/incoming_ring.h"
#include "vmbus/packet/builders.h"
TEST(Smoke, Builds) { SUCCEED(); }
