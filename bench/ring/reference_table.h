// File: bench/ring/reference_table.h
//
// The references section of ring_bench's report: the ring's packet rate next
// to spsc_queue per packet and spsc_queue bulk (both ratios), and its
// bandwidth next to memcpy, each table with a legend saying what was run.
//
// Usage:
//   print_reference_tables(results);
#pragma once

#include "ring/targets.h"

namespace bench {

void print_reference_tables(const Results& results);

}  // namespace bench
