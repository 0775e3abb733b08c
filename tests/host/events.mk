# kprobe_events core (issue 8): host tests for the definition parser, the
# fetch-arg evaluator/formatter with trace lines, and event filters.
HOST_TESTS += event_parse fetch filter

EVENTS_PARSE_SRCS := probes/event_parse.c probes/fetch_parse.c

event_parse_SRCS := tests/host/test_event_parse.c $(EVENTS_PARSE_SRCS)
fetch_SRCS := tests/host/test_fetch.c probes/fetch.c probes/trace_fmt.c \
	probes/filter.c $(EVENTS_PARSE_SRCS) lib/glob.c
filter_SRCS := tests/host/test_filter.c probes/filter.c probes/fetch.c \
	$(EVENTS_PARSE_SRCS) lib/glob.c

# The parser's private header is not under include/: rebuild on its change.
$(B)/host/test_event_parse $(B)/host/test_fetch $(B)/host/test_filter: \
	probes/trace_internal.h

# The trace ring buffer (probes/trace_buffer.c).
HOST_TESTS += trace_buffer
trace_buffer_SRCS := tests/host/test_trace_buffer.c probes/trace_buffer.c

# The ring under nesting: a write after every instruction of another operation
# (single-stepped with the trap flag).
HOST_TESTS += trace_nesting
trace_nesting_SRCS := tests/host/test_trace_nesting.c probes/trace_buffer.c

# Hist triggers (probes/hist.c, probes/hist_print.c).
HOST_TESTS += hist
hist_SRCS := tests/host/test_hist.c probes/hist.c probes/hist_print.c \
	probes/filter.c probes/fetch.c $(EVENTS_PARSE_SRCS) lib/glob.c
$(B)/host/test_hist: probes/trace_internal.h
# Without ASan: its checks would be single-stepped too, thousands of traps per access.
trace_nesting_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -iquote include \
	-fsanitize=undefined -fno-sanitize-recover=all

# The ring with real concurrency: writer threads and a merging reader, under
# ThreadSanitizer. TSan does not model fences (-Wtsan says so); every byte
# the threads share is an atomic access, which it does check.
HOST_TESTS += trace_smp
trace_smp_SRCS := tests/host/test_trace_smp.c probes/trace_buffer.c
trace_smp_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -Wno-tsan -iquote include \
	-fsanitize=thread
trace_smp_LIBS := -lpthread
