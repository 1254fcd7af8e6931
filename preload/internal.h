/* Core-internal declarations shared by init/thread/buffer/output (not for wrap_*.c). */
#ifndef PP_INTERNAL_H
#define PP_INTERNAL_H
#include "pp.h"

#define PP_MAX_THREADS 1024

/* buffer.c */
void pp_buffer_init(struct pp_thread *t);
void pp_buffer_reset_seq(void);
int pp_flush_final(struct pp_thread *t);
extern int pp_final_chunk;     /* output.c: set around a buffer's last write */

/* strings.c */
int pp_strings_init(void);
void pp_strings_reset(void);

/* thread.c */
extern PP_TLS uint64_t pp_parent_tid;
/* The creating thread had the sampling signal blocked for the program only (sampler.c): so
 * has the new one. */
extern PP_TLS int pp_born_vblocked;
extern PP_TLS int pp_thread_gone;
int pp_threads_init(void);
void pp_sample_emit(struct pp_thread *t, uint64_t now);
unsigned pp_threads_flush_all(uint64_t now, unsigned *lost);
void pp_threads_after_fork_child(void);
uint64_t pp_cpu_total_ns(void);
void pp_threads_flush_live(void);
void pp_threads_totals(uint64_t *records, uint64_t *dropped);
void pp_threads_each(void (*fn)(struct pp_thread *, void *), void *arg);   /* live threads */
void pp_selfcost_after_fork_child(struct pp_thread *me);

/* counters backend (counters.h has the contract; these are the calls the core makes) */
int pp_counters_read(struct pp_thread *t, uint64_t out[16]);
void pp_counters_thread_open(struct pp_thread *t);
void pp_counters_thread_close(struct pp_thread *t);
uint64_t pp_rss_bytes_if_due(struct pp_thread *t, uint64_t now);

/* output.c */
int pp_output_init(int argc, char **argv);
void pp_proc_after_fork_child(void);
void pp_output_exec_footer(void);
uint64_t pp_start_mono(void);
const char *pp_output_exe(void);    /* /proc/self/exe as the HEADER has it ("" if unknown) */

/* config.c: getenv and strtol (base 10, whole string) without touching libc's pages */
const char *pp_getenv(const char *name);
int pp_parse_long(const char *s, long *out);

/* counters: the backend in use, its event names (for the header) */
const char *pp_counters_backend(void);
int pp_counters_describe(const char **names, int max, const char **note);
int pp_counters_init(void);

/* process-wide record writing */
extern struct pp_thread *pp_proc;
/* init.c, process.c, sampler.c */
void pp_note_exit_status(int status);
void pp_after_fork_child(void);
void pp_env_capture(char **envp);
void pp_env_carry(const char *name, const char *value);  /* for exec'd children */
void pp_counters_after_fork_child(void);
void pp_sampler_start(void);
void pp_sampler_stop(void);
void pp_sampler_after_fork_child(void);
void pp_sampler_thread_start(struct pp_thread *t);
void pp_sampler_thread_stop(struct pp_thread *t);
void pp_resolve_sampler(void);
/* exec wrappers (wrap_process.c): around the real exec, so a signal the program ignores stays
 * ignored in the new image (sampler.c). */
void pp_sampler_before_exec(void);
void pp_sampler_exec_failed(void);
void pp_alloc_thread_start(struct pp_thread *t);   /* first sampling gap, tick counters */
void pp_alloc_sample_reset_after_fork(void);
/* stack.c */
extern PP_TLS int pp_in_loader;
void pp_stack_init(void);
void pp_stack_maybe_load(struct pp_thread *t, uint64_t now);
extern PP_TLS int pp_no_unwind;
uint64_t pp_stack_capture_signal(struct pp_thread *t, void *ucontext);
void pp_stack_reset_after_fork(void);
void pp_stack_fork_prepare(void);
void pp_stack_fork_done(void);
void pp_stack_disable(void);
#endif
