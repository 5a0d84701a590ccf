// The V8 heap settings a DNS worker is started with. A forwarding cache's first
// burst of misses makes short-lived garbage for every upstream query (socket,
// timer, promise, decoded answer); with V8's defaults the young generation grows
// to 16 MiB semi-spaces and the old generation to several times its live size
// before a full collection, and a worker keeps those pages resident long after the
// burst. Answering from the caches allocates little, so small semi-spaces and a
// modest growth step cost the cached-answer path nothing measurable.

/**
 * Young generation: two semi-spaces of at most 2 MiB each. 1 MiB left about as much resident
 * but cost the cached-answer path ~4 % more instructions (scavenges twice as often).
 */
export const SEMI_SPACE_MB = 2;
/** A full collection once the old generation is this much (%) above its live size after the last one. */
const HEAP_GROWING_PERCENT = 20;

export const WORKER_HEAP_FLAGS: readonly string[] = [`--max-semi-space-size=${SEMI_SPACE_MB}`, `--heap-growing-percent=${HEAP_GROWING_PERCENT}`];

/**
 * A worker's node options: ours first, then the primary's own (`node --max-semi-space-size=…
 * triad run`), which V8 reads later and so take precedence.
 */
export function workerExecArgv(parent: readonly string[]): string[] {
  return [...WORKER_HEAP_FLAGS, ...parent];
}
