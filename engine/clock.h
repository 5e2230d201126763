#ifndef ENGINE_CLOCK_H
#define ENGINE_CLOCK_H
/* Seconds on the monotonic clock, for durations (training time, tokens per second,
 * progress and ETAs, PTQ timings): it never jumps when the wall clock is set. The one
 * definition the engine and the sweep program share; the Lua sandbox reads the thread's
 * CPU clock beside it itself, and fitlaws keeps its own (it never links the engine). */
double now_s(void);
#endif
