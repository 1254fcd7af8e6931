/* empty: does nothing.  Start-up cost: the bench execs it 1,000 times with and without the
 * preload; the difference is what the preload adds to every process (time and peak RSS). */
int main(void) { return 0; }
