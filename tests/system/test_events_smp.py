"""The probe-event tests whose code paths differ with several CPUs, again on
a 4-CPU guest (test_events.py runs them all on one):

  every CPU's ring, merged (events_from_every_cpu_merge_by_time: each CPU
    writes its own ring, `trace`/`trace -f` merge them, per-CPU stats);
  the ring under overwrite with the other CPUs' rings idle
    (trace_overwrite_and_lost_count) and trace -f while every CPU's timer
    interrupt records (trace_follow_until_ctrl_c);
  return probes (per-CPU instance pools, the trampoline);
  enabling and disabling (text changes synchronised on every CPU);
  a probe on every function (every CPU's idle loop, interrupts and IPIs
    hit probes while CPU 0 arms and disarms them all);
  hist triggers (one table updated from the hit path under its lock).

The rest -- parsing, fetch types, filters, formats, error_log -- runs the
same code whatever the CPU count, so it runs once, in test_events.py."""
from guest import Guest
from test_events import (fresh, test_events_from_every_cpu_merge_by_time,  # noqa: F401
                         test_trace_overwrite_and_lost_count, test_trace_follow_until_ctrl_c,
                         test_return_probes, test_enable_disable_and_text,
                         test_every_function_at_once)
from test_events_hist import test_hist_trigger_keys_counts_sort_totals  # noqa: F401


def make_guest():
    # real parallel vCPUs, as test_smp.py explains
    return Guest(smp=4, extra=("-accel", "tcg,thread=multi"), boot_timeout=180)
